// Package shim is the small process berth leaves behind for every container
// process. It runs the OCI runtime, becomes the parent of the container's
// process (child subreaper), drains its output into a rotated log file,
// reaps it and records how it exited, so containers outlive the berth that
// started them and nobody has to read a pipe for them to make progress.
//
// What it shares with core and watch (the files of a process directory,
// its configuration, readiness and exit records) is in shim/proto.
package shim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"berth/host/cgroupfs"
	"berth/host/procfs"
	"berth/host/statefile"
	"berth/shim/proto"
	"berth/watch"

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
	// One P: a shim mostly sleeps in wait4 and epoll, and every extra P
	// costs per-P caches and a thread.
	runtime.GOMAXPROCS(1)
	if len(args) != 1 {
		fmt.Fprintln(os.Stderr, "usage: berth shim PROCESS-DIR")
		return 2
	}
	cfg, sent, ok := waitGo()
	if !ok {
		return 0
	}
	s := &shim{dir: args[0], cfg: cfg, sent: sent}
	// The process dir is the shim's (and the runtime's) working dir; one
	// that is missing fails the start (its files cannot be made), which is
	// reported.
	os.Chdir(s.dir)
	defer s.logf("info", "shim exiting")
	if err := s.run(); err != nil {
		s.logf("error", "%v", err)
		return 1
	}
	return 0
}

// collectOnGrowth stops the garbage collector running but when the shim's
// memory grows by more than a MiB over what it holds now. An idle shim
// allocates nothing, yet the runtime collects every two minutes anyway,
// and each of those cycles leaves runtime memory resident that an idle
// shim never needed again (measured: about 300 KiB). A shim draining a
// chatty container collects as before: at GC percent 25 its heap goal was
// already the runtime's minimum, about a MiB.
func collectOnGrowth() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	debug.SetMemoryLimit(int64(ms.Sys-ms.HeapReleased) + 1<<20)
	debug.SetGCPercent(-1)
}

// waitGo waits for core's go on proto.GoFd, the configuration, and
// returns it decoded and as sent, or reports that no whole one came.
// Neither that pipe nor the readiness pipe is left open across the exec of
// the runtime: only the shim reports, and the runtime holding the readiness
// pipe would hide the shim's death from core until the runtime exits.
func waitGo() (proto.Config, []byte, bool) {
	syscall.CloseOnExec(proto.ReadyFd)
	// Non-blocking, the read waits in the netpoller rather than hold a
	// thread while core writes the state (see wait.go).
	syscall.SetNonblock(proto.GoFd, true)
	f := os.NewFile(proto.GoFd, "go")
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, proto.MaxConfig+1))
	var cfg proto.Config
	if err != nil || len(b) > proto.MaxConfig || json.Unmarshal(b, &cfg) != nil {
		return proto.Config{}, nil, false
	}
	return cfg, b, true
}

type shim struct {
	dir string
	cfg proto.Config
	// sent is cfg as core sent it, until kept as FileConfig.
	sent []byte
	log  *os.File
	// logOpened: the log was opened, or failed to (see logf).
	logOpened bool
	// pidFile is the process's pid file, prepared while the runtime
	// starts it.
	pidFile *statefile.Pending
	ready   *os.File
	output  *LogWriter
	drained chan struct{}
	// drainedN counts the output pipes that reached EOF.
	drainedN int
	cgroups  cgroupfs.Paths
	oom      *oomWatch
}

func (s *shim) path(name string) string { return filepath.Join(s.dir, name) }

