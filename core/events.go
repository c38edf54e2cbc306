package core

import (
	"context"
	"time"

	"berth/watch"
)

// Events returns the journal's history since since (all when zero), with a
// warning for each unreadable line, and, with follow, a channel of live
// event batches until ctx ends. The live stream comes from one watch loop
// over every container (OOM kills, exits), the state dir and the runtime
// roots (containers appearing and vanishing) and the journal itself (what
// other berths and the shims record); an event already delivered, from
// history or another source, is not delivered again.
func (m *Manager) Events(ctx context.Context, since time.Time, follow bool) ([]watch.Event, []string, <-chan []watch.Event, error) {
	if !follow {
		h, w := watch.Read(m.opts.StateDir, since)
		return h, w, nil, nil
	}
	loop, err := watch.New()
	if err != nil {
		return nil, nil, nil, err
	}
	lctx, cancel := context.WithCancel(ctx)
	raw := loop.Run(lctx)
	// Follow the journal before reading it, so nothing appended in
	// between is lost; duplicates are dropped below. berth's own
	// containers come and go through the journal (create, delete); those
	// of other managers through their runtime roots.
	if err := loop.Tail(m.opts.StateDir); err != nil {
		cancel()
		return nil, nil, nil, err
	}
	external := map[string]bool{}
	for _, r := range m.externalRoots() {
		if loop.WatchRoot(r) == nil { // a root that does not exist is no error
			external[r] = true
		}
	}
	all, warns := watch.Read(m.opts.StateDir, time.Time{})
	var history []watch.Event
	dedup := watch.NewDedup(16384)
	for _, ev := range all {
		dedup.First(ev)
		if since.IsZero() || !ev.Time.Before(since) {
			history = append(history, ev)
		}
	}
	cs, _ := m.List(ctx)
	for _, c := range cs {
		m.watchContainer(loop, c)
	}
	out := make(chan []watch.Event, 8)
	go func() {
		defer close(out)
		defer cancel()
		for batch := range raw {
			var keep []watch.Event
			for _, ev := range batch {
				if !dedup.First(ev) {
					continue
				}
				keep = append(keep, ev)
				switch {
				case ev.Kind == watch.KindStart || ev.Kind == watch.KindRestore:
					if c, ok := m.managed(ev.ID); ok && c.Running() {
						m.watchContainer(loop, c)
					}
				case ev.Kind == watch.KindCreate && external[ev.Detail]:
					if c, ok := loadExternal(ev.Detail, ev.ID); ok {
						m.watchContainer(loop, c)
					}
				}
			}
			if len(keep) == 0 {
				continue
			}
			select {
			case out <- keep:
			case <-ctx.Done():
				return
			}
		}
	}()
	return history, warns, out, nil
}

// watchContainer adds a running container to a watch loop: its OOM kills,
// and for berth's own containers the exit of init. For those, the kills the
// shim already journaled (it records the count) are not reported again.
func (m *Manager) watchContainer(loop *watch.Loop, c Container) {
	if !c.Running() {
		return
	}
	t := watch.Target{ID: c.ID, Cgroup: c.CgroupPaths, Pid: c.Pid}
	if c.Managed {
		t.ProcDir, t.Proc = m.procDir(c.ID, initProc), initProc
		n := readOOMCount(t.ProcDir)
		t.KnownOOM = &n
	}
	loop.Watch(t)
}
