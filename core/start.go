package core

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"berth/host/procfs"
	"berth/host/statefile"
	"berth/shim/proto"

	"golang.org/x/sys/unix"
)

// startLockWait is how long a start waits for the container's lock: long
// enough for a listing's settle to let go, short enough that a start
// meeting another berth's start or removal says so rather than hanging.
const startLockWait = 3 * time.Second

// DefaultStopTimeout is how long Restart waits for init to exit after
// SIGTERM before it sends SIGKILL (docker's default).
const DefaultStopTimeout = 10 * time.Second

// Start starts a stopped berth container again from its runtime bundle
// (the spec it was created with, and the limits updated since) through a
// new shim, as `docker start` does: its id, record, checkpoints, events
// and output log (which the new run appends to) all stay. The record keeps
// Created as the container's first creation and sets Started to now,
// docker's Created and StartedAt. Only a container whose exit is recorded
// starts; a start that fails leaves it stopped with its previous exit and
// its logs, never half-started.
func (m *Manager) Start(ctx context.Context, ref string) (Container, error) {
	root, id, err := splitRef(ref)
	if err != nil {
		return Container{}, err
	}
	if root != "" {
		return Container{}, m.refuseStart(ctx, ref, false)
	}
	lock, err := m.lockContainer(id, startLockWait)
	switch {
	case errors.Is(err, statefile.ErrLocked):
		return Container{}, idError(id, ErrBusy, "another berth is starting, removing or settling it")
	case errors.Is(err, os.ErrNotExist):
		return Container{}, m.refuseStart(ctx, id, false)
	case err != nil:
		return Container{}, fmt.Errorf("%s: %w", id, err)
	}
	defer lock.Close()
	m.settleLocked(id)
	c, ok := m.managed(id)
	if !ok {
		return Container{}, m.refuseStart(ctx, id, false)
	}
	if c.Status == StatusStopped && c.ExitStatus == nil {
		// The shim of the run that ended is recording its exit.
		m.stopShims(id, 10*time.Second)
		m.settleLocked(id)
		c, _ = m.managed(id)
	}
	if err := startable(c); err != nil {
		return Container{}, err
	}
	rec, err := m.readRecord(id)
	if err != nil {
		return Container{}, fmt.Errorf("%s: %w", id, err)
	}
	if _, err := os.Stat(rec.Runtime); err != nil {
		return Container{}, idError(id, ErrInvalid, "its runtime %s is not installed here", rec.Runtime)
	}
	spec, err := loadRuntimeSpec(rec.RuntimeBundle)
	if err != nil {
		return Container{}, fmt.Errorf("%s: %w", id, err)
	}
	// What the previous run leaves: its shims finish, and the runtime
	// forgets it (the shim deletes it; one killed before it could did not).
	m.stopShims(id, 10*time.Second)
	if _, err := os.Lstat(filepath.Join(rec.RuntimeRoot, id)); err == nil {
		if err := m.deleteRuntime(ctx, rec, true); err != nil {
			return Container{}, wrapError(id, ErrRuntime, err, "the runtime still has the previous run")
		}
	}
	undo, err := m.prepareStart(rec)
	if err != nil {
		return Container{}, err
	}
	cfg := proto.Config{Mode: proto.ModeRun, Bundle: rec.RuntimeBundle}
	if own := filepath.Join("/", m.opts.CgroupParent, id); spec.Linux != nil && spec.Linux.CgroupsPath == own {
		// The path berth generates: its own to remove after a failure.
		cfg.OwnCgroup = own
	}
	// The shim journals the start, as it does for a run.
	if _, err := m.launch(ctx, rec, proto.ProcInit, cfg); err != nil {
		undo()
		return Container{}, err
	}
	return m.Get(ctx, id)
}

// startable refuses a start of a container that is not stopped with its
// exit recorded.
func startable(c Container) error {
	switch {
	case c.Status == StatusRunning:
		return idError(c.ID, ErrInvalid, "already running")
	case c.Status == StatusPaused:
		return idError(c.ID, ErrInvalid, "already running (paused): resume it")
	case c.Status == StatusCreated:
		return idError(c.ID, ErrInvalid, "already running (being created)")
	case c.Status == StatusUnknown:
		return idError(c.ID, ErrInvalid, "cannot start: state unknown (%s)", c.Reason)
	case c.ExitStatus == nil:
		return idError(c.ID, ErrBusy, "cannot start: its exit is still being recorded")
	}
	return nil
}