// openLog opens shim.log, once.
func (s *shim) openLog() {
	if s.logOpened {
		return
	}
	s.logOpened = true
	f, err := os.OpenFile(s.path(proto.FileShimLog), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err == nil {
		s.log = f
	}
}

// logf appends one JSON line to shim.log; the shim's stdio is /dev/null.
// The log is created by its first line, which a start that succeeds
// writes after its readiness report: a file created (on a state dir that
// is not tmpfs, a tenth of a millisecond or more) off the start's path.
func (s *shim) logf(level, format string, a ...any) {
	s.openLog()
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

// report sends the one readiness message, a line, and closes the pipe.
func (s *shim) report(r proto.Ready) {
	if f := s.sendReady(r); f != nil {
		f.Close()
	}
}

// sendReady writes the readiness report, once: it returns the pipe for
// the caller to close, or nil when the report was sent already or its
// write failed (the pipe is closed then).
func (s *shim) sendReady(r proto.Ready) *os.File {
	f := s.ready
	if f == nil {
		return nil
	}
	s.ready = nil
	b, _ := json.Marshal(r)
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return nil
	}
	return f
}

// handOffWait bounds how long a started shim waits for its launcher to
// take the readiness report.
const handOffWait = 100 * time.Millisecond

// reportStarted sends the readiness report of a started process and
// returns once the launcher has it: when the launcher closes its end of
// the pipe (at once, or as it exits: core's HandOffAtExit), or after
// handOffWait. What the shim does next (arming the OOM watch, collecting
// the start's garbage, dropping its pages: about a millisecond of CPU)
// would otherwise take the core the launcher needs: on a 2-core host, with
// the container's init exec'ing on the other, a launcher woken by the
// report waited that millisecond to run. The shim waits, and does that
// work, under SCHED_BATCH (batchThreads), so the close that wakes it does
// not preempt the launcher either; the returned func ends that.
func (s *shim) reportStarted(r proto.Ready) (unbatch func()) {
	unbatch = func() {}
	f := s.sendReady(r)
	if f == nil {
		return
	}
	defer f.Close()
	unbatch = batchThreads()
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	// A pipe's write end polls as an error once its reader is gone; the
	// netpoller wakes a reader of it for that.
	f.SetReadDeadline(time.Now().Add(handOffWait))
	rc.Read(func(fd uintptr) bool {
		p := []unix.PollFd{{Fd: int32(fd)}}
		n, err := unix.Poll(p, 0)
		return err != nil || n > 0 && p[0].Revents&(unix.POLLERR|unix.POLLHUP|unix.POLLNVAL) != 0
	})
	return unbatch
}

func (s *shim) run() error {
	// Non-blocking, so reportStarted waits for the launcher in the
	// netpoller rather than in a system call holding a thread.
	syscall.SetNonblock(proto.ReadyFd, true)
	s.ready = os.NewFile(proto.ReadyFd, "ready")
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		s.report(proto.Ready{Error: "shim: set child subreaper: " + err.Error()})
		return err
	}
	// No signal is ignored here: ignored dispositions survive exec, and the
	// container would inherit them. The shim has no terminal (setsid), so
	// no hang-up or interrupt comes to it by accident.

	defer func() {
		if s.output != nil {
			s.output.Close()
		}
	}()
	init, err := s.start()
	if err != nil {
		if s.pidFile != nil {
			s.pidFile.Discard()
		}
		s.report(proto.Ready{Error: err.Error()})
		return err
	}
	if err := s.pidFile.Commit([]byte(init.String())); err != nil {
		s.report(proto.Ready{Error: "shim: " + err.Error()})
		s.abortStart()
		return err
	}
	// The start is journaled here, before anything can journal the exit.
	if s.cfg.Mode != proto.ModeExec {
		kind := watch.KindStart
		if s.cfg.Mode == proto.ModeRestore {
			kind = watch.KindRestore
		}
		s.journal(watch.Event{Time: time.Now().UTC(), Kind: kind, ID: s.cfg.ID, Pid: init.Pid})
	}
	unbatch := s.reportStarted(proto.Ready{Pid: init.Pid, Start: init.Start})
	s.armOOM(init.Pid)
	s.logf("info", "%s %s: pid %d", s.cfg.Mode, s.cfg.ID, init.Pid)
	// What starting needed is garbage now, and most of the code it ran is
	// not run again: hand both back before idling for the container's
	// whole life.
	debug.FreeOSMemory()
	collectOnGrowth()
	dropStartPages()
	unbatch()

	ws := s.reap(init.Pid)
	exit := s.exitRecord(ws, init.Pid)
	s.waitDrained(drainGrace)
	// The journal has the exit before the exit file exists, so whoever
	// sees the file can count on the journal's history being complete.
	s.journalExit(init.Pid, exit)
	// Atomic, not fsynced: the state dir lives in /run (tmpfs), which a
	// power loss empties anyway; what matters is never a torn record.
	if err := statefile.WriteJSON(s.path(proto.FileExit), exit, 0o600); err != nil {
		s.logf("error", "write exit: %v", err)
	}
	s.logf("info", "process %d exited: status %d oomKilled %v", init.Pid, exit.Status, exit.OOMKilled)
	if s.cfg.Mode != proto.ModeExec {
		s.deleteStopped()
	}
	s.waitDrained(drainGrace)
	return nil
}

