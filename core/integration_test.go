package core_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"berth/core"
	"berth/core/coretest"
	"berth/demo"
	"berth/host/cgroupfs"
	"berth/host/procfs"
	"berth/shim/proto"
	"berth/watch"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

var fixture *coretest.Fixture

func TestMain(m *testing.M) {
	os.Exit(coretest.Main(m, func(f *coretest.Fixture) { fixture = f }))
}

var ctx = context.Background()

var loop = []string{"sh", "-c", "echo hello; echo oops >&2; while :; do sleep 1; done"}

// logText returns all of a process's output as "stream: line" lines.
func logText(t *testing.T, m *core.Manager, id, proc string) string {
	t.Helper()
	var b strings.Builder
	err := m.Logs(ctx, id, core.LogOptions{Tail: -1, Proc: proc}, func(l core.LogLine) error {
		fmt.Fprintf(&b, "%s: %s\n", l.Stream, l.Data)
		return nil
	})
	if err != nil {
		t.Fatalf("logs %s: %v", id, err)
	}
	return b.String()
}

func waitLog(t *testing.T, m *core.Manager, id, proc, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if strings.Contains(logText(t, m, id, proc), want) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s %s: %q never logged; have:\n%s", id, proc, want, logText(t, m, id, proc))
}

func readCgroup(t *testing.T, c core.Container, ctl, file string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(c.CgroupPaths.Dir(ctl), file))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func TestLifecycle(t *testing.T) {
	e := coretest.NewEnv(t, fixture, nil)
	m := e.M
	c := e.Run("life", loop, nil)
	if c.Status != core.StatusRunning || c.Pid <= 0 {
		t.Fatalf("run returned %+v", c)
	}
	c, err := m.Get(ctx, "life")
	if err != nil || c.Status != core.StatusRunning || !c.Managed || c.ExitStatus != nil {
		t.Fatalf("get: %+v %v", c, err)
	}
	if !strings.HasPrefix(c.CgroupPaths.Dir("memory"), "/sys/fs/cgroup") || !strings.Contains(c.CgroupPaths.Dir("memory"), e.CgroupParent+"/life") {
		t.Fatalf("container cgroup %q is not under the test's parent %s", c.CgroupPaths.Dir("memory"), e.CgroupParent)
	}
	waitLog(t, m, "life", "", "stdout: hello")
	waitLog(t, m, "life", "", "stderr: oops")
	// Its spec is the runtime bundle berth wrote: the cgroup path set.
	if path, js, err := m.SpecJSON(ctx, "life"); err != nil || filepath.Base(path) != "config.json" ||
		!bytes.Contains(js, []byte(e.CgroupParent+"/life")) {
		t.Fatalf("spec: %s %v\n%s", path, err, js)
	}

	ps, err := m.Processes(ctx, "life")
	if err != nil || len(ps) == 0 || ps[0].HostPid != c.Pid || ps[0].ContainerPid != 1 || ps[0].User != "root" {
		t.Fatalf("processes: %+v %v", ps, err)
	}
	st, err := sample(c, true)
	if err != nil || st.MemoryUsage == 0 || st.PidsCurrent == 0 || st.CPUUsage == 0 {
		t.Fatalf("stats: %+v %v", st, err)
	}

	mem, pids, cpus := int64(64<<20), int64(50), 0.5
	if err := m.Update(ctx, "life", core.Resources{MemoryBytes: &mem, Pids: &pids, CPUs: &cpus}); err != nil {
		t.Fatal(err)
	}
	limitFile := "memory.limit_in_bytes"
	if cgroupfs.Unified() {
		limitFile = "memory.max"
	}
	if v := readCgroup(t, c, "memory", limitFile); v != strconv.FormatInt(mem, 10) {
		t.Fatalf("memory limit %s", v)
	}
	if v := readCgroup(t, c, "pids", "pids.max"); v != "50" {
		t.Fatalf("pids.max %s", v)
	}
	if st, _ := sample(c, true); st.CPUQuota != 0.5 || st.MemoryLimit != uint64(mem) || st.PidsLimit != 50 {
		t.Fatalf("stats after update: %+v", st)
	}
	// -1 lifts the limits (the UI's "0 = none").
	none := int64(-1)
	if err := m.Update(ctx, "life", core.Resources{MemoryBytes: &none, Pids: &none}); err != nil {
		t.Fatal(err)
	}
	if st, _ := sample(c, true); st.MemoryLimit != 0 || st.PidsLimit != 0 {
		t.Fatalf("stats after lifting the limits: %+v", st)
	}

	if err := m.Pause(ctx, "life"); err != nil {
		t.Fatal(err)
	}
	e.WaitStatus("life", core.StatusPaused, time.Second)
	coretest.ErrIs(t, m.Pause(ctx, "life"), core.ErrPaused)
	_, _, err = m.Exec(ctx, "life", core.ExecOptions{Args: []string{"true"}})
	coretest.ErrIs(t, err, core.ErrPaused)
	if err := m.Resume(ctx, "life"); err != nil {
		t.Fatal(err)
	}
	e.WaitStatus("life", core.StatusRunning, time.Second)
	coretest.ErrIs(t, m.Resume(ctx, "life"), core.ErrNotPaused)

	name, pid, err := m.Exec(ctx, "life", core.ExecOptions{Args: []string{"sh", "-c", "echo from-exec; exit 4"}})
	if err != nil || pid <= 0 {
		t.Fatalf("exec: %v", err)
	}
	waitLog(t, m, "life", name, "stdout: from-exec")
	// A nil stream is the null device, as for exec.Cmd.
	code, err := m.ExecAttached(ctx, "life", core.ExecOptions{Args: []string{"sh", "-c", "echo attached; echo to-stderr >&2; exit 3"}}, nil, &bytes.Buffer{}, nil)
	if err != nil || code != 3 {
		t.Fatalf("attached exec: %d %v", code, err)
	}

	coretest.ErrIs(t, m.Delete(ctx, "life", false), core.ErrInvalid)
	if err := m.Kill(ctx, "life", syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	c = e.WaitStatus("life", core.StatusStopped, 5*time.Second)
	if *c.ExitStatus != 137 || c.ExitSignal != 9 || c.OOMKilled {
		t.Fatalf("exit after SIGKILL: %+v", c)
	}
	coretest.ErrIs(t, m.Kill(ctx, "life", syscall.SIGTERM), core.ErrNotRunning)
	if err := m.Delete(ctx, "life", false); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Join(e.StateDir, "life"), filepath.Join(e.StateDir, ".runc", "life"), c.CgroupPaths.Dir("memory")} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s still exists after delete", p)
		}
	}
	_, err = m.Get(ctx, "life")
	coretest.ErrIs(t, err, core.ErrNotFound)
}

func TestExitStatusAndIDReuse(t *testing.T) {
	e := coretest.NewEnv(t, fixture, nil)
	e.Run("quick", []string{"sh", "-c", "echo bye; exit 7"}, nil)
	c := e.WaitStatus("quick", core.StatusStopped, 5*time.Second)
	if *c.ExitStatus != 7 || c.ExitedAt == nil {
		t.Fatalf("%+v", c)
	}
	waitLog(t, e.M, "quick", "", "stdout: bye")
	// Only the older generation left (a shim that died mid-rotation):
	// logs read it rather than fail.
	out := filepath.Join(e.StateDir, "quick", proto.ProcInit, proto.FileOutput)
	if err := os.Rename(out, out+".1"); err != nil {
		t.Fatal(err)
	}
	if text := logText(t, e.M, "quick", ""); !strings.Contains(text, "stdout: bye") {
		t.Fatalf("logs with only output.log.1: %q", text)
	}
	_, err := e.M.Run(ctx, "quick", core.RunOptions{Bundle: e.Bundle(loop, nil)})
	coretest.ErrIs(t, err, core.ErrExists)
	if err := e.M.Delete(ctx, "quick", false); err != nil {
		t.Fatal(err)
	}
	e.Run("quick", loop, nil)
	e.WaitStatus("quick", core.StatusRunning, time.Second)
}

