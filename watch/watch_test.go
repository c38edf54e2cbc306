package watch_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"berth/core"
	"berth/core/coretest"
	"berth/host/cgroupfs"
	"berth/watch"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

var fixture *coretest.Fixture

func TestMain(m *testing.M) {
	os.Exit(coretest.Main(m, func(f *coretest.Fixture) { fixture = f }))
}

var ctx = context.Background()

// collector gathers a loop's events in order.
type collector struct {
	t      *testing.T
	ch     <-chan []watch.Event
	events []watch.Event
}

func startLoop(t *testing.T) (*watch.Loop, *collector) {
	t.Helper()
	l, err := watch.New()
	if err != nil {
		t.Fatal(err)
	}
	lctx, cancel := context.WithCancel(ctx)
	c := &collector{t: t, ch: l.Run(lctx)}
	t.Cleanup(func() {
		cancel()
		for range c.ch {
		}
	})
	return l, c
}

// until collects events until pred holds for what was collected, or fails.
func (c *collector) until(d time.Duration, what string, pred func([]watch.Event) bool) []watch.Event {
	c.t.Helper()
	deadline := time.After(d)
	for !pred(c.events) {
		select {
		case b, ok := <-c.ch:
			if !ok {
				c.t.Fatalf("loop closed waiting for %s", what)
			}
			c.events = append(c.events, b...)
		case <-deadline:
			c.t.Fatalf("no %s within %v; have %s", what, d, describe(c.events))
		}
	}
	return c.events
}

// quiet collects for d and returns what arrived.
func (c *collector) quiet(d time.Duration) []watch.Event {
	deadline := time.After(d)
	for {
		select {
		case b := <-c.ch:
			c.events = append(c.events, b...)
		case <-deadline:
			return c.events
		}
	}
}

func describe(evs []watch.Event) string {
	var s []string
	for _, e := range evs {
		s = append(s, fmt.Sprintf("%s/%s/%d", e.Kind, e.ID, e.OOMCount))
	}
	return "[" + strings.Join(s, " ") + "]"
}

func count(evs []watch.Event, kind watch.Kind, id string) int {
	n := 0
	for _, e := range evs {
		if e.Kind == kind && e.ID == id {
			n++
		}
	}
	return n
}

func target(e *coretest.Env, c core.Container) watch.Target {
	return watch.Target{ID: c.ID, Cgroup: c.CgroupPaths, Pid: c.Pid, ProcDir: filepath.Join(e.StateDir, c.ID, "init"), Proc: "init"}
}

func memLimit(limit int64) func(*specs.Spec) {
	return func(s *specs.Spec) {
		s.Linux.Resources.Memory = &specs.LinuxMemory{Limit: &limit, Swap: &limit}
	}
}

// hog grows a string until the OOM killer takes it. It waits for a file
// to appear first, so the test can arm its watch before the kill.
var hog = []string{"sh", "-c", "while [ ! -e /tmp/go ]; do sleep 0.05; done; exec awk 'BEGIN{s=\"x\"; while(1) s=s s}'"}

// The kill of a container's init, watched as berth watches its own: the
// loop tails the journal and the shim's copy of the kill, with the
// forensics the shim took while the cgroup still held the container, goes
// out before the exit. (The loop's own snapshot cannot promise that here:
// the shim removes the cgroup as soon as the init has exited, and on
// cgroup v2 the kernel may tell of the kill only after that.)
func TestOOMKillsInitThenExit(t *testing.T) {
	e := coretest.NewEnv(t, fixture, nil)
	c := e.Run("hog", hog, func(s *specs.Spec) {
		memLimit(32 << 20)(s)
		s.Root.Readonly = false
	})
	l, col := startLoop(t)
	if err := l.Tail(e.StateDir); err != nil {
		t.Fatal(err)
	}
	tg := target(e, c)
	tg.Journaled = true
	if err := l.Watch(tg); err != nil {
		t.Fatal(err)
	}
	if code, err := e.M.ExecAttached(ctx, "hog", core.ExecOptions{Args: []string{"touch", "/tmp/go"}}, nil, nil, nil); err != nil || code != 0 {
		t.Fatalf("go: %d %v", code, err)
	}
	evs := col.until(20*time.Second, "exit", func(evs []watch.Event) bool { return count(evs, watch.KindExit, "hog") > 0 })
	if evs[0].Kind != watch.KindOOM || evs[0].OOMCount != 1 || evs[0].Pid != c.Pid {
		t.Fatalf("first event is not the kill: %s", describe(evs))
	}
	// Taken at the wake-up, or (v2 under load) once the init had exited:
	// the peak tells of the kill either way.
	if f := evs[0].Forensics; f == nil || f.LimitBytes != 32<<20 || f.PeakBytes < 24<<20 || !f.Late && f.UsageBytes == 0 {
		t.Fatalf("no forensics with the kill: %+v", evs[0].Forensics)
	}
	last := evs[len(evs)-1]
	if last.Kind != watch.KindExit || !last.OOMKilled || *last.ExitStatus != 137 || count(evs, watch.KindOOM, "hog") != 1 {
		t.Fatalf("want oom then an oom-killed exit, got %s (exit %+v)", describe(evs), last)
	}
	// The shim journaled the same kill and exit while this loop watched.
	journal, warns := watch.Read(e.StateDir, time.Time{})
	if len(warns) > 0 {
		t.Fatal(warns)
	}
	keys := map[watch.EventKey]bool{}
	for _, ev := range journal {
		keys[ev.Key()] = true
	}
	for _, ev := range evs {
		if !keys[ev.Key()] {
			t.Errorf("%s seen live but not journaled by the shim (journal %s)", ev.Key(), describe(journal))
		}
	}
}

