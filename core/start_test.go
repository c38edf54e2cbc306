package core_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"berth/core"
	"berth/core/coretest"
	"berth/watch"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// kinds lists the kinds of the journaled events about id, in order.
func kinds(m *core.Manager, id string) []string {
	evs, _ := m.History(time.Time{})
	var out []string
	for _, ev := range evs {
		if ev.ID == id && ev.Kind != watch.KindExecExit {
			out = append(out, string(ev.Kind))
		}
	}
	return out
}

// A stopped container starts again under its id: the same record (Created
// kept, Started set), its output log continuing, a start journaled.
func TestStartAfterExit(t *testing.T) {
	e := coretest.NewEnv(t, fixture, nil)
	m := e.M
	first := e.Run("again", []string{"sh", "-c", "echo run; sleep 0.2; exit 3"}, nil)
	c := e.WaitStatus("again", core.StatusStopped, 10*time.Second)
	if *c.ExitStatus != 3 || !c.Started.IsZero() {
		t.Fatalf("first run ended as %+v", c)
	}
	c, err := m.Start(ctx, "again")
	if err != nil {
		t.Fatal(err)
	}
	if c.ID != "again" || !c.Managed || !c.Created.Equal(first.Created) || !c.Started.After(first.Created) {
		t.Fatalf("started as %+v (created first %v)", c, first.Created)
	}
	if c.Status != core.StatusRunning && c.Status != core.StatusStopped {
		t.Fatalf("status after start: %+v", c)
	}
	c = e.WaitStatus("again", core.StatusStopped, 10*time.Second)
	if *c.ExitStatus != 3 || c.ExitedAt == nil || !c.ExitedAt.After(c.Started) {
		t.Fatalf("second run ended as %+v", c)
	}
	if got := logText(t, m, "again", ""); got != "stdout: run\nstdout: run\n" {
		t.Fatalf("log after two runs:\n%s", got)
	}
	want := "create start exit start exit"
	if got := strings.Join(kinds(m, "again"), " "); got != want {
		t.Fatalf("history %q, want %q", got, want)
	}
	// ps --json names the start.
	cs, err := m.List(ctx)
	if err != nil || len(cs) != 1 || cs[0].Started.IsZero() || !cs[0].LastStart().Equal(cs[0].Started) {
		t.Fatalf("list: %+v %v", cs, err)
	}
}

// Start refuses a container that runs (or is paused), and one that is not
// there; the running one is left alone.
func TestStartRefused(t *testing.T) {
	e := coretest.NewEnv(t, fixture, nil)
	m := e.M
	run := e.Run("up", loop, nil)
	_, err := m.Start(ctx, "up")
	coretest.ErrIs(t, err, core.ErrInvalid)
	if !strings.Contains(err.Error(), "up: already running") {
		t.Fatalf("error %q", err)
	}
	if err := m.Pause(ctx, "up"); err != nil {
		t.Fatal(err)
	}
	_, err = m.Start(ctx, "up")
	coretest.ErrIs(t, err, core.ErrInvalid)
	if err := m.Resume(ctx, "up"); err != nil {
		t.Fatal(err)
	}
	if c, err := m.Get(ctx, "up"); err != nil || c.Status != core.StatusRunning || c.Pid != run.Pid {
		t.Fatalf("after refused starts: %+v %v", c, err)
	}
	_, err = m.Start(ctx, "nosuch")
	coretest.ErrIs(t, err, core.ErrNotFound)
	_, err = m.Restart(ctx, "nosuch", time.Second)
	coretest.ErrIs(t, err, core.ErrNotFound)
}