// deleteStopped removes the runtime's state of a container whose init has
// exited. For runc it does in this process what `runc delete` does for a
// stopped container (destroyStopped), which saves a runtime exec on every
// exit (and so on every rm -f), and runs the delete itself for whatever
// that cannot do exactly. Other runtimes get a plain delete; the forced
// delete, which sleeps 100 ms after a SIGKILL not needed here, is only the
// fallback.
func (s *shim) deleteStopped() {
	proto.DetachRestoreMounts(s.cfg.RuntimeRoot, s.cfg.ID)
	if s.plainRunc() {
		err := destroyStopped(s.cfg.RuntimeRoot, s.cfg.ID)
		if err == nil {
			return
		}
		level := "warn"
		if errors.Is(err, errNotExact) {
			level = "info"
		}
		s.logf(level, "destroy in process: %v; running the runtime's delete", err)
	}
	if err := s.runBounded("delete", s.cfg.ID); err != nil {
		s.cleanupRuntime()
	}
}

// runtimeArgv is a runtime invocation with berth's global flags.
func (s *shim) runtimeArgv(args ...string) []string {
	full := []string{s.cfg.Runtime, "--root", s.cfg.RuntimeRoot, "--log", s.path(proto.FileRuntimeLog), "--log-format", "json"}
	full = append(full, s.cfg.RuntimeArgs...)
	return append(full, args...)
}

// runtimeCmd is runtimeArgv as a command, run in the process dir.
func (s *shim) runtimeCmd(ctx context.Context, args ...string) *exec.Cmd {
	argv := s.runtimeArgv(args...)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = s.dir
	cmd.Env = runtimeEnv(os.Environ(), s.cfg.Path)
	return cmd
}

// runtimeEnv is the runtime's environment: the shim's, less the
// proto.ShimEnv its launcher added for the shim alone, with berth's PATH
// when one was given.
func runtimeEnv(env []string, path string) []string {
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if kv != proto.ShimEnv {
			out = append(out, kv)
		}
	}
	if path != "" {
		out = append(out, "PATH="+path)
	}
	return out
}

