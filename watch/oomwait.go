package watch

import (
	"errors"
	"slices"
	"time"

	"berth/host/cgroupfs"

	"golang.org/x/sys/unix"
)

// oomWait is an OOM wake-up the loop has not reported yet: its snapshot
// is taken, and it waits, without holding the loop, first for the
// kernel's oom_kill counter to rise (v1 wakes before the kill lands),
// then for the likely victim to die (the kernel counts the kill before
// it sends the SIGKILL). Sleeping in the loop for both cost every other
// container's events the wait, and polling /proc for the victim every
// millisecond cost the loop most of its CPU under OOM churn; the loop now
// waits in epoll, on a pidfd of the victim, with a timeout.
type oomWait struct {
	c    *watched
	snap *Forensics
	// riseBy bounds the wait for the counter; count is the counter once
	// it rose (0 until then).
	riseBy time.Time
	count  uint64
	// pidfd is the likely victim's (-1: none, or it was gone at the
	// snapshot), dir its /proc directory held open since the snapshot
	// (-1: none); confirmBy bounds the wait for its death.
	pidfd, dir int
	confirmBy  time.Time
	// exited is set when the victim's pidfd reported its exit; looked
	// once /proc was read for it (as the counter rises, then at the
	// deadline).
	exited, looked bool
}

// journalGrace is how long a kill of a Journaled container waits for the
// shim's copy once counted: the shim counts it at the same wake, waits as
// long for its victim, and appends it to the journal the loop tails.
const journalGrace = 50 * time.Millisecond

// startWait takes c's snapshot and queues its OOM wake-up; count is the
// counter when it is already known to have risen (v2), else 0. Called
// with mu held.
//
// A Journaled container's wake-up takes no snapshot and does not watch
// the counter rise: its shim does both, and the kills its journal
// reports raise c.last as the loop tails them (see journaled). The
// wake-up only reads the counter once, when the shim's copy is overdue,
// and reports what the journal did not; reading it every millisecond
// until it rose was a sixth of a UI's CPU under OOM churn.
func (l *Loop) startWait(c *watched, count uint64) {
	w := &oomWait{c: c, riseBy: time.Now().Add(counterRiseWait), pidfd: -1, dir: -1}
	if c.Journaled {
		w.count, w.confirmBy = count, time.Now().Add(journalGrace)
		if count == 0 {
			w.confirmBy = w.riseBy.Add(journalGrace)
		}
		l.waits = append(l.waits, w)
		return
	}
	w.snap, w.dir = snapshot(c.Cgroup)
	if w.snap != nil && w.snap.LikelyVictim != 0 {
		fd, err := unix.PidfdOpen(w.snap.LikelyVictim, 0)
		switch {
		case err == nil:
			if unix.EpollCtl(l.epfd, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)}) == nil {
				w.pidfd = fd
				l.victimfds[int32(fd)] = w
			} else {
				unix.Close(fd) // confirmed the old way, by /proc
			}
		case errors.Is(err, unix.ESRCH):
			w.exited = true // gone already: dying, as ConfirmVictim counts it
		}
	}
	if count > 0 {
		w.rose(count)
	}
	l.waits = append(l.waits, w)
}

// rose records the risen counter and starts the wait for the victim.
func (w *oomWait) rose(count uint64) {
	w.count = count
	w.confirmBy = time.Now().Add(victimWait)
}

// waiting reports whether c has a wake-up still waiting for its counter
// to rise (a Journaled container's: for its shim's copy): another
// wake-up meanwhile is the same OOM, or one its counter's read counts
// too. Called with mu held.
func (l *Loop) waiting(c *watched) bool {
	for _, w := range l.waits {
		if w.c == c && w.count == 0 {
			return true
		}
	}
	return false
}

// claimed is the highest count a wake-up of c waiting for its victim has
// taken, or c's last reported count. Called with mu held.
func (l *Loop) claimed(c *watched) uint64 {
	n := c.last
	for _, w := range l.waits {
		if w.c == c {
			n = max(n, w.count)
		}
	}
	return n
}

// victimExited takes a likely victim's pidfd reporting its exit. Called
// with mu held.
func (l *Loop) victimExited(fd int32) {
	if w := l.victimfds[fd]; w != nil {
		w.exited = true
		l.closeVictim(w)
	}
}