func TestOOMKillsChildContainerLives(t *testing.T) {
	e := coretest.NewEnv(t, fixture, nil)
	c := e.Run("parent", []string{"sleep", "1000"}, memLimit(32<<20))
	l, col := startLoop(t)
	if err := l.Watch(target(e, c)); err != nil {
		t.Fatal(err)
	}
	code, err := e.M.ExecAttached(ctx, "parent", core.ExecOptions{Args: []string{"awk", `BEGIN{s="x"; while(1) s=s s}`}}, nil, nil, nil)
	if err != nil || code != 137 {
		t.Fatalf("hog exec: %d %v", code, err)
	}
	evs := col.until(5*time.Second, "oom", func(evs []watch.Event) bool { return count(evs, watch.KindOOM, "parent") > 0 })
	if evs[0].Kind != watch.KindOOM {
		t.Fatalf("%s", describe(evs))
	}
	// Not journaled, so the snapshot is the loop's own, taken while the
	// cgroup lives on.
	if f := evs[0].Forensics; f == nil || f.LimitBytes != 32<<20 || f.UsageBytes == 0 || f.PeakBytes < 24<<20 || f.Late || f.Error != "" {
		t.Fatalf("no forensics with the kill: %+v", f)
	}
	evs = col.quiet(300 * time.Millisecond)
	if count(evs, watch.KindOOM, "parent") != 1 || count(evs, watch.KindExit, "parent") != 0 {
		t.Fatalf("want exactly one oom and no exit, got %s", describe(evs))
	}
	if got, _ := e.M.Get(ctx, "parent"); got.Status != core.StatusRunning || got.OOMKills != 1 {
		t.Fatalf("container after its child's kill: %+v", got)
	}
}

func TestExitBeforeWatchArmed(t *testing.T) {
	e := coretest.NewEnv(t, fixture, nil)
	c := e.Run("brief", []string{"sh", "-c", "exit 3"}, nil)
	e.WaitStatus("brief", core.StatusStopped, 5*time.Second)
	l, col := startLoop(t)
	tg := target(e, c)
	tg.Cgroup = nil // gone with the container
	if err := l.Watch(tg); err != nil {
		t.Fatal(err)
	}
	evs := col.until(2*time.Second, "exit", func(evs []watch.Event) bool { return count(evs, watch.KindExit, "brief") > 0 })
	if *evs[0].ExitStatus != 3 {
		t.Fatalf("%+v", evs[0])
	}
}

func TestCgroupRemovedIsNotAnOOM(t *testing.T) {
	coretest.Skip(t)
	if cgroupfs.Unified() {
		t.Skip("v1 eventfd test")
	}
	parent := "/berth-test-" + coretest.RandomID()
	dir := filepath.Join(cgroupfs.Root, "memory", parent, "w")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { coretest.RemoveCgroupParent(parent) })
	l, col := startLoop(t)
	if err := l.Watch(watch.Target{ID: "w", Cgroup: cgroupfs.Paths{"memory": dir}}); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(dir); err != nil {
		t.Fatal(err)
	}
	if evs := col.quiet(500 * time.Millisecond); len(evs) != 0 {
		t.Fatalf("cgroup removal reported as %s", describe(evs))
	}
}