// Restart of a running container: its exit recorded (a clean one after
// SIGTERM), then
// running again with a new pid, the log continuing.
func TestRestartRunning(t *testing.T) {
	e := coretest.NewEnv(t, fixture, nil)
	m := e.M
	// sh as a container's pid 1 ignores SIGTERM unless it traps it.
	graceful := []string{"sh", "-c", "trap 'echo bye; exit 0' TERM; i=0; while :; do i=$((i+1)); echo $i; sleep 0.05; done"}
	old := e.Run("re", graceful, nil)
	waitCount(t, m, "re", 3)
	c, err := m.Restart(ctx, "re", 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != core.StatusRunning || c.Pid == 0 || c.Pid == old.Pid || c.Started.IsZero() {
		t.Fatalf("restarted: %+v (old pid %d)", c, old.Pid)
	}
	before := len(numbers(t, m, "re"))
	got := waitCount(t, m, "re", before+3)
	// The counter began again from 1 after the old run's numbers.
	restarted := false
	for i := 1; i < len(got); i++ {
		if got[i] == 1 && got[i-1] > 1 {
			restarted = true
		}
	}
	if !restarted {
		t.Fatalf("the log does not show a second run from 1: %v", got)
	}
	evs, _ := m.History(time.Time{})
	var exit *watch.Event
	for i := range evs {
		if evs[i].ID == "re" && evs[i].Kind == watch.KindExit {
			exit = &evs[i]
		}
	}
	if exit == nil || exit.ExitStatus == nil || *exit.ExitStatus != 0 {
		t.Fatalf("the stop's exit: %+v", exit)
	}
	if got := strings.Join(kinds(m, "re"), " "); got != "create start exit start" {
		t.Fatalf("history %q", got)
	}
}

// A process that ignores SIGTERM is killed once the timeout is up; a
// paused one is resumed so it can die.
func TestRestartKillsAfterTimeout(t *testing.T) {
	e := coretest.NewEnv(t, fixture, nil)
	m := e.M
	e.Run("stubborn", []string{"sh", "-c", "trap '' TERM; echo up; while :; do sleep 1; done"}, nil)
	waitLog(t, m, "stubborn", "", "stdout: up")
	if err := m.Pause(ctx, "stubborn"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Restart(ctx, "stubborn", 300*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	evs, _ := m.History(time.Time{})
	var exits []int
	for _, ev := range evs {
		if ev.ID == "stubborn" && ev.Kind == watch.KindExit && ev.ExitStatus != nil {
			exits = append(exits, *ev.ExitStatus)
		}
	}
	if len(exits) != 1 || exits[0] != 128+int(unix.SIGKILL) {
		t.Fatalf("exits %v, want one SIGKILL", exits)
	}
	if got := strings.Join(kinds(m, "stubborn"), " "); got != "create start pause resume exit start" {
		t.Fatalf("history %q", got)
	}
	e.WaitStatus("stubborn", core.StatusRunning, 10*time.Second)
	waitLog(t, m, "stubborn", "", "stdout: up\nstdout: up")
}

// A start the runtime fails (the rootfs gone) leaves the container
// stopped, with its previous exit, its logs and its record.
func TestStartFailureLeavesItStopped(t *testing.T) {
	e := coretest.NewEnv(t, fixture, nil)
	m := e.M
	e.Run("broken", []string{"sh", "-c", "echo once"}, nil)
	before := e.WaitStatus("broken", core.StatusStopped, 10*time.Second)
	spec, err := m.Spec("broken")
	if err != nil {
		t.Fatal(err)
	}
	// The runtime bundle's spec names a root that is not there now.
	path := filepath.Join(e.StateDir, "broken", "bundle", "config.json")
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		edit  func(*specs.Spec)
		class error
	}{
		// A root that is gone is found before anything starts.
		{func(s *specs.Spec) { s.Root = &specs.Root{Path: filepath.Join(t.TempDir(), "gone")} }, core.ErrInvalid},
		// A command that is not there fails the runtime's start.
		{func(s *specs.Spec) { s.Process.Args = []string{"/nosuch"} }, core.ErrRuntime},
	} {
		bad := *spec
		p := *spec.Process
		bad.Process = &p
		tc.edit(&bad)
		b, _ := json.Marshal(&bad)
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := m.Start(ctx, "broken")
		coretest.ErrIs(t, err, tc.class)
		assertStoppedAsBefore(t, e, before)
	}
	if got := strings.Join(kinds(m, "broken"), " "); got != "create start exit" {
		t.Fatalf("history after failed starts %q", got)
	}
	// Put right, it starts.
	if err := os.WriteFile(path, good, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Start(ctx, "broken"); err != nil {
		t.Fatal(err)
	}
	e.WaitStatus("broken", core.StatusStopped, 10*time.Second)
	if got := logText(t, m, "broken", ""); !strings.HasPrefix(got, "stdout: once\n") || !strings.HasSuffix(got, "stdout: once\n") ||
		!strings.Contains(got, `"/nosuch"`) {
		t.Fatalf("log after the second run:\n%s", got)
	}
}

// A container checkpointed (and so stopped) starts afresh; its
// checkpoints stay.
func TestStartKeepsCheckpoints(t *testing.T) {
	coretest.SkipWithoutCriu(t)
	e := coretest.NewEnv(t, fixture, nil)
	m := e.M
	e.Run("cp", counter, nil)
	waitCount(t, m, "cp", 3)
	if _, err := m.CreateCheckpoint(ctx, "cp", "snap", core.CheckpointOptions{}); err != nil {
		t.Fatal(err)
	}
	e.WaitStatus("cp", core.StatusStopped, 10*time.Second)
	n := len(numbers(t, m, "cp"))
	if _, err := m.Start(ctx, "cp"); err != nil {
		t.Fatal(err)
	}
	got := waitCount(t, m, "cp", n+2)
	if got[n] != 1 {
		t.Fatalf("the started counter did not begin afresh: %v", got[n:])
	}
	cps, err := m.Checkpoints(ctx, "cp")
	if err != nil || len(cps) != 1 || cps[0].Name != "snap" || !cps[0].Valid {
		t.Fatalf("checkpoints after start: %+v %v", cps, err)
	}
}

// assertStoppedAsBefore checks that a failed start left the container as
// it was: stopped with the same exit, never started, its log whole.
func assertStoppedAsBefore(t *testing.T, e *coretest.Env, before core.Container) {
	t.Helper()
	c, err := e.M.Get(ctx, before.ID)
	if err != nil || c.Status != core.StatusStopped || c.ExitStatus == nil || *c.ExitStatus != *before.ExitStatus ||
		!c.ExitedAt.Equal(*before.ExitedAt) || !c.Started.IsZero() || !c.Created.Equal(before.Created) {
		t.Fatalf("after the failed start: %+v %v (before %+v)", c, err, before)
	}
	// The log is kept and continued (a runtime's error on the
	// container's stderr is there too).
	if got := logText(t, e.M, before.ID, ""); !strings.HasPrefix(got, "stdout: once\n") {
		t.Fatalf("log after the failed start:\n%s", got)
	}
	if _, err := os.Stat(filepath.Join(e.StateDir, before.ID, "init", "runtime.log")); err != nil {
		t.Fatalf("the runtime's log: %v", err)
	}
}

// Two starts at once (two berths): the container's lock lets one start
// it; the other finds it running.
func TestStartTwiceAtOnce(t *testing.T) {
	e := coretest.NewEnv(t, fixture, nil)
	m := e.M
	e.Run("race", loop, nil)
	if err := m.Kill(ctx, "race", unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	e.WaitStatus("race", core.StatusStopped, 10*time.Second)
	other, err := core.Open(ctx, e.Opts)
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 2)
	for _, mm := range []*core.Manager{m, other} {
		go func() {
			_, err := mm.Start(ctx, "race")
			errs <- err
		}()
	}
	var failed []error
	for range 2 {
		if err := <-errs; err != nil {
			failed = append(failed, err)
		}
	}
	if len(failed) != 1 || !errors.Is(failed[0], core.ErrInvalid) && !errors.Is(failed[0], core.ErrBusy) {
		t.Fatalf("two starts at once failed with %v, want one refused", failed)
	}
	if got := strings.Join(kinds(m, "race"), " "); got != "create start exit start" {
		t.Fatalf("history %q", got)
	}
}
