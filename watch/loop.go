package watch

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"berth/host/cgroupfs"
	"berth/host/procfs"
	"berth/shim/proto"

	"golang.org/x/sys/unix"
)

// counterRiseWait bounds how long an OOM wake-up waits for the oom_kill
// counter to rise: on cgroup v1 the eventfd fires when the OOM starts, and
// the kill (and the counter) lands 1-2 ms later.
const counterRiseWait = 50 * time.Millisecond

// Target is a container to watch.
type Target struct {
	ID string
	// Root is the runtime root of another manager's container ("" for
	// berth's own); its events carry it.
	Root string
	// Cgroup locates the container's memory cgroup; nil means no OOM watch.
	Cgroup cgroupfs.Paths
	// ProcDir is a berth process directory whose exit file to watch ("" for
	// none); Proc names the process ("init" or an exec).
	ProcDir string
	Proc    string
	// Pid is the container's init pid, carried by its events.
	Pid int
	// InitStart is the init's start time. With no ProcDir (another
	// manager's container, which has no exit file of berth's) the loop
	// watches the init's exit through a pidfd, opened only after the pid
	// is checked to still name that process.
	InitStart uint64
	// Journaled says the container's shim journals its kills, each with
	// the forensics it took at the wake (berth's own): the loop then takes
	// no snapshot of its own (under OOM churn the one it took was most of
	// a UI's CPU, and the same as the shim's), but a late one for a kill
	// whose journal copy is overdue, and does not watch the counter rise.
	// The journal's copy, tailed by the same loop, goes out with its
	// forensics and counts as reported; once the shim's copy is
	// overdue the loop reads the counter once and reports what the journal
	// did not (a shim gone): a kill is never missed, and is late only when
	// the shim did not report it.
	Journaled bool
	// KnownOOM is the oom_kill count already reported for this container
	// (from the journal); kills above it that happened while nothing
	// watched are reported as missed. Nil takes the current count as the
	// baseline.
	KnownOOM *uint64
}

// Loop is one epoll loop watching many containers. Watch and Unwatch may be
// called from any goroutine; events arrive in batches on the channel Run
// returns.
type Loop struct {
	epfd int
	// ep holds epfd for Go's netpoller, which the loop waits in (see
	// wait), through rc; it closes epfd.
	ep *os.File
	rc syscall.RawConn
	// ifd is one inotify instance for every file and directory, made when
	// the first one is watched (-1 until then): a shim on cgroup v1, or on
	// v2 where memory.events is pollable, needs none, and the instances a
	// uid may have are few (128 by default).
	ifd    int
	wakefd int // eventfd: registrations and ctx cancellation wake the loop

	// wakeMu guards wakefd against a wake-up after the loop closed it (a
	// context cancelled while the loop was already stopping); mu cannot,
	// as Watch wakes the loop with mu held.
	wakeMu     sync.Mutex
	wakeClosed bool

	mu         sync.Mutex
	containers map[string]*watched
	efds       map[int32]*watched // v1 OOM eventfd -> container
	pollfds    map[int32]*watched // v2 memory.events, polled -> container
	pidfds     map[int32]*watched // init pidfd of an external container
	wds        map[int32]*wdTarget
	// waits are the OOM wake-ups not reported yet, in the order they
	// came; victimfds the pidfds of their likely victims.
	waits     []*oomWait
	victimfds map[int32]*oomWait
	pending   []Event
	closed    bool
	buf       []byte
}

type watched struct {
	Target
	last    uint64   // highest oom_kill count reported
	efd     int      // v1 eventfd, or -1
	ctl     *os.File // v1 memory.oom_control, open while registered
	memWd   int32    // v2 memory.events watch, or -1
	memFd   int      // v2 memory.events held open for epoll, or -1
	procWd  int32    // exit-file watch, or -1
	pidfd   int      // init's pidfd (external containers), or -1
	exited  bool
	control string // v1 cgroup.event_control path, to tell removal apart
}

type wdKind int

const (
	wdMemEvents wdKind = iota
	wdProcDir
	wdRoot
)

type wdTarget struct {
	kind wdKind
	c    *watched
	root string
	// journal is set when the root's journal is being followed; tailOnly
	// when the root itself is not watched for containers.
	journal  *journalTail
	tailOnly bool
}

