package core

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"berth/host/procfs"
	"berth/host/statefile"
	"berth/shim/proto"
	"berth/watch"

	"golang.org/x/sys/unix"
)

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
		// The runtime that keeps it (crun's state is not runc's).
		rt := c.Runtime
		if rt == "" {
			rt = m.opts.Runtime
		}
		if t.runtime, err = exec.LookPath(rt); err != nil {
			return t, idError(id, ErrInvalid, "its runtime %s is not installed here", rt)
		}
	}
	return t, nil
}

// lifecycle does op through the owner's CLI when there is one, else as
// the runtime's command.
func (m *Manager) lifecycle(ctx context.Context, t target, op, command string) error {
	if tool, ok := t.ownerTool(); ok {
		if used, err := tool.run(ctx, t.Container, op); used || err != nil {
			return err
		}
	}
	return t.run(ctx, command, t.ID)
}

// event is an event about the container, as the journal keeps it.
func (c Container) event(kind watch.Kind) watch.Event {
	return watch.Event{Kind: kind, ID: c.ID, Root: c.eventRoot(), Pid: c.Pid}
}

func (t target) run(ctx context.Context, args ...string) error {
	return t.runWith(ctx, runtimeIO{}, args...)
}

// runWith runs a runtime command with what rio gives it.
func (t target) runWith(ctx context.Context, rio runtimeIO, args ...string) error {
	if err := execRuntime(ctx, t.runtime, t.RuntimeRoot, t.globals, rio, args...); err != nil {
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
	if err := m.lifecycle(ctx, t, OpPause, "pause"); err != nil {
		return err
	}
	m.journal(t.event(watch.KindPause))
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
	if err := m.lifecycle(ctx, t, OpResume, "resume"); err != nil {
		return err
	}
	m.journal(t.event(watch.KindResume))
	return nil
}

// removeWait bounds how long a removal waits for another berth's removal
// or settle of the same container, either of which can take two runtime
// deadlines (a delete, then a forced one).
var removeWait = 2*runtimeTimeout + 15*time.Second

// Delete removes a stopped container and all berth state for it. With
// force a running or paused one is killed first. Rather than the runtime's
// own forced delete (which sleeps 100 ms after its SIGKILL), it kills init
// and waits for the shim to record the exit and clean up.
func (m *Manager) Delete(ctx context.Context, ref string, force bool) error {
	root, id, err := splitRef(ref)
	if err != nil {
		return err
	}
	if root != "" {
		return m.refuseRemoval(ctx, ref)
	}
	// The container's lock for the whole removal: no other berth settles
	// it (writing into the directory being removed) or removes it too.
	lock, err := m.lockContainer(id, removeWait)
	switch {
	case errors.Is(err, statefile.ErrLocked):
		return idError(id, ErrBusy, "another berth is removing or settling it")
	case err == nil:
		defer lock.Close()
		m.settleLocked(id)
	}
	c, ok := m.managed(id)
	if !ok {
		return m.refuseRemoval(ctx, id)
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
	rec, err := m.removalRecord(id)
	if err != nil {
		return err
	}
	if force && c.Status != StatusStopped {
		m.killInit(ctx, rec, c)
	}
	m.stopShims(id, 5*time.Second)
	if _, err := os.Lstat(filepath.Join(rec.RuntimeRoot, id)); err == nil {
		if err := m.deleteRuntime(ctx, rec, force); err != nil {
			return wrapError(id, ErrInvalid, err, "the runtime still has it (use --force to kill it)")
		}
	}
	// Never report success while the runtime still runs it.
	if _, err := os.Lstat(filepath.Join(rec.RuntimeRoot, id)); err == nil {
		return idError(id, ErrRuntime, "the runtime still has it after its delete; berth's state is kept")
	}
	if err := os.RemoveAll(m.containerDir(id)); err != nil {
		return fmt.Errorf("%s: remove state: %w", id, err)
	}
	m.journal(watch.Event{Kind: watch.KindDelete, ID: id})
	return nil
}

// refuseRemoval is Delete's answer for a container berth did not start:
// its owner removes it, with the command that does.
func (m *Manager) refuseRemoval(ctx context.Context, ref string) error {
	c, err := m.Get(ctx, ref)
	if err != nil {
		return err
	}
	return idError(ref, ErrUnmanaged, "berth did not start it; remove it with the tool that did (%s)", RemoveCommand(c))
}

// RemoveCommand is the command that removes an external container: its
// owner's.
func RemoveCommand(c Container) string {
	switch {
	case c.Owner == OwnerDocker:
		return "docker rm " + c.ID
	case c.Owner == OwnerPodman:
		return "podman rm " + c.ID
	case c.Owner == OwnerKubernetes:
		return "kubectl delete pod; the kubelet removes its containers"
	case strings.HasPrefix(c.Owner, OwnerContainerd+"/"):
		return "ctr -n " + strings.TrimPrefix(c.Owner, OwnerContainerd+"/") + " task rm / container rm " + c.ID
	}
	return filepath.Base(c.Runtime) + " --root " + c.RuntimeRoot + " delete " + c.ID
}

// removalRecord is what removing a container needs of its record: the
// runtime, its root and flags. A record that is corrupt, truncated or not
// a regular file must not hide the container from its removal: the shim's
// configuration (written at launch) names the same, and failing that the
// container is where berth puts every container, under berth's runtime.
func (m *Manager) removalRecord(id string) (Record, error) {
	if rec, err := m.readRecord(id); err == nil {
		return rec, nil
	}
	var cfg proto.Config
	if err := statefile.ReadJSON(filepath.Join(m.procDir(id, proto.ProcInit), proto.FileConfig), &cfg); err == nil && cfg.ID == id && cfg.Runtime != "" && cfg.RuntimeRoot != "" {
		return Record{ID: id, Runtime: cfg.Runtime, RuntimeRoot: cfg.RuntimeRoot, RuntimeArgs: cfg.RuntimeArgs}, nil
	}
	runtime, err := m.runtimePath()
	if err != nil {
		return Record{}, wrapError(id, ErrRuntime, err, "its record is unreadable and no runtime to remove it with")
	}
	return Record{ID: id, Runtime: runtime, RuntimeRoot: m.opts.RuntimeRoot}, nil
}

// killInit kills a container's init for a forced removal, as Kill does:
// by pidfd when its pid and start time are known (from the container, or
// from its pid file when the record was unreadable), else through the
// runtime. A frozen one is thawed so it can die.
func (m *Manager) killInit(ctx context.Context, rec Record, c Container) {
	t := target{Container: c, runtime: rec.Runtime, globals: rec.RuntimeArgs}
	t.RuntimeRoot = rec.RuntimeRoot
	if t.InitStart == 0 {
		if init, err := proto.ReadIdent(m.procDir(c.ID, proto.ProcInit), proto.FilePid); err == nil {
			t.Pid, t.InitStart = init.Pid, init.Start
		}
	}
	if t.signalInit(ctx, unix.SIGKILL) == nil && (c.Status == StatusPaused || c.Status == StatusUnknown) {
		// A frozen task cannot act on SIGKILL until thawed (cgroup v1).
		t.run(ctx, "resume", c.ID)
	}
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
