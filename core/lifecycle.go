package core

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"berth/host/procfs"
	"berth/host/statefile"
	"berth/shim/proto"
	"berth/watch"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// RunOptions describe a container to start.
type RunOptions struct {
	// Bundle is the user's OCI bundle directory; berth never writes to it.
	Bundle string
	Labels map[string]string
}

// Run starts a container from a bundle through a new shim and returns once
// its init runs, or with the runtime's own error. On any failure nothing is
// left behind: no state dir, no runtime state, no cgroup, no process.
func (m *Manager) Run(ctx context.Context, id string, o RunOptions) (Container, error) {
	if err := ValidateID(id); err != nil {
		return Container{}, err
	}
	runtime, err := m.runtimePath()
	if err != nil {
		return Container{}, fmt.Errorf("%s: %w", id, err)
	}
	bundle, err := filepath.Abs(o.Bundle)
	if err != nil {
		return Container{}, fmt.Errorf("%s: bundle: %w", id, err)
	}
	spec, err := LoadSpec(bundle)
	if err != nil {
		return Container{}, fmt.Errorf("%s: %w", id, err)
	}
	if _, err := os.Lstat(filepath.Join(m.opts.RuntimeRoot, id)); err == nil {
		return Container{}, idError(id, ErrExists, "the runtime already has a container with this id")
	}
	rec := Record{ID: id, Bundle: bundle, Runtime: runtime, RuntimeRoot: m.opts.RuntimeRoot,
		Created: time.Now().UTC(), Labels: o.Labels}
	rs := runtimeSpec(bundle, spec, m.opts.CgroupParent, id)
	if err := m.createState(&rec, rs); err != nil {
		return Container{}, err
	}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(m.containerDir(id))
		}
	}()
	cfg := proto.Config{Mode: proto.ModeRun, Bundle: rec.RuntimeBundle}
	if spec.Linux.CgroupsPath == "" {
		cfg.OwnCgroup = rs.Linux.CgroupsPath
	}
	// create is journaled before the shim starts and journals start, so
	// history never shows an exit before its start.
	m.journal(watch.Event{Kind: watch.KindCreate, ID: id, Detail: bundle})
	ready, err := m.launch(ctx, rec, proto.ProcInit, cfg)
	if err != nil {
		m.journal(watch.Event{Kind: watch.KindDelete, ID: id, Detail: "start failed"})
		return Container{}, err
	}
	ok = true
	if c, err := m.Get(ctx, id); err == nil {
		return c, nil
	}
	return Container{
		ID: id, Status: StatusRunning, Pid: ready.Pid, InitStart: ready.Start, Bundle: bundle,
		Runtime: runtime, RuntimeRoot: rec.RuntimeRoot, Managed: true, Created: rec.Created,
		Labels: o.Labels,
	}, nil
}

// createState makes a new container's state dir: the runtime bundle berth
// hands the runtime (rs) and the record, filling in rec.RuntimeBundle. The
// directory's creation is what claims the id; on failure nothing is left.
func (m *Manager) createState(rec *Record, rs *specs.Spec) error {
	dir := m.containerDir(rec.ID)
	if err := os.Mkdir(dir, 0o700); err != nil {
		if errors.Is(err, os.ErrExist) {
			return idError(rec.ID, ErrExists, "a container with this id already exists")
		}
		return fmt.Errorf("%s: %w", rec.ID, err)
	}
	rec.RuntimeBundle = filepath.Join(dir, "bundle")
	err := os.Mkdir(rec.RuntimeBundle, 0o700)
	if err == nil {
		err = statefile.WriteJSON(filepath.Join(rec.RuntimeBundle, "config.json"), rs, 0o600)
	}
	if err == nil {
		err = statefile.WriteJSON(filepath.Join(dir, recordFile), rec, 0o600)
	}
	if err != nil {
		os.RemoveAll(dir)
		return fmt.Errorf("%s: %w", rec.ID, err)
	}
	return nil
}