func (l *Loop) closeVictim(w *oomWait) {
	if w.dir >= 0 {
		unix.Close(w.dir)
		w.dir = -1
	}
	if w.pidfd < 0 {
		return
	}
	unix.EpollCtl(l.epfd, unix.EPOLL_CTL_DEL, w.pidfd, nil)
	delete(l.victimfds, int32(w.pidfd))
	unix.Close(w.pidfd)
	w.pidfd = -1
}

// advance moves every wake-up on as far as it can go now, and returns
// the kills it can report. A container's wake-ups go in order: a later
// one waits until the one before it is reported (its counter is compared
// with what that one reports). Called with mu held.
func (l *Loop) advance() []Event {
	if len(l.waits) == 0 {
		return nil
	}
	var out []Event
	now := time.Now()
	blocked := map[*watched]bool{}
	keep := l.waits[:0]
	for _, w := range l.waits {
		if blocked[w.c] {
			keep = append(keep, w)
			continue
		}
		evs, done := l.step(w, now, false)
		out = append(out, evs...)
		if !done {
			blocked[w.c] = true
			keep = append(keep, w)
		}
	}
	clear(l.waits[len(keep):])
	l.waits = keep
	return out
}

// step moves one wake-up on: it reads the counter until it rises, then
// reports the kill once the victim is dying or its time is up. final
// settles it now (an exit or a release is about to be handled): the
// victim is given its moment by ConfirmVictim's own wait, which only a
// kill still in flight as its container exits pays. Called with mu held.
func (l *Loop) step(w *oomWait, now time.Time, final bool) (evs []Event, done bool) {
	if w.c.Journaled {
		return l.stepJournaled(w, now, final)
	}
	if w.count == 0 {
		n, err := l.oomCount(w.c)
		switch {
		case err != nil:
			l.closeVictim(w) // the cgroup is gone: its exit says the rest
			return nil, true
		case n > w.c.last:
			w.rose(n)
		case final || now.After(w.riseBy):
			// An OOM that ended without a kill (memory freed in time).
			l.closeVictim(w)
			return nil, true
		default:
			return nil, false
		}
	}
	if !w.exited && w.pidfd >= 0 {
		var p [1]unix.PollFd
		p[0] = unix.PollFd{Fd: int32(w.pidfd), Events: unix.POLLIN}
		if n, _ := unix.Poll(p[:], 0); n > 0 {
			w.exited = true
		}
	}
	switch {
	case w.exited, w.snap == nil || w.snap.LikelyVictim == 0:
	case final:
		w.snap.ConfirmVictim()
	case !w.looked || now.After(w.confirmBy):
		// /proc tells a SIGKILL pending (the kill landed on it) from a
		// process alive and not killed (not the victim): looked at once
		// as the counter rises, where the kernel has sent the SIGKILL a
		// moment after counting, so the kill is reported then, not when
		// the victim has finished exiting (its pidfd: a few milliseconds
		// for a large one, never for a likely victim that was not the
		// one killed, which waited out victimWait); and again at the
		// deadline. Under OOM churn a read of a victim's /proc file cost
		// up to a millisecond, so it is read at most twice.
		w.looked = true
		if !w.dying() {
			if !now.After(w.confirmBy) {
				return nil, false
			}
			w.snap.LikelyVictim = 0
		}
	default:
		return nil, false
	}
	l.closeVictim(w)
	return w.c.counterEvents(w.count, false, w.snap), true
}

// stepJournaled moves a Journaled container's wake-up on: once the
// shim's copy is overdue (or at once when final), one read of the
// counter reports the kills the journal has not, with a late snapshot.
// Called with mu held.
func (l *Loop) stepJournaled(w *oomWait, now time.Time, final bool) (evs []Event, done bool) {
	if !final && !now.After(w.confirmBy) {
		return nil, false // the shim's copy is on its way
	}
	// The shim's copy, with its snapshot, is late (a loaded host, or a
	// shim gone): the cgroup, while there, still tells what filled it.
	n, err := l.oomCount(w.c)
	if err != nil {
		n = w.count // the cgroup is gone: what the wake-up knew, if anything
	}
	return l.lateKills(w.c, n, err == nil), true
}