// A container that exits has its runtime state and cgroups removed by its
// shim: in the shim's own process for runc, through the runtime's delete
// for what that cannot do exactly, here a poststop hook, which must run.
func TestExitRemovesRuntimeState(t *testing.T) {
	e := coretest.NewEnv(t, fixture, nil)
	marker := filepath.Join(t.TempDir(), "poststop")
	hooked := func(s *specs.Spec) {
		s.Hooks = &specs.Hooks{Poststop: []specs.Hook{{Path: "/bin/sh", Args: []string{"sh", "-c", "touch " + marker}}}}
	}
	for _, tc := range []struct {
		id   string
		edit func(*specs.Spec)
	}{{"plain", nil}, {"hooked", hooked}} {
		c := e.Run(tc.id, []string{"sleep", "0.3"}, tc.edit)
		shim := shimIdent(t, e.StateDir, tc.id, proto.ProcInit)
		e.WaitStatus(tc.id, core.StatusStopped, 5*time.Second)
		for deadline := time.Now().Add(5 * time.Second); shim.Alive() && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
		if shim.Alive() {
			t.Fatalf("%s: shim still running after the exit", tc.id)
		}
		mem := c.CgroupPaths.Dir("memory")
		if mem == "" {
			t.Fatalf("%s: no memory cgroup in %v", tc.id, c.CgroupPaths)
		}
		for _, p := range []string{filepath.Join(e.StateDir, ".runc", tc.id), mem, c.CgroupPaths.Dir("pids")} {
			if _, err := os.Stat(p); !os.IsNotExist(err) {
				t.Errorf("%s: %s left after the exit", tc.id, p)
			}
		}
	}
	if _, err := os.Stat(marker); err != nil {
		t.Errorf("the poststop hook did not run: %v", err)
	}
}

func TestDeleteForce(t *testing.T) {
	e := coretest.NewEnv(t, fixture, nil)
	c := e.Run("victim", []string{"sleep", "1000"}, nil)
	if err := e.M.Pause(ctx, "victim"); err != nil {
		t.Fatal(err)
	}
	if err := e.M.Delete(ctx, "victim", true); err != nil {
		t.Fatal(err)
	}
	if procfs.Alive(c.Pid, c.InitStart) {
		t.Fatal("init survived rm -f of a paused container")
	}
	if _, err := os.Stat(filepath.Join(e.StateDir, "victim")); !os.IsNotExist(err) {
		t.Fatal("state left behind")
	}
}

// Reattach: a new manager (a new berth) sees running containers as running
// and one that exited while no berth ran with its real status.
func TestReattach(t *testing.T) {
	e := coretest.NewEnv(t, fixture, nil)
	e.Run("stays", loop, nil)
	e.Run("leaves", []string{"sh", "-c", "sleep 0.3; exit 5"}, nil)
	time.Sleep(time.Second)
	m2, err := core.Open(ctx, e.Opts)
	if err != nil {
		t.Fatal(err)
	}
	c, err := m2.Get(ctx, "stays")
	if err != nil || c.Status != core.StatusRunning {
		t.Fatalf("%+v %v", c, err)
	}
	c, err = m2.Get(ctx, "leaves")
	if err != nil || c.Status != core.StatusStopped || c.ExitStatus == nil || *c.ExitStatus != 5 {
		t.Fatalf("%+v %v", c, err)
	}
}

func shimIdent(t *testing.T, stateDir, id, proc string) procfs.Ident {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(stateDir, id, proc, proto.FileShimPid))
	if err != nil {
		t.Fatal(err)
	}
	ident, err := procfs.ParseIdent(b)
	if err != nil {
		t.Fatal(err)
	}
	return ident
}

func TestShimKilled(t *testing.T) {
	e := coretest.NewEnv(t, fixture, nil)
	c := e.Run("orphan", []string{"sleep", "1000"}, nil)
	s := shimIdent(t, e.StateDir, "orphan", "init")
	syscall.Kill(s.Pid, syscall.SIGKILL)
	for s.Alive() {
		time.Sleep(10 * time.Millisecond)
	}
	m2, err := core.Open(ctx, e.Opts) // reattach settles the orphan
	if err != nil {
		t.Fatal(err)
	}
	got, err := m2.Get(ctx, "orphan")
	if err != nil || got.Status != core.StatusStopped || got.ExitStatus == nil || *got.ExitStatus != 137 || got.Reason == "" {
		t.Fatalf("after shim SIGKILL: %+v %v", got, err)
	}
	if procfs.Alive(c.Pid, c.InitStart) {
		t.Fatal("orphaned init still runs")
	}
	if err := m2.Delete(ctx, "orphan", false); err != nil {
		t.Fatal(err)
	}
	e.Run("orphan", loop, nil) // the id is reusable
	e.WaitStatus("orphan", core.StatusRunning, time.Second)
}

// A stale record whose pids now belong to unrelated processes: the
// container is settled as unknown and the unrelated process is never
// signalled.
func TestStalePidReused(t *testing.T) {
	e := coretest.NewEnv(t, fixture, nil)
	bystander := exec.Command("sleep", "30")
	if err := bystander.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { bystander.Process.Kill(); bystander.Wait() }()
	pid := bystander.Process.Pid
	start, _ := procfs.StartTime(pid)
	dir := filepath.Join(e.StateDir, "stale")
	os.MkdirAll(filepath.Join(dir, "init"), 0o700)
	rec := fmt.Sprintf(`{"id":"stale","bundle":"/nonexistent","runtimeBundle":"/nonexistent","runtime":"runc","runtimeRoot":%q,"created":"2020-01-01T00:00:00Z"}`, filepath.Join(e.StateDir, ".runc"))
	os.WriteFile(filepath.Join(dir, "container.json"), []byte(rec), 0o600)
	stale := procfs.Ident{Pid: pid, Start: start + 12345}.String()
	os.WriteFile(filepath.Join(dir, "init", proto.FileShimPid), []byte(stale), 0o600)
	os.WriteFile(filepath.Join(dir, "init", proto.FilePid), []byte(stale), 0o600)

	m2, err := core.Open(ctx, e.Opts)
	if err != nil {
		t.Fatal(err)
	}
	c, err := m2.Get(ctx, "stale")
	if err != nil || c.Status != core.StatusStopped || *c.ExitStatus != proto.StatusUnknown {
		t.Fatalf("%+v %v", c, err)
	}
	if !procfs.Alive(pid, start) {
		t.Fatal("the unrelated process that reused the pid was signalled")
	}
}

