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
	external := map[string]bool{}
	for _, r := range m.externalRoots() {
		if loop.WatchRoot(r) == nil { // a root that does not exist is no error
			external[r] = true
		}
	}
	journaled, _ := watch.Read(m.opts.StateDir, time.Time{})
	dedup := watch.Seen(journaled)
	cs, _ := m.List(ctx)
	for _, c := range cs {
		if t, ok := m.watchTarget(c); ok {
			loop.Watch(t)
		}
	}
	return loop.Subscribe(ctx, watch.Follow{Dedup: dedup, Rewatch: func(ev watch.Event) (watch.Target, bool) {
		switch {
		case ev.Kind == watch.KindStart || ev.Kind == watch.KindRestore:
			if c, ok := m.managed(ev.ID); ok {
				return m.watchTarget(c)
			}
		case ev.Kind == watch.KindCreate && external[ev.Root]:
			if c, ok := m.loadExternal(ev.Root, ev.ID); ok {
				return m.watchTarget(c)
			}
		}
		return watch.Target{}, false
	}})
}

// failed is a subscription that could not start: its error, then closed.
func failed(err error) (<-chan []watch.Event, <-chan error) {
	out, errc := make(chan []watch.Event), make(chan error, 1)
	errc <- err
	close(out)
	close(errc)
	return out, errc
}

// watchTarget is what a watch loop watches of a running container: its
// OOM kills, and for berth's own containers the exit of init. For those,
// the kills the shim already journaled (it records the count) are not
// reported again.
func (m *Manager) watchTarget(c Container) (watch.Target, bool) {
	if !c.Running() {
		return watch.Target{}, false
	}
	t := watch.Target{ID: c.ID, Root: c.eventRoot(), Cgroup: c.CgroupPaths, Pid: c.Pid}
	if c.Managed {
		t.ProcDir, t.Proc = m.procDir(c.ID, proto.ProcInit), proto.ProcInit
		n := readOOMCount(t.ProcDir)
		t.KnownOOM = &n
	}
	return t, true
}
