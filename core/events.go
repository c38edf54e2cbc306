package core

import (
	"context"
	"time"

	"berth/shim/proto"
	"berth/watch"
)

// History returns the journal's events at or after since (all when zero),
// oldest first, with a warning for each unreadable line.
func (m *Manager) History(since time.Time) ([]watch.Event, []string) {
	return watch.Read(m.opts.StateDir, since)
}

// Subscribe follows every container live until ctx ends: one watch loop
// over their OOM kills and exits, the state dir and the runtime roots
// (containers appearing and vanishing) and the journal itself (what other
// berths and the shims record). The loop de-duplicates (an event seen by a
// shim and live is delivered once) and starts watching the containers that
// start or appear. Nothing the journal held when Subscribe began is
// delivered: read History after subscribing, and drop what is in both
// (watch.Dedup). When the loop fails, its error is sent and both channels
// close.
func (m *Manager) Subscribe(ctx context.Context) (<-chan []watch.Event, <-chan error) {
	loop, err := watch.New()
	if err != nil {
		return failed(err)
	}
	// Follow the journal before reading it, so nothing appended in
	// between is lost; what the read finds seeds the de-duplication.
	// berth's own containers come and go through the journal (create,
	// delete); those of other managers through their runtime roots.
	if err := loop.Tail(m.opts.StateDir); err != nil {
		loop.Close()
		return failed(err)
	}
	cs, _ := m.List(ctx)
	tr := newExtTracker(m, loop, cs)
	for _, r := range m.externalRoots() {
		if loop.WatchRoot(r) == nil { // a root that does not exist is no error
			tr.roots[r] = true
		}
	}
	journaled, _ := watch.Read(m.opts.StateDir, time.Time{})
	dedup := watch.Seen(journaled)
	oom := externalOOMCounts(journaled)
	for _, c := range cs {
		if t, ok := m.watchTarget(c, oom); ok {
			loop.Watch(t)
		}
	}
	tr.elect()
	// The tracker runs on the loop's goroutine: its batches go from the
	// loop straight to the subscriber.
	rewatch := func(ev watch.Event) (watch.Target, bool) {
		switch {
		case ev.Root != "" && (ev.Kind == watch.KindCreate || ev.Kind == watch.KindStart):
			if m.readsRoot(ev.Root) {
				if c, ok := m.loadExternal(ev.Root, ev.ID); ok {
					return m.watchTarget(c, oom)
				}
			}
		case ev.Kind == watch.KindStart || ev.Kind == watch.KindRestore:
			if c, ok := m.managed(ev.ID); ok {
				return m.watchTarget(c, nil)
			}
		}
		return watch.Target{}, false
	}
	return loop.Subscribe(ctx, watch.Follow{Dedup: dedup, Rewatch: rewatch,
		Filter: tr.saw, Poll: tr.poll, Every: externalPoll, Stop: tr.resign, Settle: settle})
}

// settle is how long a subscription's loop lets notifications gather
// after a wake-up that found some (watch.Follow.Settle): well within a
// frame of a UI, which gathers its batches for 30 ms or more anyway.
const settle = 10 * time.Millisecond

// failed is a subscription that could not start: its error, then closed.
func failed(err error) (<-chan []watch.Event, <-chan error) {
	out, errc := make(chan []watch.Event), make(chan error, 1)
	errc <- err
	close(out)
	close(errc)
	return out, errc
}

// watchTarget is what a watch loop watches of a running container: its
// OOM kills, and its exit (berth's own through the shim's exit file,
// another manager's through a pidfd). The kills already journaled are not
// reported again: for berth's own the shim records the count, for
// another's oom holds the journal's highest count per incarnation.
func (m *Manager) watchTarget(c Container, oom map[string]uint64) (watch.Target, bool) {
	if !c.Running() {
		return watch.Target{}, false
	}
	t := watch.Target{ID: c.ID, Root: c.eventRoot(), Cgroup: c.CgroupPaths, Pid: c.Pid, InitStart: c.InitStart}
	if c.Managed {
		// Its shim journals each kill with its forensics: the loop waits
		// for that copy rather than take a second snapshot of its own.
		t.Journaled = true
		t.ProcDir, t.Proc = m.procDir(c.ID, proto.ProcInit), proto.ProcInit
		n := readOOMCount(t.ProcDir)
		t.KnownOOM = &n
	} else if n, ok := oom[oomKey(c.Ref(), c.Pid)]; ok {
		t.KnownOOM = &n
	}
	return t, true
}