// start runs the runtime's start command with the container's stdio as
// pipes the shim drains, and returns the container process once the runtime
// returned successfully.
func (s *shim) start() (procfs.Ident, error) {
	// runc's own init is read from the state it saves anyway: runc writes
	// a pid file with O_SYNC, a flush to disk on every start wherever the
	// state dir is not on tmpfs (measured: 3-5% of a start). An exec's
	// process, or another runtime's init, comes from the pid file.
	runtimePid := s.path(".pid.runtime")
	pidFile := []string{"--pid-file", runtimePid}
	if s.plainRunc() && s.cfg.Mode != proto.ModeExec {
		pidFile = nil
	}
	var args []string
	switch s.cfg.Mode {
	case proto.ModeRun:
		args = append(append([]string{"run", "--detach"}, pidFile...), "--bundle", s.cfg.Bundle, s.cfg.ID)
	case proto.ModeExec:
		args = append(append([]string{"exec", "--detach"}, pidFile...), "--process", s.path(proto.FileProcess), s.cfg.ID)
	case proto.ModeRestore:
		r := s.cfg.Restore
		if r == nil {
			return procfs.Ident{}, errors.New("shim: restore without options")
		}
		args = append(append([]string{"restore", "--detach"}, pidFile...), "--bundle", s.cfg.Bundle,
			"--image-path", r.ImagePath, "--work-path", r.WorkPath)
		args = append(append(args, r.Args...), s.cfg.ID)
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
	// Forked with syscall.ForkExec rather than os/exec, whose first start
	// in a process forks a throwaway child to probe pidfd support: this is
	// on every container start's path. The runtime and any hook it runs
	// share a process group of their own, so a start that hangs can be
	// killed whole.
	argv := s.runtimeArgv(args...)
	bin, err := exec.LookPath(argv[0])
	if err != nil {
		outR.Close()
		outW.Close()
		errR.Close()
		errW.Close()
		return procfs.Ident{}, fmt.Errorf("start runtime: %w", err)
	}
	pidfd := -1
	pid, err := syscall.ForkExec(bin, argv, &syscall.ProcAttr{
		Dir: s.dir, Env: runtimeEnv(os.Environ(), s.cfg.Path),
		Files: []uintptr{devnull.Fd(), outW.Fd(), errW.Fd()},
		Sys:   &syscall.SysProcAttr{Setpgid: true, PidFD: &pidfd},
	})
	outW.Close()
	errW.Close()
	if err != nil {
		outR.Close()
		errR.Close()
		return procfs.Ident{}, fmt.Errorf("start runtime: %w", err)
	}
	// The output log, the shim's pid file and its configuration are
	// created while the runtime works: they are needed from the readiness
	// report on, not before the runtime starts (a file created costs a
	// tenth of a millisecond or more where the state dir is not tmpfs),
	// and the pipes hold what comes first.
	abort := func(err error) (procfs.Ident, error) {
		unix.Kill(-pid, unix.SIGKILL)
		reapRuntime(pid)
		if pidfd >= 0 {
			unix.Close(pidfd)
		}
		s.abortStart()
		return procfs.Ident{}, fmt.Errorf("shim: %w", err)
	}
	out, err := OpenLog(s.path(proto.FileOutput), s.cfg.LogMaxBytes)
	if err != nil {
		outR.Close()
		errR.Close()
		return abort(err)
	}
	s.output = out
	s.drained = make(chan struct{}, 2)
	go func() { s.output.Drain("stdout", outR); outR.Close(); s.drained <- struct{}{} }()
	go func() { s.output.Drain("stderr", errR); errR.Close(); s.drained <- struct{}{} }()
	if err := s.writeShimPid(); err != nil {
		return abort(err)
	}
	// Kept for whoever must remove the container when its record is
	// unreadable (core's removalRecord).
	if err := statefile.Write(s.path(proto.FileConfig), s.sent, 0o600); err != nil {
		return abort(err)
	}
	s.sent = nil
	// The process's pid file is written the moment the runtime returns,
	// just before the readiness report: created now, it is then a write
	// and a rename.
	if s.pidFile, err = statefile.Prepare(s.path(proto.FilePid), 0o600); err != nil {
		return abort(err)
	}
	timeout := s.cfg.StartTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	timedOut, werr := waitRuntime(pid, pidfd, timeout)
	if timedOut {
		s.abortStart()
		return procfs.Ident{}, fmt.Errorf("start timed out after %v: runtime and its hooks killed", timeout)
	}
	if werr != nil {
		msg := proto.RuntimeError(s.path(proto.FileRuntimeLog))
		if msg == "" {
			msg = werr.Error()
		}
		s.abortStart()
		return procfs.Ident{}, errors.New(msg)
	}
	if pidFile == nil {
		id, err := runcInit(s.cfg.RuntimeRoot, s.cfg.ID)
		if err != nil {
			s.abortStart()
			return procfs.Ident{}, err
		}
		return id, nil
	}
	b, err := statefile.Read(runtimePid)
	os.Remove(runtimePid)
	if err != nil {
		s.abortStart()
		return procfs.Ident{}, fmt.Errorf("runtime pid file: %w", err)
	}
	id, err := procfs.ParseIdent(b)
	if err != nil {
		s.abortStart()
		return procfs.Ident{}, fmt.Errorf("runtime pid file: %w", err)
	}
	// A process that already exited is our zombie: its start time still
	// reads, and the reap loop collects it.
	id.Start, _ = procfs.StartTime(id.Pid)
	return id, nil
}

// writeShimPid records the shim's identity (pid and start time), by which
// core finds, waits for and kills it.
func (s *shim) writeShimPid() error {
	self := procfs.Ident{Pid: os.Getpid()}
	self.Start, _ = procfs.StartTime(self.Pid)
	return statefile.Write(s.path(proto.FileShimPid), []byte(self.String()), 0o600)
}

// plainRunc reports whether the runtime is runc itself, run with berth's
// flags alone: the shim then knows its state files exactly.
func (s *shim) plainRunc() bool {
	return filepath.Base(s.cfg.Runtime) == "runc" && len(s.cfg.RuntimeArgs) == 0
}

// abortStart undoes a start that failed. An exec's failure leaves the
// container alone: only a container this shim was starting is removed.
// A runtime that timed out or was killed may not have recorded the
// container, so its delete does not know the cgroups it made: the cgroup
// berth generated for this container (never one the user named) is
// removed here, after any failure, as the berth that asked may be gone.
func (s *shim) abortStart() {
	if s.cfg.Mode == proto.ModeExec {
		return
	}
	s.cleanupRuntime()
	cgroupfs.RemoveCgroup(s.cfg.OwnCgroup)
}

// journal appends events to the state root's journal; a failure is logged,
// never fatal: the exit record is the truth, the journal is history.
func (s *shim) journal(evs ...watch.Event) {
	if len(evs) == 0 {
		return
	}
	if err := watch.Append(s.root(), evs...); err != nil {
		s.logf("warn", "journal: %v", err)
	}
}

// root is the state root: the process dir is <root>/<id>/<proc>.
func (s *shim) root() string { return filepath.Dir(filepath.Dir(s.dir)) }

// reap waits for the container process, reaping the other children handed
// to this subreaper, and returns its wait status.
func (s *shim) reap(pid int) unix.WaitStatus {
	r := &reaper{pid: pid}
	ws, err := r.wait()
	if err != nil {
		// ECHILD: the process is not ours (it was reparented elsewhere
		// before we became its subreaper): nothing left to wait for.
		s.logf("error", "wait for %d: %v", pid, err)
		return unix.WaitStatus(proto.StatusUnknown << 8)
	}
	return ws
}

// exitRecord turns a wait status into the exit record, journaling first any
// OOM kill not yet journaled, so a kill that caused this exit comes before it.
func (s *shim) exitRecord(ws unix.WaitStatus, pid int) proto.Exit {
	e := proto.Exit{ExitedAt: time.Now().UTC()}
	switch {
	case ws.Exited():
		e.Status = ws.ExitStatus()
	case ws.Signaled():
		e.Signal = int(ws.Signal())
		e.Status = 128 + e.Signal
	default:
		e.Status = proto.StatusUnknown
	}
	initKilled, count := s.finishOOM(pid)
	e.OOMKills = count
	if e.Detail = s.commitCheckpoint(pid); e.Detail == "" {
		e.OOMKilled = initKilled && e.Signal == int(unix.SIGKILL)
	}
	return e
}

// dumpWait bounds how long the shim waits, after a dump ended its
// container, for the runtime to finish (CRIU logs its success after
// killing the dumped tasks).
const dumpWait = time.Minute

// commitCheckpoint settles the stopping dump the checkpointing marker
// names: the dump ended the container, and the berth that asked for it may
// be gone, so the shim, which outlives the dump, commits the checkpoint.
// It returns the exit's detail, "" when the exit was not a dump's (a stale
// marker, a failed dump).
func (s *shim) commitCheckpoint(pid int) string {
	marker := s.path(proto.FileCheckpointing)
	var ck proto.Checkpointing
	if err := statefile.ReadJSON(marker, &ck); err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			s.logf("warn", "checkpointing marker: %v", err)
			os.Remove(marker)
		}
		return ""
	}
	defer os.Remove(marker)
	committed, err := proto.Commit(ck.Staging, ck.Final, dumpWait)
	switch {
	case errors.Is(err, proto.ErrDumpIncomplete):
		return ""
	case err != nil:
		s.logf("error", "checkpoint %s: %v", ck.Name, err)
		return fmt.Sprintf("checkpoint %s not committed: %v", ck.Name, err)
	}
	if committed {
		s.journal(watch.Event{Time: time.Now().UTC(), Kind: watch.KindCheckpoint, ID: s.cfg.ID, Pid: pid, Detail: ck.Name})
	}
	return "checkpointed to " + ck.Name
}