// launch starts a shim for one process of a managed container and waits for
// its readiness report. If the shim reports nothing in time it is killed
// with its runtime, and the runtime's state for the container removed.
func (m *Manager) launch(ctx context.Context, rec Record, proc string, cfg proto.Config) (proto.Ready, error) {
	dir := m.procDir(rec.ID, proc)
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return proto.Ready{}, fmt.Errorf("%s: %w", rec.ID, err)
	}
	cfg.ID = rec.ID
	cfg.Runtime = rec.Runtime
	cfg.RuntimeRoot = rec.RuntimeRoot
	cfg.RuntimeArgs = rec.RuntimeArgs
	cfg.StartTimeout = m.opts.StartTimeout
	cfg.LogMaxBytes = m.opts.LogMaxBytes
	cfg.Path = os.Getenv("PATH")
	if err := statefile.WriteJSON(filepath.Join(dir, proto.FileConfig), cfg, 0o600); err != nil {
		return proto.Ready{}, fmt.Errorf("%s: %w", rec.ID, err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		return proto.Ready{}, err
	}
	defer r.Close()
	cmd := exec.Command(m.opts.ShimBinary, "shim", dir)
	cmd.Dir = dir
	cmd.ExtraFiles = []*os.File{w} // becomes proto.ReadyFd
	// A session of its own: the shim must not die with the terminal or
	// process group of whoever started it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	err = cmd.Start()
	w.Close()
	if err != nil {
		return proto.Ready{}, fmt.Errorf("%s: start shim: %w", rec.ID, err)
	}
	// Reap the shim if it exits while this process still lives (the UI);
	// a CLI exits first and the shim is re-parented.
	go cmd.Wait()

	// The shim enforces the start timeout itself; this deadline only
	// catches a shim that is itself stuck.
	r.SetReadDeadline(time.Now().Add(m.opts.StartTimeout + 10*time.Second))
	b, rerr := io.ReadAll(io.LimitReader(r, 64<<10))
	var ready proto.Ready
	if len(b) > 0 {
		if err := json.Unmarshal(b, &ready); err != nil {
			ready.Error = "shim: malformed readiness report"
		}
	} else if rerr != nil {
		ready.Error = fmt.Sprintf("shim did not report within %v", m.opts.StartTimeout+10*time.Second)
	} else {
		ready.Error = "shim exited without reporting: " + lastShimError(filepath.Join(dir, proto.FileShimLog))
	}
	if ready.Error == "" && ready.Pid > 0 {
		return ready, nil
	}
	// Failure: make sure neither the shim nor the runtime lingers. The
	// shim leads a session of its own, which holds the runtime and its
	// hooks too (in their own process group).
	killSession(cmd.Process)
	if proc == proto.ProcInit {
		runRuntime(context.Background(), rec.Runtime, rec.RuntimeRoot, rec.RuntimeArgs, "delete", "--force", rec.ID)
	}
	return proto.Ready{}, idError(rec.ID, ErrRuntime, "%s", ready.Error)
}

// killSession kills a shim that leads its own session and every process
// left in that session. The session id cannot name another session while
// any member lives, so a pid reused since is never hit; the shim itself is
// signalled through its pidfd-backed os.Process.
func killSession(p *os.Process) {
	if p == nil {
		return
	}
	p.Signal(unix.SIGKILL)
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == p.Pid {
			continue
		}
		if st, err := procfs.ReadStat(pid); err == nil && st.Session == p.Pid {
			unix.Kill(pid, unix.SIGKILL)
		}
	}
}

// lastShimError returns the last error a shim logged.
func lastShimError(path string) string {
	b, err := statefile.Read(path)
	if err != nil {
		return "no shim log"
	}
	if msg, _ := proto.LastLogError(b); msg != "" {
		return msg
	}
	return "no error logged"
}