// A reference that is not an exact id reads only the berth containers it
// could name: a prefix or berth/ID settles the dead shim of the one it
// names and leaves the others unread.
func TestResolveReadsOnlyItsMatch(t *testing.T) {
	e := coretest.NewEnv(t, fixture, nil)
	gone := procfs.Ident{Pid: os.Getpid(), Start: 1}.String() // never this process's start
	for _, id := range []string{"dead-a", "dead-b", "other"} {
		dir := filepath.Join(e.StateDir, id)
		os.MkdirAll(filepath.Join(dir, "init"), 0o700)
		rec := fmt.Sprintf(`{"id":%q,"bundle":"/nonexistent","runtimeBundle":"/nonexistent","runtime":"runc","runtimeRoot":%q,"created":"2020-01-01T00:00:00Z"}`, id, filepath.Join(e.StateDir, ".runc"))
		os.WriteFile(filepath.Join(dir, "container.json"), []byte(rec), 0o600)
		os.WriteFile(filepath.Join(dir, "init", proto.FileShimPid), []byte(gone), 0o600)
		os.WriteFile(filepath.Join(dir, "init", proto.FilePid), []byte(gone), 0o600)
	}
	settled := func(id string) bool {
		_, err := os.Stat(filepath.Join(e.StateDir, id, "init", proto.FileExit))
		return err == nil
	}
	m, err := core.Open(ctx, e.Opts)
	if err != nil {
		t.Fatal(err)
	}
	for ref, want := range map[string]string{"berth/dead-a": "dead-a", "dead-b": "dead-b"} {
		c, err := m.Resolve(ctx, ref)
		if err != nil || c.ID != want || c.Status != core.StatusStopped {
			t.Fatalf("Resolve(%q) = %+v, %v", ref, c, err)
		}
	}
	if !settled("dead-a") || !settled("dead-b") || settled("other") {
		t.Fatalf("settled: dead-a %v, dead-b %v, other %v; want the two named only", settled("dead-a"), settled("dead-b"), settled("other"))
	}
	if _, err := m.Resolve(ctx, "dead"); !errors.Is(err, core.ErrAmbiguous) || settled("other") {
		t.Fatalf("Resolve(dead): %v; other settled %v", err, settled("other"))
	}
	if c, err := m.Resolve(ctx, "oth"); err != nil || c.ID != "other" || !settled("other") {
		t.Fatalf("Resolve(oth) = %+v, %v", c, err)
	}
	if c, err := m.Resolve(ctx, "berth/oth"); err != nil || c.ID != "other" {
		t.Fatalf("Resolve(berth/oth) = %+v, %v", c, err)
	}
}

func TestOutputFloodDoesNotBlock(t *testing.T) {
	const limit = 4 << 20
	e := coretest.NewEnv(t, fixture, func(o *core.Options) { o.LogMaxBytes = limit })
	// 200 MB of output with nobody reading it.
	e.Run("flood", []string{"sh", "-c", "yes 0123456789abcdefghijklmnopqrstuvwxyz0123456789 | head -c 209715200; echo; echo flood-done"}, nil)
	c := e.WaitStatus("flood", core.StatusStopped, 3*time.Minute)
	if *c.ExitStatus != 0 {
		t.Fatalf("flood exited %d", *c.ExitStatus)
	}
	var total int64
	for _, name := range []string{proto.FileOutput, proto.FileOutput + ".1"} {
		if st, err := os.Stat(filepath.Join(e.StateDir, "flood", "init", name)); err == nil {
			total += st.Size()
		}
	}
	if total > limit || total < limit/4 {
		t.Fatalf("log holds %d bytes, limit %d", total, limit)
	}
	if !strings.Contains(logText(t, e.M, "flood", ""), "stdout: flood-done") {
		t.Fatal("last line missing")
	}
}

// hangingStart runs a container whose createRuntime hook never returns,
// as id, with ctx, and checks that the start fails saying want and leaves
// nothing behind: no state, no runtime state, no cgroup, no hook.
func hangingStart(t *testing.T, e *coretest.Env, ctx context.Context, id, want string) {
	t.Helper()
	failedStart(t, e, ctx, id, "sleep 1000", want)
}

// failedStart starts a container whose createRuntime hook (run by the
// runtime while it creates the container, after making its cgroups) runs
// script, and checks that the start fails with want and leaves nothing:
// no container, no cgroup, no hook.
func failedStart(t *testing.T, e *coretest.Env, ctx context.Context, id, script, want string) {
	t.Helper()
	marker := id + "-" + coretest.RandomID()
	_, err := e.M.Run(ctx, id, core.RunOptions{Bundle: e.Bundle(loop, func(s *specs.Spec) {
		s.Hooks = &specs.Hooks{CreateRuntime: []specs.Hook{{Path: "/bin/sh", Args: []string{"sh", "-c", script + "; : " + marker}}}}
	})})
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("want %q, got %v", want, err)
	}
	assertNothingLeft(t, e, id)
	// The group's SIGKILL is sent before the start fails; its last
	// process may take a moment to be gone from /proc.
	pids := processesWith(marker)
	for deadline := time.Now().Add(5 * time.Second); len(pids) > 0 && time.Now().Before(deadline); pids = processesWith(marker) {
		time.Sleep(20 * time.Millisecond)
	}
	if len(pids) > 0 {
		t.Fatalf("hook processes left running: %v", pids)
	}
}

func TestStartTimeout(t *testing.T) {
	e := coretest.NewEnv(t, fixture, func(o *core.Options) { o.StartTimeout = 2 * time.Second })
	hangingStart(t, e, ctx, "hang", "timed out")
}

// A caller that gives up on a start that hangs (SIGTERM to berth run -d)
// gets its answer at once, and nothing is left: not the shim, not the
// runtime's hook, not the container.
func TestStartAbandoned(t *testing.T) {
	e := coretest.NewEnv(t, fixture, nil)
	cctx, cancel := context.WithCancel(ctx)
	time.AfterFunc(500*time.Millisecond, cancel)
	start := time.Now()
	hangingStart(t, e, cctx, "abandon", "abandoned")
	if d := time.Since(start); d > 15*time.Second {
		t.Fatalf("Run returned %v after its context ended", d)
	}
}

// A runtime killed while it creates the container (here by its own hook)
// leaves cgroups in every controller that its delete does not know: berth
// removes the ones it made.
func TestRuntimeKilledDuringCreate(t *testing.T) {
	e := coretest.NewEnv(t, fixture, nil)
	failedStart(t, e, ctx, "killed", "kill -9 $PPID; sleep 1000", "killed")
}

// A container the runtime is still creating shows as created, never as
// stopped or unknown, until it runs.
func TestStartingIsCreated(t *testing.T) {
	e := coretest.NewEnv(t, fixture, nil)
	bundle := e.Bundle(loop, func(s *specs.Spec) {
		s.Hooks = &specs.Hooks{CreateRuntime: []specs.Hook{{Path: "/bin/sh", Args: []string{"sh", "-c", "sleep 1.5"}}}}
	})
	done := make(chan error, 1)
	go func() {
		_, err := e.M.Run(ctx, "slow", core.RunOptions{Bundle: bundle})
		done <- err
	}()
	seen := map[core.Status]string{}
	for running := true; running; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			running = false
		case <-time.After(10 * time.Millisecond):
			if c, err := e.M.Get(ctx, "slow"); err == nil {
				seen[c.Status] = c.Reason
			}
		}
	}
	if _, ok := seen[core.StatusCreated]; !ok || len(seen) > 2 {
		t.Fatalf("while starting: %v, want created then running", seen)
	}
	for st, reason := range seen {
		if st != core.StatusCreated && st != core.StatusRunning {
			t.Fatalf("while starting it showed %s (%s)", st, reason)
		}
	}
	if c, _ := e.M.Get(ctx, "slow"); c.Status != core.StatusRunning {
		t.Fatalf("after the start: %s", c.Status)
	}
}