// journalExit records the exit in the state root's event journal.
func (s *shim) journalExit(pid int, e proto.Exit) {
	kind, proc := watch.KindExit, filepath.Base(s.dir)
	if s.cfg.Mode == proto.ModeExec {
		kind = watch.KindExecExit
	}
	st := e.Status
	s.journal(watch.Event{Time: e.ExitedAt, Kind: kind, ID: s.cfg.ID, Pid: pid, Proc: proc,
		ExitStatus: &st, OOMKilled: e.OOMKilled, Detail: e.Detail})
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
	proto.DetachRestoreMounts(s.cfg.RuntimeRoot, s.cfg.ID)
	if err := s.runBounded("delete", "--force", s.cfg.ID); err != nil && !strings.Contains(err.Error(), "does not exist") {
		s.logf("warn", "runtime delete: %v", err)
	}
}

// runtimeTimeout bounds the shim's own runtime commands (its deletes): a
// runtime that hangs must not keep the shim from exiting.
const runtimeTimeout = 30 * time.Second

// runBounded runs a runtime command in a process group of its own, killed
// whole after runtimeTimeout, and returns the runtime's logged error.
func (s *shim) runBounded(args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), runtimeTimeout)
	defer cancel()
	cmd := s.runtimeCmd(ctx, args...)
	proto.InOwnGroup(cmd)
	err := cmd.Run()
	if err == nil {
		return nil
	}
	if msg := proto.RuntimeError(s.path(proto.FileRuntimeLog)); msg != "" {
		return fmt.Errorf("%s: %w", msg, err)
	}
	return err
}
