package shim

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// A shim waits in Go's netpoller, never in a blocking system call: a call
// that blocks for more than a few microseconds has its thread's P handed
// to a new thread, which then stays for the shim's whole life. A process's
// exit is waited for through a pidfd, which polls readable once the process
// has exited, and then reaped without blocking.

// openPidfd opens a non-blocking pidfd for pid as a file in the netpoller.
func openPidfd(pid int) (*os.File, error) {
	fd, err := unix.PidfdOpen(pid, unix.PIDFD_NONBLOCK)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), "pidfd"), nil
}

// waitExited waits until the process of a pidfd has exited, or deadline
// passes (false). An error means the pidfd cannot be waited for in the
// netpoller.
func waitExited(f *os.File, deadline time.Time) (bool, error) {
	if err := f.SetReadDeadline(deadline); err != nil {
		return false, err
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return false, err
	}
	err = rc.Read(func(fd uintptr) bool {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, 0)
		return err == nil && n > 0
	})
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return false, nil
	}
	return err == nil, err
}

// waitRuntime waits up to timeout for the runtime process pid to exit
// and reaps it; pidfd is its pidfd (-1 for none), closed here. A runtime
// still running then (a hook hangs) is killed with its process group,
// which holds it and its hooks and cannot have been reused as it was not
// reaped yet; timedOut is true.
func waitRuntime(pid, pidfd int, timeout time.Duration) (timedOut bool, err error) {
	kill := func() { unix.Kill(-pid, unix.SIGKILL) }
	if pidfd >= 0 {
		var perr error = unix.SetNonblock(pidfd, true)
		f := os.NewFile(uintptr(pidfd), "pidfd")
		exited := false
		if perr == nil {
			exited, perr = waitExited(f, time.Now().Add(timeout))
		}
		f.Close()
		if perr == nil {
			if !exited {
				kill()
			}
			return !exited, reapRuntime(pid)
		}
	}
	// No pidfd to poll (a kernel before 5.10): wait on a thread.
	done := make(chan error, 1)
	go func() { done <- reapRuntime(pid) }()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case err := <-done:
		return false, err
	case <-timer.C:
		kill()
		return true, <-done
	}
}

// reapRuntime reaps the runtime process and says how it ended, as
// os/exec would: nil for a zero exit.
func reapRuntime(pid int) error {
	var ws unix.WaitStatus
	for {
		_, err := unix.Wait4(pid, &ws, 0, nil)
		if err == nil {
			break
		}
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
	switch {
	case ws.Exited() && ws.ExitStatus() == 0:
		return nil
	case ws.Exited():
		return fmt.Errorf("exit status %d", ws.ExitStatus())
	case ws.Signaled():
		return fmt.Errorf("signal: %v", ws.Signal())
	}
	return fmt.Errorf("wait status %#x", uint32(ws))
}

// reaper reaps the children of a subreaper shim until its process exits,
// keeping that process's wait status.
type reaper struct {
	pid    int
	mu     sync.Mutex
	done   bool
	status unix.WaitStatus
	err    error
}

// reapReady reaps every child that has exited, without blocking, and
// reports whether the process is reaped (or cannot be: err is set).
func (r *reaper) reapReady() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for !r.done {
		var ws unix.WaitStatus
		wpid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		switch {
		case errors.Is(err, unix.EINTR):
		case err != nil:
			r.err, r.done = err, true
		case wpid == 0:
			return false
		case wpid == r.pid:
			r.status, r.done = ws, true
		}
	}
	return true
}

// sharesPidNamespace reports whether pid is in the shim's pid namespace,
// where processes it leaves behind are re-parented to the shim (the
// subreaper) rather than to a container init. When unsure, it says yes.
func sharesPidNamespace(pid int) bool {
	mine, err := os.Readlink("/proc/self/ns/pid")
	if err != nil {
		return true
	}
	theirs, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/ns/pid")
	return err != nil || theirs == mine
}

// reapChildren reaps on every SIGCHLD until ch is closed: for a process in
// the shim's pid namespace, whose orphans come to the shim while the
// process lives. It costs the thread os/signal waits on, so it is only
// used there.
func (r *reaper) reapChildren(ch <-chan os.Signal) {
	for range ch {
		r.reapReady()
	}
}

// wait reaps until the process exits and returns its wait status. The
// process's exit is waited for through its pidfd; other children handed
// to the shim are reaped on the way when they can come while it lives
// (the process shares the shim's pid namespace), else at its exit.
func (r *reaper) wait() (unix.WaitStatus, error) {
	f, err := openPidfd(r.pid)
	if err == nil {
		defer f.Close()
		if sharesPidNamespace(r.pid) {
			ch := make(chan os.Signal, 1)
			signal.Notify(ch, unix.SIGCHLD)
			go r.reapChildren(ch)
			defer func() { signal.Stop(ch); close(ch) }()
		}
		var rc syscall.RawConn
		if rc, err = f.SyscallConn(); err == nil {
			err = rc.Read(func(uintptr) bool { return r.reapReady() })
		}
	}
	if err != nil {
		// No pidfd in the netpoller: block in wait4.
		r.reapBlocking()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.status, r.err
}

// reapBlocking reaps in a blocking wait4 until the process is reaped.
func (r *reaper) reapBlocking() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for !r.done {
		var ws unix.WaitStatus
		wpid, err := unix.Wait4(-1, &ws, 0, nil)
		switch {
		case errors.Is(err, unix.EINTR):
		case err != nil:
			r.err, r.done = err, true
		case wpid == r.pid:
			r.status, r.done = ws, true
		}
	}
}