// New creates a loop. Close it by cancelling the context given to Run.
func New() (*Loop, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("epoll: %w", err)
	}
	// Non-blocking, so that os.NewFile hands it to the netpoller.
	if err := unix.SetNonblock(epfd, true); err != nil {
		unix.Close(epfd)
		return nil, fmt.Errorf("epoll: %w", err)
	}
	ep := os.NewFile(uintptr(epfd), "watch epoll")
	rc, err := ep.SyscallConn()
	if err != nil {
		ep.Close()
		return nil, fmt.Errorf("epoll: %w", err)
	}
	wakefd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		ep.Close()
		return nil, fmt.Errorf("eventfd: %w", err)
	}
	l := &Loop{epfd: epfd, ep: ep, rc: rc, ifd: -1, wakefd: wakefd, containers: map[string]*watched{},
		efds: map[int32]*watched{}, pollfds: map[int32]*watched{}, pidfds: map[int32]*watched{}, wds: map[int32]*wdTarget{},
		victimfds: map[int32]*oomWait{}, buf: make([]byte, 16<<10)}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, wakefd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(wakefd)}); err != nil {
		l.closeFds()
		return nil, err
	}
	return l, nil
}

// addWatch adds an inotify watch, making the loop's inotify instance on
// first use. Called with mu held.
func (l *Loop) addWatch(path string, mask uint32) (int32, error) {
	if l.ifd < 0 {
		ifd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
		if err != nil {
			return -1, fmt.Errorf("inotify: %w (fs.inotify.max_user_instances may be reached)", err)
		}
		if err := unix.EpollCtl(l.epfd, unix.EPOLL_CTL_ADD, ifd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(ifd)}); err != nil {
			unix.Close(ifd)
			return -1, err
		}
		l.ifd = ifd
	}
	wd, err := unix.InotifyAddWatch(l.ifd, path, mask)
	return int32(wd), err
}

// rmWatch drops an inotify watch. Called with mu held.
func (l *Loop) rmWatch(wd int32) {
	if l.ifd >= 0 {
		unix.InotifyRmWatch(l.ifd, uint32(wd))
	}
	delete(l.wds, wd)
}

// Run starts the loop's one goroutine and returns the channel of event
// batches, closed when ctx ends or the loop fails. A slow reader delays the
// loop but loses nothing: the kernel keeps counting while the loop waits.
func (l *Loop) Run(ctx context.Context) <-chan []Event {
	out, _ := l.Subscribe(ctx, Follow{})
	return out
}

// Follow is what a subscription does besides reporting: which events it
// has already delivered, and how to watch a container an event announces.
type Follow struct {
	// Dedup drops events already delivered (seed it with the history the
	// subscriber has); nil delivers everything.
	Dedup *Dedup
	// Rewatch returns the target to watch for a container that an event
	// says started, was restored or appeared; false for none. It runs on
	// the loop's goroutine.
	Rewatch func(Event) (Target, bool)
	// Filter sees each batch after Dedup and Rewatch and returns what is
	// delivered of it; Poll runs every Every, its events delivered as the
	// loop's own; Stop runs as the loop ends. All three run on the loop's
	// goroutine, so what they keep is theirs alone: a follower with state
	// of its own (the other managers' containers it polls) needs no
	// goroutine between the loop and the subscriber, where a relay cost a
	// wake-up per batch.
	Filter func([]Event) []Event
	Poll   func() []Event
	Every  time.Duration
	Stop   func()
	// Settle is how long the loop waits, after a wake-up that found the
	// kernel's notifications, before it looks again: a burst of them (a
	// removal of many: five or six a container) is then taken a few
	// milliseconds' worth at a time, one wake-up each, not one wake-up a
	// notification. While the look after a wait finds more, the burst
	// goes on and each wait doubles, up to maxSettle (see nextSettle).
	// The first after a quiet spell is taken at once; zero takes each at
	// once.
	Settle time.Duration
}

// maxSettle is the longest a burst's notifications wait in the kernel
// for the loop: about a frame of a UI under a burst (15 a second), which
// takes a batch a frame. Under a removal of many, or OOM kills across
// many containers, the loop so wakes about 15 times a second, not once
// every Settle, and each wake-up of the process also woke the runtime's
// monitor and scheduler, most of what a UI then spent.
const maxSettle = 64 * time.Millisecond

// nextSettle is the wait after last (zero: the wake-up came after a quiet
// spell) while a burst goes on: first settle, then twice the last, up to
// maxSettle (or settle, when longer).
func nextSettle(last, settle time.Duration) time.Duration {
	if last == 0 {
		return settle
	}
	return min(2*last, max(maxSettle, settle))
}