// target is a container an operation applies to, with the runtime that
// drives it.
type target struct {
	Container
	runtime string
	globals []string
}

func (m *Manager) target(ctx context.Context, id string) (target, error) {
	c, err := m.Get(ctx, id)
	if err != nil {
		return target{}, err
	}
	t := target{Container: c}
	if c.Managed {
		rec, err := m.readRecord(id)
		if err != nil {
			return t, fmt.Errorf("%s: %w", id, err)
		}
		t.runtime, t.globals = rec.Runtime, rec.RuntimeArgs
	} else {
		if t.runtime, err = m.runtimePath(); err != nil {
			return t, fmt.Errorf("%s: %w", id, err)
		}
	}
	return t, nil
}

func (t target) run(ctx context.Context, args ...string) error {
	if err := runRuntime(ctx, t.runtime, t.RuntimeRoot, t.globals, args...); err != nil {
		return fmt.Errorf("%s: %w", t.ID, err)
	}
	return nil
}

// requireRunning fails with a clear error unless the container's init is
// alive; paused counts as alive when allowPaused is set.
func (t target) requireRunning(op string, allowPaused bool) error {
	switch {
	case t.Status == StatusPaused && !allowPaused:
		return idError(t.ID, ErrPaused, "cannot %s a paused container: resume it first", op)
	case t.Running():
		return nil
	case t.Status == StatusUnknown:
		return idError(t.ID, ErrNotRunning, "cannot %s: state unknown (%s)", op, t.Reason)
	default:
		return idError(t.ID, ErrNotRunning, "cannot %s: container is %s", op, t.Status)
	}
}

// Pause freezes every process of a running container.
func (m *Manager) Pause(ctx context.Context, id string) error {
	t, err := m.target(ctx, id)
	if err != nil {
		return err
	}
	if t.Status == StatusPaused {
		return idError(id, ErrPaused, "already paused")
	}
	if err := t.requireRunning("pause", false); err != nil {
		return err
	}
	if err := t.run(ctx, "pause", id); err != nil {
		return err
	}
	m.journal(watch.Event{Kind: watch.KindPause, ID: id, Pid: t.Pid})
	return nil
}

// Resume thaws a paused container.
func (m *Manager) Resume(ctx context.Context, id string) error {
	t, err := m.target(ctx, id)
	if err != nil {
		return err
	}
	if t.Status == StatusRunning {
		return idError(id, ErrNotPaused, "not paused")
	}
	if err := t.requireRunning("resume", true); err != nil {
		return err
	}
	if err := t.run(ctx, "resume", id); err != nil {
		return err
	}
	m.journal(watch.Event{Kind: watch.KindResume, ID: id, Pid: t.Pid})
	return nil
}

// ParseSignal accepts a signal as a number, a name, or a SIG-prefixed name
// (9, KILL, SIGKILL, sigterm).
func ParseSignal(s string) (unix.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n <= 0 || n > 64 {
			return 0, fmt.Errorf("signal %d out of range: %w", n, ErrInvalid)
		}
		return unix.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, nil
	}
	return 0, fmt.Errorf("unknown signal %q: %w", s, ErrInvalid)
}

// Kill sends sig to a container's init.
func (m *Manager) Kill(ctx context.Context, id string, sig unix.Signal) error {
	t, err := m.target(ctx, id)
	if err != nil {
		return err
	}
	if err := t.requireRunning("kill", true); err != nil {
		return err
	}
	// A frozen process cannot act on a signal until thawed: SIGKILL is
	// sent and the container thawed so it dies now; any other signal
	// would only wait, so it is refused.
	if t.Status == StatusPaused && sig != unix.SIGKILL {
		return idError(id, ErrPaused, "cannot send %s: the container is paused (resume it first; SIGKILL works paused)", unix.SignalName(sig))
	}
	if err := t.signalInit(ctx, sig); err != nil {
		return err
	}
	if t.Status == StatusPaused && !t.CgroupPaths.V2() {
		// cgroup v1's freezer holds even SIGKILL: thaw. The container
		// may be gone or resumed by then, so an error here is no
		// failure of the kill (v2 lets a frozen task die).
		t.run(ctx, "resume", id)
	}
	return nil
}