// prepareStart makes init's process dir ready for a new shim, as a restore
// in place does: the previous run's exit, pid, shim and OOM files give way
// (the new run's cgroup counts OOM kills from zero); its logs stay. The
// record gets its Started time first, so the container reads as being
// created meanwhile. undo puts the record and the exit back: a start that
// failed leaves the container as it was.
func (m *Manager) prepareStart(rec Record) (undo func(), err error) {
	dir := m.containerDir(rec.ID)
	proc := m.procDir(rec.ID, proto.ProcInit)
	oldRec, err := statefile.Read(filepath.Join(dir, recordFile))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", rec.ID, err)
	}
	oldExit, err := statefile.Read(filepath.Join(proc, proto.FileExit))
	if err != nil {
		return nil, fmt.Errorf("%s: exit record: %w", rec.ID, err)
	}
	undo = func() {
		statefile.Write(filepath.Join(dir, recordFile), oldRec, 0o600)
		statefile.Write(filepath.Join(proc, proto.FileExit), oldExit, 0o600)
		for _, f := range []string{proto.FilePid, proto.FileShimPid, proto.FileConfig} {
			os.Remove(filepath.Join(proc, f))
		}
	}
	rec.Started = time.Now().UTC()
	if err := statefile.WriteJSON(filepath.Join(dir, recordFile), rec, 0o600); err != nil {
		undo()
		return nil, fmt.Errorf("%s: %w", rec.ID, err)
	}
	for _, f := range runFiles {
		if err := os.Remove(filepath.Join(proc, f)); err != nil && !errors.Is(err, os.ErrNotExist) {
			undo()
			return nil, fmt.Errorf("%s: %w", rec.ID, err)
		}
	}
	return undo, nil
}

// Restart stops a running berth container and starts it again: SIGTERM to
// init, up to timeout for it to exit (0 does not wait), then SIGKILL; once
// the shim recorded the exit, Start. A paused container is resumed first,
// so it can act on the SIGTERM and shut down as it would running; a
// stopped one is just started. The history shows the exit and the start
// (and the resume of a paused one), nothing else.
func (m *Manager) Restart(ctx context.Context, ref string, timeout time.Duration) (Container, error) {
	root, id, err := splitRef(ref)
	if err != nil {
		return Container{}, err
	}
	if root != "" {
		return Container{}, m.refuseStart(ctx, ref, true)
	}
	c, ok := m.managed(id)
	if !ok {
		return Container{}, m.refuseStart(ctx, id, true)
	}
	switch {
	case c.Status == StatusCreated:
		return Container{}, idError(id, ErrInvalid, "cannot restart: it is being created")
	case c.Running():
		if err := m.stop(ctx, id, timeout); err != nil {
			return Container{}, err
		}
	}
	return m.Start(ctx, id)
}

// stop ends a running or paused container's init: SIGTERM, then SIGKILL
// after timeout, and waits for its shim to record the exit.
func (m *Manager) stop(ctx context.Context, id string, timeout time.Duration) error {
	t, err := m.target(ctx, id)
	if err != nil {
		return err
	}
	if t.Status == StatusPaused {
		if err := m.Resume(ctx, id); err != nil {
			return err
		}
		if t, err = m.target(ctx, id); err != nil {
			return err
		}
	}
	if !t.Running() {
		return nil // it ended meanwhile
	}
	dir := m.procDir(id, proto.ProcInit)
	init := procfs.Ident{Pid: t.Pid, Start: t.InitStart}
	if init.Start == 0 {
		if pid, err := proto.ReadIdent(dir, proto.FilePid); err == nil && pid.Pid == t.Pid {
			init = pid
		}
	}
	if err := t.signalInit(ctx, unix.SIGTERM); err != nil && !errors.Is(err, ErrNotRunning) {
		return err
	}
	if !waitExit(init, timeout) {
		if err := t.signalInit(ctx, unix.SIGKILL); err != nil && !errors.Is(err, ErrNotRunning) {
			return err
		}
		if !waitExit(init, 10*time.Second) {
			return idError(id, ErrRuntime, "init %d did not die of SIGKILL", init.Pid)
		}
	}
	// The shim records the exit, deletes the runtime's state and exits.
	if shim, err := proto.ReadIdent(dir, proto.FileShimPid); err == nil {
		waitExit(shim, 10*time.Second)
	}
	return nil
}

// refuseStart is Start's (or Restart's) answer for a container that is not
// berth's: its owner starts it, with the command that does; one that is
// nobody's is not found.
func (m *Manager) refuseStart(ctx context.Context, ref string, restart bool) error {
	c, err := m.Get(ctx, ref)
	if err != nil {
		return err
	}
	if c.Managed {
		return idError(ref, ErrNotFound, "no such container")
	}
	verb := "start"
	if restart {
		verb = "restart"
	}
	return idError(ref, ErrUnmanaged, "berth did not start it; %s it with the tool that did (%s)", verb, StartCommand(c, restart))
}

// StartCommand is the command that starts (or restarts) an external
// container again: its owner's.
func StartCommand(c Container, restart bool) string {
	verb := "start"
	if restart {
		verb = "restart"
	}
	switch {
	case c.Owner == OwnerDocker:
		return "docker " + verb + " " + c.ID
	case c.Owner == OwnerPodman:
		return "podman " + verb + " " + c.ID
	case c.Owner == OwnerKubernetes:
		return "the kubelet restarts its containers by the pod's restartPolicy"
	case strings.HasPrefix(c.Owner, OwnerContainerd+"/"):
		return "ctr -n " + strings.TrimPrefix(c.Owner, OwnerContainerd+"/") + " task start " + c.ID
	}
	return filepath.Base(c.Runtime) + " --root " + c.RuntimeRoot + " run " + c.ID + ", after its delete: a runtime alone runs a container once"
}