// Subscribe starts the loop's one goroutine and returns its batches and
// its failure: when epoll fails, the error is sent once and both channels
// close; both close, with no error, when ctx ends.
func (l *Loop) Subscribe(ctx context.Context, f Follow) (<-chan []Event, <-chan error) {
	out := make(chan []Event, 8)
	errc := make(chan error, 1)
	stop := context.AfterFunc(ctx, l.wake)
	go func() {
		defer close(errc)
		defer close(out)
		defer stop()
		defer l.shutdown()
		if f.Stop != nil {
			defer f.Stop()
		}
		var poll time.Time // when Poll is next due
		if f.Poll != nil {
			poll = time.Now().Add(f.Every)
		}
		evs := make([]unix.EpollEvent, 64)
		n := 0                // the notifications the last wake-up found
		var gap time.Duration // the last wait of a burst going on
		for {
			var err error
			if n > 0 && f.Settle > 0 {
				gap = nextSettle(gap, f.Settle)
				if !settle(ctx, gap) {
					return
				}
				n, err = l.ready(evs)
			} else {
				n = 0
			}
			if n == 0 && err == nil {
				gap = 0
				n, err = l.wait(evs, poll)
			}
			if ctx.Err() != nil {
				return
			}
			if err != nil {
				errc <- fmt.Errorf("watch loop: epoll: %w", err)
				return
			}
			got := l.handle(evs[:n])
			if !poll.IsZero() && !time.Now().Before(poll) {
				got = append(got, f.Poll()...)
				poll = time.Now().Add(f.Every)
			}
			batch := l.follow(got, f)
			if len(batch) == 0 {
				continue
			}
			select {
			case out <- batch:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, errc
}

// settle waits d, or until ctx ends (false).
func settle(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// follow drops what was delivered already, watches the containers the
// batch announces and filters it. Called on the loop's goroutine,
// without mu.
func (l *Loop) follow(batch []Event, f Follow) []Event {
	if f.Dedup == nil && f.Rewatch == nil && f.Filter == nil {
		return batch
	}
	keep := batch[:0]
	for _, ev := range batch {
		if f.Dedup != nil && !f.Dedup.First(ev) {
			continue
		}
		keep = append(keep, ev)
		if f.Rewatch == nil {
			continue
		}
		switch ev.Kind {
		case KindStart, KindRestore, KindCreate:
			if t, ok := f.Rewatch(ev); ok {
				l.Watch(t)
			}
		}
	}
	if f.Filter != nil && len(keep) > 0 {
		keep = f.Filter(keep)
	}
	return keep
}

// wait waits for the loop's next events, or until its timeout, in Go's
// netpoller: the epoll descriptor is itself pollable, readable while any
// of its own is ready, and is read with a zero timeout. Sleeping in
// epoll_wait instead held a thread in a system call, which the runtime's
// monitor (sysmon) took back after a while, and each take-back set it
// polling every 20 µs again: under OOM churn, with the loop woken a few
// hundred times a second, the monitor was a third of a UI's CPU. It
// returns 0 events at the timeout, or at until when that comes first
// (zero: no such bound).
func (l *Loop) wait(evs []unix.EpollEvent, until time.Time) (int, error) {
	deadline := until
	if ms := l.sleep(); ms >= 0 {
		if d := time.Now().Add(time.Duration(ms) * time.Millisecond); deadline.IsZero() || d.Before(deadline) {
			deadline = d
		}
	}
	if err := l.ep.SetReadDeadline(deadline); err != nil {
		return 0, err
	}
	var n int
	var werr error
	err := l.rc.Read(func(fd uintptr) bool {
		n, werr = unix.EpollWait(int(fd), evs, 0)
		return n > 0 || werr != nil && !errors.Is(werr, unix.EINTR)
	})
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return 0, nil
	case err != nil:
		return 0, err
	}
	return n, werr
}

// ready returns the loop's events ready now, without waiting.
func (l *Loop) ready(evs []unix.EpollEvent) (int, error) {
	var n int
	var werr error
	err := l.rc.Control(func(fd uintptr) {
		for {
			n, werr = unix.EpollWait(int(fd), evs, 0)
			if !errors.Is(werr, unix.EINTR) {
				return
			}
		}
	})
	if err != nil {
		return 0, err
	}
	return max(n, 0), werr
}

// sleep is how long the loop may wait in epoll (-1: until woken).
func (l *Loop) sleep() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.timeout()
}

func (l *Loop) wake() {
	l.wakeMu.Lock()
	defer l.wakeMu.Unlock()
	if l.wakeClosed {
		return
	}
	var one [8]byte
	one[0] = 1
	unix.Write(l.wakefd, one[:])
}

// Close releases a loop that was never run; a running loop is closed by
// cancelling its context.
func (l *Loop) Close() { l.shutdown() }

func (l *Loop) shutdown() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	l.closed = true
	for _, c := range l.containers {
		l.release(c)
	}
	for _, t := range l.wds {
		if t.journal != nil {
			t.journal.close()
		}
	}
	l.closeFds()
}

func (l *Loop) closeFds() {
	l.ep.Close()
	if l.ifd >= 0 {
		unix.Close(l.ifd)
	}
	l.wakeMu.Lock()
	l.wakeClosed = true
	unix.Close(l.wakefd)
	l.wakeMu.Unlock()
}

// Watch starts watching a container's OOM kills and, with a ProcDir, its
// exit. Watching an id again replaces the earlier watch.
func (l *Loop) Watch(t Target) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return errors.New("watch loop closed")
	}
	if old := l.containers[Ref(t.Root, t.ID)]; old != nil {
		l.pending = append(l.pending, l.settle(old)...)
		l.release(old)
	}
	c := &watched{Target: t, efd: -1, memWd: -1, memFd: -1, procWd: -1, pidfd: -1}
	if t.ProcDir != "" {
		// Renames only: the exit file is written by temp file and
		// rename, and so is the OOM count the shim writes at each kill,
		// whose temp file's creation woke the loop for nothing.
		wd, err := l.addWatch(t.ProcDir, unix.IN_MOVED_TO|unix.IN_DELETE_SELF|unix.IN_ONLYDIR)
		if err != nil {
			return fmt.Errorf("%s: watch %s: %w", t.ID, t.ProcDir, err)
		}
		c.procWd = wd
		l.wds[c.procWd] = &wdTarget{kind: wdProcDir, c: c}
	}
	var oomErr error
	if t.Cgroup != nil && t.Cgroup.Dir("memory") != "" {
		if oomErr = l.armOOM(c); oomErr != nil {
			// No OOM watch (no counter, cgroup gone): the exit is still
			// watched.
			l.releaseOOM(c)
			oomErr = fmt.Errorf("%s: %w", t.ID, oomErr)
			if t.ProcDir == "" {
				return oomErr
			}
		}
	}
	if t.ProcDir == "" && t.Pid > 0 && t.InitStart != 0 {
		l.armPidfd(c)
	}
	l.containers[Ref(t.Root, t.ID)] = c
	// A container that exited before the watch was armed: its exit file
	// is already there, and no inotify event will come for it.
	if t.ProcDir != "" {
		if _, err := os.Lstat(filepath.Join(t.ProcDir, proto.FileExit)); err == nil {
			l.pending = append(l.pending, l.exitEvents(c)...)
		}
	}
	if len(l.pending) > 0 {
		l.wake()
	}
	return oomErr
}