// signalInit signals a container's init through a pidfd, or through the
// runtime when its start time is unknown.
func (t target) signalInit(ctx context.Context, sig unix.Signal) error {
	if t.InitStart != 0 {
		err := signalProcess(procfs.Ident{Pid: t.Pid, Start: t.InitStart}, sig)
		if err == nil {
			return nil
		}
		if errors.Is(err, procfs.ErrGone) {
			return idError(t.ID, ErrNotRunning, "cannot kill: its init has exited")
		}
	}
	return t.run(ctx, "kill", t.ID, strconv.Itoa(int(sig)))
}

// signalProcess signals a recorded process through a pidfd, after checking
// that the pid still names the process recorded (its start time): a pid
// reused by another process is never signalled. It is also cheaper than
// running the runtime's kill, which matters for rm -f.
func signalProcess(id procfs.Ident, sig unix.Signal) error {
	fd, err := unix.PidfdOpen(id.Pid, 0)
	if err != nil {
		if errors.Is(err, unix.ESRCH) {
			return procfs.ErrGone
		}
		return err
	}
	defer unix.Close(fd)
	if !id.Alive() {
		return procfs.ErrGone
	}
	if err := unix.PidfdSendSignal(fd, sig, nil, 0); err != nil {
		if errors.Is(err, unix.ESRCH) {
			return procfs.ErrGone
		}
		return err
	}
	return nil
}

// Delete removes a stopped container and all berth state for it. With
// force a running or paused one is killed first. Rather than the runtime's
// own forced delete (which sleeps 100 ms after its SIGKILL), it kills init
// and waits for the shim to record the exit and clean up.
func (m *Manager) Delete(ctx context.Context, id string, force bool) error {
	if err := ValidateID(id); err != nil {
		return err
	}
	c, ok := m.managed(id)
	if !ok {
		for _, root := range m.externalRoots() {
			if _, ok := loadExternal(root, id); ok {
				return idError(id, ErrUnmanaged, "berth did not start it; remove it with the tool that did (runc --root %s delete %s)", root, id)
			}
		}
		return fmt.Errorf("%s: %w", id, ErrNotFound)
	}
	if (c.Running() || c.Status == StatusCreated) && !force {
		return idError(id, ErrInvalid, "container is %s: stop it first or use --force", c.Status)
	}
	// A stopped container's shims are finishing (recording, destroying):
	// they are waited for below. Any other state with a live shim is not
	// known to be stopped, and is only removed by force.
	if !force && !(c.Status == StatusStopped && c.ExitStatus != nil) && m.shimsAlive(id) {
		return idError(id, ErrInvalid, "a shim still runs for it (%s): use --force", c.Status)
	}
	rec, recErr := m.readRecord(id)
	if recErr == nil && c.Running() {
		err := signalProcess(procfs.Ident{Pid: c.Pid, Start: c.InitStart}, unix.SIGKILL)
		if err != nil && !errors.Is(err, procfs.ErrGone) {
			err = m.runtimeRun(ctx, rec, "kill", id, "KILL")
		}
		if err == nil && c.Status == StatusPaused {
			// A frozen task cannot act on SIGKILL until thawed.
			m.runtimeRun(ctx, rec, "resume", id)
		}
	}
	m.stopShims(id, 5*time.Second)
	if recErr == nil {
		if _, err := os.Lstat(filepath.Join(rec.RuntimeRoot, id)); err == nil {
			if err := m.deleteRuntime(ctx, rec); err != nil {
				return fmt.Errorf("%s: %w", id, err)
			}
		}
	}
	if err := os.RemoveAll(m.containerDir(id)); err != nil {
		return fmt.Errorf("%s: remove state: %w", id, err)
	}
	m.journal(watch.Event{Kind: watch.KindDelete, ID: id})
	return nil
}

