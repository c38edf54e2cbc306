package core_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"berth/core"
	"berth/core/coretest"
	"berth/demo"
	"berth/host/statefile"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

var counter = []string{"sh", "-c", "i=0; while :; do i=$((i+1)); echo $i; sleep 0.05; done"}

// numbers returns the integers a counter container logged, in order.
func numbers(t *testing.T, m *core.Manager, id string) []int {
	t.Helper()
	var out []int
	m.Logs(ctx, id, core.LogOptions{Tail: -1}, func(l core.LogLine) error {
		if n, err := strconv.Atoi(string(l.Data)); err == nil {
			out = append(out, n)
		}
		return nil
	})
	return out
}

func waitCount(t *testing.T, m *core.Manager, id string, n int) []int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := numbers(t, m, id)
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s logged %d numbers, want %d", id, len(got), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestCheckpointRestoreInPlaceTwice(t *testing.T) {
	coretest.SkipWithoutCriu(t)
	e := coretest.NewEnv(t, fixture, nil)
	e.Run("count", counter, nil)
	waitCount(t, e.M, "count", 5)
	for round, name := range []string{"first", "second"} {
		if _, err := e.M.CreateCheckpoint(ctx, "count", name, core.CheckpointOptions{}); err != nil {
			t.Fatal(err)
		}
		c := e.WaitStatus("count", core.StatusStopped, 5*time.Second)
		if !strings.Contains(c.Reason, "checkpointed to "+name) || c.OOMKilled {
			t.Fatalf("round %d: the dump's exit reads %+v", round, c)
		}
		before := numbers(t, e.M, "count")
		last := before[len(before)-1]
		if _, err := e.M.Restore(ctx, "count", name, core.RestoreOptions{}); err != nil {
			t.Fatal(err)
		}
		after := waitCount(t, e.M, "count", len(before)+5)[len(before):]
		if after[0] != last+1 || after[4] != last+5 {
			t.Fatalf("round %d: output after restore %v does not continue from %d", round, after[:5], last)
		}
	}
	cps, err := e.M.Checkpoints(ctx, "count")
	if err != nil || len(cps) != 2 || cps[0].Name != "second" || !cps[0].Valid || cps[0].Stats == nil ||
		cps[0].Stats.PagesWritten == 0 || cps[0].SizeBytes == 0 || cps[0].CriuVersion == "" || cps[0].LeftRunning {
		t.Fatalf("checkpoints: %+v %v", cps, err)
	}
	// The restored container is an ordinary berth container.
	if err := e.M.Pause(ctx, "count"); err != nil {
		t.Fatal(err)
	}
	if err := e.M.Delete(ctx, "count", true); err != nil {
		t.Fatal(err)
	}
}

func TestLeaveRunningAndLiveClone(t *testing.T) {
	coretest.SkipWithoutCriu(t)
	e := coretest.NewEnv(t, fixture, nil)
	orig := e.Run("orig", counter, nil)
	waitCount(t, e.M, "orig", 5)
	if _, err := e.M.CreateCheckpoint(ctx, "orig", "snap", core.CheckpointOptions{LeaveRunning: true}); err != nil {
		t.Fatal(err)
	}
	at := len(numbers(t, e.M, "orig"))
	if c, _ := e.M.Get(ctx, "orig"); c.Status != core.StatusRunning || c.Pid != orig.Pid {
		t.Fatalf("leave-running stopped it: %+v", c)
	}
	clone, err := e.M.Restore(ctx, "orig", "snap", core.RestoreOptions{As: "clone"})
	if err != nil {
		t.Fatal(err)
	}
	if clone.Status != core.StatusRunning || clone.CgroupPaths.Dir("memory") == orig.CgroupPaths.Dir("memory") {
		t.Fatalf("clone %+v shares the original's cgroup %s", clone, orig.CgroupPaths.Dir("memory"))
	}
	got := waitCount(t, e.M, "clone", 5)
	if got[0] < 5 || got[0] > at+2 {
		t.Fatalf("the clone counts from %d, the checkpoint was taken near %d", got[0], at)
	}
	waitCount(t, e.M, "orig", at+10) // the original still counts
}