// armPidfd watches an external container's init exit through a pidfd.
// An init already gone (or its pid reused, told by the start time) is
// reported as exited at once. Called with mu held.
func (l *Loop) armPidfd(c *watched) {
	fd, err := unix.PidfdOpen(c.Pid, 0)
	if err == nil && !procfs.Alive(c.Pid, c.InitStart) {
		unix.Close(fd)
		err = procfs.ErrGone
	}
	if err == nil {
		err = unix.EpollCtl(l.epfd, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)})
		if err != nil {
			unix.Close(fd)
		}
	}
	switch {
	case err == nil:
		c.pidfd = fd
		l.pidfds[int32(fd)] = c
	case errors.Is(err, unix.ESRCH) || errors.Is(err, procfs.ErrGone):
		l.pending = append(l.pending, l.initGone(c)...)
	}
	// Any other failure (out of descriptors) leaves the exit to the
	// next listing, which sees the container stopped or gone.
}

// initGone reports an external container's init exit seen through its
// pidfd: the kills that caused it first, then the exit, whose status is
// its manager's to know (the pidfd tells that it ended, not how).
func (l *Loop) initGone(c *watched) []Event {
	if c.exited {
		return nil
	}
	c.exited = true
	out := l.settle(c)
	if c.Cgroup != nil {
		if now, err := l.oomCount(c); err == nil {
			out = append(out, l.lateKills(c, now, true)...)
		}
	}
	out = append(out, Event{Time: time.Now().UTC(), Kind: KindExit, ID: c.ID, Root: c.Root, Pid: c.Pid,
		Proc: proto.ProcInit, Detail: "init exited; its status is its manager's"})
	l.release(c)
	return out
}

