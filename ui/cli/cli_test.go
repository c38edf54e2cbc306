package cli_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"berth/core"
	"berth/core/coretest"
	"berth/doctor"
	"berth/watch"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

var fixture *coretest.Fixture

func TestMain(m *testing.M) {
	os.Exit(coretest.Main(m, func(f *coretest.Fixture) { fixture = f }))
}

// cli runs the real berth binary against one test's state dir.
type cli struct {
	t   *testing.T
	env *coretest.Env
}

func newCLI(t *testing.T) *cli {
	return &cli{t: t, env: coretest.NewEnv(t, fixture, nil)}
}

func (c *cli) cmd(args ...string) *exec.Cmd {
	full := append([]string{"--state-dir", c.env.StateDir, "--cgroup-parent", c.env.CgroupParent, "--external-root", ""}, args...)
	return exec.Command(fixture.Berth, full...)
}

// run runs berth and returns stdout, stderr and the exit code.
func (c *cli) run(args ...string) (string, string, int) {
	c.t.Helper()
	cmd := c.cmd(args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		c.t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

func (c *cli) must(args ...string) string {
	c.t.Helper()
	out, errs, code := c.run(args...)
	if code != 0 {
		c.t.Fatalf("berth %s: exit %d: %s", strings.Join(args, " "), code, errs)
	}
	return out
}

func (c *cli) ps() map[string]map[string]any {
	c.t.Helper()
	var list []map[string]any
	if err := json.Unmarshal([]byte(c.must("ps", "--json")), &list); err != nil {
		c.t.Fatal(err)
	}
	byID := map[string]map[string]any{}
	for _, m := range list {
		byID[m["id"].(string)] = m
	}
	return byID
}

func TestUsageErrors(t *testing.T) {
	c := newCLI(t)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"run", "-d", "a/b"}, 2, `container id "a/b"`},
		{[]string{"run", "-d", "x\x1b]52;c;aGk=\x07"}, 2, `\x1b`},
		{[]string{"pause"}, 2, "requires at least 1 arg"},
		{[]string{"ps", "--bogus"}, 2, "unknown flag"},
		{[]string{"kill", "-s", "NOPE", "x"}, 2, `unknown signal "NOPE"`},
		{[]string{"update", "x", "--memory", "lots"}, 2, "give a size like 512m"},
		{[]string{"frobnicate"}, 2, "unknown command"},
		{[]string{"pause", "ghost"}, 1, "ghost: no such container"},
		{[]string{"rm", "ghost"}, 1, "ghost: no such container"},
		{[]string{"logs", "-n", "-5", "x"}, 2, "-n -5: give a number of lines, 0 or more"},
		{[]string{"start"}, 2, "requires at least 1 arg"},
		{[]string{"start", "ghost"}, 1, "ghost: no such container"},
		{[]string{"restart", "-t", "-1", "x"}, 2, "-t -1: the timeout is 0 or more seconds"},
		{[]string{"restart", "-t", "soon", "x"}, 2, `invalid argument "soon"`},
		{[]string{"restart", "ghost"}, 1, "ghost: no such container"},
		{[]string{"logs", "--since", "yesterday", "x"}, 2, `--since "yesterday": give a time`},
		{[]string{"logs", "--until", "-5m", "x"}, 2, "--until -5m: give a duration back from now, positive"},
		{[]string{"logs", "--since", "1m", "--until", "2m", "x"}, 2, "--until 2m is not after --since 1m"},
		{[]string{"logs"}, 2, "requires at least 1 arg"},
	} {
		_, errs, code := c.run(tc.args...)
		if code != tc.code || !strings.Contains(errs, tc.want) {
			t.Errorf("berth %q: exit %d, stderr %q; want exit %d and %q", tc.args, code, errs, tc.code, tc.want)
		}
		if strings.Count(strings.TrimSpace(errs), "\n") > 0 || strings.ContainsAny(errs, "\x1b\x07") {
			t.Errorf("berth %q: stderr is not one safe line: %q", tc.args, errs)
		}
	}
}

