package core

import (
	"context"
	"path/filepath"
	"strconv"
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
	// between is lost; duplicates are dropped below.
	setup := func() error {
		if err := loop.Tail(m.opts.StateDir); err != nil {
			return err
		}
		if err := loop.WatchRoot(m.opts.StateDir); err != nil {
			return err
		}
		for _, r := range m.externalRoots() {
			loop.WatchRoot(r) // a root that does not exist yet is not an error
		}
		return nil
	}
	if err := setup(); err != nil {
		cancel()
		return nil, nil, nil, err
	}
	all, warns := watch.Read(m.opts.StateDir, time.Time{})
	known := knownOOM(all)
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
		m.watchContainer(loop, c, known)
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
				if ev.Kind == watch.KindCreate && ev.Detail == m.opts.StateDir || ev.Kind == watch.KindStart {
					if c, err := m.Get(ctx, ev.ID); err == nil && c.Running() {
						m.watchContainer(loop, c, nil)
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
// and for berth's own containers the exit of init.
func (m *Manager) watchContainer(loop *watch.Loop, c Container, known map[string]uint64) {
	if !c.Running() {
		return
	}
	t := watch.Target{ID: c.ID, Cgroup: c.CgroupPaths, Pid: c.Pid}
	if c.Managed {
		t.ProcDir, t.Proc = filepath.Join(m.containerDir(c.ID), initProc), initProc
	}
	if n, ok := known[oomKey(c.ID, c.Pid)]; ok {
		t.KnownOOM = &n
	}
	loop.Watch(t)
}

// knownOOM maps each container incarnation (id and init pid) to the highest
// OOM count the journal has for it.
func knownOOM(evs []watch.Event) map[string]uint64 {
	known := map[string]uint64{}
	for _, ev := range evs {
		if ev.Kind == watch.KindOOM {
			k := oomKey(ev.ID, ev.Pid)
			if ev.OOMCount > known[k] {
				known[k] = ev.OOMCount
			}
		}
	}
	return known
}

func oomKey(id string, pid int) string { return id + "/" + strconv.Itoa(pid) }