// Post delivers events found outside the loop (by a poller of state no
// kernel notification reports) through it, in order with its own, to
// the subscriber's de-duplication and Rewatch.
func (l *Loop) Post(evs []Event) {
	if len(evs) == 0 {
		return
	}
	l.mu.Lock()
	l.pending = append(l.pending, evs...)
	l.mu.Unlock()
	l.wake()
}

// armOOM registers the OOM notification and takes the counter baseline,
// queueing kills that happened while nothing watched.
func (l *Loop) armOOM(c *watched) error {
	missed, err := c.baseline()
	if err != nil {
		return err
	}
	l.pending = append(l.pending, missed...)
	dir := c.Cgroup.Dir("memory")
	if c.Cgroup.V2() {
		return l.armMemEvents(c, filepath.Join(dir, "memory.events"))
	}
	efd, ctl, err := c.registerOOM(dir)
	if err != nil {
		return err
	}
	if err := unix.EpollCtl(l.epfd, unix.EPOLL_CTL_ADD, efd, &unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLHUP, Fd: int32(efd)}); err != nil {
		ctl.Close()
		unix.Close(efd)
		return err
	}
	c.efd, c.ctl = efd, ctl
	l.efds[int32(efd)] = c
	return nil
}

// registerOOM asks a v1 memory cgroup in dir to signal a new eventfd
// (non-blocking) on each OOM through cgroup.event_control. The eventfd is
// also signalled when the cgroup is removed; ctl (memory.oom_control) is
// to stay open while the registration is used.
func (c *watched) registerOOM(dir string) (efd int, ctl *os.File, err error) {
	ctl, err = os.Open(filepath.Join(dir, "memory.oom_control"))
	if err != nil {
		return -1, nil, err
	}
	efd, err = unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		ctl.Close()
		return -1, nil, err
	}
	c.control = filepath.Join(dir, "cgroup.event_control")
	reg := []byte(strconv.Itoa(efd) + " " + strconv.Itoa(int(ctl.Fd())))
	if err := os.WriteFile(c.control, reg, 0o200); err != nil {
		ctl.Close()
		unix.Close(efd)
		return -1, nil, fmt.Errorf("register oom eventfd: %w", err)
	}
	return efd, ctl, nil
}

// baseline takes the oom_kill count to report kills from, and returns
// the kills above KnownOOM that happened while nothing watched.
func (c *watched) baseline() ([]Event, error) {
	now, err := cgroupfs.OOMKillCount(c.Cgroup)
	if err != nil {
		return nil, fmt.Errorf("oom counter: %w", err)
	}
	c.last = now
	if c.KnownOOM != nil && *c.KnownOOM < now {
		c.last = *c.KnownOOM
		return c.counterEvents(now, true, nil), nil
	}
	return nil, nil
}

// armMemEvents watches a v2 memory.events file. The kernel wakes pollers
// of a cgroup file when it changes (EPOLLPRI, until it is read again
// through the same descriptor), which costs no inotify instance; a file
// that cannot be polled (not the kernel's: the tests' fixtures) is watched
// with inotify instead. Called with mu held.
func (l *Loop) armMemEvents(c *watched, path string) error {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	if err != nil {
		return fmt.Errorf("memory.events: %w", err)
	}
	err = unix.EpollCtl(l.epfd, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: unix.EPOLLPRI | unix.EPOLLERR, Fd: int32(fd)})
	if err == nil {
		c.memFd = fd
		l.pollfds[int32(fd)] = c
		l.readMemEvents(c) // arm: a change is reported from here on
		return nil
	}
	unix.Close(fd)
	if !errors.Is(err, unix.EPERM) {
		return fmt.Errorf("poll memory.events: %w", err)
	}
	wd, err := l.addWatch(path, unix.IN_MODIFY|unix.IN_DELETE_SELF)
	if err != nil {
		return fmt.Errorf("watch memory.events: %w", err)
	}
	c.memWd = wd
	l.wds[c.memWd] = &wdTarget{kind: wdMemEvents, c: c}
	return nil
}

// readMemEvents reads the oom_kill counter through the polled descriptor,
// which also re-arms the kernel's notification.
func (l *Loop) readMemEvents(c *watched) (uint64, error) {
	var b [1024]byte
	n, err := unix.Pread(c.memFd, b[:], 0)
	if err != nil {
		return 0, err
	}
	return cgroupfs.ParseOOMKill(b[:n])
}