func diskSize(t *testing.T, dir string) int64 {
	out, err := exec.Command("du", "-sb", dir).Output()
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.ParseInt(strings.Fields(string(out))[0], 10, 64)
	return n
}

func TestPreDumpThenParent(t *testing.T) {
	coretest.SkipWithoutCriu(t)
	if err := exec.Command("criu", "check", "--feature", "mem_dirty_track").Run(); err != nil {
		// A kernel property, not a missing install: skipped even in CI,
		// and berth's own error and doctor say why.
		e := coretest.NewEnv(t, fixture, nil)
		e.Run("nodirty", counter, nil)
		_, err := e.M.CreateCheckpoint(ctx, "nodirty", "pre", core.CheckpointOptions{PreDump: true})
		if err == nil || !strings.Contains(err.Error(), "CONFIG_MEM_SOFT_DIRTY") {
			t.Fatalf("pre-dump without dirty tracking: want an error naming CONFIG_MEM_SOFT_DIRTY, got %v", err)
		}
		t.Skip("this kernel has no memory dirty tracking (CONFIG_MEM_SOFT_DIRTY): pre-dump cannot work here")
	}
	e := coretest.NewEnv(t, fixture, nil)
	bundle := e.Bundle([]string{"awk", `BEGIN{s=sprintf("%20971520s","x"); while(1) system("sleep 1000")}`}, nil)
	c, err := e.M.Run(ctx, "mem", core.RunOptions{Bundle: bundle})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	if _, err := e.M.CreateCheckpoint(ctx, "mem", "full", core.CheckpointOptions{LeaveRunning: true}); err != nil {
		t.Fatal(err)
	}
	pre, err := e.M.CreateCheckpoint(ctx, "mem", "pre", core.CheckpointOptions{PreDump: true})
	if err != nil {
		t.Fatal(err)
	}
	if !pre.LeftRunning {
		t.Fatal("a pre-dump stopped the container")
	}
	final, err := e.M.CreateCheckpoint(ctx, "mem", "final", core.CheckpointOptions{Parent: "pre"})
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(filepath.Dir(bundle), "bundle", "checkpoints")
	full, fin := diskSize(t, filepath.Join(root, "full")), diskSize(t, filepath.Join(root, "final"))
	if fin >= full/2 || final.Stats.PagesSkippedParent == 0 {
		t.Fatalf("final dump over a pre-dump is %d bytes, a full one %d (skipped %d pages)", fin, full, final.Stats.PagesSkippedParent)
	}
	_, err = e.M.Restore(ctx, "mem", "pre", core.RestoreOptions{})
	coretest.ErrIs(t, err, core.ErrInvalid)
	coretest.ErrIs(t, e.M.DeleteCheckpoint(ctx, "mem", "pre", false), core.ErrInvalid)
	e.WaitStatus("mem", core.StatusStopped, 5*time.Second)
	if _, err := e.M.Restore(ctx, "mem", "final", core.RestoreOptions{}); err != nil {
		t.Fatalf("restore from a dump with a parent: %v", err)
	}
	_ = c
	if err := e.M.DeleteCheckpoint(ctx, "mem", "pre", true); err != nil {
		t.Fatal(err)
	}
}

func TestCheckpointDiskFull(t *testing.T) {
	coretest.SkipWithoutCriu(t)
	e := coretest.NewEnv(t, fixture, nil)
	small := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", small).CombinedOutput(); err != nil {
		t.Fatalf("mount tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { syscall.Unmount(small, syscall.MNT_DETACH) })
	bundle := filepath.Join(small, "bundle")
	if err := demo.WriteBundle(coretest.Runtime(), bundle, fixture.Rootfs, []string{"awk", `BEGIN{s=sprintf("%8388608s","x"); while(1) system("sleep 1000")}`}, nil); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(small, "filler"), make([]byte, 2<<20), 0o600)
	c, err := e.M.Run(ctx, "full", core.RunOptions{Bundle: bundle})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	_, err = e.M.CreateCheckpoint(ctx, "full", "nospace", core.CheckpointOptions{})
	coretest.ErrIs(t, err, core.ErrCheckpoint)
	if got, _ := e.M.Get(ctx, "full"); got.Status != core.StatusRunning || got.Pid != c.Pid {
		t.Fatalf("a failed dump disturbed the container: %+v", got)
	}
	cps, _ := e.M.Checkpoints(ctx, "full")
	entries, _ := os.ReadDir(filepath.Join(bundle, "checkpoints"))
	if len(cps) != 0 || len(entries) != 0 {
		t.Fatalf("a failed dump left %v / %d entries", cps, len(entries))
	}
	if _, err := os.Stat(filepath.Join(e.StateDir, "full", "init", "checkpointing")); !os.IsNotExist(err) {
		t.Fatal("checkpoint marker left behind")
	}
}

