package shim

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"berth/core/cgroupfs"
	"berth/core/procfs"
	"berth/core/statefile"
	"berth/watch"

	"github.com/opencontainers/runc/libcontainer"
	"golang.org/x/sys/unix"
)

// drainGrace bounds how long the shim waits for output after its process
// exited: a background process that keeps the pipe open (possible without
// a private pid namespace) must not keep the exit from being recorded.
const drainGrace = time.Second

// Main runs a shim for the process directory in args[0] and returns the
// shim's exit code. It is dispatched from main before anything else is
// initialised, so a shim carries none of the UI's state.
func Main(args []string) int {
	// A shim lives as long as its container, mostly idle: keep its heap
	// small rather than fast.
	debug.SetGCPercent(25)
	if len(args) != 1 {
		fmt.Fprintln(os.Stderr, "usage: berth shim PROCESS-DIR")
		return 2
	}
	s := &shim{dir: args[0]}
	s.openLog()
	defer s.logf("info", "shim exiting")
	if err := s.run(); err != nil {
		s.logf("error", "%v", err)
		return 1
	}
	return 0
}

type shim struct {
	dir     string
	cfg     Config
	log     *os.File
	ready   *os.File
	output  *LogWriter
	drained chan struct{}
	// drainedN counts the output pipes that reached EOF.
	drainedN int
	cgroups  cgroupfs.Paths
	oom      *oomWatch
}

func (s *shim) path(name string) string { return filepath.Join(s.dir, name) }

func (s *shim) openLog() {
	f, err := os.OpenFile(s.path(FileShimLog), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err == nil {
		s.log = f
	}
}

// logf appends one JSON line to shim.log; the shim's stdio is /dev/null.
func (s *shim) logf(level, format string, a ...any) {
	if s.log == nil {
		return
	}
	b, _ := json.Marshal(struct {
		Time  time.Time `json:"time"`
		Level string    `json:"level"`
		Msg   string    `json:"msg"`
	}{time.Now().UTC(), level, fmt.Sprintf(format, a...)})
	s.log.Write(append(b, '\n'))
}

// report sends the one readiness message and closes the pipe.
func (s *shim) report(r Ready) {
	if s.ready == nil {
		return
	}
	b, _ := json.Marshal(r)
	s.ready.Write(append(b, '\n'))
	s.ready.Close()
	s.ready = nil
}

func (s *shim) run() error {
	s.ready = os.NewFile(ReadyFd, "ready")
	if err := statefile.ReadJSON(s.path(FileConfig), &s.cfg); err != nil {
		s.report(Ready{Error: "shim: " + err.Error()})
		return err
	}
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		s.report(Ready{Error: "shim: set child subreaper: " + err.Error()})
		return err
	}
	// The terminal that launched us may go away; nothing here reads stdin.
	signal.Ignore(syscall.SIGHUP, syscall.SIGPIPE, syscall.SIGINT)

	self := procfs.Ident{Pid: os.Getpid()}
	self.Start, _ = procfs.StartTime(self.Pid)
	if err := statefile.Write(s.path(FileShimPid), []byte(self.String()), 0o600, false); err != nil {
		s.report(Ready{Error: "shim: " + err.Error()})
		return err
	}

	out, err := OpenLog(s.path(FileOutput), s.cfg.LogMaxBytes)
	if err != nil {
		s.report(Ready{Error: "shim: " + err.Error()})
		return err
	}
	s.output = out
	defer out.Close()

	init, err := s.start()
	if err != nil {
		s.report(Ready{Error: err.Error()})
		return err
	}
	if err := statefile.Write(s.path(FilePid), []byte(init.String()), 0o600, false); err != nil {
		s.report(Ready{Error: "shim: " + err.Error()})
		s.cleanupRuntime()
		return err
	}
	s.report(Ready{Pid: init.Pid, Start: init.Start})
	s.armOOM(init.Pid)
	s.logf("info", "%s %s: pid %d", s.cfg.Mode, s.cfg.ID, init.Pid)

	ws := s.reap(init.Pid)
	exit := s.exitRecord(ws, init.Pid)
	s.waitDrained(drainGrace)
	// The journal has the exit before the exit file exists, so whoever
	// sees the file can count on the journal's history being complete.
	s.journalExit(init.Pid, exit)
	// Atomic, not fsynced: the state dir lives in /run (tmpfs), which a
	// power loss empties anyway; what matters is never a torn record.
	if err := statefile.WriteJSON(s.path(FileExit), exit, 0o600, false); err != nil {
		s.logf("error", "write exit: %v", err)
	}
	s.logf("info", "process %d exited: status %d oomKilled %v", init.Pid, exit.Status, exit.OOMKilled)
	if s.cfg.Mode != ModeExec {
		s.deleteStopped()
	}
	s.waitDrained(drainGrace)
	return nil
}