// A container whose record is corrupt, empty, truncated, a symlink, a FIFO
// or a directory is still removed whole by rm -f (the runtime finds it by
// id), never reported removed while it runs, and its id is free again.
func TestDeleteCorruptRecord(t *testing.T) {
	e := coretest.NewEnv(t, fixture, nil)
	for _, tc := range []struct {
		name    string
		corrupt func(path string) error
	}{
		{"garbage", func(p string) error { return os.WriteFile(p, []byte("{\x00garbage"), 0o600) }},
		{"empty", func(p string) error { return os.WriteFile(p, nil, 0o600) }},
		{"truncated", func(p string) error { b, _ := os.ReadFile(p); return os.WriteFile(p, b[:len(b)/2], 0o600) }},
		{"symlink", func(p string) error { os.Remove(p); return os.Symlink("/etc/passwd", p) }},
		{"fifo", func(p string) error { os.Remove(p); return unix.Mkfifo(p, 0o600) }},
		{"directory", func(p string) error { os.Remove(p); return os.Mkdir(p, 0o700) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := "corrupt-" + tc.name
			c := e.Run(id, []string{"sleep", "1000"}, nil)
			if err := tc.corrupt(filepath.Join(e.StateDir, id, "container.json")); err != nil {
				t.Fatal(err)
			}
			if err := e.M.Delete(ctx, id, false); err == nil {
				t.Fatal("removed without --force while it runs")
			}
			if unix.Kill(c.Pid, 0) != nil {
				t.Fatal("a refused removal killed the container")
			}
			if err := e.M.Delete(ctx, id, true); err != nil {
				t.Fatalf("rm -f: %v", err)
			}
			for i := 0; unix.Kill(c.Pid, 0) == nil; i++ {
				if i > 100 {
					t.Fatalf("init %d still runs after rm -f", c.Pid)
				}
				time.Sleep(20 * time.Millisecond)
			}
			assertNothingLeft(t, e, id)
			e.Run(id, loop, nil) // the id is free again
			if err := e.M.Delete(ctx, id, true); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// A shim costs no inotify instance (a uid has 128 by default, and berth
// must run 1000 containers): its OOM watch is an eventfd on cgroup v1 and
// a polled memory.events on v2.
func TestShimHoldsNoInotify(t *testing.T) {
	e := coretest.NewEnv(t, fixture, nil)
	e.Run("frugal", []string{"sleep", "1000"}, func(s *specs.Spec) {
		limit := int64(64 << 20)
		s.Linux.Resources.Memory = &specs.LinuxMemory{Limit: &limit}
	})
	shim, err := proto.ReadIdent(filepath.Join(e.StateDir, "frugal", proto.ProcInit), proto.FileShimPid)
	if err != nil {
		t.Fatal(err)
	}
	fdDir := fmt.Sprintf("/proc/%d/fd", shim.Pid)
	deadline := time.Now().Add(5 * time.Second)
	for {
		ents, err := os.ReadDir(fdDir)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, en := range ents {
			l, _ := os.Readlink(filepath.Join(fdDir, en.Name()))
			kinds = append(kinds, l)
			if l == "anon_inode:inotify" {
				t.Fatalf("the shim holds an inotify instance: %v", kinds)
			}
		}
		// The watch is armed once the OOM eventfd (v1: the Go runtime's
		// netpoller wake-up is another) or memory.events (v2) is open.
		eventfds := 0
		for _, k := range kinds {
			if k == "anon_inode:[eventfd]" {
				eventfds++
			}
		}
		if eventfds >= 2 || slices.ContainsFunc(kinds, func(k string) bool { return strings.HasSuffix(k, "memory.events") }) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no OOM watch armed in the shim: %v", kinds)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestRuntimeErrorIsReported(t *testing.T) {
	e := coretest.NewEnv(t, fixture, nil)
	_, err := e.M.Run(ctx, "nobin", core.RunOptions{Bundle: e.Bundle([]string{"/no/such/binary"}, nil)})
	if err == nil || !strings.Contains(err.Error(), "/no/such/binary") || !strings.Contains(err.Error(), "no such file") {
		t.Fatalf("want runc's own error naming the binary, got %v", err)
	}
	assertNothingLeft(t, e, "nobin")
}

func assertNothingLeft(t *testing.T, e *coretest.Env, id string) {
	t.Helper()
	left := []string{filepath.Join(e.StateDir, id), filepath.Join(e.StateDir, ".runc", id),
		filepath.Join(cgroupfs.Root, e.CgroupParent, id)}
	if !cgroupfs.Unified() {
		// Every v1 hierarchy: a runtime killed during create leaves a
		// directory in each controller it joined.
		hs, _ := os.ReadDir(cgroupfs.Root)
		for _, h := range hs {
			left = append(left, filepath.Join(cgroupfs.Root, h.Name(), e.CgroupParent, id))
		}
	}
	for _, p := range left {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s left behind", p)
		}
	}
	if pids := processesWith(filepath.Join(e.StateDir, id)); len(pids) > 0 {
		t.Errorf("shim processes left: %v", pids)
	}
}

// processesWith lists pids whose command line contains s.
func processesWith(s string) []int {
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, en := range entries {
		pid, err := strconv.Atoi(en.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		b, _ := os.ReadFile(filepath.Join("/proc", en.Name(), "cmdline"))
		if bytes.Contains(b, []byte(s)) {
			pids = append(pids, pid)
		}
	}
	return pids
}

func TestBadInput(t *testing.T) {
	e := coretest.NewEnv(t, fixture, nil)
	good := e.Bundle(loop, nil)
	entries := func() int {
		des, _ := os.ReadDir(e.StateDir)
		n := 0
		for _, d := range des {
			if !strings.HasPrefix(d.Name(), ".") {
				n++
			}
		}
		return n
	}
	for _, id := range []string{"a/b", "..", ".", "", "a\x1bb", "-lead", strings.Repeat("x", 77), "../../etc", "a\nb"} {
		_, err := e.M.Run(ctx, id, core.RunOptions{Bundle: good})
		coretest.ErrIs(t, err, core.ErrInvalid)
		if strings.ContainsAny(err.Error(), "\x1b\n") {
			t.Errorf("error for %q carries raw control bytes: %q", id, err)
		}
	}
	if _, err := e.M.Run(ctx, strings.Repeat("x", 76), core.RunOptions{Bundle: good}); err != nil {
		t.Fatalf("76 characters must be accepted: %v", err)
	}
	e.M.Delete(ctx, strings.Repeat("x", 76), true)

	badBundle := func(name, config string, rootfs bool) string {
		dir := filepath.Join(t.TempDir(), name)
		os.MkdirAll(dir, 0o755)
		if rootfs {
			os.MkdirAll(filepath.Join(dir, "rootfs"), 0o755)
		}
		if config != "" {
			os.WriteFile(filepath.Join(dir, "config.json"), []byte(config), 0o644)
		}
		return dir
	}
	for _, tc := range []struct{ name, bundle, want string }{
		{"malformed", badBundle("malformed", "{\n \"ociVersion\": \"1.0.0\",\n \"process\": {,\n}", true), "line 3"},
		{"truncated", badBundle("truncated", "{\"ociVersion\": \"1.0", true), "truncated"},
		{"missing config", badBundle("noconfig", "", true), "config.json does not exist"},
		{"missing rootfs", func() string {
			b := e.Bundle(loop, func(s *specs.Spec) { s.Root.Path = "/nonexistent-rootfs" })
			return b
		}(), "invalid rootfs"},
		{"terminal", e.Bundle(loop, func(s *specs.Spec) { s.Process.Terminal = true }), "terminal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := entries()
			_, err := e.M.Run(ctx, "bad", core.RunOptions{Bundle: tc.bundle})
			coretest.ErrIs(t, err, core.ErrInvalid)
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not say %q", err, tc.want)
			}
			if entries() != before {
				t.Fatal("state created for a bad bundle")
			}
		})
	}

	t.Run("duplicate", func(t *testing.T) {
		c := e.Run("dup", loop, nil)
		_, err := e.M.Run(ctx, "dup", core.RunOptions{Bundle: good})
		coretest.ErrIs(t, err, core.ErrExists)
		got, _ := e.M.Get(ctx, "dup")
		if got.Status != core.StatusRunning || got.Pid != c.Pid {
			t.Fatalf("original disturbed: %+v", got)
		}
	})

	t.Run("runtime missing", func(t *testing.T) {
		opts := e.Opts
		opts.Runtime = "/nonexistent/runc"
		m, err := core.Open(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		before := entries()
		_, err = m.Run(ctx, "noruntime", core.RunOptions{Bundle: good})
		if err == nil || !strings.Contains(err.Error(), "not found") {
			t.Fatalf("want runtime not found, got %v", err)
		}
		if entries() != before {
			t.Fatal("state created without a runtime")
		}
	})

	t.Run("corrupt state files", func(t *testing.T) {
		e.Run("fine", loop, nil)
		plant := func(id string, fn func(dir string)) {
			e.Run(id, []string{"true"}, nil)
			e.WaitStatus(id, core.StatusStopped, 5*time.Second)
			fn(filepath.Join(e.StateDir, id))
		}
		plant("corrupt", func(d string) { os.WriteFile(filepath.Join(d, "container.json"), []byte("\x00\x00garbage"), 0o600) })
		plant("truncated", func(d string) { os.WriteFile(filepath.Join(d, "init", "exit"), []byte(`{"status":`), 0o600) })
		plant("symlink", func(d string) {
			os.Remove(filepath.Join(d, "init", "exit"))
			os.Symlink("/etc/passwd", filepath.Join(d, "init", "exit"))
		})
		plant("fifo", func(d string) {
			os.Remove(filepath.Join(d, "init", "exit"))
			syscall.Mkfifo(filepath.Join(d, "init", "exit"), 0o600)
		})
		done := make(chan []core.Container, 1)
		go func() {
			m, err := core.Open(ctx, e.Opts)
			if err != nil {
				t.Error(err)
				done <- nil
				return
			}
			cs, _ := m.List(ctx)
			done <- cs
		}()
		var cs []core.Container
		select {
		case cs = <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("listing hung on a planted state file")
		}
		status := map[string]core.Container{}
		for _, c := range cs {
			status[c.ID] = c
		}
		if status["fine"].Status != core.StatusRunning {
			t.Errorf("healthy container not listed as running: %+v", status["fine"])
		}
		for _, id := range []string{"corrupt", "truncated", "symlink", "fifo"} {
			if c := status[id]; c.Status != core.StatusUnknown || c.Reason == "" {
				t.Errorf("%s: want unknown with a reason, got %+v", id, c)
			}
			if err := e.M.Delete(ctx, id, false); err != nil {
				t.Errorf("%s: cannot remove: %v", id, err)
			}
		}
	})
}

func TestUserNamespace(t *testing.T) {
	e := coretest.NewEnv(t, fixture, nil)
	mapping := []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
	e.Run("userns", []string{"sh", "-c", "echo uid=$(id -u); while :; do sleep 1; done"}, func(s *specs.Spec) {
		s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
		s.Linux.UIDMappings = mapping
		s.Linux.GIDMappings = mapping
		// Mounting cgroupfs needs a cgroup namespace inside a user namespace.
		var mounts []specs.Mount
		for _, m := range s.Mounts {
			if m.Destination != "/sys/fs/cgroup" {
				mounts = append(mounts, m)
			}
		}
		s.Mounts = mounts
	})
	waitLog(t, e.M, "userns", "", "stdout: uid=0")
	c, err := e.M.Get(ctx, "userns")
	if err != nil || len(c.UIDMappings) != 1 || c.UIDMappings[0].HostID != 100000 || len(c.GIDMappings) != 1 {
		t.Fatalf("mappings not reported: %+v %v", c, err)
	}
	ps, err := e.M.Processes(ctx, "userns")
	if err != nil || len(ps) == 0 || ps[0].UID != 0 || ps[0].HostUID != 100000 {
		t.Fatalf("processes: %+v %v", ps, err)
	}
	var out bytes.Buffer
	code, err := e.M.ExecAttached(ctx, "userns", core.ExecOptions{Args: []string{"id", "-u"}}, nil, &out, &out)
	if err != nil || code != 0 || strings.TrimSpace(out.String()) != "0" {
		t.Fatalf("exec in userns: %d %v %q", code, err, out.String())
	}
}

func TestExternalContainers(t *testing.T) {
	root := t.TempDir()
	e := coretest.NewEnv(t, fixture, func(o *core.Options) { o.ExternalRoots = []string{root} })
	bundle := e.Bundle([]string{"sleep", "1000"}, func(s *specs.Spec) {
		s.Linux.CgroupsPath = filepath.Join(e.CgroupParent, "ext")
	})
	// The container inherits runc's stdio: give it none that a test reads.
	run := exec.Command("runc", "--root", root, "run", "-d", "--bundle", bundle, "ext")
	if err := run.Run(); err != nil {
		t.Fatalf("runc run: %v", err)
	}
	t.Cleanup(func() { exec.Command("runc", "--root", root, "delete", "-f", "ext").Run() })
	cs, err := e.M.List(ctx)
	if err != nil || len(cs) != 1 || cs[0].ID != "ext" || cs[0].Managed || cs[0].Status != core.StatusRunning {
		t.Fatalf("external not listed: %+v %v", cs, err)
	}
	if err := e.M.Pause(ctx, "ext"); err != nil {
		t.Fatal(err)
	}
	e.WaitStatus("ext", core.StatusPaused, time.Second)
	if err := e.M.Resume(ctx, "ext"); err != nil {
		t.Fatal(err)
	}
	if st, err := sample(cs[0], false); err != nil || st.PidsCurrent != 1 {
		t.Fatalf("stats of external: %+v %v", st, err)
	}
	// Its spec is its bundle's config.json, read from where its runtime
	// state says, as that file is.
	path, js, err := e.M.SpecJSON(ctx, cs[0].Ref())
	if err != nil || path != filepath.Join(bundle, "config.json") || !bytes.Contains(js, []byte(`"sleep"`)) ||
		!bytes.Contains(js, []byte("\n  \"ociVersion\"")) {
		t.Fatalf("external spec: %s %v\n%s", path, err, js)
	}
	coretest.ErrIs(t, e.M.Delete(ctx, "ext", true), core.ErrUnmanaged)
	// Starting it is its manager's business, said up front.
	_, err = e.M.Start(ctx, "ext")
	coretest.ErrIs(t, err, core.ErrUnmanaged)
	if !strings.Contains(err.Error(), "runc --root "+root+" run ext") {
		t.Fatalf("start of external: %v", err)
	}
	_, err = e.M.Restart(ctx, cs[0].Ref(), time.Second)
	coretest.ErrIs(t, err, core.ErrUnmanaged)
	if got, _ := e.M.Get(ctx, "ext"); got.Status != core.StatusRunning {
		t.Fatalf("a refused restart left the external container %s", got.Status)
	}
	err = e.M.Logs(ctx, "ext", core.LogOptions{}, func(core.LogLine) error { return nil })
	coretest.ErrIs(t, err, core.ErrUnmanaged)
	// Its id is not berth's to take: a berth container of that id would
	// hide it in every list.
	_, err = e.M.Run(ctx, "ext", core.RunOptions{Bundle: e.Bundle(loop, nil)})
	coretest.ErrIs(t, err, core.ErrExists)
	// A checkpoint of it stands alone (see
	// TestExternalCheckpointOutlivesContainer): a pre-dump is refused
	// before CRIU is asked, and the container runs on.
	_, err = e.M.CreateCheckpoint(ctx, "ext", "c", core.CheckpointOptions{PreDump: true})
	coretest.ErrIs(t, err, core.ErrInvalid)
	if got, _ := e.M.Get(ctx, "ext"); got.Status != core.StatusRunning {
		t.Fatalf("a refused checkpoint left the external container %s", got.Status)
	}
}

// The same id in berth's state and in two other roots is three
// containers: each is listed, named and acted on by its own Ref, a plain
// id the CLI resolves is ambiguous, and a pause of one touches no other.
func TestSameIDInThreeRoots(t *testing.T) {
	rootA, rootB := t.TempDir(), t.TempDir()
	e := coretest.NewEnv(t, fixture, func(o *core.Options) { o.ExternalRoots = []string{rootA, rootB} })
	e.Run("twin", []string{"sleep", "1000"}, nil)
	cri := map[string]string{
		"io.kubernetes.cri.container-type":    "container",
		"io.kubernetes.cri.sandbox-namespace": "default",
		"io.kubernetes.cri.sandbox-name":      "web",
		"io.kubernetes.cri.container-name":    "app",
		"io.kubernetes.cri.image-name":        "registry.local/app:1",
	}
	for i, root := range []string{rootA, rootB} {
		bundle := e.Bundle([]string{"sleep", "1000"}, func(s *specs.Spec) {
			s.Linux.CgroupsPath = filepath.Join(e.CgroupParent, fmt.Sprint("twin-ext", i))
			if root == rootA {
				s.Annotations = cri
			}
		})
		// No pipes: the detached container would hold them open for ever.
		if err := exec.Command(coretest.Runtime(), "--root", root, "run", "-d", "--bundle", bundle, "twin").Run(); err != nil {
			t.Fatalf("runtime run in %s: %v", root, err)
		}
		t.Cleanup(func() { exec.Command(coretest.Runtime(), "--root", root, "delete", "-f", "twin").Run() })
	}
	cs, err := e.M.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	owners := map[string]string{}
	for _, c := range cs {
		if c.ID == "twin" {
			owners[c.Ref()] = c.Owner + " " + c.Name + " " + c.Image
		}
	}
	want := map[string]string{
		"twin":          "berth  ",
		rootA + "/twin": "kubernetes default/web/app registry.local/app:1",
		rootB + "/twin": "runc  ",
	}
	if fmt.Sprint(owners) != fmt.Sprint(want) {
		t.Fatalf("listed %v, want %v", owners, want)
	}

	// The CLI's forms: a plain id fits three, each qualified form one.
	_, err = e.M.Resolve(ctx, "twin")
	coretest.ErrIs(t, err, core.ErrAmbiguous)
	if !strings.Contains(err.Error(), "berth/twin, kubernetes/twin (default/web/app), runc/twin") {
		t.Fatalf("the ambiguity does not name the candidates: %v", err)
	}
	for ref, want := range map[string]string{
		"berth/twin": "twin", "kubernetes/twin": rootA + "/twin", "default/web/app": rootA + "/twin",
		"kubernetes/tw": rootA + "/twin", rootB + "/twin": rootB + "/twin",
	} {
		c, err := e.M.Resolve(ctx, ref)
		if err != nil || c.Ref() != want {
			t.Errorf("Resolve(%q) = %q, %v; want %q", ref, c.Ref(), err, want)
		}
	}
	_, err = e.M.Resolve(ctx, "tw")
	coretest.ErrIs(t, err, core.ErrAmbiguous)
	_, err = e.M.Resolve(ctx, "nosuch")
	coretest.ErrIs(t, err, core.ErrNotFound)
	_, err = e.M.Get(ctx, "/elsewhere/twin")
	coretest.ErrIs(t, err, core.ErrNotFound)

	// A pause goes to the one container its Ref names.
	if err := e.M.Pause(ctx, rootA+"/twin"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.M.Resume(ctx, rootA+"/twin") })
	for ref, st := range map[string]core.Status{"twin": core.StatusRunning, rootA + "/twin": core.StatusPaused, rootB + "/twin": core.StatusRunning} {
		if c, err := e.M.Get(ctx, ref); err != nil || c.Status != st {
			t.Errorf("%s is %s (%v), want %s", ref, c.Status, err, st)
		}
	}
	evs, _ := e.M.History(time.Time{})
	if n := len(evs); n == 0 || evs[n-1].Kind != watch.KindPause || evs[n-1].Ref() != rootA+"/twin" {
		t.Fatalf("the pause was journaled as %+v", evs[len(evs)-1])
	}
	st, err := e.M.Stats(ctx, []string{rootB + "/twin"}, false)
	if err != nil || len(st) != 1 || st[0].Ref() != rootB+"/twin" {
		t.Fatalf("stats of %s: %+v %v", rootB, st, err)
	}
}

// Another manager's containers are followed live: a root that appears
// after the subscription, a container made in it, pauses and resumes done
// with the runtime alone, an OOM kill (journaled, like berth's own), exits
// through a pidfd and the removal.
func TestExternalLive(t *testing.T) {
	root := filepath.Join(t.TempDir(), "late-root")
	e := coretest.NewEnv(t, fixture, func(o *core.Options) { o.ExternalRoots = []string{root} })
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	evc, errc := e.M.Subscribe(sctx)
	// Events come in batches (a kill and the exit it caused in one): what
	// one await does not take waits for the next.
	var queued []watch.Event
	await := func(what string, match func(watch.Event) bool) watch.Event {
		t.Helper()
		deadline := time.After(20 * time.Second)
		for {
			for i, ev := range queued {
				if ev.Root == root && match(ev) {
					queued = queued[i+1:]
					return ev
				}
			}
			queued = nil
			select {
			case batch, ok := <-evc:
				if !ok {
					t.Fatalf("subscription ended waiting for %s: %v", what, <-errc)
				}
				queued = batch
			case <-deadline:
				t.Fatalf("no %s event", what)
			}
		}
	}
	runtime := func(args ...string) {
		t.Helper()
		// No pipes: a detached container would hold them open for ever.
		if err := exec.Command(coretest.Runtime(), append([]string{"--root", root}, args...)...).Run(); err != nil {
			t.Fatalf("runtime %v: %v", args, err)
		}
	}
	if err := os.Mkdir(root, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, id := range []string{"late", "hog"} {
			exec.Command(coretest.Runtime(), "--root", root, "delete", "-f", id).Run()
		}
	})
	runtime("run", "-d", "--bundle", e.Bundle([]string{"sleep", "1000"}, func(s *specs.Spec) {
		s.Linux.CgroupsPath = filepath.Join(e.CgroupParent, "late")
	}), "late")
	is := func(kind watch.Kind, id string) func(watch.Event) bool {
		return func(ev watch.Event) bool { return ev.Kind == kind && ev.ID == id }
	}
	await("create", is(watch.KindCreate, "late"))
	runtime("pause", "late")
	await("pause", is(watch.KindPause, "late"))
	runtime("resume", "late")
	await("resume", is(watch.KindResume, "late"))

	limit := int64(32 << 20)
	runtime("run", "-d", "--bundle", e.Bundle([]string{"sh", "-c", "sleep 2; exec awk 'BEGIN{s=\"x\"; while(1) s=s s}'"}, func(s *specs.Spec) {
		s.Linux.CgroupsPath = filepath.Join(e.CgroupParent, "hog")
		s.Linux.Resources.Memory = &specs.LinuxMemory{Limit: &limit, Swap: &limit}
	}), "hog")
	oom := await("oom kill", is(watch.KindOOM, "hog"))
	await("exit after the kill", is(watch.KindExit, "hog"))
	var journaled bool
	for deadline := time.Now().Add(10 * time.Second); !journaled && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		evs, _ := e.M.History(time.Time{})
		journaled = slices.ContainsFunc(evs, func(ev watch.Event) bool { return ev.Key() == oom.Key() })
	}
	if !journaled {
		t.Fatalf("the external kill %+v was not journaled", oom)
	}

	runtime("kill", "late", "KILL")
	await("exit", is(watch.KindExit, "late"))
	runtime("delete", "late")
	await("delete", is(watch.KindDelete, "late"))
}

func TestOOMKilledExit(t *testing.T) {
	e := coretest.NewEnv(t, fixture, nil)
	limit := int64(32 << 20)
	e.Run("hog", []string{"awk", `BEGIN{s="x"; while(1) s=s s}`}, func(s *specs.Spec) {
		s.Linux.Resources.Memory = &specs.LinuxMemory{Limit: &limit, Swap: &limit}
	})
	c := e.WaitStatus("hog", core.StatusStopped, 20*time.Second)
	if *c.ExitStatus != 137 || !c.OOMKilled || c.OOMKills == 0 {
		t.Fatalf("want an OOM-killed exit, got %+v", c)
	}
	// Killed at once, likely before its shim armed the watch: the journal
	// still has the kill, before the exit.
	evs, _ := watch.Read(e.StateDir, time.Time{})
	var kinds []string
	for _, ev := range evs {
		if ev.ID == "hog" && (ev.Kind == watch.KindOOM || ev.Kind == watch.KindExit) {
			kinds = append(kinds, string(ev.Kind))
		}
	}
	if strings.Join(kinds, ",") != "oom,exit" {
		t.Fatalf("journal has %v for the hog, want oom then exit", kinds)
	}
	_ = cgroupfs.Paths{}
}

// A detached exec that fails leaves its container alone.
func TestFailedExecKeepsContainer(t *testing.T) {
	e := coretest.NewEnv(t, fixture, nil)
	c := e.Run("host", []string{"sleep", "1000"}, nil)
	for _, o := range []core.ExecOptions{{Args: []string{"/no/such/command"}}, {Args: []string{"true"}, Cwd: "/no/such/dir"}} {
		if _, _, err := e.M.Exec(ctx, "host", o); err == nil {
			t.Fatalf("exec %+v succeeded", o)
		}
	}
	if got, _ := e.M.Get(ctx, "host"); got.Status != core.StatusRunning || got.Pid != c.Pid {
		t.Fatalf("a failed exec disturbed the container: %+v", got)
	}
}

// The shim adds no ignored signals: the container's processes start with
// the dispositions berth itself was started with (a CI runner may already
// ignore some).
func TestNoInheritedIgnoredSignals(t *testing.T) {
	e := coretest.NewEnv(t, fixture, nil)
	c := e.Run("sigs", []string{"sleep", "1000"}, nil)
	ignored := func(pid string) uint64 {
		b, err := os.ReadFile("/proc/" + pid + "/status")
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "SigIgn:"); ok {
				n, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
				if err != nil {
					t.Fatal(err)
				}
				return n
			}
		}
		t.Fatal("no SigIgn line")
		return 0
	}
	ours, theirs := ignored("self"), ignored(strconv.Itoa(c.Pid))
	if extra := theirs &^ ours; extra != 0 {
		t.Fatalf("container init ignores signals berth's caller does not: mask %#x", extra)
	}
}