func tarGz(t *testing.T, entries []tar.Header, body []byte) *bytes.Buffer {
	var b bytes.Buffer
	gz := gzip.NewWriter(&b)
	tw := tar.NewWriter(gz)
	for _, h := range entries {
		h := h
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(body))
		}
		tw.WriteHeader(&h)
		if h.Typeflag == tar.TypeReg {
			tw.Write(body)
		}
	}
	tw.Close()
	gz.Close()
	return &b
}

func TestCheckpointBadInput(t *testing.T) {
	coretest.SkipWithoutCriu(t)
	e := coretest.NewEnv(t, fixture, nil)
	c := e.Run("bad", counter, nil)
	for _, name := range []string{"a/b", "..", "../../etc", "x\x1b[2J", strings.Repeat("n", 77)} {
		_, err := e.M.CreateCheckpoint(ctx, "bad", name, core.CheckpointOptions{LeaveRunning: true})
		coretest.ErrIs(t, err, core.ErrInvalid)
		coretest.ErrIs(t, e.M.DeleteCheckpoint(ctx, "bad", name, true), core.ErrInvalid)
		_, err = e.M.Restore(ctx, "bad", name, core.RestoreOptions{})
		coretest.ErrIs(t, err, core.ErrInvalid)
	}
	if _, err := e.M.CreateCheckpoint(ctx, "bad", "good", core.CheckpointOptions{LeaveRunning: true}); err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(c.Bundle, "checkpoints")
	for name, plant := range map[string]func(string){
		"corrupt":  func(d string) { os.WriteFile(filepath.Join(d, "config.json"), []byte("{\"name\":"), 0o600) },
		"symlink":  func(d string) { os.Symlink("/etc/passwd", filepath.Join(d, "config.json")) },
		"missing":  func(string) {},
		"fifometa": func(d string) { syscall.Mkfifo(filepath.Join(d, "config.json"), 0o600) },
	} {
		d := filepath.Join(root, name)
		os.Mkdir(d, 0o700)
		plant(d)
	}
	cps, err := e.M.Checkpoints(ctx, "bad")
	if err != nil || len(cps) != 5 {
		t.Fatalf("checkpoints: %+v %v", cps, err)
	}
	for _, cp := range cps {
		if (cp.Name == "good") != cp.Valid || (!cp.Valid && cp.Reason == "") {
			t.Errorf("%s: valid %v reason %q", cp.Name, cp.Valid, cp.Reason)
		}
	}
	_, err = e.M.Restore(ctx, "bad", "corrupt", core.RestoreOptions{As: "never"})
	coretest.ErrIs(t, err, core.ErrInvalid)
	if _, err := os.Stat(filepath.Join(e.StateDir, "never")); !os.IsNotExist(err) {
		t.Fatal("a refused restore left a container behind")
	}

	// Export and import round trip; hostile archives are refused whole.
	var exported bytes.Buffer
	if err := e.M.ExportCheckpoint(ctx, "bad", "good", &exported); err != nil {
		t.Fatal(err)
	}
	if _, err := e.M.ImportCheckpoint(ctx, "bad", "copy", bytes.NewReader(exported.Bytes())); err != nil {
		t.Fatal(err)
	}
	old := core.MaxImportBytes
	core.MaxImportBytes = 1 << 20
	defer func() { core.MaxImportBytes = old }()
	for what, archive := range map[string]*bytes.Buffer{
		"absolute": tarGz(t, []tar.Header{{Name: "/etc/evil", Typeflag: tar.TypeReg, Mode: 0o644}}, []byte("x")),
		"dotdot":   tarGz(t, []tar.Header{{Name: "../../evil", Typeflag: tar.TypeReg, Mode: 0o644}}, []byte("x")),
		"symlink":  tarGz(t, []tar.Header{{Name: "config.json", Typeflag: tar.TypeSymlink, Linkname: "/etc/shadow"}}, nil),
		"hardlink": tarGz(t, []tar.Header{{Name: "pages", Typeflag: tar.TypeLink, Linkname: "../../../etc/shadow"}}, nil),
		"device":   tarGz(t, []tar.Header{{Name: "dev", Typeflag: tar.TypeChar, Devmajor: 1, Devminor: 3}}, nil),
		"oversize": tarGz(t, []tar.Header{{Name: "big", Typeflag: tar.TypeReg, Mode: 0o644}}, make([]byte, 2<<20)),
		"no meta":  tarGz(t, []tar.Header{{Name: "pages-1.img", Typeflag: tar.TypeReg, Mode: 0o644}}, []byte("x")),
		"garbage":  bytes.NewBufferString("not an archive"),
	} {
		_, err := e.M.ImportCheckpoint(ctx, "bad", "hostile", archive)
		if err == nil {
			t.Errorf("%s archive imported", what)
		}
		if _, err := os.Stat(filepath.Join(root, "hostile")); !os.IsNotExist(err) {
			t.Fatalf("%s archive left a checkpoint", what)
		}
	}
	if ents, _ := filepath.Glob(filepath.Join(root, ".tmp-*")); len(ents) != 0 {
		t.Fatalf("temporary directories left: %v", ents)
	}
	if _, err := os.Stat("/etc/evil"); err == nil {
		t.Fatal("an archive wrote outside the checkpoint")
	}

	// A bundle owner who swaps checkpoints/ for a symlink gets nothing
	// written or removed through it.
	elsewhere := t.TempDir()
	os.Mkdir(filepath.Join(elsewhere, "victim"), 0o700)
	os.Rename(root, root+".real")
	os.Symlink(elsewhere, root)
	_, err = e.M.CreateCheckpoint(ctx, "bad", "through", core.CheckpointOptions{LeaveRunning: true})
	coretest.ErrIs(t, err, core.ErrInvalid)
	coretest.ErrIs(t, e.M.DeleteCheckpoint(ctx, "bad", "victim", true), core.ErrInvalid)
	if _, err := os.Stat(filepath.Join(elsewhere, "victim")); err != nil {
		t.Fatal("removed through a symlinked checkpoints dir")
	}
	os.Remove(root)
	os.Rename(root+".real", root)

	// criu missing: a failing criu first on PATH.
	bin := t.TempDir()
	os.WriteFile(filepath.Join(bin, "criu"), []byte("#!/bin/sh\necho 'criu: broken on purpose' >&2\nexit 1\n"), 0o755)
	t.Setenv("PATH", bin+":"+os.Getenv("PATH"))
	_, err = e.M.CreateCheckpoint(ctx, "bad", "nocriu", core.CheckpointOptions{})
	coretest.ErrIs(t, err, core.ErrCheckpoint)
	if got, _ := e.M.Get(ctx, "bad"); got.Status != core.StatusRunning {
		t.Fatalf("container after a failed dump: %+v", got)
	}
}