// Many containers OOM-killed at about the same time: exactly one oom event
// per kill, and each before its container's exit.
func TestManySimultaneousOOMKills(t *testing.T) {
	const n = 50
	e := coretest.NewEnv(t, fixture, nil)
	l, col := startLoop(t)
	// Every hog blocks reading a line from a FIFO the test holds open; one
	// write of a line per hog releases them all at once, without a polling
	// loop per container. The hogs open it read-write (<>), so a hog that
	// gets there late neither blocks in open nor misses its line.
	gate := filepath.Join(e.StateDir, "gate")
	os.Mkdir(gate, 0o755)
	if err := syscall.Mkfifo(filepath.Join(gate, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	writer, err := os.OpenFile(filepath.Join(gate, "fifo"), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	bundle := e.Bundle([]string{"sh", "-c", `read x <> /gate/fifo; exec awk 'BEGIN{s="x"; while(1) s=s s}'`}, func(s *specs.Spec) {
		memLimit(32 << 20)(s)
		s.Mounts = append(s.Mounts, specs.Mount{Destination: "/gate", Type: "bind", Source: gate, Options: []string{"bind"}})
	})
	t0 := time.Now()
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("h%02d", i)
		c, err := e.M.Run(ctx, id, core.RunOptions{Bundle: bundle})
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Watch(target(e, c)); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d containers started in %v", n, time.Since(t0))
	t0 = time.Now()
	if _, err := writer.Write([]byte(strings.Repeat("go\n", n))); err != nil {
		t.Fatal(err)
	}
	defer func() { t.Logf("all killed and exited in %v", time.Since(t0)) }()
	// Fifty hogs filling their limits at once take seconds here and over
	// a minute in the loaded, emulated cgroup v2 guest: the bound is for
	// that, a lost event still fails the wait.
	evs := col.until(180*time.Second, "every exit", func(evs []watch.Event) bool {
		exits := 0
		for _, ev := range evs {
			if ev.Kind == watch.KindExit {
				exits++
			}
		}
		return exits == n
	})
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("h%02d", i)
		if k := count(evs, watch.KindOOM, id); k != 1 {
			t.Errorf("%s: %d oom events, want 1", id, k)
		}
		sawOOM := false
		for _, ev := range evs {
			if ev.ID != id {
				continue
			}
			if ev.Kind == watch.KindOOM {
				sawOOM = true
			}
			if ev.Kind == watch.KindExit && (!sawOOM || !ev.OOMKilled) {
				t.Errorf("%s: exit (oomKilled %v) before or without its oom", id, ev.OOMKilled)
			}
		}
	}
}

// OOMWatch, the shim's watch in the netpoller, reports a kill with its
// snapshot as the loop does, and returns once closed.
func TestOOMWatch(t *testing.T) {
	e := coretest.NewEnv(t, fixture, nil)
	c := e.Run("single", []string{"sleep", "1000"}, memLimit(32<<20))
	var zero uint64
	w, err := watch.WatchOOM(watch.Target{ID: c.ID, Cgroup: c.CgroupPaths, Pid: c.Pid, KnownOOM: &zero})
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan []watch.Event, 1)
	done := make(chan error, 1)
	go func() {
		for {
			evs, err := w.Next()
			if err != nil {
				done <- err
				return
			}
			got <- evs
		}
	}()
	code, err := e.M.ExecAttached(ctx, "single", core.ExecOptions{Args: []string{"awk", `BEGIN{s="x"; while(1) s=s s}`}}, nil, nil, nil)
	if err != nil || code != 137 {
		t.Fatalf("hog exec: %d %v", code, err)
	}
	select {
	case evs := <-got:
		if len(evs) != 1 || evs[0].Kind != watch.KindOOM || evs[0].OOMCount != 1 || evs[0].Missed {
			t.Fatalf("want one kill, got %s", describe(evs))
		}
		if f := evs[0].Forensics; f == nil || f.LimitBytes != 32<<20 {
			t.Fatalf("no forensics with the kill: %+v", f)
		}
	case err := <-done:
		t.Fatalf("watch ended: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("no kill reported")
	}
	w.Close()
	select {
	case err := <-done:
		if !errors.Is(err, os.ErrClosed) {
			t.Fatalf("after Close: %v", err)
		}
	case evs := <-got:
		t.Fatalf("a second batch: %s", describe(evs))
	case <-time.After(5 * time.Second):
		t.Fatal("Next did not return after Close")
	}
}