// shimsAlive reports whether any shim of the container still runs.
func (m *Manager) shimsAlive(id string) bool {
	entries, _ := os.ReadDir(m.containerDir(id))
	for _, e := range entries {
		if ident, err := proto.ReadIdent(filepath.Join(m.containerDir(id), e.Name()), proto.FileShimPid); err == nil && ident.Alive() {
			return true
		}
	}
	return false
}

// stopShims waits for every shim of a container to exit, and kills those
// that do not within d. Shims are identified by pid and start time.
func (m *Manager) stopShims(id string, d time.Duration) {
	entries, err := os.ReadDir(m.containerDir(id))
	if err != nil {
		return
	}
	deadline := time.Now().Add(d)
	for _, e := range entries {
		if !e.IsDir() || e.Name() == "bundle" {
			continue
		}
		ident, err := proto.ReadIdent(filepath.Join(m.containerDir(id), e.Name()), proto.FileShimPid)
		if err != nil {
			continue
		}
		if !waitExit(ident, time.Until(deadline)) {
			signalProcess(ident, unix.SIGKILL)
			waitExit(ident, time.Second)
		}
	}
}

// waitExit waits up to d for a recorded process to exit, through a pidfd,
// so no polling loop is needed. It reports whether the process is gone.
func waitExit(id procfs.Ident, d time.Duration) bool {
	if !id.Alive() {
		return true
	}
	fd, err := unix.PidfdOpen(id.Pid, 0)
	if err != nil {
		return !id.Alive()
	}
	defer unix.Close(fd)
	// The pid may have been reused between the check and the open.
	if !id.Alive() {
		return true
	}
	ms := int(d / time.Millisecond)
	if ms < 0 {
		ms = 0
	}
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	for {
		n, err := unix.Poll(fds, ms)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		return n > 0 || !id.Alive()
	}
}

// Resources are the limits Update can change; nil fields stay as they are.
// -1 lifts a memory or pids limit; CPUs 0 lifts the quota.
type Resources struct {
	MemoryBytes *int64   `json:"memoryBytes,omitempty"`
	Pids        *int64   `json:"pids,omitempty"`
	CPUs        *float64 `json:"cpus,omitempty"`
}

// cpuPeriod is the CFS period berth sets with a quota: 100 ms, the kernel's
// default.
const cpuPeriod = 100000

// Update changes a running container's memory, pids and cpu limits.
func (m *Manager) Update(ctx context.Context, id string, r Resources) error {
	t, err := m.target(ctx, id)
	if err != nil {
		return err
	}
	if err := t.requireRunning("update", true); err != nil {
		return err
	}
	args := []string{"update"}
	if r.MemoryBytes != nil {
		if *r.MemoryBytes < -1 {
			return idError(id, ErrInvalid, "memory limit must be -1 (no limit) or more")
		}
		args = append(args, "--memory", strconv.FormatInt(*r.MemoryBytes, 10))
	}
	if r.Pids != nil {
		args = append(args, "--pids-limit", strconv.FormatInt(*r.Pids, 10))
	}
	if r.CPUs != nil {
		if !(*r.CPUs >= 0 && *r.CPUs <= 1<<20) { // also rejects NaN and Inf
			return idError(id, ErrInvalid, "cpus must be a number from 0 (no limit) up")
		}
		quota := int64(-1)
		if *r.CPUs > 0 {
			quota = int64(*r.CPUs * cpuPeriod)
		}
		args = append(args, "--cpu-period", strconv.Itoa(cpuPeriod), "--cpu-quota", strconv.FormatInt(quota, 10))
	}
	if len(args) == 1 {
		return idError(id, ErrInvalid, "nothing to update: give --memory, --pids or --cpus")
	}
	if err := t.run(ctx, append(args, id)...); err != nil {
		return err
	}
	m.journal(watch.Event{Kind: watch.KindUpdate, ID: id, Pid: t.Pid, Detail: strings.Join(args[1:], " ")})
	return nil
}

