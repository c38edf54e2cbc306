package shim

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"berth/host/cgroupfs"
	"berth/host/procfs"
	"berth/host/statefile"
	"berth/shim/proto"
	"berth/watch"
)

// oomWatch journals the container's OOM kills while it runs, so history is
// complete when no UI watches. Exec shims leave this to the init shim.
type oomWatch struct {
	w    *watch.OOMWatch
	done chan struct{}
	mu   sync.Mutex
	last uint64 // highest oom_kill count journaled
	// initKilled is set when a kill took init: the likely victim named by
	// the snapshot at the wake-up, or, without one, init found dead just
	// after the kill.
	initKilled bool
	// lastKill is when the last kill was seen, and otherVictim whether the
	// snapshot put it on another process.
	lastKill    time.Time
	otherVictim bool
}

// armOOM starts watching the container's OOM kills. The watch waits in the
// netpoller (watch.OOMWatch), so an idle shim holds no thread for it. The
// container's cgroup is new (run and restore both make it), so every kill
// it has counted is this container's: the baseline is zero, and a kill
// that landed before the watch was armed is still journaled.
func (s *shim) armOOM(pid int) {
	if s.cfg.Mode == proto.ModeExec {
		return
	}
	p, err := cgroupfs.RuntimePaths(s.cfg.RuntimeRoot, s.cfg.ID, pid, statefile.ReadJSON)
	if err != nil {
		s.logf("warn", "cgroup paths: %v", err)
		return
	}
	s.cgroups = p
	var zero uint64
	ow, err := watch.WatchOOM(watch.Target{ID: s.cfg.ID, Cgroup: p, Pid: pid, KnownOOM: &zero})
	if err != nil {
		s.logf("warn", "oom watch: %v", err)
		return
	}
	w := &oomWatch{w: ow, done: make(chan struct{})}
	s.oom = w
	go func() {
		defer close(w.done)
		for {
			batch, err := ow.Next()
			if err != nil {
				return
			}
			var kills []watch.Event
			for _, ev := range batch {
				if ev.Kind == watch.KindOOM {
					ev.Missed = false // armed from zero: none was unwatched
					ev.Detail = strings.TrimPrefix(ev.Detail, "killed while nothing watched")
					kills = append(kills, ev)
				}
			}
			if len(kills) == 0 {
				continue
			}
			if last := &kills[len(kills)-1]; last.Forensics == nil {
				// Kills counted before the watch was armed, which its
				// baseline reports with no snapshot.
				last.Forensics = watch.LateSnapshot(p)
			}
			s.journal(kills...)
			lastEv := kills[len(kills)-1]
			victim := 0
			if lastEv.Forensics != nil {
				victim = lastEv.Forensics.LikelyVictim
			}
			if victim == 0 {
				// No snapshot: the victim dies as the counter rises; give
				// the kill a moment to land before asking about init.
				time.Sleep(5 * time.Millisecond)
				if !procfs.Alive(pid, 0) {
					victim = pid
				}
			}
			w.mu.Lock()
			w.last = max(w.last, lastEv.OOMCount)
			w.initKilled = w.initKilled || victim == pid
			w.lastKill, w.otherVictim = time.Now(), victim != 0 && victim != pid
			last := w.last
			w.mu.Unlock()
			statefile.Write(s.path(proto.FileOOM), []byte(strconv.FormatUint(last, 10)+"\n"), 0o600)
		}
	}()
}

// finishOOM stops the watch and journals any kill it had not reported yet,
// reading the counter one last time, so every kill is journaled before the
// exit it may have caused. It reports whether init itself was a victim: a
// kill seen while init died, or one only this last read found.
func (s *shim) finishOOM(pid int) (initKilled bool, count uint64) {
	w := s.oom
	if w == nil {
		return false, 0
	}
	w.w.Close()
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
		// The kernel told of the kill only after the init had exited.
		// The cgroup is there until the shim removes it.
		missed[len(missed)-1].Forensics = watch.LateSnapshot(s.cgroups)
	}
	s.journal(missed...)
	// A kill seen just before init died, not put on another process by a
	// snapshot, was init's.
	recent := !w.lastKill.IsZero() && time.Since(w.lastKill) < 250*time.Millisecond && !w.otherVictim
	return w.initKilled || len(missed) > 0 || recent, now
}