// A container's user names come from its own /etc/passwd, with symlinks
// resolved inside its root: an absolute link to /etc/names means the
// container's /etc/names, never the host's.
func TestProcessUserNames(t *testing.T) {
	e := coretest.NewEnv(t, fixture, nil)
	rootfs := filepath.Join(t.TempDir(), "rootfs")
	if err := demo.MakeBusyboxRootfs(rootfs); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(rootfs, "etc", "passwd"))
	if err := os.WriteFile(filepath.Join(rootfs, "etc", "names"), []byte("# comment\noperator:x:0:0::/:/bin/sh\nroot:x:0:0::/:/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/names", filepath.Join(rootfs, "etc", "passwd")); err != nil {
		t.Fatal(err)
	}
	e.Run("names", []string{"sleep", "1000"}, func(s *specs.Spec) { s.Root.Path = rootfs })
	ps, err := e.M.Processes(ctx, "names")
	if err != nil || len(ps) != 1 || ps[0].User != "operator" {
		t.Fatalf("processes: %+v %v", ps, err)
	}

	// A FIFO or a device planted as /etc/passwd is never opened (a FIFO
	// would block berth; a device's open could act on the host).
	for _, plant := range []func(string) error{
		func(p string) error { return unix.Mkfifo(p, 0o644) },
		func(p string) error { return unix.Mknod(p, unix.S_IFCHR|0o644, int(unix.Mkdev(1, 3))) },
	} {
		rootfs := filepath.Join(t.TempDir(), "rootfs")
		if err := demo.MakeBusyboxRootfs(rootfs); err != nil {
			t.Fatal(err)
		}
		id := "planted-" + coretest.RandomID()[:6]
		e.Run(id, []string{"sleep", "1000"}, func(s *specs.Spec) { s.Root.Path = rootfs })
		// Planted once it runs (runc itself would hang on a FIFO).
		os.Remove(filepath.Join(rootfs, "etc", "passwd"))
		if err := plant(filepath.Join(rootfs, "etc", "passwd")); err != nil {
			t.Fatal(err)
		}
		ps, err := e.M.Processes(ctx, id)
		if err != nil || len(ps) != 1 || ps[0].User != "" {
			t.Fatalf("%s: processes: %+v %v", id, ps, err)
		}
	}
}