// A checkpoint of a paused container restores paused only when asked.
func TestCheckpointPaused(t *testing.T) {
	coretest.SkipWithoutCriu(t)
	e := coretest.NewEnv(t, fixture, nil)
	e.Run("p", counter, nil)
	waitCount(t, e.M, "p", 3)
	if err := e.M.Pause(ctx, "p"); err != nil {
		t.Fatal(err)
	}
	cp, err := e.M.CreateCheckpoint(ctx, "p", "frozen", core.CheckpointOptions{LeaveRunning: true})
	if err != nil || !cp.Paused {
		t.Fatalf("%+v %v", cp, err)
	}
	if c, _ := e.M.Get(ctx, "p"); c.Status != core.StatusPaused {
		t.Fatalf("leave-running of a paused container: %+v", c)
	}
	a, err := e.M.Restore(ctx, "p", "frozen", core.RestoreOptions{As: "runs"})
	if err != nil || a.Status != core.StatusRunning {
		t.Fatalf("default restore: %+v %v", a, err)
	}
	b, err := e.M.Restore(ctx, "p", "frozen", core.RestoreOptions{As: "stays", Paused: true})
	if err != nil || b.Status != core.StatusPaused {
		t.Fatalf("--paused restore: %+v %v", b, err)
	}
	_ = specs.Spec{}
}