// deleteStopped removes the runtime's state of a container whose init has
// exited. For runc it calls libcontainer's Destroy in this process, the very
// code `runc delete` runs, which saves a runtime exec on every exit (and so
// on every rm -f). Other runtimes get a plain delete; the forced delete,
// which sleeps 100 ms after a SIGKILL not needed here, is only the fallback.
func (s *shim) deleteStopped() {
	if filepath.Base(s.cfg.Runtime) == "runc" && len(s.cfg.RuntimeArgs) == 0 {
		c, err := libcontainer.Load(s.cfg.RuntimeRoot, s.cfg.ID)
		if err == nil {
			if err = c.Destroy(); err == nil {
				return
			}
		}
		s.logf("warn", "destroy in process: %v; running the runtime's delete", err)
	}
	if err := s.runtimeCmd("delete", s.cfg.ID).Run(); err != nil {
		s.cleanupRuntime()
	}
}

// runtimeCmd builds a runtime invocation with berth's global flags.
func (s *shim) runtimeCmd(args ...string) *exec.Cmd {
	full := []string{"--root", s.cfg.RuntimeRoot, "--log", s.path(FileRuntimeLog), "--log-format", "json"}
	full = append(full, s.cfg.RuntimeArgs...)
	full = append(full, args...)
	cmd := exec.Command(s.cfg.Runtime, full...)
	cmd.Dir = s.dir
	if s.cfg.Path != "" {
		cmd.Env = append(os.Environ(), "PATH="+s.cfg.Path)
	}
	return cmd
}

// start runs the runtime's start command with the container's stdio as
// pipes the shim drains, and returns the container process once the runtime
// returned successfully.
func (s *shim) start() (procfs.Ident, error) {
	runtimePid := s.path(".pid.runtime")
	var args []string
	switch s.cfg.Mode {
	case ModeRun:
		args = []string{"run", "--detach", "--pid-file", runtimePid, "--bundle", s.cfg.Bundle, s.cfg.ID}
	case ModeExec:
		args = []string{"exec", "--detach", "--pid-file", runtimePid, "--process", s.path(FileProcess), s.cfg.ID}
	case ModeRestore:
		r := s.cfg.Restore
		if r == nil {
			return procfs.Ident{}, errors.New("shim: restore without options")
		}
		args = append([]string{"restore", "--detach", "--pid-file", runtimePid, "--bundle", s.cfg.Bundle,
			"--image-path", r.ImagePath, "--work-path", r.WorkPath}, r.Args...)
		args = append(args, s.cfg.ID)
	default:
		return procfs.Ident{}, fmt.Errorf("shim: unknown mode %q", s.cfg.Mode)
	}

	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return procfs.Ident{}, err
	}
	defer devnull.Close()
	outR, outW, err := os.Pipe()
	if err != nil {
		return procfs.Ident{}, err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		outR.Close()
		outW.Close()
		return procfs.Ident{}, err
	}
	cmd := s.runtimeCmd(args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devnull, outW, errW
	// The runtime and any hook it runs share a process group of their own,
	// so a start that hangs can be killed whole.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	err = cmd.Start()
	outW.Close()
	errW.Close()
	if err != nil {
		outR.Close()
		errR.Close()
		return procfs.Ident{}, fmt.Errorf("start runtime: %w", err)
	}
	s.drained = make(chan struct{}, 2)
	go func() { s.output.Drain("stdout", outR); outR.Close(); s.drained <- struct{}{} }()
	go func() { s.output.Drain("stderr", errR); errR.Close(); s.drained <- struct{}{} }()

	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var werr error
	timeout := s.cfg.StartTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	timer := time.NewTimer(timeout)
	select {
	case werr = <-done:
		timer.Stop()
	case <-timer.C:
		unix.Kill(-cmd.Process.Pid, unix.SIGKILL)
		<-done
		s.cleanupRuntime()
		if s.cfg.Mode != ModeExec {
			// Killed before it recorded the container, the runtime's
			// delete does not know the cgroup it made: remove it here.
			cgroupfs.RemoveCgroup(s.bundleCgroupsPath())
		}
		return procfs.Ident{}, fmt.Errorf("start timed out after %v: runtime and its hooks killed", timeout)
	}
	if werr != nil {
		msg := RuntimeError(s.path(FileRuntimeLog))
		if msg == "" {
			msg = werr.Error()
		}
		s.cleanupRuntime()
		return procfs.Ident{}, errors.New(msg)
	}
	b, err := statefile.Read(runtimePid)
	os.Remove(runtimePid)
	if err != nil {
		s.cleanupRuntime()
		return procfs.Ident{}, fmt.Errorf("runtime pid file: %w", err)
	}
	id, err := procfs.ParseIdent(b)
	if err != nil {
		s.cleanupRuntime()
		return procfs.Ident{}, fmt.Errorf("runtime pid file: %w", err)
	}
	// The process may already have exited (and be waiting as our zombie),
	// in which case its start time is unreadable and stays zero.
	id.Start, _ = procfs.StartTime(id.Pid)
	return id, nil
}

