package core

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"berth/host/procfs"

	"golang.org/x/sys/unix"
)

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
	if tool, ok := t.ownerTool(); ok {
		// docker and podman refuse to kill a paused container.
		if t.Status == StatusPaused && tool.name != "ctr" {
			tool.run(ctx, t.Container, OpResume)
		}
		_, err := tool.run(ctx, t.Container, OpKill, killFlags(tool.name, sig)...)
		if err == nil && t.Status == StatusPaused && tool.name == "ctr" && !t.CgroupPaths.V2() {
			tool.run(ctx, t.Container, OpResume) // as below: v1's freezer holds SIGKILL
		}
		return err
	}
	if err := t.signalInit(ctx, sig); err != nil {
		return err
	}
	if t.Status == StatusPaused && !t.CgroupPaths.V2() {
		// cgroup v1's freezer holds even SIGKILL: thaw. The container
		// may be gone or resumed by then, so an error here is no
		// failure of the kill (v2 lets a frozen task die).
		t.run(ctx, "resume", t.ID)
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
