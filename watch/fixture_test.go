package watch_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"berth/host/cgroupfs"
	"berth/watch"

	"golang.org/x/sys/unix"
)

// These tests run without root: cgroup v2 trees and process dirs are
// fixture files the test writes, watched through the same loop.

func writeEvents(t *testing.T, dir string, oomKill string) {
	t.Helper()
	content := "low 0\nhigh 0\nmax 7\noom 3\noom_kill " + oomKill + "\noom_group_kill 0\n"
	if err := os.WriteFile(filepath.Join(dir, "memory.events"), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func v2Fixture(t *testing.T, oomKill string) cgroupfs.Paths {
	dir := t.TempDir()
	writeEvents(t, dir, oomKill)
	os.WriteFile(filepath.Join(dir, "memory.max"), []byte("33554432\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "memory.current"), []byte("33000000\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "memory.stat"), []byte("anon 30000000\nfile 1000\npgfault 99999999\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(fmt.Sprintln(os.Getpid())), 0o644)
	return cgroupfs.Paths{"": dir}
}

func oomCounts(evs []watch.Event) []uint64 {
	var out []uint64
	for _, e := range evs {
		if e.Kind == watch.KindOOM {
			out = append(out, e.OOMCount)
		}
	}
	return out
}

func TestV2CountersRising(t *testing.T) {
	p := v2Fixture(t, "0")
	l, col := startLoop(t)
	if err := l.Watch(watch.Target{ID: "v2", Cgroup: p, Pid: 42}); err != nil {
		t.Fatal(err)
	}
	writeEvents(t, p[""], "1")
	evs := col.until(2*time.Second, "kill 1", func(e []watch.Event) bool { return len(oomCounts(e)) == 1 })
	if evs[0].Pid != 42 || evs[0].Missed || evs[0].Forensics == nil || evs[0].Forensics.LimitBytes != 33554432 {
		t.Fatalf("%+v", evs[0])
	}
	if st := evs[0].Forensics.Stat; len(st) == 0 || st[0].Name != "anon" {
		t.Fatalf("stat entries %+v (pgfault is a counter, not bytes)", st)
	}
	writeEvents(t, p[""], "3")
	evs = col.until(2*time.Second, "kills 2 and 3", func(e []watch.Event) bool { return len(oomCounts(e)) == 3 })
	if got := fmt.Sprint(oomCounts(evs)); got != "[1 2 3]" {
		t.Fatalf("counts %s", got)
	}
	// Rewriting the same value is no new kill.
	writeEvents(t, p[""], "3")
	if evs := col.quiet(200 * time.Millisecond); len(oomCounts(evs)) != 3 {
		t.Fatalf("duplicate kill reported: %s", describe(evs))
	}
}

func TestV2RestartOverNonZeroCounters(t *testing.T) {
	p := v2Fixture(t, "5")
	l, col := startLoop(t)
	// No history: the current count is the baseline, nothing is reported.
	if err := l.Watch(watch.Target{ID: "fresh", Cgroup: p}); err != nil {
		t.Fatal(err)
	}
	if evs := col.quiet(200 * time.Millisecond); len(evs) != 0 {
		t.Fatalf("kills before the watch reported without history: %s", describe(evs))
	}
	// The journal knew 3 kills: 4 and 5 happened while nothing watched.
	known := uint64(3)
	if err := l.Watch(watch.Target{ID: "known", Cgroup: p, KnownOOM: &known}); err != nil {
		t.Fatal(err)
	}
	evs := col.until(2*time.Second, "missed kills", func(e []watch.Event) bool { return len(oomCounts(e)) == 2 })
	for _, e := range evs {
		if !e.Missed || e.ID != "known" {
			t.Fatalf("%+v", e)
		}
	}
	if got := fmt.Sprint(oomCounts(evs)); got != "[4 5]" {
		t.Fatalf("counts %s", got)
	}
}

func TestV2MalformedAndVanishing(t *testing.T) {
	p := v2Fixture(t, "0")
	bad := cgroupfs.Paths{"": t.TempDir()}
	os.WriteFile(filepath.Join(bad[""], "memory.events"), []byte("garbage\x00\xff\n"), 0o644)
	l, col := startLoop(t)
	if err := l.Watch(watch.Target{ID: "bad", Cgroup: bad}); err == nil {
		t.Fatal("a memory.events without oom_kill was accepted")
	}
	if err := l.Watch(watch.Target{ID: "v2", Cgroup: p}); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(p[""], "memory.events"), []byte("oom_kill abc\n"), 0o644)
	os.WriteFile(filepath.Join(p[""], "memory.events"), []byte("oom_kill\n"), 0o644)
	os.Remove(filepath.Join(p[""], "memory.events"))
	if evs := col.quiet(300 * time.Millisecond); len(evs) != 0 {
		t.Fatalf("malformed or vanished counters reported as %s", describe(evs))
	}
	l.Unwatch("v2") // after the file vanished: must not fail
}

func writeExit(t *testing.T, dir string, status int, oomKills uint64) {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"status": status, "oomKilled": status == 137, "oomKills": oomKills, "exitedAt": time.Now().UTC()})
	tmp := filepath.Join(dir, ".exit.tmp")
	os.WriteFile(tmp, b, 0o600)
	if err := os.Rename(tmp, filepath.Join(dir, "exit")); err != nil {
		t.Fatal(err)
	}
}

func TestExitAfterUnreportedKill(t *testing.T) {
	p := v2Fixture(t, "0")
	proc := t.TempDir()
	os.WriteFile(filepath.Join(proc, "pid"), []byte("4242 1\n"), 0o600)
	l, col := startLoop(t)
	if err := l.Watch(watch.Target{ID: "c", Cgroup: p, ProcDir: proc, Proc: "init", Pid: 4242}); err != nil {
		t.Fatal(err)
	}
	// The cgroup is gone before the watcher saw the kill; the exit record
	// carries the shim's last count.
	os.Remove(filepath.Join(p[""], "memory.events"))
	col.quiet(100 * time.Millisecond)
	writeExit(t, proc, 137, 1)
	evs := col.until(2*time.Second, "exit", func(e []watch.Event) bool { return count(e, watch.KindExit, "c") == 1 })
	if len(evs) != 2 || evs[0].Kind != watch.KindOOM || evs[0].OOMCount != 1 || evs[1].Kind != watch.KindExit || evs[1].Pid != 4242 || !evs[1].OOMKilled {
		t.Fatalf("want the kill before its exit, got %s", describe(evs))
	}
}

// A Journaled container's exit goes out once: its shim journals it
// before it writes the exit file, so the journal's copy is the exit, the
// kill its wake-up still held goes out before it, and the exit file that
// follows is not read for a second copy.
func TestJournaledExitGoesOutOnce(t *testing.T) {
	root := t.TempDir()
	p := v2Fixture(t, "0")
	proc := t.TempDir()
	os.WriteFile(filepath.Join(proc, "pid"), []byte("4242 1\n"), 0o600)
	l, col := startLoop(t)
	if err := l.Tail(root); err != nil {
		t.Fatal(err)
	}
	if err := l.Watch(watch.Target{ID: "c", Cgroup: p, ProcDir: proc, Proc: "init", Pid: 4242, Journaled: true}); err != nil {
		t.Fatal(err)
	}
	// A kill the shim has not journaled yet, then its journaled exit.
	writeEvents(t, p[""], "1")
	st := 137
	exit := watch.Event{Time: time.Now().UTC(), Kind: watch.KindExit, ID: "c", Pid: 4242, Proc: "init", ExitStatus: &st, OOMKilled: true, Detail: "from the journal"}
	if err := watch.Append(root, exit); err != nil {
		t.Fatal(err)
	}
	writeExit(t, proc, 137, 1)
	col.until(2*time.Second, "exit", func(e []watch.Event) bool { return count(e, watch.KindExit, "c") == 1 })
	evs := col.quiet(300 * time.Millisecond)
	if len(evs) != 2 || evs[0].Kind != watch.KindOOM || evs[0].OOMCount != 1 || evs[1].Kind != watch.KindExit || evs[1].Detail != "from the journal" {
		t.Fatalf("want the kill, then the journal's exit alone, got %s", describe(evs))
	}
}

func TestRootCreateDelete(t *testing.T) {
	root := t.TempDir()
	l, col := startLoop(t)
	if err := l.WatchRoot(root); err != nil {
		t.Fatal(err)
	}
	os.Mkdir(filepath.Join(root, "web"), 0o700)
	os.Mkdir(filepath.Join(root, ".hidden"), 0o700)
	os.WriteFile(filepath.Join(root, "file"), nil, 0o600)
	os.Remove(filepath.Join(root, "web"))
	evs := col.until(2*time.Second, "create and delete", func(e []watch.Event) bool { return len(e) >= 2 })
	if len(evs) != 2 || evs[0].Kind != watch.KindCreate || evs[1].Kind != watch.KindDelete || evs[0].ID != "web" {
		t.Fatalf("%s", describe(evs))
	}
	if evs := col.quiet(100 * time.Millisecond); len(evs) != 2 {
		t.Fatalf("dot dirs or files reported: %s", describe(evs))
	}
}

func TestJournal(t *testing.T) {
	root := t.TempDir()
	st := 0
	a := watch.Event{Time: time.Now().UTC().Add(-time.Hour), Kind: watch.KindStart, ID: "a", Pid: 1}
	b := watch.Event{Time: time.Now().UTC(), Kind: watch.KindOOM, ID: "a", Pid: 1, OOMCount: 1}
	c := watch.Event{Time: time.Now().UTC(), Kind: watch.KindExit, ID: "a", Pid: 1, Proc: "init", ExitStatus: &st}
	if err := watch.Append(root, a, b); err != nil {
		t.Fatal(err)
	}
	// A torn line (a writer killed mid-write) and garbage, then more events.
	f, _ := os.OpenFile(filepath.Join(root, watch.JournalFile), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"time":"2026-01-01T00:00:00Z","kind":"oo` + "\n" + "\x00\x01garbage\n" + `{"valid":"json"}` + "\n")
	f.Close()
	watch.Append(root, c)
	evs, warns := watch.Read(root, time.Time{})
	if len(evs) != 3 || len(warns) != 3 {
		t.Fatalf("events %s, warnings %q", describe(evs), warns)
	}
	for _, w := range warns {
		if !strings.Contains(w, "skipped") {
			t.Fatalf("warning %q", w)
		}
	}
	if recent, _ := watch.Read(root, time.Now().Add(-time.Minute)); len(recent) != 2 {
		t.Fatalf("--since kept %s", describe(recent))
	}
	// A restarted reader that also sees the same events live keeps each once.
	d := watch.NewDedup(100)
	kept := 0
	for _, e := range append(evs, b, c) {
		if d.First(e) {
			kept++
		}
	}
	if kept != 3 {
		t.Fatalf("dedup kept %d of 3 distinct events", kept)
	}
	// A reused id is a new incarnation (another init pid): not a duplicate.
	b2 := b
	b2.Pid = 2
	if !d.First(b2) {
		t.Fatal("the first kill of a new container with a reused id was dropped")
	}
}

// A journal cut in the middle of its last line (a writer killed mid-write,
// a full disk, an operator's truncate) loses only that line: the next
// append starts a line of its own. A journal that is not a regular file is
// moved aside with a warning rather than swallowing every event.
func TestJournalTornAndBad(t *testing.T) {
	st := 0
	a := watch.Event{Time: time.Now().UTC(), Kind: watch.KindStart, ID: "a", Pid: 1}
	b := watch.Event{Time: time.Now().UTC(), Kind: watch.KindOOM, ID: "a", Pid: 1, OOMCount: 1}
	c := watch.Event{Time: time.Now().UTC(), Kind: watch.KindExit, ID: "a", Pid: 1, Proc: "init", ExitStatus: &st}

	root := t.TempDir()
	path := filepath.Join(root, watch.JournalFile)
	watch.Append(root, a, b)
	fi, _ := os.Stat(path)
	os.Truncate(path, fi.Size()-10)
	if err := watch.Append(root, c); err != nil {
		t.Fatal(err)
	}
	evs, warns := watch.Read(root, time.Time{})
	if len(evs) != 2 || evs[0].Kind != watch.KindStart || evs[1].Kind != watch.KindExit || len(warns) != 1 {
		t.Fatalf("after a torn line: events %s, warnings %q", describe(evs), warns)
	}

	for _, tc := range []struct {
		name string
		make func(path string) error
	}{
		{"symlink", func(p string) error { return os.Symlink("/dev/null", p) }},
		{"fifo", func(p string) error { return unix.Mkfifo(p, 0o600) }},
		{"directory", func(p string) error { return os.Mkdir(p, 0o700) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			path := filepath.Join(root, watch.JournalFile)
			if err := tc.make(path); err != nil {
				t.Fatal(err)
			}
			if err := watch.Append(root, a, c); err != nil {
				t.Fatalf("append to a %s journal: %v", tc.name, err)
			}
			evs, warns := watch.Read(root, time.Time{})
			if len(evs) != 2 || len(warns) != 1 || !strings.Contains(warns[0], "moved aside") {
				t.Fatalf("events %s, warnings %q", describe(evs), warns)
			}
			if fi, err := os.Lstat(path); err != nil || !fi.Mode().IsRegular() {
				t.Fatalf("the new journal: %v %v", fi, err)
			}
		})
	}
}

func TestJournalRotationBounded(t *testing.T) {
	root := t.TempDir()
	big := strings.Repeat("x", 4000)
	for i := 0; i < 3*watch.JournalMax/4000; i++ {
		if err := watch.Append(root, watch.Event{Time: time.Now().UTC(), Kind: watch.KindUpdate, ID: "a", Detail: big}); err != nil {
			t.Fatal(err)
		}
	}
	var total int64
	for _, n := range []string{watch.JournalFile, watch.JournalFile + ".1"} {
		st, err := os.Stat(filepath.Join(root, n))
		if err != nil {
			t.Fatal(err)
		}
		total += st.Size()
	}
	if total > 2*watch.JournalMax {
		t.Fatalf("journal holds %d bytes, bound %d", total, 2*watch.JournalMax)
	}
	if _, warns := watch.Read(root, time.Time{}); len(warns) != 0 {
		t.Fatalf("rotation tore lines: %q", warns)
	}
}

func TestTailFollowsAppendsAndRotation(t *testing.T) {
	root := t.TempDir()
	watch.Append(root, watch.Event{Time: time.Now().UTC(), Kind: watch.KindStart, ID: "old"})
	l, col := startLoop(t)
	if err := l.Tail(root); err != nil {
		t.Fatal(err)
	}
	if err := l.WatchRoot(root); err != nil { // shares the directory's watch
		t.Fatal(err)
	}
	watch.Append(root, watch.Event{Time: time.Now().UTC(), Kind: watch.KindPause, ID: "new"})
	evs := col.until(2*time.Second, "appended event", func(e []watch.Event) bool { return len(e) == 1 })
	if evs[0].ID != "new" {
		t.Fatalf("history re-delivered: %s", describe(evs))
	}
	big := strings.Repeat("y", 64<<10)
	n := watch.JournalMax/(64<<10) + 4
	for i := 0; i < n; i++ {
		watch.Append(root, watch.Event{Time: time.Now().UTC(), Kind: watch.KindUpdate, ID: fmt.Sprint("u", i), Detail: big})
	}
	evs = col.until(5*time.Second, "every event across rotation", func(e []watch.Event) bool { return len(e) >= n+1 })
	seen := map[string]int{}
	for _, e := range evs {
		seen[e.ID]++
	}
	for i := 0; i < n; i++ {
		if seen[fmt.Sprint("u", i)] != 1 {
			t.Fatalf("u%d delivered %d times", i, seen[fmt.Sprint("u", i)])
		}
	}
	os.Mkdir(filepath.Join(root, "box"), 0o700)
	col.until(2*time.Second, "create", func(e []watch.Event) bool { return count(e, watch.KindCreate, "box") == 1 })
}

// A Journaled container's kill takes no snapshot of the loop's own: the
// shim's copy, journaled with its forensics, goes out, and counts as
// reported, so the loop sends no copy of its own; a kill the shim never
// journals still goes out, with a late snapshot, once the shim's copy is
// overdue.
func TestJournaledKillWaitsForTheShimsCopy(t *testing.T) {
	root := t.TempDir()
	p := v2Fixture(t, "0")
	l, col := startLoop(t)
	if err := l.Tail(root); err != nil {
		t.Fatal(err)
	}
	if err := l.Watch(watch.Target{ID: "j", Cgroup: p, Pid: 42, Journaled: true}); err != nil {
		t.Fatal(err)
	}
	writeEvents(t, p[""], "1")
	shims := watch.Event{Time: time.Now().UTC(), Kind: watch.KindOOM, ID: "j", Pid: 42, OOMCount: 1,
		Forensics: &watch.Forensics{LikelyVictim: 7, LimitBytes: 1}}
	if err := watch.Append(root, shims); err != nil {
		t.Fatal(err)
	}
	evs := col.until(2*time.Second, "the shim's copy of kill 1", func(e []watch.Event) bool { return len(oomCounts(e)) == 1 })
	if evs[0].Forensics == nil || evs[0].Forensics.LikelyVictim != 7 {
		t.Fatalf("the shim's copy did not go first: %s", describe(evs))
	}
	if evs := col.quiet(300 * time.Millisecond); len(oomCounts(evs)) != 1 {
		t.Fatalf("the loop sent a copy of a kill the journal reported: %s", describe(evs))
	}
	// No shim copy: the loop's own goes out after the grace.
	start := time.Now()
	writeEvents(t, p[""], "2")
	evs = col.until(2*time.Second, "kill 2", func(e []watch.Event) bool { return len(oomCounts(e)) == 2 })
	if since := time.Since(start); since < 40*time.Millisecond {
		t.Fatalf("kill 2 went out after %s, before the shim had its grace", since)
	}
	// It carries what the cgroup shows then, taken late, naming no victim.
	if got := evs[len(evs)-1]; got.OOMCount != 2 || got.Forensics == nil || !got.Forensics.Late || got.Forensics.LikelyVictim != 0 {
		t.Fatalf("%+v", got)
	}
}