// bundleCgroupsPath reads linux.cgroupsPath from the runtime bundle.
func (s *shim) bundleCgroupsPath() string {
	var spec struct {
		Linux struct {
			CgroupsPath string `json:"cgroupsPath"`
		} `json:"linux"`
	}
	if err := statefile.ReadJSON(filepath.Join(s.cfg.Bundle, "config.json"), &spec); err != nil {
		return ""
	}
	return spec.Linux.CgroupsPath
}

// oomWatch journals the container's OOM kills while it runs, so history is
// complete when no UI watches. Exec shims leave this to the init shim.
type oomWatch struct {
	cancel   context.CancelFunc
	done     chan struct{}
	mu       sync.Mutex
	last     uint64    // highest oom_kill count journaled
	lastTime time.Time // when the counter last rose
}

// armOOM starts watching the container's OOM kills through a watch loop of
// its own, from the counter's current value.
func (s *shim) armOOM(pid int) {
	if s.cfg.Mode == ModeExec {
		return
	}
	p, err := cgroupfs.RuncStatePaths(filepath.Join(s.cfg.RuntimeRoot, s.cfg.ID, "state.json"), statefile.ReadJSON)
	if err != nil {
		s.logf("warn", "cgroup paths: %v", err)
		return
	}
	s.cgroups = p
	base, err := cgroupfs.OOMKillCount(p)
	if err != nil {
		s.logf("warn", "no oom counter: %v", err)
		return
	}
	loop, err := watch.New()
	if err != nil {
		s.logf("warn", "oom watch: %v", err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	w := &oomWatch{cancel: cancel, done: make(chan struct{}), last: base}
	s.oom = w
	events := loop.Run(ctx)
	if err := loop.Watch(watch.Target{ID: s.cfg.ID, Cgroup: p, Pid: pid, KnownOOM: &base}); err != nil {
		s.logf("warn", "oom watch: %v", err)
	}
	go func() {
		defer close(w.done)
		for batch := range events {
			w.mu.Lock()
			for i := range batch {
				if batch[i].OOMCount > w.last {
					w.last, w.lastTime = batch[i].OOMCount, time.Now()
				}
			}
			w.mu.Unlock()
			if err := watch.Append(s.root(), batch...); err != nil {
				s.logf("warn", "journal: %v", err)
			}
		}
	}()
}

// finishOOM stops the watch and journals any kill it had not reported yet,
// reading the counter one last time, so every kill is journaled before the
// exit it may have caused. It reports whether the counter rose within the
// last second, which with a SIGKILL means the OOM killer ended the process.
func (s *shim) finishOOM(pid int) (recent bool, count uint64) {
	w := s.oom
	if w == nil {
		return false, 0
	}
	w.cancel()
	<-w.done
	now, err := cgroupfs.OOMKillCount(s.cgroups)
	if err != nil {
		now = w.last
	}
	var missed []watch.Event
	for v := w.last + 1; v <= now; v++ {
		missed = append(missed, watch.Event{Time: time.Now().UTC(), Kind: watch.KindOOM, ID: s.cfg.ID, Pid: pid, OOMCount: v})
	}
	if len(missed) > 0 {
		watch.Append(s.root(), missed...)
		return true, now
	}
	return !w.lastTime.IsZero() && time.Since(w.lastTime) < time.Second, now
}

// root is the state root: the process dir is <root>/<id>/<proc>.
func (s *shim) root() string { return filepath.Dir(filepath.Dir(s.dir)) }

// reap waits for the container process, reaping every other child that is
// handed to this subreaper on the way, and returns its wait status.
func (s *shim) reap(pid int) unix.WaitStatus {
	for {
		var ws unix.WaitStatus
		wpid, err := unix.Wait4(-1, &ws, 0, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			// ECHILD: the process is not ours (it was reparented elsewhere
			// before we became its subreaper): nothing left to wait for.
			s.logf("error", "wait for %d: %v", pid, err)
			return unix.WaitStatus(StatusUnknown << 8)
		}
		if wpid == pid {
			return ws
		}
	}
}

// exitRecord turns a wait status into the exit record, journaling first any
// OOM kill not yet journaled, so a kill that caused this exit comes before it.
func (s *shim) exitRecord(ws unix.WaitStatus, pid int) Exit {
	e := Exit{ExitedAt: time.Now().UTC()}
	switch {
	case ws.Exited():
		e.Status = ws.ExitStatus()
	case ws.Signaled():
		e.Signal = int(ws.Signal())
		e.Status = 128 + e.Signal
	default:
		e.Status = StatusUnknown
	}
	recent, count := s.finishOOM(pid)
	e.OOMKills = count
	if b, err := statefile.Read(s.path(FileCheckpointing)); err == nil {
		e.Detail = "checkpointed to " + strings.TrimSpace(string(b))
		os.Remove(s.path(FileCheckpointing))
	} else {
		e.OOMKilled = recent && e.Signal == int(unix.SIGKILL)
	}
	return e
}

// journalExit records the exit in the state root's event journal.
func (s *shim) journalExit(pid int, e Exit) {
	kind, proc := watch.KindExit, filepath.Base(s.dir)
	if s.cfg.Mode == ModeExec {
		kind = watch.KindExecExit
	}
	st := e.Status
	ev := watch.Event{Time: e.ExitedAt, Kind: kind, ID: s.cfg.ID, Pid: pid, Proc: proc,
		ExitStatus: &st, OOMKilled: e.OOMKilled, Detail: e.Detail}
	if err := watch.Append(s.root(), ev); err != nil {
		s.logf("warn", "journal: %v", err)
	}
}

// waitDrained waits up to d for both output pipes to reach EOF.
func (s *shim) waitDrained(d time.Duration) {
	if s.drained == nil {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	for s.drained != nil {
		select {
		case <-s.drained:
			s.drainedN++
			if s.drainedN == 2 {
				s.drained = nil
			}
		case <-t.C:
			return
		}
	}
}

// cleanupRuntime removes the container from the runtime, killing whatever is
// left in its cgroup.
func (s *shim) cleanupRuntime() {
	cmd := s.runtimeCmd("delete", "--force", s.cfg.ID)
	if out, err := cmd.CombinedOutput(); err != nil {
		msg := strings.TrimSpace(string(out))
		if !strings.Contains(msg, "does not exist") {
			s.logf("warn", "runtime delete: %v: %s", err, msg)
		}
	}
}

// RuntimeError returns the last error message the runtime logged in its
// JSON log, which says why it failed far better than its exit status.
func RuntimeError(path string) string {
	f, err := statefile.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	var last string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var m struct {
			Level string `json:"level"`
			Msg   string `json:"msg"`
		}
		if json.Unmarshal(sc.Bytes(), &m) == nil && (m.Level == "error" || m.Level == "fatal") && m.Msg != "" {
			last = m.Msg
		}
	}
	return last
}