// memEventsChanged handles a change of a v2 memory.events: a kill counted
// (v2 reports after the kill, so the snapshot may miss the victim), or the
// cgroup gone.
func (l *Loop) memEventsChanged(c *watched, n uint64, err error) []Event {
	if err != nil {
		return l.cgroupGone(c)
	}
	if n <= l.claimed(c) {
		return nil
	}
	l.startWait(c, n)
	return nil
}

// memEventsKills reports the kills a v2 counter of n adds, if any, with
// a snapshot confirmed in place: for a watch of one container in a
// goroutine of its own (OOMWatch), which can afford to wait.
func (c *watched) memEventsKills(n uint64) []Event {
	if n <= c.last {
		return nil
	}
	snap := Snapshot(c.Cgroup)
	snap.ConfirmVictim()
	return c.counterEvents(n, false, snap)
}

// Unwatch stops watching a container, named by its Ref.
func (l *Loop) Unwatch(ref string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if c := l.containers[ref]; c != nil {
		if l.pending = append(l.pending, l.settle(c)...); len(l.pending) > 0 {
			l.wake()
		}
		l.release(c)
	}
}

// release drops every registration of c. Called with mu held.
func (l *Loop) release(c *watched) {
	if ref := Ref(c.Root, c.ID); l.containers[ref] == c {
		delete(l.containers, ref)
	}
	l.releaseOOM(c)
	l.dropWaits(c)
	if c.procWd >= 0 {
		l.rmWatch(c.procWd)
		c.procWd = -1
	}
	if c.pidfd >= 0 {
		unix.EpollCtl(l.epfd, unix.EPOLL_CTL_DEL, c.pidfd, nil)
		delete(l.pidfds, int32(c.pidfd))
		unix.Close(c.pidfd)
		c.pidfd = -1
	}
}

// cgroupGone drops the OOM watch of a container whose cgroup was removed,
// reporting what its wake-ups still can; the exit, if watched, is still
// to come. Called with mu held.
func (l *Loop) cgroupGone(c *watched) []Event {
	out := l.settle(c)
	l.releaseOOM(c)
	if c.procWd < 0 && c.pidfd < 0 {
		l.release(c)
	}
	return out
}

// releaseOOM drops the OOM registrations of c, keeping its exit watch.
// Called with mu held.
func (l *Loop) releaseOOM(c *watched) {
	if c.efd >= 0 {
		unix.EpollCtl(l.epfd, unix.EPOLL_CTL_DEL, c.efd, nil)
		delete(l.efds, int32(c.efd))
		unix.Close(c.efd)
		c.efd = -1
	}
	if c.ctl != nil {
		c.ctl.Close()
		c.ctl = nil
	}
	if c.memWd >= 0 {
		l.rmWatch(c.memWd)
		c.memWd = -1
	}
	if c.memFd >= 0 {
		unix.EpollCtl(l.epfd, unix.EPOLL_CTL_DEL, c.memFd, nil)
		delete(l.pollfds, int32(c.memFd))
		unix.Close(c.memFd)
		c.memFd = -1
	}
}

// WatchRoot reports containers appearing (create) and vanishing (delete) as
// directories of root: berth's state dir or a runtime root.
func (l *Loop) WatchRoot(root string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return errors.New("watch loop closed")
	}
	// IN_MASK_ADD: a root whose journal is followed (Tail) shares the watch.
	mask := uint32(unix.IN_CREATE | unix.IN_DELETE | unix.IN_MOVED_TO | unix.IN_MOVED_FROM | unix.IN_ONLYDIR | unix.IN_MASK_ADD)
	wd, err := l.addWatch(root, mask)
	if err != nil {
		return fmt.Errorf("watch %s: %w", root, err)
	}
	if old := l.wds[wd]; old != nil {
		old.tailOnly = false
		return nil
	}
	l.wds[wd] = &wdTarget{kind: wdRoot, root: root}
	return nil
}

