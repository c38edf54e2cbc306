package core

import (
	"os"
	"path/filepath"
	"strconv"
	"time"

	"berth/host/cgroupfs"
	"berth/host/statefile"
	"berth/watch"
)

// externalPoll is how often a subscription looks at other managers'
// containers for what no notification reports: a pause or resume by
// anyone (cgroup v1's freezer cannot be watched; v2's could, but one
// answer for both is simpler and costs one small read per container), a
// container whose state was not yet readable when its directory appeared,
// a runtime root that appeared after the subscription began. Exits come
// at once (pidfd), OOM kills too (the watch loop), new and removed
// containers from the roots' inotify watches.
const externalPoll = time.Second

// externalJournalDir is the directory whose lock elects the one follower
// that journals other managers' OOM kills and exits: each is journaled
// once however many berths follow, and they outlive the follower as
// berth's own do.
const externalJournalDir = ".external-events"

// extSeen is what a subscription last knew of an external container.
type extSeen struct {
	loaded bool // its state was readable (and its create delivered)
	status Status
	cgroup cgroupfs.Paths
}

// extTracker follows other managers' containers for one subscription. It
// runs on the subscription's watch loop goroutine only (watch.Follow), but
// for its first election and the first look at the roots before the loop
// starts.
type extTracker struct {
	m     *Manager
	loop  *watch.Loop
	roots map[string]bool    // roots watched for entries
	known map[string]extSeen // by Ref
	// journal is the election lock while this follower holds it.
	journal *os.File
}

func newExtTracker(m *Manager, loop *watch.Loop, cs []Container) *extTracker {
	tr := &extTracker{m: m, loop: loop, roots: map[string]bool{}, known: map[string]extSeen{}}
	for _, c := range cs {
		if !c.Managed {
			tr.known[c.Ref()] = extSeen{loaded: true, status: c.Status, cgroup: c.CgroupPaths}
		}
	}
	return tr
}

// poll is the tracker's look every externalPoll: the election, then
// every external root.
func (tr *extTracker) poll() []watch.Event {
	tr.elect()
	return tr.scan()
}

// saw updates what the tracker knows from a delivered batch, journals
// the external kills and exits when this follower is the elected one,
// and holds back the create of a container whose state cannot be read
// yet (the directory comes before the state file): the poll announces it
// once it can be listed, so a subscriber that fetches it finds it.
func (tr *extTracker) saw(batch []watch.Event) []watch.Event {
	keep := batch[:0]
	var journal []watch.Event
	for _, ev := range batch {
		if ev.Root == "" {
			keep = append(keep, ev)
			continue
		}
		ref := ev.Ref()
		seen := tr.known[ref]
		switch ev.Kind {
		case watch.KindCreate:
			c, ok := tr.m.loadExternal(ev.Root, ev.ID)
			if !ok {
				tr.known[ref] = extSeen{}
				continue
			}
			if seen.loaded {
				continue // announced already (by the poll)
			}
			seen = extSeen{loaded: true, status: c.Status, cgroup: c.CgroupPaths}
		case watch.KindDelete:
			delete(tr.known, ref)
			keep = append(keep, ev)
			continue
		case watch.KindStart, watch.KindResume:
			seen.status = StatusRunning
		case watch.KindPause:
			seen.status = StatusPaused
		case watch.KindExit:
			seen.status = StatusStopped
			journal = append(journal, ev)
		case watch.KindOOM:
			journal = append(journal, ev)
		}
		tr.known[ref] = seen
		keep = append(keep, ev)
	}
	if tr.journal != nil && len(journal) > 0 {
		// Their echo through the journal is dropped by the subscription's
		// de-duplication: a kill's key is its count, an exit's its pid.
		tr.m.journal(journal...)
	}
	return keep
}

// scan looks at every external root once: containers that became
// readable or started, pauses and resumes by anyone, containers gone
// without a notification, roots that appeared.
func (tr *extTracker) scan() []watch.Event {
	var out []watch.Event
	present := map[string]bool{}
	now := time.Now().UTC()
	for _, root := range tr.m.externalRoots() {
		if !tr.roots[root] && tr.loop.WatchRoot(root) == nil {
			tr.roots[root] = true
		}
		entries, err := os.ReadDir(root)
		if err != nil {
			continue
		}
		for _, e := range entries {
			if !e.IsDir() || ValidateID(e.Name()) != nil {
				continue
			}
			ref := watch.Ref(root, e.Name())
			present[ref] = true
			if ev, ok := tr.look(root, e.Name(), ref); ok {
				ev.Time = now
				out = append(out, ev)
			}
		}
	}
	for ref, seen := range tr.known {
		if !present[ref] {
			delete(tr.known, ref)
			if seen.loaded {
				root, id := filepath.Split(ref)
				out = append(out, watch.Event{Time: now, Kind: watch.KindDelete, ID: id, Root: filepath.Clean(root)})
			}
		}
	}
	return out
}

// look compares one external container with what the tracker knew: the
// event that tells the change, if any. The tracker learns the change when
// the event comes back through the loop (saw).
func (tr *extTracker) look(root, id, ref string) (watch.Event, bool) {
	seen, known := tr.known[ref]
	ev := watch.Event{ID: id, Root: root}
	switch {
	case !known || !seen.loaded || seen.status == StatusCreated:
		c, ok := tr.m.loadExternal(root, id)
		switch {
		case !ok:
			tr.known[ref] = extSeen{}
			return ev, false
		case !seen.loaded:
			// Delivered once: saw drops a second create of a container
			// it knows (the inotify one, or this one posted twice).
			ev.Kind = watch.KindCreate
		case c.Running():
			ev.Kind, ev.Pid = watch.KindStart, c.Pid
		default:
			return ev, false
		}
		return ev, true
	case seen.status == StatusRunning || seen.status == StatusPaused:
		frozen, err := cgroupfs.Frozen(seen.cgroup)
		switch {
		case err != nil:
			return ev, false // gone: its exit or removal tells
		case frozen && seen.status == StatusRunning:
			ev.Kind = watch.KindPause
		case !frozen && seen.status == StatusPaused:
			ev.Kind = watch.KindResume
		default:
			return ev, false
		}
		return ev, true
	}
	return ev, false
}

// elect takes the journaling of external events when no other follower
// has it.
func (tr *extTracker) elect() {
	if tr.journal != nil {
		return
	}
	dir := filepath.Join(tr.m.opts.StateDir, externalJournalDir)
	if err := os.Mkdir(dir, 0o700); err != nil && !os.IsExist(err) {
		return
	}
	if f, err := statefile.LockDir(dir, 0); err == nil {
		tr.journal = f
	}
}

func (tr *extTracker) resign() {
	if tr.journal != nil {
		tr.journal.Close()
		tr.journal = nil
	}
}

// externalOOMCounts is the highest OOM kill count the journal holds for
// each external container incarnation (Ref and init pid): the kills above
// it happened while no follower watched, and are reported as missed.
func externalOOMCounts(evs []watch.Event) map[string]uint64 {
	out := map[string]uint64{}
	for _, ev := range evs {
		if ev.Kind == watch.KindOOM && ev.Root != "" {
			k := oomKey(ev.Ref(), ev.Pid)
			out[k] = max(out[k], ev.OOMCount)
		}
	}
	return out
}

func oomKey(ref string, pid int) string { return ref + "@" + strconv.Itoa(pid) }
