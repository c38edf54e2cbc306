package common

import (
	"strings"

	"berth/core"
	"berth/ui/format"
	"berth/ui/sanitize"
	"berth/watch"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// Page is one screen or tab the root shows. Update changes the page in
// place and returns what it needs run, so the root never has to assert a
// Page back to its type; View renders exactly Common.Width x Common.Height
// cells.
type Page interface {
	// Open shows the page for container id ("" for a global page) and
	// returns what it needs loaded.
	Open(id string) tea.Cmd
	// Close stops whatever the page runs (a log follow), when it is left.
	Close()
	Update(msg tea.Msg) tea.Cmd
	View() string
	// ShortHelp and FullHelp are the page's own keys (help.KeyMap).
	ShortHelp() []key.Binding
	FullHelp() [][]key.Binding
	// Capturing reports that the page is taking text (a search or filter
	// prompt): the root then sends it every key, globals included.
	Capturing() bool
}

// RefreshMsg is the refresh tick, sent to the page on screen so it can
// poll what it shows (processes); one refresh is in flight at a time.
type RefreshMsg struct{}

// MaxEvents bounds the events the store keeps.
const MaxEvents = 5000

// Store is what the root knows of the host: the containers as last
// listed, each container's stats history and the recent events. The root
// writes it in Update; pages read it.
type Store struct {
	Containers []core.Container
	History    map[string]*History
	// Events holds the newest MaxEvents events, oldest first.
	Events []watch.Event
	// Host is the host's figures as the refresh tick last read them. It
	// changes every tick and is drawn fresh each frame, so it does not
	// move Rev (which would rebuild every row).
	Host HostFigures
	// Rev changes whenever anything in the store does, for caches.
	Rev uint64
	// byID finds a container's slot by its Ref; slots are the slots of
	// Containers, in their order.
	byID  map[string]*slot
	slots []*slot
}

// slot is a container's place in Containers and its revision: Rev as it
// was when its record or its stats last changed (a change of one
// container then rebuilds only its row). Deletes renumber the slots
// kept in place: rebuilding the index of every container left, for
// each batch of deletes under a removal of many, was most of what the
// store cost.
type slot struct {
	i   int
	rev uint64
}

// NewStore is an empty store.
func NewStore() *Store {
	return &Store{History: map[string]*History{}, byID: map[string]*slot{}}
}

// SetContainers replaces the container list, dropping the history of
// containers that are gone; every container counts as changed.
func (s *Store) SetContainers(cs []core.Container) {
	s.setContainers(cs)
	for _, sl := range s.slots {
		sl.rev = s.Rev
	}
}

// setContainers replaces the container list, leaving the revisions of
// the containers kept as they were.
func (s *Store) setContainers(cs []core.Container) {
	s.Containers = cs
	byID := make(map[string]*slot, len(cs))
	s.slots = make([]*slot, len(cs))
	for i := range cs {
		ref := cs[i].Ref()
		sl := s.byID[ref]
		if sl == nil {
			sl = &slot{}
		}
		sl.i = i
		byID[ref], s.slots[i] = sl, sl
	}
	s.byID = byID
	for id := range s.History {
		if _, ok := s.byID[id]; !ok {
			delete(s.History, id)
		}
	}
	s.Rev++
}

// ContainerRev is the revision of the container named ref: it changes
// whenever its record or its stats do.
func (s *Store) ContainerRev(ref string) uint64 {
	if sl := s.byID[ref]; sl != nil {
		return sl.rev
	}
	return 0
}

// RevAt is ContainerRev of Containers[i], found without its Ref.
func (s *Store) RevAt(i int) uint64 { return s.slots[i].rev }

// changed moves the store's revision and sl's with it.
func (s *Store) changed(sl *slot) {
	s.Rev++
	sl.rev = s.Rev
}

// HostFigures is what the list's header shows of the host: the last
// reading, and the CPU use between it and the one before.
type HostFigures struct {
	Stats core.HostStats
	// Known is false until a reading arrives, and after one fails.
	Known bool
	// CPU is percent of all CPUs, known from the second reading.
	CPU      float64
	CPUKnown bool
}

// SetHost takes a reading of the host. A reading whose CPU counters did
// not move (a tick faster than the kernel's clock) keeps the last CPU
// figure, and the reading it was measured from.
func (s *Store) SetHost(h core.HostStats) {
	prev := s.Host
	s.Host = HostFigures{Stats: h, Known: true}
	if !prev.Known {
		return
	}
	if pct, ok := core.HostCPUPercent(prev.Stats, h); ok {
		s.Host.CPU, s.Host.CPUKnown = pct, true
	} else if h.CPU.Total == prev.Stats.CPU.Total {
		s.Host.CPU, s.Host.CPUKnown = prev.CPU, prev.CPUKnown
	}
}

// HostFailed forgets the host's figures: the header shows none rather
// than stale ones.
func (s *Store) HostFailed() { s.Host = HostFigures{} }

// Get returns a container by its Ref (see core.Container.Ref): the key
// of every map and message in the UI, as the id alone is not unique on a
// host where two runtime roots hold the same id.
func (s *Store) Get(id string) (core.Container, bool) {
	sl := s.byID[id]
	if sl == nil {
		return core.Container{}, false
	}
	return s.Containers[sl.i], true
}

// Label is how the UI names a container to the operator, escaped: its
// manager's name for it (or its id, 64-hex ones shortened), and for
// another manager's container that manager, so "cache (docker)" and
// berth's "cache" never read alike. A container no longer listed is named
// by the id its Ref ends in.
func (s *Store) Label(ref string) string {
	c, ok := s.Get(ref)
	if !ok {
		return sanitize.OneLine(format.ShortID(ref[strings.LastIndexByte(ref, '/')+1:]))
	}
	return ContainerLabel(c)
}

// ContainerLabel is Store.Label of a container at hand.
func ContainerLabel(c core.Container) string {
	name := c.Name
	if name == "" {
		name = format.ShortID(c.ID)
	}
	if !c.Managed {
		name += " (" + c.Owner + ")"
	}
	return sanitize.OneLine(name)
}

// Apply updates the containers that events name, reading nothing: an OOM
// kill counts, an exit stops its container, a pause or resume sets the
// status, a delete removes the row. It returns the ids whose record must
// be read again (a container created, started, restored or checkpointed:
// its pid, cgroup or status changed in ways the event does not carry),
// each once. Relisting every container after every event cost O(host).
func (s *Store) Apply(evs []watch.Event) (fetch []string) {
	want := map[string]bool{}
	// Deleted rows go in one pass at the end (indexes stay valid until
	// then): removing them one by one cost O(rows) each, O(n²) for a
	// batch of n deletes.
	var gone map[string]bool
	defer func() { s.removeAll(gone) }()
	for _, ev := range evs {
		ref := ev.Ref()
		sl := s.byID[ref]
		known := sl != nil
		switch ev.Kind {
		case watch.KindCreate, watch.KindStart, watch.KindRestore, watch.KindCheckpoint:
			if !want[ref] {
				want[ref] = true
				fetch = append(fetch, ref)
			}
			continue
		case watch.KindDelete:
			if known {
				if gone == nil {
					gone = map[string]bool{}
				}
				gone[ref] = true
			}
			continue
		}
		if !known || gone[ref] {
			continue
		}
		c := &s.Containers[sl.i]
		if ev.Pid != 0 && c.Pid != 0 && ev.Pid != c.Pid {
			continue // an earlier incarnation of a reused id
		}
		switch ev.Kind {
		case watch.KindOOM:
			c.OOMKills = max(c.OOMKills+1, ev.OOMCount)
		case watch.KindExit:
			c.Status, c.Pid, c.OOMKilled, c.Reason = core.StatusStopped, 0, ev.OOMKilled, ev.Detail
			if ev.ExitStatus != nil {
				st := *ev.ExitStatus
				c.ExitStatus = &st
			}
			at := ev.Time
			c.ExitedAt = &at
		case watch.KindPause:
			c.Status = core.StatusPaused
		case watch.KindResume:
			c.Status = core.StatusRunning
		default:
			continue
		}
		s.changed(sl)
	}
	return fetch
}

// Put adds a container or replaces the one with its id.
func (s *Store) Put(c core.Container) {
	sl := s.byID[c.Ref()]
	if sl != nil {
		s.Containers[sl.i] = c
	} else {
		sl = &slot{i: len(s.Containers)}
		s.byID[c.Ref()] = sl
		s.Containers = append(s.Containers, c)
		s.slots = append(s.slots, sl)
	}
	s.changed(sl)
}

// Remove drops a container and its history.
func (s *Store) Remove(id string) {
	if _, ok := s.byID[id]; ok {
		s.removeAll(map[string]bool{id: true})
	}
}

// removeAll drops the containers named in gone, and their history, in
// one pass, in place: no page keeps the slice (each row holds a copy of
// its container), and a new slice and index per batch of deletes was
// most of the garbage a removal of many made.
func (s *Store) removeAll(gone map[string]bool) {
	if len(gone) == 0 {
		return
	}
	n := 0
	for i := range s.Containers {
		if gone[s.Containers[i].Ref()] {
			continue
		}
		if n != i {
			s.Containers[n], s.slots[n] = s.Containers[i], s.slots[i]
			s.slots[n].i = n
		}
		n++
	}
	clear(s.Containers[n:])
	clear(s.slots[n:])
	s.Containers, s.slots = s.Containers[:n], s.slots[:n]
	for ref := range gone {
		delete(s.byID, ref)
		delete(s.History, ref)
	}
	s.Rev++
}

// AddStats records a sweep of samples.
func (s *Store) AddStats(st []core.Stats) {
	for _, x := range st {
		h := s.History[x.Ref()]
		if h == nil {
			h = NewHistory(DefaultHistory)
			s.History[x.Ref()] = h
		}
		h.Add(x)
		if sl := s.byID[x.Ref()]; sl != nil {
			sl.rev = s.Rev + 1
		}
	}
	s.Rev++
}

// AddEvents appends events, keeping the newest MaxEvents.
func (s *Store) AddEvents(evs []watch.Event) {
	s.Events = append(s.Events, evs...)
	if over := len(s.Events) - MaxEvents; over > 0 {
		s.Events = append(s.Events[:0], s.Events[over:]...)
	}
	s.Rev++
}

// Nav moves c for a navigation key; it reports whether msg was one.
func (c *Cursor) Nav(msg tea.KeyMsg, k *KeyMap, n, h int) bool {
	switch {
	case key.Matches(msg, k.Up):
		c.Move(-1, n, h)
	case key.Matches(msg, k.Down):
		c.Move(1, n, h)
	case key.Matches(msg, k.PageUp):
		c.Move(-max(h-1, 1), n, h)
	case key.Matches(msg, k.PageDown):
		c.Move(max(h-1, 1), n, h)
	case key.Matches(msg, k.Top):
		c.Move(-n, n, h)
	case key.Matches(msg, k.Bottom):
		c.Move(n, n, h)
	default:
		return false
	}
	return true
}

// Backer is a page with views of its own (a detail under a list, an open
// prompt): the root offers it the back key first, and goes back itself
// only when Back reports false.
type Backer interface {
	Back() bool
}

// Copier is a page with something of its own for the copy key (the logs'
// current line): text is what to copy, already escaped, what how the
// footer names it; ok is false when the page has nothing, for the root
// to copy the container's id.
type Copier interface {
	CopyText() (text, what string, ok bool)
}