// handle processes one epoll batch and returns the events it produced.
func (l *Loop) handle(evs []unix.EpollEvent) []Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.pending
	l.pending = nil
	for _, ev := range evs {
		switch {
		case int(ev.Fd) == l.wakefd:
			var b [8]byte
			unix.Read(l.wakefd, b[:])
		case int(ev.Fd) == l.ifd:
			out = append(out, l.readInotify()...)
		default:
			if c := l.efds[ev.Fd]; c != nil {
				out = append(out, l.oomWake(c)...)
			} else if c := l.pollfds[ev.Fd]; c != nil {
				n, err := l.readMemEvents(c)
				out = append(out, l.memEventsChanged(c, n, err)...)
			} else if c := l.pidfds[ev.Fd]; c != nil {
				out = append(out, l.initGone(c)...)
			} else if l.victimfds[ev.Fd] != nil {
				l.victimExited(ev.Fd)
			}
		}
	}
	return append(out, l.advance()...)
}

// oomWake handles a v1 eventfd wake-up: an OOM in progress, or only the
// cgroup being removed.
func (l *Loop) oomWake(c *watched) []Event {
	var b [8]byte
	unix.Read(c.efd, b[:])
	n, err := l.oomCount(c)
	if err != nil {
		// The cgroup is gone (its files held open answer ENODEV): this
		// wake-up is its removal, not an OOM. The read costs no path
		// walk, as a look for cgroup.event_control did each wake-up.
		return l.cgroupGone(c)
	}
	if l.waiting(c) {
		return nil // the OOM a wake-up already waits on (its counter's rise counts every kill)
	}
	// The snapshot is taken now, while the victim exists; the counter's
	// rise and the victim's death are waited for in epoll (see oomWait).
	// A kill counted already (the loop woke late) needs no rise.
	if n <= c.last {
		n = 0
	}
	l.startWait(c, n)
	return nil
}

// oomStarted handles a v1 OOM notification in place: the kills it led
// to, waiting for the counter's rise and the victim's death, or gone when
// the wake-up only meant the cgroup was removed. For a watch of one
// container in a goroutine of its own (OOMWatch); the loop waits in epoll
// instead.
func (c *watched) oomStarted() (evs []Event, gone bool) {
	if _, err := os.Lstat(c.control); err != nil {
		return nil, true
	}
	snap := Snapshot(c.Cgroup)
	deadline := time.Now().Add(counterRiseWait)
	for {
		n, err := cgroupfs.OOMKillCount(c.Cgroup)
		if err != nil {
			return nil, false
		}
		if n > c.last {
			snap.ConfirmVictim()
			return c.counterEvents(n, false, snap), false
		}
		if time.Now().After(deadline) {
			// An OOM that ended without a kill (memory freed in time).
			return nil, false
		}
		time.Sleep(time.Millisecond)
	}
}

// counterEvents reports every kill between the last reported count and now.
func (c *watched) counterEvents(now uint64, missed bool, snap *Forensics) []Event {
	var out []Event
	t := time.Now().UTC()
	for v := c.last + 1; v <= now; v++ {
		ev := Event{Time: t, Kind: KindOOM, ID: c.ID, Root: c.Root, Pid: c.Pid, OOMCount: v, Missed: missed}
		if v == now && snap != nil {
			ev.Forensics = snap
			if len(snap.Processes) > 0 {
				ev.Detail = "largest process: " + snap.Processes[0].Command
			}
		}
		if missed {
			ev.Detail = "killed while nothing watched"
		}
		out = append(out, ev)
	}
	if now > c.last {
		c.last = now
	}
	return out
}

// readInotify drains the inotify fd.
func (l *Loop) readInotify() []Event {
	var out []Event
	for {
		n, err := unix.Read(l.ifd, l.buf)
		if n <= 0 || err != nil {
			return out
		}
		EachInotify(l.buf[:n], func(wd int32, mask uint32, name string) {
			if mask&unix.IN_Q_OVERFLOW != 0 {
				out = append(out, l.resync()...)
				return
			}
			if t := l.wds[wd]; t != nil {
				out = append(out, l.inotifyEvent(t, mask, name)...)
			}
		})
	}
}

