package watch

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"berth/host/cgroupfs"

	"golang.org/x/sys/unix"
)

// ErrCgroupGone is returned by OOMWatch.Next once the watched cgroup was
// removed: no kill can come after it.
var ErrCgroupGone = errors.New("cgroup removed")

// OOMWatch watches one container's OOM kills, as a Loop does, but with no
// epoll set of its own: its one descriptor waits in Go's netpoller (as a
// Loop's epoll descriptor does), so a shim, which watches only its
// container and otherwise only waits for its process, sleeps on no
// thread but the runtime's. The notification is the same as a Loop's: the v1
// eventfd on memory.oom_control, or v2's memory.events, whose changes wake
// its pollers (as edges in the netpoller, which registers every file
// edge-triggered for reading).
type OOMWatch struct {
	c       *watched
	f       *os.File // v1 eventfd, or v2 memory.events
	ctl     *os.File // v1 memory.oom_control, open while registered
	pending []Event
}

// WatchOOM starts watching t's memory cgroup, taking the counter baseline
// as Loop.Watch does: kills above t.KnownOOM are reported, as missed, by
// the first Next.
func WatchOOM(t Target) (*OOMWatch, error) {
	if t.Cgroup == nil || t.Cgroup.Dir("memory") == "" {
		return nil, fmt.Errorf("%s: no memory cgroup", t.ID)
	}
	c := &watched{Target: t, efd: -1, memWd: -1, memFd: -1, procWd: -1, pidfd: -1}
	missed, err := c.baseline()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", t.ID, err)
	}
	w := &OOMWatch{c: c, pending: missed}
	dir := t.Cgroup.Dir("memory")
	if t.Cgroup.V2() {
		fd, err := unix.Open(filepath.Join(dir, "memory.events"), unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0)
		if err != nil {
			return nil, fmt.Errorf("%s: memory.events: %w", t.ID, err)
		}
		w.f = os.NewFile(uintptr(fd), "memory.events")
		return w, nil
	}
	efd, ctl, err := c.registerOOM(dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", t.ID, err)
	}
	w.f, w.ctl = os.NewFile(uintptr(efd), "oom eventfd"), ctl
	return w, nil
}

// Next waits for the container's next kills and returns their events, the
// last with the forensics snapshot. It returns ErrCgroupGone once the
// cgroup was removed, and an error wrapping os.ErrClosed once Close was
// called. Call it from one goroutine at a time.
func (w *OOMWatch) Next() ([]Event, error) {
	if evs := w.pending; len(evs) > 0 {
		w.pending = nil
		return evs, nil
	}
	if w.c.Cgroup.V2() {
		return w.nextV2()
	}
	var b [8]byte
	for {
		if _, err := w.f.Read(b[:]); err != nil {
			return nil, err
		}
		evs, gone := w.c.oomStarted()
		if gone {
			return nil, ErrCgroupGone
		}
		if len(evs) > 0 {
			return evs, nil
		}
	}
}

// nextV2 reads memory.events at every wake-up until its oom_kill counter
// rises. The file always polls readable, so a wake-up is only an edge:
// the first one comes at once, on registration.
func (w *OOMWatch) nextV2() ([]Event, error) {
	rc, err := w.f.SyscallConn()
	if err != nil {
		return nil, err
	}
	var evs []Event
	var rerr error
	err = rc.Read(func(fd uintptr) bool {
		var b [1024]byte
		n, err := unix.Pread(int(fd), b[:], 0)
		if err != nil {
			rerr = ErrCgroupGone
			return true
		}
		count, err := cgroupfs.ParseOOMKill(b[:n])
		if err != nil {
			return false
		}
		evs = w.c.memEventsKills(count)
		return len(evs) > 0
	})
	if err != nil {
		// The raw read has no deadline: its only error is the file being
		// closed, which it reports as the poller's own error, not os's.
		return nil, fmt.Errorf("%w: %v", os.ErrClosed, err)
	}
	return evs, rerr
}

// Close stops the watch; a Next waiting returns.
func (w *OOMWatch) Close() error {
	if w.ctl != nil {
		w.ctl.Close()
	}
	return w.f.Close()
}