// A paused container refuses signals it could not act on, and dies of
// SIGKILL at once (thawed after the signal).
func TestKillPaused(t *testing.T) {
	e := coretest.NewEnv(t, fixture, nil)
	e.Run("frozen", []string{"sleep", "1000"}, nil)
	if err := e.M.Pause(ctx, "frozen"); err != nil {
		t.Fatal(err)
	}
	coretest.ErrIs(t, e.M.Kill(ctx, "frozen", unix.SIGTERM), core.ErrPaused)
	if err := e.M.Kill(ctx, "frozen", unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	c := e.WaitStatus("frozen", core.StatusStopped, 5*time.Second)
	if c.ExitStatus == nil || *c.ExitStatus != 137 {
		t.Fatalf("after SIGKILL while paused: %+v", c)
	}
}

// sample reads one container's stats as the UI and berth stats do.
func sample(c core.Container, full bool) (core.Stats, error) {
	st, stale := core.SampleStats([]core.Container{c}, full)
	if stale || len(st) != 1 {
		return core.Stats{}, fmt.Errorf("%s: no sample (cgroup gone?)", c.ID)
	}
	return st[0], nil
}

// Removal and settling exclude each other: containers removed by force
// while another berth lists them in a loop (as the UI does) and while a
// second berth removes the same ones are each removed once, never left as
// ghosts, with one exit each in the journal and no "shim died".
func TestDeleteWhileOthersLook(t *testing.T) {
	e := coretest.NewEnv(t, fixture, nil)
	other, err := core.Open(ctx, e.Opts)
	if err != nil {
		t.Fatal(err)
	}
	const n = 10
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("race-%d", i)
		e.Run(ids[i], []string{"sleep", "1000"}, nil)
	}
	stop := make(chan struct{})
	var lookers sync.WaitGroup
	for range 2 {
		lookers.Add(1)
		go func() {
			defer lookers.Done()
			for {
				select {
				case <-stop:
					return
				default:
					other.List(ctx)
				}
			}
		}()
	}
	type result struct {
		id  string
		err error
	}
	results := make(chan result, 2*n)
	for _, id := range ids {
		for _, m := range []*core.Manager{e.M, other} {
			go func() { results <- result{id, m.Delete(ctx, id, true)} }()
		}
	}
	removed := map[string]int{}
	for range 2 * n {
		r := <-results
		switch {
		case r.err == nil:
			removed[r.id]++
		case errors.Is(r.err, core.ErrNotFound):
		default:
			t.Errorf("rm -f %s: %v", r.id, r.err)
		}
	}
	close(stop)
	lookers.Wait()
	for _, id := range ids {
		if removed[id] != 1 {
			t.Errorf("%s removed %d times, want once", id, removed[id])
		}
	}
	if cs, _ := e.M.List(ctx); len(cs) != 0 {
		t.Errorf("left after removal: %+v", cs)
	}
	events, _ := e.M.History(time.Time{})
	exits := map[string]int{}
	for _, ev := range events {
		if ev.Kind == watch.KindExit {
			exits[ev.ID]++
			if ev.ExitStatus != nil && *ev.ExitStatus == proto.StatusUnknown {
				t.Errorf("%s: a wrong exit journaled: %+v", ev.ID, ev)
			}
		}
	}
	for _, id := range ids {
		if exits[id] != 1 {
			t.Errorf("%s: %d exits journaled, want 1", id, exits[id])
		}
	}
}