// ExecOptions describe an extra process in a running container.
type ExecOptions struct {
	Args []string
	Env  []string // added to the container's environment
	Cwd  string
	Tty  bool
}

// Exec starts a detached process in a running managed container through a
// shim of its own, its output logged like init's. It returns the process's
// name (its directory under the container) and host pid.
func (m *Manager) Exec(ctx context.Context, id string, o ExecOptions) (string, int, error) {
	if len(o.Args) == 0 {
		return "", 0, idError(id, ErrInvalid, "exec needs a command")
	}
	if o.Tty {
		return "", 0, idError(id, ErrInvalid, "a detached exec cannot have a terminal")
	}
	t, err := m.target(ctx, id)
	if err != nil {
		return "", 0, err
	}
	if !t.Managed {
		return "", 0, idError(id, ErrUnmanaged, "detached exec needs a berth shim; use an attached exec")
	}
	if err := t.requireRunning("exec into", false); err != nil {
		return "", 0, err
	}
	rec, err := m.readRecord(id)
	if err != nil {
		return "", 0, fmt.Errorf("%s: %w", id, err)
	}
	spec, err := loadRuntimeSpec(rec.RuntimeBundle)
	if err != nil {
		return "", 0, fmt.Errorf("%s: %w", id, err)
	}
	p := *spec.Process
	p.Args = o.Args
	p.Terminal = false
	p.Env = append(append([]string(nil), p.Env...), o.Env...)
	if o.Cwd != "" {
		p.Cwd = o.Cwd
	}
	proc := "exec-" + randomHex(6)
	dir := m.procDir(id, proc)
	if err := os.Mkdir(dir, 0o700); err != nil {
		return "", 0, fmt.Errorf("%s: %w", id, err)
	}
	if err := statefile.WriteJSON(filepath.Join(dir, proto.FileProcess), &p, 0o600); err != nil {
		os.RemoveAll(dir)
		return "", 0, fmt.Errorf("%s: %w", id, err)
	}
	ready, err := m.launch(ctx, rec, proc, proto.Config{Mode: proto.ModeExec})
	if err != nil {
		os.RemoveAll(dir)
		return "", 0, err
	}
	return proc, ready.Pid, nil
}

// ExecAttached runs a process in a running container on the caller's
// stdio (a terminal when o.Tty) through the runtime directly, and returns
// its exit status. This is what `berth exec -t` and the UI's shell use.
func (m *Manager) ExecAttached(ctx context.Context, id string, o ExecOptions, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	if len(o.Args) == 0 {
		return 0, idError(id, ErrInvalid, "exec needs a command")
	}
	cmd, err := m.ExecCommand(ctx, id, o)
	if err != nil {
		return 0, err
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr
	err = cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), nil
	}
	if err != nil {
		return 0, fmt.Errorf("%s: exec: %w", id, err)
	}
	return 0, nil
}

// ExecCommand builds the runtime command for an attached exec without
// running it, so a UI can hand the terminal over to it.
func (m *Manager) ExecCommand(ctx context.Context, id string, o ExecOptions) (*exec.Cmd, error) {
	t, err := m.target(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := t.requireRunning("exec into", false); err != nil {
		return nil, err
	}
	args := append([]string{"--root", t.RuntimeRoot}, t.globals...)
	args = append(args, "exec")
	if o.Tty {
		args = append(args, "--tty")
	}
	if o.Cwd != "" {
		args = append(args, "--cwd", o.Cwd)
	}
	for _, e := range o.Env {
		args = append(args, "--env", e)
	}
	args = append(args, id)
	args = append(args, o.Args...)
	return exec.CommandContext(ctx, t.runtime, args...), nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