func (l *Loop) inotifyEvent(t *wdTarget, mask uint32, name string) []Event {
	switch t.kind {
	case wdMemEvents:
		if mask&(unix.IN_DELETE_SELF|unix.IN_IGNORED) != 0 {
			delete(l.wds, t.c.memWd)
			t.c.memWd = -1
			return nil
		}
		n, err := cgroupfs.OOMKillCount(t.c.Cgroup)
		if err != nil {
			return nil // a torn write of a fixture; the next one counts
		}
		return l.memEventsChanged(t.c, n, nil)
	case wdProcDir:
		if mask&(unix.IN_DELETE_SELF|unix.IN_IGNORED) != 0 {
			delete(l.wds, t.c.procWd)
			t.c.procWd = -1
			return nil
		}
		if name == proto.FileExit {
			return l.exitEvents(t.c)
		}
	case wdRoot:
		if t.journal != nil && name == JournalFile {
			return l.journaled(t.journal.read(mask&unix.IN_MOVED_FROM != 0, mask&unix.IN_CREATE != 0, false))
		}
		if name == JournalFile+".1" {
			return nil
		}
		if t.tailOnly || name == "" || name[0] == '.' || mask&unix.IN_ISDIR == 0 {
			return nil
		}
		kind := KindCreate
		if mask&(unix.IN_DELETE|unix.IN_MOVED_FROM) != 0 {
			kind = KindDelete
		}
		return []Event{{Time: time.Now().UTC(), Kind: kind, ID: name, Root: t.root}}
	}
	return nil
}

// exitEvents reports a process's exit, after one last read of the OOM
// counter so that a kill that caused the exit is reported before it.
func (l *Loop) exitEvents(c *watched) []Event {
	var out []Event
	if c.Journaled && !c.exited {
		// The shim journals its kills and the exit before it writes
		// the exit file: what the journal holds goes first, the kills
		// with the shim's forensics (a kill told late on v2 is in the
		// journal only now), and its exit ends the watch there.
		out = l.readJournals(false)
	}
	if c.exited {
		return out
	}
	rec, err := proto.ReadExit(c.ProcDir)
	if err != nil {
		return out // a torn or planted file; the rename will come
	}
	c.exited = true
	out = append(out, l.settle(c)...)
	if c.Cgroup != nil {
		now, err := l.oomCount(c)
		readable := err == nil
		if err != nil || rec.OOMKills > now {
			now = rec.OOMKills // the cgroup is gone: the shim's last read
		}
		out = append(out, l.lateKills(c, now, readable)...)
	}
	kind := KindExit
	proc := c.proc()
	if proc != proto.ProcInit {
		kind = KindExecExit
	}
	st := rec.Status
	t := rec.ExitedAt
	if t.IsZero() {
		t = time.Now().UTC()
	}
	out = append(out, Event{Time: t, Kind: kind, ID: c.ID, Root: c.Root, Proc: proc, ExitStatus: &st,
		OOMKilled: rec.OOMKilled, Detail: rec.Detail, Pid: pidOf(c.ProcDir)})
	if proc == proto.ProcInit {
		l.release(c)
	}
	return out
}

// lateKills reports the kills c's counter (now) shows beyond those
// reported, at c's exit or once a Journaled container's journal copy is
// overdue: at an exit their notification has not come yet (v2's
// memory.events is notified from a work queue, a pidfd or the exit file
// at once), or the journal (read first) did not hold them. What the
// cgroup shows at this moment, when readable, is their forensics (a
// LateSnapshot). Called with mu held.
func (l *Loop) lateKills(c *watched, now uint64, readable bool) []Event {
	if now <= c.last {
		return nil
	}
	var snap *Forensics
	if readable {
		snap = LateSnapshot(c.Cgroup)
	}
	return c.counterEvents(now, false, snap)
}

// proc is the process c's exit is about: its Proc, init by default.
func (c *watched) proc() string {
	if c.Proc == "" {
		return proto.ProcInit
	}
	return c.Proc
}

// resync re-reads every counter and exit file after an inotify overflow, so
// nothing the kernel could not queue is lost.
func (l *Loop) resync() []Event {
	var out []Event
	for _, c := range l.containers {
		out = append(out, l.settle(c)...)
		if c.Cgroup != nil {
			if n, err := l.oomCount(c); err == nil && n > c.last {
				out = append(out, c.counterEvents(n, false, nil)...)
			}
		}
		if c.ProcDir != "" {
			if _, err := os.Lstat(filepath.Join(c.ProcDir, proto.FileExit)); err == nil {
				out = append(out, l.exitEvents(c)...)
			}
		}
	}
	return append(out, l.readJournals(true)...)
}

// readJournals returns what the followed journals gained since their
// last read (verify: check each is still the journal, see
// journalTail.read). Called with mu held.
func (l *Loop) readJournals(verify bool) []Event {
	var out []Event
	for _, t := range l.wds {
		if t.journal != nil {
			out = append(out, l.journaled(t.journal.read(false, false, verify))...)
		}
	}
	return out
}

// pidOf reads the pid recorded in a process dir's pid file.
func pidOf(dir string) int {
	id, _ := proto.ReadIdent(dir, proto.FilePid)
	return id.Pid
}