// requireV2 skips a test of cgroup v2 behaviour on a v1 host, and fails
// it in make test-v2's guest, which must be v2 only.
func requireV2(t *testing.T) {
	t.Helper()
	if cgroupfs.Unified() {
		return
	}
	if os.Getenv("BERTH_TEST_GUEST") != "" {
		t.Fatal("make test-v2's guest is not cgroup v2 only")
	}
	t.Skip("cgroup v2 only: make test-v2 runs it in a v2 guest")
}

// On cgroup v2 a pause is cgroup.freeze, seen in cgroup.events; a frozen
// init dies of SIGKILL without a thaw; the OOM counter is memory.events.
func TestCgroupV2(t *testing.T) {
	requireV2(t)
	e := coretest.NewEnv(t, fixture, nil)
	c := e.Run("v2", loop, nil)
	if !c.CgroupPaths.V2() {
		t.Fatalf("cgroup paths %v on a v2 host", c.CgroupPaths)
	}
	frozen := func(want string) {
		t.Helper()
		if v := readCgroup(t, c, "", "cgroup.freeze"); v != want {
			t.Fatalf("cgroup.freeze %s, want %s", v, want)
		}
		events := readCgroup(t, c, "", "cgroup.events")
		if !strings.Contains(events, "frozen "+want) {
			t.Fatalf("cgroup.events %q, want frozen %s", events, want)
		}
	}
	if err := e.M.Pause(ctx, "v2"); err != nil {
		t.Fatal(err)
	}
	frozen("1")
	if err := e.M.Resume(ctx, "v2"); err != nil {
		t.Fatal(err)
	}
	frozen("0")
	if v := readCgroup(t, c, "", "memory.events"); !strings.Contains(v, "oom_kill ") {
		t.Fatalf("memory.events %q", v)
	}
	if err := e.M.Pause(ctx, "v2"); err != nil {
		t.Fatal(err)
	}
	// Kill thaws only on v1: here the frozen init must die as it is.
	if err := e.M.Kill(ctx, "v2", unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	got := e.WaitStatus("v2", core.StatusStopped, 10*time.Second)
	if got.ExitStatus == nil || *got.ExitStatus != 137 {
		t.Fatalf("a frozen init killed: %+v", got)
	}
}

// Without --external-root berth finds other managers' containers by itself:
// here a containerd namespace's root, made after berth started, with a
// real runc container in it. A given root that does not exist is said.
func TestDefaultRootsFound(t *testing.T) {
	e := coretest.NewEnv(t, fixture, func(o *core.Options) { o.ExternalRoots = nil })
	ns := "berth-test-" + coretest.RandomID()
	var made []string // directories this test created, deepest last
	for _, d := range []string{"/run/containerd", "/run/containerd/runc", filepath.Join("/run/containerd/runc", ns)} {
		if _, err := os.Stat(d); err != nil {
			if err := os.Mkdir(d, 0o711); err != nil {
				t.Fatal(err)
			}
			made = append(made, d)
		}
	}
	root := filepath.Join("/run/containerd/runc", ns)
	bundle := e.Bundle([]string{"sleep", "1000"}, func(s *specs.Spec) { s.Linux.CgroupsPath = e.CgroupParent + "/nsbox" })
	t.Cleanup(func() {
		exec.Command(coretest.Runtime(), "--root", root, "delete", "-f", "nsbox").Run()
		for i := len(made) - 1; i >= 0; i-- {
			os.Remove(made[i])
		}
	})
	// No pipes: the detached container would hold them open for ever.
	runLog := filepath.Join(t.TempDir(), "run.log")
	if err := exec.Command(coretest.Runtime(), "--root", root, "--log", runLog, "run", "-d", "--bundle", bundle, "nsbox").Run(); err != nil {
		b, _ := os.ReadFile(runLog)
		t.Fatalf("runtime run: %v %s", err, b)
	}
	cs, err := e.M.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range cs {
		if c.ID == "nsbox" && !c.Managed && c.RuntimeRoot == root && c.Status == core.StatusRunning {
			found = true
		}
	}
	if !found {
		t.Fatalf("the container in %s was not listed: %+v", root, cs)
	}
	if read, _ := e.M.ExternalRoots(); !slices.Contains(read, root) {
		t.Fatalf("roots read %v lack %s", read, root)
	}
	given, err := core.Open(ctx, core.Options{StateDir: e.StateDir, ExternalRoots: []string{"/run/no-such-root"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, missing := given.ExternalRoots(); len(missing) != 1 || missing[0] != "/run/no-such-root" {
		t.Fatalf("missing given roots %v", missing)
	}
}