// gatedRuntime writes a runtime that is runc except for a checkpoint, which
// waits for the file "go" in dir before running runc's and for "end" after
// it (touching "dumped" in between), so a test can kill the berth taking
// the dump at a chosen moment. Its shell holds the dump's lock as runc does.
func gatedRuntime(t *testing.T, dir string) string {
	t.Helper()
	runc, err := exec.LookPath("runc")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "gated-runc")
	script := `#!/bin/sh
d=` + dir + `
case " $* " in *" checkpoint "*)
	echo $$ > $d/pid.tmp && mv $d/pid.tmp $d/pid
	while [ ! -e $d/go ]; do sleep 0.02; done
	` + runc + ` "$@"; rc=$?
	touch $d/dumped
	while [ ! -e $d/end ]; do sleep 0.02; done
	[ -e $d/fail ] && exit 1
	exit $rc;;
esac
exec ` + runc + ` "$@"
`
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// waitFile waits for path to exist.
func waitFile(t *testing.T, path string) {
	t.Helper()
	for i := 0; ; i++ {
		if _, err := os.Stat(path); err == nil {
			return
		}
		if i > 1000 {
			t.Fatalf("%s never appeared", path)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A checkpoint survives the berth that asked for it being SIGKILLed: a
// dump that stops the container is committed by its shim, one that leaves
// it running by the next listing; a berth killed before the dump ran
// leaves the container running, and its marker never makes a later kill
// look like a checkpoint.
func TestCheckpointOutlivesBerth(t *testing.T) {
	coretest.SkipWithoutCriu(t)
	gate := t.TempDir()
	e := coretest.NewEnv(t, fixture, func(o *core.Options) { o.Runtime = gatedRuntime(t, gate) })
	// cli starts `berth checkpoint create` and returns it once the runtime
	// is at the gate.
	cli := func(id, name string, flags ...string) *exec.Cmd {
		for _, f := range []string{"pid", "go", "dumped", "end"} {
			os.Remove(filepath.Join(gate, f))
		}
		args := append([]string{"--state-dir", e.StateDir, "--cgroup-parent", e.CgroupParent, "checkpoint", "create"}, flags...)
		cmd := exec.Command(e.F.Berth, append(args, id, name)...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		waitFile(t, filepath.Join(gate, "pid"))
		return cmd
	}
	kill := func(cmd *exec.Cmd) {
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
	}
	touch := func(name string) { os.WriteFile(filepath.Join(gate, name), nil, 0o600) }
	listed := func(id string) []string {
		cps, err := e.M.Checkpoints(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, cp := range cps {
			if !cp.Valid || cp.SizeBytes == 0 || cp.Stats == nil {
				t.Fatalf("%s: checkpoint %+v is not whole", id, cp)
			}
			names = append(names, cp.Name)
		}
		return names
	}
	hidden := func(id string) []string {
		c, _ := e.M.Get(ctx, id)
		entries, _ := os.ReadDir(filepath.Join(c.Bundle, "checkpoints"))
		var out []string
		for _, en := range entries {
			if strings.HasPrefix(en.Name(), ".") {
				out = append(out, en.Name())
			}
		}
		return out
	}
	// unlocked waits until nobody holds the lock of id's staging
	// directories: the gated runtime and whatever it forked (its sleep)
	// inherited it from the killed berth, and a listing settles a staging
	// directory only once its lock is free. A fixed wait was too short
	// for a loaded emulated guest.
	unlocked := func(id string) {
		c, _ := e.M.Get(ctx, id)
		deadline := time.Now().Add(30 * time.Second)
		for _, name := range hidden(id) {
			for {
				lock, err := statefile.LockDir(filepath.Join(c.Bundle, "checkpoints", name), 0)
				if err == nil {
					lock.Close()
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("staging %s still locked after 30s: %v", name, err)
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
	}

	t.Run("killed during a stopping dump", func(t *testing.T) {
		e.Run("stop", counter, nil)
		waitCount(t, e.M, "stop", 5)
		kill(cli("stop", "mid"))
		touch("go")
		touch("end")
		c := e.WaitStatus("stop", core.StatusStopped, 30*time.Second)
		if c.Reason != "checkpointed to mid" {
			t.Fatalf("exit after the dump: %q", c.Reason)
		}
		if got := listed("stop"); len(got) != 1 || got[0] != "mid" {
			t.Fatalf("checkpoints %v, want [mid]", got)
		}
		if h := hidden("stop"); len(h) != 0 {
			t.Fatalf("staging left behind: %v", h)
		}
		before := numbers(t, e.M, "stop")
		if _, err := e.M.Restore(ctx, "stop", "mid", core.RestoreOptions{}); err != nil {
			t.Fatal(err)
		}
		after := waitCount(t, e.M, "stop", len(before)+3)
		if after[len(before)] != before[len(before)-1]+1 {
			t.Fatalf("the count did not go on from the checkpoint: %v then %v", before[len(before)-3:], after[len(before):len(before)+3])
		}
		events, _ := e.M.History(time.Time{})
		n := 0
		for _, ev := range events {
			if ev.ID == "stop" && ev.Kind == "checkpoint" && ev.Detail == "mid" {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("checkpoint journaled %d times, want once", n)
		}
	})

	t.Run("killed before the dump ran", func(t *testing.T) {
		e.Run("early", counter, nil)
		cmd := cli("early", "never")
		pid, _ := os.ReadFile(filepath.Join(gate, "pid"))
		kill(cmd)
		// The runtime never ran: kill the gate that holds the lock. Its
		// pid file is renamed into place whole (it was read empty once,
		// in the emulated guest, and the gate was never killed).
		n, err := strconv.Atoi(strings.TrimSpace(string(pid)))
		if err != nil {
			t.Fatalf("gate pid file: %v", err)
		}
		syscall.Kill(n, syscall.SIGKILL)
		unlocked("early")
		if got, _ := e.M.Get(ctx, "early"); got.Status != core.StatusRunning {
			t.Fatalf("container %s after a dump that never ran", got.Status)
		}
		if got := listed("early"); len(got) != 0 {
			t.Fatalf("checkpoints %v after a dump that never ran", got)
		}
		if h := hidden("early"); len(h) != 0 {
			t.Fatalf("staging not settled by the listing: %v", h)
		}
		if err := e.M.Kill(ctx, "early", syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		got := e.WaitStatus("early", core.StatusStopped, 10*time.Second)
		if got.Reason != "" || got.ExitStatus == nil || *got.ExitStatus != 137 {
			t.Fatalf("a kill after a stale marker: status %v reason %q", got.ExitStatus, got.Reason)
		}
	})

	t.Run("the runtime fails after a dump that stopped it", func(t *testing.T) {
		// What berth cannot tell from a runtime's failure: the dump may
		// have ended the container. CRIU's log decides, and the
		// checkpoint, all that is left of the container, is kept.
		e.Run("late", counter, nil)
		waitCount(t, e.M, "late", 3)
		for _, f := range []string{"pid", "dumped"} {
			os.Remove(filepath.Join(gate, f))
		}
		touch("go")
		touch("end")
		touch("fail")
		defer os.Remove(filepath.Join(gate, "fail"))
		if _, err := e.M.CreateCheckpoint(ctx, "late", "kept", core.CheckpointOptions{}); err != nil {
			t.Fatalf("a dump that succeeded before the runtime failed: %v", err)
		}
		c := e.WaitStatus("late", core.StatusStopped, 30*time.Second)
		if c.Reason != "checkpointed to kept" {
			t.Fatalf("exit after the dump: %q", c.Reason)
		}
		if got := listed("late"); len(got) != 1 || got[0] != "kept" {
			t.Fatalf("checkpoints %v, want [kept]", got)
		}
	})

	t.Run("killed after a dump that left it running", func(t *testing.T) {
		e.Run("live", counter, nil)
		waitCount(t, e.M, "live", 3)
		cmd := cli("live", "kept", "--leave-running")
		touch("go")
		waitFile(t, filepath.Join(gate, "dumped"))
		kill(cmd)
		touch("end")
		unlocked("live")
		if got := listed("live"); len(got) != 1 || got[0] != "kept" {
			t.Fatalf("checkpoints %v, want [kept] settled by the listing", got)
		}
		if h := hidden("live"); len(h) != 0 {
			t.Fatalf("staging left behind: %v", h)
		}
		if got, _ := e.M.Get(ctx, "live"); got.Status != core.StatusRunning {
			t.Fatalf("a leave-running dump stopped it: %s", got.Status)
		}
	})
}

// Limits changed with update are the container's from then on: a restore
// in place and a clone keep them, whatever the bundle said at the start.
func TestLimitsSurviveRestore(t *testing.T) {
	coretest.SkipWithoutCriu(t)
	e := coretest.NewEnv(t, fixture, nil)
	e.Run("lim", counter, nil)
	waitCount(t, e.M, "lim", 3)
	mem, pids, cpus := int64(96<<20), int64(40), 0.25
	if err := e.M.Update(ctx, "lim", core.Resources{MemoryBytes: &mem, Pids: &pids, CPUs: &cpus}); err != nil {
		t.Fatal(err)
	}
	check := func(id string) {
		t.Helper()
		c, err := e.M.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		st, stale := core.SampleStats([]core.Container{c}, true)
		if stale || len(st) != 1 {
			t.Fatalf("%s: no sample", id)
		}
		if st[0].MemoryLimit != uint64(mem) || st[0].PidsLimit != uint64(pids) || st[0].CPUQuota != cpus {
			t.Fatalf("%s: memory %d pids %d cpus %v, want %d %d %v", id, st[0].MemoryLimit, st[0].PidsLimit, st[0].CPUQuota, mem, pids, cpus)
		}
	}
	if _, err := e.M.CreateCheckpoint(ctx, "lim", "c", core.CheckpointOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.M.Restore(ctx, "lim", "c", core.RestoreOptions{}); err != nil {
		t.Fatal(err)
	}
	check("lim")
	if _, err := e.M.Restore(ctx, "lim", "c", core.RestoreOptions{As: "lim-clone"}); err != nil {
		t.Fatal(err)
	}
	check("lim-clone")
}

// A runtime built without CRIU (Debian's crun) is refused before anything
// is written, with a line that says why; the container runs on.
func TestCheckpointNeedsCRIU(t *testing.T) {
	coretest.Skip(t)
	dir := t.TempDir()
	real, err := exec.LookPath(coretest.Runtime())
	if err != nil {
		t.Fatal(err)
	}
	// The real runtime, but saying what Debian's crun says of itself.
	fake := filepath.Join(dir, "nocriu")
	os.WriteFile(fake, []byte("#!/bin/sh\nif [ \"$1\" = --version ]; then printf 'crun version 1.8.1\\nspec: 1.0.0\\n+SYSTEMD +CAP +SECCOMP +YAJL\\n'; exit 0; fi\nexec "+real+" \"$@\"\n"), 0o755)
	e := coretest.NewEnv(t, fixture, func(o *core.Options) { o.Runtime = fake })
	c := e.Run("nocriu", counter, nil)
	_, err = e.M.CreateCheckpoint(ctx, "nocriu", "c", core.CheckpointOptions{})
	if err == nil || !strings.Contains(err.Error(), "built without CRIU") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("checkpoint through a runtime without CRIU: %v", err)
	}
	if got, _ := e.M.Get(ctx, "nocriu"); got.Status != core.StatusRunning {
		t.Fatalf("the refused checkpoint left it %s", got.Status)
	}
	if entries, _ := os.ReadDir(filepath.Join(c.Bundle, "checkpoints")); len(entries) != 0 {
		t.Fatalf("a refused checkpoint wrote %v", entries)
	}
}

// A checkpoint of another manager's container keeps what a restore needs
// after that manager removed it: it is listed, exported and restored as a
// new berth container, whose counter goes on from where it was.
func TestExternalCheckpointOutlivesContainer(t *testing.T) {
	coretest.SkipWithoutCriu(t)
	root := t.TempDir()
	e := coretest.NewEnv(t, fixture, func(o *core.Options) { o.ExternalRoots = []string{root} })
	bundle := e.Bundle([]string{"sh", "-c", "i=0; while :; do i=$((i+1)); echo $i > /dev/shm/count; sleep 0.05; done"}, func(s *specs.Spec) {
		s.Linux.CgroupsPath = filepath.Join(e.CgroupParent, "extck")
	})
	// No pipes: the detached container would hold them open for ever.
	if err := exec.Command(coretest.Runtime(), "--root", root, "run", "-d", "--bundle", bundle, "extck").Run(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { exec.Command(coretest.Runtime(), "--root", root, "delete", "-f", "extck").Run() })
	ref := root + "/extck"
	// count reads the counter; the shell truncates the file before each
	// write, and a read in between (seen in the emulated guest) is no
	// reading: it is read again, for half a second at most.
	count := func(pid int) int {
		for i := 0; ; i++ {
			b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/root/dev/shm/count", pid))
			n, err := strconv.Atoi(strings.TrimSpace(string(b)))
			if err == nil || i == 100 {
				return n
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	c, err := e.M.Get(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); count(c.Pid) < 5; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the counter did not count: %d", count(c.Pid))
		}
	}
	cp, err := e.M.CreateCheckpoint(ctx, ref, "snap", core.CheckpointOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if cp.Root != root || cp.Container != "extck" {
		t.Fatalf("checkpoint metadata %+v", cp)
	}
	// Its manager removes it: the checkpoint stays, named by the same
	// references.
	if err := exec.Command(coretest.Runtime(), "--root", root, "delete", "-f", "extck").Run(); err != nil {
		t.Fatal(err)
	}
	for _, r := range []string{ref, "extck"} {
		cps, err := e.M.Checkpoints(ctx, r)
		if err != nil || len(cps) != 1 || cps[0].Name != "snap" || !cps[0].Valid {
			t.Fatalf("checkpoints of %s once removed: %+v %v", r, cps, err)
		}
	}
	if c, err := e.M.ResolveCheckpoints(ctx, "extck"); err != nil || c.Ref() != ref {
		t.Fatalf("resolved %q, %v", c.Ref(), err)
	}
	var archive bytes.Buffer
	if err := e.M.ExportCheckpoint(ctx, ref, "snap", &archive); err != nil || archive.Len() == 0 {
		t.Fatalf("export: %v", err)
	}
	_, err = e.M.Restore(ctx, ref, "snap", core.RestoreOptions{})
	coretest.ErrIs(t, err, core.ErrInvalid) // only as a new berth container

	got, err := e.M.Restore(ctx, ref, "snap", core.RestoreOptions{As: "adopted"})
	if err != nil {
		t.Fatal(err)
	}
	if !got.Managed || got.Status != core.StatusRunning {
		t.Fatalf("restored as %+v", got)
	}
	first := count(got.Pid)
	for deadline := time.Now().Add(10 * time.Second); count(got.Pid) <= first; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the restored counter stays at %d", first)
		}
	}
	if first < 5 {
		t.Fatalf("the restored counter started again (%d)", first)
	}
	if err := e.M.DeleteCheckpoint(ctx, ref, "snap", false); err != nil {
		t.Fatal(err)
	}
	// The adopted container has its own copy of the root filesystem.
	if n := count(got.Pid); n <= first {
		t.Fatalf("removing the checkpoint stopped the adopted container (%d)", n)
	}
}