func TestCommands(t *testing.T) {
	c := newCLI(t)
	bundle := c.env.Bundle([]string{"sh", "-c", "echo started; while :; do sleep 1; done"}, nil)
	if out := c.must("run", "-d", "-b", bundle, "web"); strings.TrimSpace(out) != "web" {
		t.Fatalf("run -d printed %q", out)
	}
	ps := c.ps()
	web := ps["web"]
	if web["status"] != "running" || web["managed"] != true || web["exitStatus"] != nil || web["oomKills"] != 0.0 || web["bundle"] != bundle {
		t.Fatalf("ps --json: %v", web)
	}
	if _, err := time.Parse(time.RFC3339, web["created"].(string)); err != nil {
		t.Fatalf("created is not RFC 3339: %v", web["created"])
	}
	if _, _, code := c.run("run", "-d", "-b", bundle, "web"); code != 1 {
		t.Fatalf("duplicate run exit %d", code)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(c.must("logs", "web"), "started") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if out := c.must("logs", "-n", "0", "web"); out != "" {
		t.Fatalf("logs -n 0 printed %q", out)
	}
	if out := c.must("logs", "--since", "1h", "web"); !strings.Contains(out, "started") {
		t.Fatalf("logs --since 1h printed %q", out)
	}
	if out := c.must("logs", "--until", "1h", "web"); out != "" {
		t.Fatalf("logs --until 1h printed %q", out)
	}
	// --until in the past ends a follow at once.
	if out := c.must("logs", "-f", "--until", "2020-01-02 15:04", "web"); out != "" {
		t.Fatalf("logs -f --until in the past printed %q", out)
	}
	if out := c.must("logs", "web", "web"); !strings.Contains(out, "web | started") {
		t.Fatalf("logs of two containers printed %q", out)
	}
	// Followed, merged, to an until just ahead: the history, then the
	// follow ends there.
	soon := time.Now().Add(2 * time.Second).Format(time.RFC3339)
	if out := c.must("logs", "-f", "--until", soon, "web", "web"); strings.Count(out, "web | started") != 2 {
		t.Fatalf("logs -f --until of two containers printed %q", out)
	}
	if out := c.must("logs", "--json", "-n", "1", "web", "web"); !strings.Contains(out, `"container":"web"`) {
		t.Fatalf("logs --json of two containers printed %q", out)
	}
	if out := c.must("top", "web"); !strings.Contains(out, "COMMAND") || !strings.Contains(out, "sh -c") || !strings.Contains(out, "CPU%") {
		t.Fatalf("top: %s", out)
	}
	var stats []map[string]any
	json.Unmarshal([]byte(c.must("stats", "--no-stream", "--json", "web")), &stats)
	if len(stats) != 1 || stats[0]["memoryUsageBytes"].(float64) <= 0 {
		t.Fatalf("stats: %v", stats)
	}
	c.must("pause", "web")
	if _, errs, code := c.run("pause", "web"); code != 1 || !strings.Contains(errs, "web: already paused") {
		t.Fatalf("second pause: %d %q", code, errs)
	}
	if _, errs, code := c.run("exec", "web", "--", "true"); code != 1 || !strings.Contains(errs, "paused") {
		t.Fatalf("exec into paused: %d %q", code, errs)
	}
	c.must("resume", "web")
	if _, errs, code := c.run("resume", "web"); code != 1 || !strings.Contains(errs, "web: not paused") {
		t.Fatalf("resume of running: %d %q", code, errs)
	}
	if out, _, code := c.run("exec", "web", "--", "sh", "-c", "echo inside; exit 3"); code != 3 || out != "inside\n" {
		t.Fatalf("exec: %d %q", code, out)
	}
	name := strings.TrimSpace(c.must("exec", "-d", "web", "--", "sh", "-c", "echo detached"))
	deadline = time.Now().Add(5 * time.Second)
	for !strings.Contains(c.must("logs", "--exec", name, "web"), "detached") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	c.must("update", "web", "--memory", "64m", "--pids", "20", "--cpus", "0.5")
	if _, _, code := c.run("rm", "web"); code != 1 {
		t.Fatal("rm of a running container without -f succeeded")
	}
	c.must("kill", "-s", "KILL", "web")
	deadline = time.Now().Add(5 * time.Second)
	// Stopped with no status is the moment before the shim's record of
	// the exit (reason "exiting"): wait for the record.
	for web := c.ps()["web"]; (web["status"] != "stopped" || web["exitStatus"] == nil) && time.Now().Before(deadline); web = c.ps()["web"] {
		time.Sleep(20 * time.Millisecond)
	}
	if web := c.ps()["web"]; web["exitStatus"] != 137.0 {
		t.Fatalf("after kill: %v", web)
	}
	c.must("rm", "web")
	if len(c.ps()) != 0 {
		t.Fatal("rm left the container listed")
	}
}

// berth killed with SIGKILL while its containers run: they keep running, a
// new berth lists them, and one that exited meanwhile shows its real status.
func TestBerthKilled(t *testing.T) {
	c := newCLI(t)
	// short exits once the test says so, through a directory it shares:
	// after the berths that started them are gone, however slowly the
	// machine starts them (a fixed second was too short in a loaded
	// emulated guest).
	gate := t.TempDir()
	long := c.cmd("run", "-b", c.env.Bundle([]string{"sh", "-c", "while :; do echo tick; sleep 0.1; done"}, nil), "long")
	short := c.cmd("run", "-b", c.env.Bundle([]string{"sh", "-c", "while [ ! -e /gate/exit ]; do sleep 0.05; done; exit 7"}, func(s *specs.Spec) {
		s.Mounts = append(s.Mounts, specs.Mount{Destination: "/gate", Type: "bind", Source: gate, Options: []string{"bind"}})
	}), "short")
	for _, cmd := range []*exec.Cmd{long, short} {
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
	}
	waitPS := func(what string, ok func(ps map[string]map[string]any) bool) map[string]map[string]any {
		deadline := time.Now().Add(30 * time.Second)
		for {
			ps := c.ps()
			if ok(ps) {
				return ps
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %v", what, ps)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitPS("containers did not start", func(ps map[string]map[string]any) bool {
		return ps["long"]["status"] == "running" && ps["short"]["status"] == "running"
	})
	for _, cmd := range []*exec.Cmd{long, short} {
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
	}
	if err := os.WriteFile(filepath.Join(gate, "exit"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// Stopped with no status is the moment between the init's death and
	// the shim's record of it (reason "exiting"): wait for the record.
	ps := waitPS("no exit while berth was down", func(ps map[string]map[string]any) bool {
		return ps["short"]["status"] == "stopped" && ps["short"]["exitStatus"] != nil
	})
	if ps["long"]["status"] != "running" {
		t.Fatalf("container died with berth: %v", ps["long"])
	}
	if ps["short"]["exitStatus"] != 7.0 {
		t.Fatalf("exit while berth was down: %v", ps["short"])
	}
	// Its output kept flowing into the log while nobody read it.
	n1 := strings.Count(c.must("logs", "long"), "tick")
	time.Sleep(300 * time.Millisecond)
	if n2 := strings.Count(c.must("logs", "long"), "tick"); n2 <= n1 {
		t.Fatalf("log stopped growing: %d then %d", n1, n2)
	}
}

// A foreground run exits with the container's status and --rm removes it.
func TestForegroundRun(t *testing.T) {
	c := newCLI(t)
	out, _, code := c.run("run", "--rm", "-b", c.env.Bundle([]string{"sh", "-c", "echo one; echo two >&2; exit 9"}, nil), "fg")
	if code != 9 || out != "one\n" {
		t.Fatalf("foreground run: exit %d, stdout %q", code, out)
	}
	if _, ok := c.ps()["fg"]; ok {
		t.Fatal("--rm left the container")
	}
}

func TestDoctor(t *testing.T) {
	c := newCLI(t)
	out, _, _ := c.run("doctor", "--json")
	var checks []doctor.Check
	if err := json.Unmarshal([]byte(out), &checks); err != nil {
		t.Fatalf("doctor --json: %v: %s", err, out)
	}
	names := map[string]doctor.Check{}
	for _, ch := range checks {
		names[ch.Name] = ch
		if ch.Status != doctor.CheckOK && ch.Fix == "" && ch.Status == doctor.CheckFail {
			t.Errorf("%s fails without a fix", ch.Name)
		}
	}
	for _, want := range []string{"runtime", "criu", "cgroups", "kernel", "privileges", "state dir", "iptables"} {
		if _, ok := names[want]; !ok {
			t.Errorf("doctor does not check %s", want)
		}
	}
	if names["runtime"].Status != doctor.CheckOK {
		t.Errorf("runtime: %+v", names["runtime"])
	}
}

func TestStateDirMustBePrivate(t *testing.T) {
	c := newCLI(t)
	dir := filepath.Join(t.TempDir(), "open")
	os.Mkdir(dir, 0o777)
	os.Chmod(dir, 0o777)
	cmd := exec.Command(fixture.Berth, "--state-dir", dir, "ps")
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), "writable by group or others") {
		t.Fatalf("world-writable state dir: %v %s", err, out)
	}
	_ = c
}

// lockedBuffer is a bytes.Buffer a test may read while a command writes it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// berth events: history then live, once each, across a restart of berth.
func TestEvents(t *testing.T) {
	c := newCLI(t)
	limit := int64(32 << 20)
	// Each grower volunteers to the OOM killer (oom_score_adj 1000), so the
	// kills take it rather than init and the container lives on; the pause
	// lets a killed grower's memory go before the next fork, or the
	// killer, finding only the dying grower and init, takes init.
	bundle := c.env.Bundle([]string{"sh", "-c", `while :; do sh -c "echo 1000 > /proc/self/oom_score_adj; exec awk 'BEGIN{s=\"x\"; while(1) s=s s}'"; sleep 1; done`}, func(s *specs.Spec) {
		s.Linux.Resources.Memory = &specs.LinuxMemory{Limit: &limit, Swap: &limit}
	})
	first := c.cmd("events", "--json")
	out1 := &lockedBuffer{}
	first.Stdout = out1
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	c.must("run", "-d", "-b", bundle, "oomer")
	// Waits on what the followers saw, not on the clock: an emulated
	// guest (make test-v2) forks fifty times slower than this host.
	waitKills := func(b *lockedBuffer, n int) {
		t.Helper()
		for deadline := time.Now().Add(60 * time.Second); strings.Count(b.String(), `"kind":"oom","id":"oomer"`) < n; {
			if time.Now().After(deadline) {
				t.Fatalf("fewer than %d kills seen in 60 s:\n%s", n, b.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitKills(out1, 1)
	// A second berth starts while kills go on: the history it prints and
	// what it then sees live must not repeat a kill.
	second := c.cmd("events", "--json")
	out2 := &lockedBuffer{}
	second.Stdout = out2
	if err := second.Start(); err != nil {
		t.Fatal(err)
	}
	waitKills(out2, 2)
	waitKills(out1, 2)
	for _, cmd := range []*exec.Cmd{first, second} {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}
	parse := func(name string, b []byte) []watch.Event {
		var evs []watch.Event
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			var ev watch.Event
			if err := json.Unmarshal([]byte(line), &ev); err != nil {
				t.Fatalf("%s: bad line %q", name, line)
			}
			evs = append(evs, ev)
		}
		return evs
	}
	for name, evs := range map[string][]watch.Event{"first": parse("first", []byte(out1.String())), "second": parse("second", []byte(out2.String()))} {
		seen := map[watch.EventKey]bool{}
		var counts []uint64
		for _, ev := range evs {
			if seen[ev.Key()] {
				t.Errorf("%s: %s delivered twice", name, ev.Key())
			}
			seen[ev.Key()] = true
			if ev.Kind == watch.KindOOM && ev.ID == "oomer" {
				counts = append(counts, ev.OOMCount)
			}
		}
		if len(counts) < 2 {
			t.Fatalf("%s: %d kills seen; output:\n%v", name, len(counts), evs)
		}
		for i, n := range counts {
			if n != uint64(i+1) {
				t.Fatalf("%s: kills %v are not each once in order", name, counts)
			}
		}
		if !seen[watch.Event{Time: evs[0].Time, Kind: watch.KindCreate, ID: "oomer"}.Key()] && evs[0].Kind != watch.KindCreate {
			t.Errorf("%s: first event %v is not the create", name, evs[0])
		}
	}
	// History alone, and a journal line that is garbage: a warning, no failure.
	f, _ := os.OpenFile(filepath.Join(c.env.StateDir, watch.JournalFile), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("{\"truncated\n")
	f.Close()
	out, errs, code := c.run("events", "--no-follow", "--since", "1h")
	if code != 0 || !strings.Contains(errs, "skipped") || !strings.Contains(out, "oom") || !strings.Contains(out, "kill #1") {
		t.Fatalf("events --no-follow: exit %d, stderr %q, stdout %q", code, errs, out)
	}
	if ps := c.ps(); ps["oomer"]["oomKills"].(float64) < 2 || ps["oomer"]["status"] != "running" {
		t.Fatalf("ps after kills: %v", ps["oomer"])
	}
}

func TestCheckpointCommands(t *testing.T) {
	coretest.SkipWithoutCriu(t)
	c := newCLI(t)
	bundle := c.env.Bundle([]string{"sh", "-c", "i=0; while :; do i=$((i+1)); echo $i; sleep 0.05; done"}, nil)
	c.must("run", "-d", "-b", bundle, "ck")
	time.Sleep(300 * time.Millisecond)
	if out := c.must("checkpoint", "create", "--leave-running", "ck", "one"); strings.TrimSpace(out) != "one" {
		t.Fatalf("create printed %q", out)
	}
	if _, errs, code := c.run("checkpoint", "create", "ck", "../x"); code != 2 || !strings.Contains(errs, "checkpoint name") {
		t.Fatalf("bad name: %d %q", code, errs)
	}
	var list []map[string]any
	if err := json.Unmarshal([]byte(c.must("checkpoint", "ls", "--json", "ck")), &list); err != nil || len(list) != 1 {
		t.Fatalf("ls --json: %v %v", list, err)
	}
	for _, k := range []string{"name", "created", "valid", "options", "sizeBytes", "stats"} {
		if _, ok := list[0][k]; !ok {
			t.Errorf("checkpoint ls --json lacks %q: %v", k, list[0])
		}
	}
	var in core.CheckpointInspection
	if err := json.Unmarshal([]byte(c.must("checkpoint", "inspect", "--json", "--files", "--mem", "--search", "i=\\$", "ck", "one")), &in); err != nil ||
		len(in.Processes) == 0 || in.Processes[0].Command != "sh" || len(in.Processes[0].Files) == 0 ||
		len(in.Processes[0].Mappings) == 0 || len(in.Matches) == 0 {
		t.Fatalf("checkpoint inspect --json: %+v %v", in, err)
	}
	if out := c.must("checkpoint", "inspect", "ck", "one"); !strings.Contains(out, "PID") || !strings.Contains(out, "sh -c i=0") {
		t.Fatalf("checkpoint inspect printed %q", out)
	}
	if _, errs, code := c.run("checkpoint", "inspect", "--search", "(", "ck", "one"); code != 2 || strings.Count(errs, "\n") != 1 {
		t.Fatalf("a bad search: %d %q", code, errs)
	}
	c.must("checkpoint", "create", "--leave-running", "ck", "one-later")
	var d core.CheckpointDiff
	if err := json.Unmarshal([]byte(c.must("checkpoint", "diff", "--json", "ck", "one", "one-later")), &d); err != nil ||
		d.From != "one" || d.To != "one-later" || d.ProcessesAdded == nil {
		t.Fatalf("checkpoint diff --json: %+v %v", d, err)
	}
	if out := c.must("checkpoint", "diff", "ck", "one", "one-later"); !strings.Contains(out, "from one to one-later") {
		t.Fatalf("checkpoint diff printed %q", out)
	}
	c.must("checkpoint", "rm", "ck", "one-later")
	archive := filepath.Join(t.TempDir(), "one.tar.gz")
	c.must("checkpoint", "export", "ck", "one", archive)
	c.must("checkpoint", "import", "ck", archive, "two")
	if out := c.must("restore", "-d", "--as", "ck2", "ck", "two"); strings.TrimSpace(out) != "ck2" {
		t.Fatalf("restore printed %q", out)
	}
	if ps := c.ps(); ps["ck2"]["status"] != "running" || ps["ck"]["status"] != "running" {
		t.Fatalf("after restore --as: %v", ps)
	}
	if _, errs, code := c.run("restore", "-d", "ck", "one"); code != 1 || !strings.Contains(errs, "restore in place needs it stopped") {
		t.Fatalf("restore over a running container: %d %q", code, errs)
	}
	c.must("checkpoint", "rm", "ck", "two")
	if _, _, code := c.run("checkpoint", "rm", "ck", "two"); code != 1 {
		t.Fatal("removing a missing checkpoint succeeded")
	}
}

// The demo starts its four containers, and the memory grower's child is
// OOM-killed while the container lives on.
func TestDemo(t *testing.T) {
	c := newCLI(t)
	out := c.must("demo")
	for _, id := range []string{"demo-cpu", "demo-mem", "demo-log", "demo-sleep"} {
		if !strings.Contains(out, id) {
			t.Fatalf("demo output lacks %s:\n%s", id, out)
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		mem := c.ps()["demo-mem"]
		if mem["oomKills"].(float64) >= 1 && mem["status"] == "running" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no OOM kill in the demo's grower within 20s: %v", mem)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if logs := c.must("logs", "demo-log"); !strings.Contains(logs, "served in") {
		t.Fatalf("chatty logger: %q", logs)
	}
	// A second demo leaves running containers alone.
	before := c.ps()["demo-sleep"]["pid"]
	c.must("demo")
	if c.ps()["demo-sleep"]["pid"] != before {
		t.Fatal("demo restarted a running container")
	}
}

// openPty returns a pseudo-terminal's two ends, for a test to give berth
// a terminal on one stream only.
func openPty(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pty: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close(); s.Close() })
	return m, s
}

// drainPty reads what reached the terminal until nothing more comes.
func drainPty(m *os.File) string {
	var b bytes.Buffer
	buf := make([]byte, 4096)
	for {
		m.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		n, err := m.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			return b.String()
		}
	}
}

// A container's stderr reaches berth's stderr: when that is the
// operator's terminal it is escaped, even with stdout piped (berth logs ID
// > file, berth run ID | cat); the piped stream stays raw.
func TestEscapingPerStream(t *testing.T) {
	c := newCLI(t)
	hostile := `printf 'out\033]52;c;aGk=\007\n'; printf 'err\033]0;pwned\007\033[2J\n' >&2`
	c.must("run", "-d", "-b", c.env.Bundle([]string{"sh", "-c", hostile + "; sleep 1000"}, nil), "loud")
	for i := 0; ; i++ {
		if _, errs, _ := c.run("logs", "loud"); strings.Contains(errs, "err") {
			break
		}
		if i > 100 {
			t.Fatal("the container's output never came")
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, args := range [][]string{
		{"logs", "loud"},
		{"run", "--rm", "-b", c.env.Bundle([]string{"sh", "-c", hostile}, nil), "loud-fg"},
	} {
		master, slave := openPty(t)
		var out bytes.Buffer
		cmd := c.cmd(args...)
		cmd.Stdout, cmd.Stderr = &out, slave
		if err := cmd.Run(); err != nil {
			t.Fatalf("berth %v: %v", args, err)
		}
		slave.Close()
		tty := drainPty(master)
		if strings.ContainsAny(tty, "\x1b\x07") || !strings.Contains(tty, "err") {
			t.Errorf("berth %v: the terminal got %q", args, tty)
		}
		if !strings.Contains(out.String(), "out\x1b]52;c;aGk=\x07") {
			t.Errorf("berth %v: piped stdout %q, want the bytes as written", args, out.String())
		}
	}
}

// A given external root that does not exist is said, not silently empty.
func TestMissingExternalRoot(t *testing.T) {
	c := newCLI(t)
	out, errs, code := c.run("--external-root", "/run/no-such-root", "ps")
	if code != 0 || !strings.Contains(errs, "external root /run/no-such-root does not exist") || strings.Contains(out, "no-such") {
		t.Fatalf("exit %d, stderr %q, stdout %q", code, errs, out)
	}
	if _, errs, _ := c.run("ps"); strings.Contains(errs, "does not exist") {
		t.Fatalf("no root given, yet: %q", errs)
	}
}

// start brings stopped containers back under their ids, their logs
// continued; restart stops and starts; both print the ids they did.
func TestStartRestart(t *testing.T) {
	c := newCLI(t)
	once := c.env.Bundle([]string{"sh", "-c", "echo hi"}, nil)
	up := c.env.Bundle([]string{"sh", "-c", "trap 'exit 0' TERM; echo up; while :; do sleep 0.1; done"}, nil)
	c.must("run", "-d", "-b", once, "once")
	c.must("run", "-d", "-b", up, "up")
	c.env.WaitStatus("once", "stopped", 10*time.Second)
	created := c.ps()["once"]["created"]

	out, errs, code := c.run("start", "once", "up")
	if code != 1 || out != "once\n" || strings.TrimSpace(errs) != "berth: up: already running" {
		t.Fatalf("start once up: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	c.env.WaitStatus("once", "stopped", 10*time.Second)
	if got := c.must("logs", "once"); got != "hi\nhi\n" {
		t.Fatalf("logs after start: %q", got)
	}
	ps := c.ps()["once"]
	if ps["created"] != created || ps["started"] == nil {
		t.Fatalf("ps after start: %v (created first %v)", ps, created)
	}

	var ids []string
	if err := json.Unmarshal([]byte(c.must("restart", "-t", "5", "--json", "up")), &ids); err != nil || len(ids) != 1 || ids[0] != "up" {
		t.Fatalf("restart --json: %v %v", ids, err)
	}
	if ps := c.ps()["up"]; ps["status"] != "running" || ps["started"] == nil {
		t.Fatalf("ps after restart: %v", ps)
	}
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(c.must("logs", "up"), "up") < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if got := c.must("logs", "up"); got != "up\nup\n" {
		t.Fatalf("logs after restart: %q", got)
	}
	// restart of a stopped one starts it.
	if out := c.must("restart", "once"); out != "once\n" {
		t.Fatalf("restart of a stopped container printed %q", out)
	}
}