// journaled takes the events a journal read returns, in order, and
// keeps the loop in step with what the shims reported: a Journaled
// container's kills count as reported (its wake-up then has nothing of
// its own to report), and its exit is the one delivered: the shim
// journals it before it writes the exit file, so the loop stops
// watching the container there, after its wake-ups' kills, rather than
// read the file for a second copy of the same exit. Called with mu held.
func (l *Loop) journaled(evs []Event) []Event {
	var out []Event // nil until an exit needs kills put before it
	for i, ev := range evs {
		c := l.containers[ev.Ref()]
		if c == nil || !c.Journaled || ev.Pid != c.Pid {
			if out != nil {
				out = append(out, ev)
			}
			continue
		}
		switch {
		case ev.Kind == KindOOM && ev.OOMCount > c.last:
			c.last = ev.OOMCount
			l.dropReported(c)
		case ev.Kind == KindExit && ev.Proc == c.proc() && !c.exited:
			if out == nil {
				out = append(make([]Event, 0, len(evs)), evs[:i]...)
			}
			c.exited = true
			out = append(out, l.settle(c)...)
			l.release(c)
		}
		if out != nil {
			out = append(out, ev)
		}
	}
	if out == nil {
		return evs
	}
	return out
}

// dropReported forgets a Journaled container's wake-ups once the
// journal has reported every kill its counter shows: one read of the
// counter as the shim's copy comes saves each wake-up its own at its
// deadline, and the loop that wake-up. Called with mu held.
func (l *Loop) dropReported(c *watched) {
	if !slices.ContainsFunc(l.waits, func(w *oomWait) bool { return w.c == c }) {
		return
	}
	if n, err := l.oomCount(c); err == nil && n <= c.last {
		l.dropWaits(c)
	}
}

// dying reports whether the likely victim is gone, a zombie, or has
// SIGKILL pending, read through its /proc directory when it is held.
func (w *oomWait) dying() bool {
	if w.dir >= 0 {
		return dyingAt(w.dir)
	}
	return dying(w.snap.LikelyVictim)
}

// settle reports c's wake-ups now, in order, before its exit (whose
// kills come first) or before it stops being watched. Called with mu
// held.
func (l *Loop) settle(c *watched) []Event {
	var out []Event
	keep := l.waits[:0]
	for _, w := range l.waits {
		if w.c != c {
			keep = append(keep, w)
			continue
		}
		evs, _ := l.step(w, time.Now(), true)
		out = append(out, evs...)
	}
	clear(l.waits[len(keep):])
	l.waits = keep
	return out
}

// timeout is how long the loop may sleep in epoll: a millisecond while a
// counter is awaited, until the first deadline (a victim's, a shim's
// copy's) while only those are, else for ever. Called with mu held.
func (l *Loop) timeout() int {
	if len(l.waits) == 0 {
		return -1
	}
	var first time.Time
	for _, w := range l.waits {
		if w.count == 0 && !w.c.Journaled {
			return 1
		}
		if first.IsZero() || w.confirmBy.Before(first) {
			first = w.confirmBy
		}
	}
	return max(int((time.Until(first)+time.Millisecond-1)/time.Millisecond), 1)
}

// oomCount reads c's oom_kill counter, on v1 through the memory.oom_control
// the loop holds open (a read of an open cgroup file costs no path walk).
func (l *Loop) oomCount(c *watched) (uint64, error) {
	if c.ctl == nil {
		return cgroupfs.OOMKillCount(c.Cgroup)
	}
	var b [256]byte
	n, err := c.ctl.ReadAt(b[:], 0)
	if n == 0 && err != nil {
		return 0, err
	}
	return cgroupfs.ParseOOMKill(b[:n])
}

// dropWaits forgets c's wake-ups (c is no longer watched). Called with
// mu held.
func (l *Loop) dropWaits(c *watched) {
	keep := l.waits[:0]
	for _, w := range l.waits {
		if w.c == c {
			l.closeVictim(w)
			continue
		}
		keep = append(keep, w)
	}
	clear(l.waits[len(keep):])
	l.waits = keep
}
