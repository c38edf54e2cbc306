package ui

import (
	"errors"
	"fmt"
	"time"

	"berth/core"
	"berth/ui/common"
	"berth/watch"

	tea "github.com/charmbracelet/bubbletea"
)

// refresh is the root's scheduler: it keeps the store fresh at a cost
// that follows what is on screen, not the host. One list is in flight at
// a time (another wanted after it runs next); one sample is in flight, of
// the rows on screen or the container in view, and a reply for a screen
// left since is dropped by generation; live events change the rows they
// name; while no live events come, the list is polled every pollTicks.
type refresh struct {
	listing, relist bool // one list in flight; another wanted after it
	// sampling is true while a sample is in flight; sampleGen names the
	// screen it was for (a reply for a screen left is dropped).
	sampling  bool
	sampleGen uint64
	// sampled are the containers sampled since the last full sample: a
	// change of the containers samples at once only those on screen
	// outside them (a new row, one started), not all per event batch.
	sampled map[string]bool
	// asked are the containers the sample in flight reads.
	asked []string
	// newHeld is set for newRowsPause after a sample of rows new on
	// screen; newWanted when rows came on screen meanwhile.
	newHeld, newWanted bool
	// removed says rows were removed since the last pause began: rows
	// a removal brings on screen wait for a pause without one; removing
	// is set from such a pause's start until one passes without.
	removed, removing bool
	events            *eventStream
	// eventsLive is false until the live stream runs, and after it
	// ends: the list is then relisted every pollTicks ticks instead.
	eventsLive bool
	ticks      int
}

func (m *Model) onContainers(msg common.ContainersMsg) tea.Cmd {
	m.listing = false
	var cmds []tea.Cmd
	if msg.Err != nil {
		m.say(common.Error(msg.Err))
	} else {
		m.c.Store.SetContainers(msg.Containers)
	}
	if m.relist {
		m.relist = false
		cmds = append(cmds, m.requestList())
	}
	return tea.Batch(append(cmds, m.containersChanged(msg.Err))...)
}

// containersChanged shows the store's containers after a list or an
// event changed them: the container in view may be gone, and the page
// redraws its rows. err is the list's failure, if one failed.
func (m *Model) containersChanged(err error) tea.Cmd {
	var cmds []tea.Cmd
	if _, ok := m.c.Store.Get(m.id); !ok && m.screen == common.ScreenContainer && err == nil {
		// The container in view is gone (removed elsewhere).
		gone := m.c.Store.Label(m.id)
		m.modal = nil // a dialog about it has nothing left to act on
		cmds = append(cmds, m.navigate(common.NavigateMsg{Screen: common.ScreenList}))
		m.say(common.StatusMsg{Text: gone + " was removed", Level: common.LevelWarning})
		return tea.Batch(cmds...)
	}
	// The page takes the new list first (the list rebuilds its rows), so
	// the sample below reads the rows now on screen.
	cmds = append(cmds, m.forward(common.ContainersMsg{Containers: m.c.Store.Containers, Err: err}))
	if !m.sampling {
		// Sample at once what came on screen: a new row shows no stats
		// until then (the rest is sampled on the tick).
		cmds = append(cmds, m.sampleNew())
	}
	return tea.Batch(cmds...)
}

// newRowsPause is the least time between two samples of rows new on
// screen, and the quiet a removal must leave before the rows it brought
// on screen are sampled. Under a removal of many every batch of events
// brings rows on screen (those below the removed, soon removed
// themselves): sampling them every pause still opened five cgroup files
// a row, for rows gone a moment later, and was the most a UI spent on
// the removal; they are sampled once it pauses, or by the refresh tick.
// A row that comes on screen alone (a container started) is sampled at
// once.
const newRowsPause = 250 * time.Millisecond

// newRowsMsg ends the pause after a sample of new rows.
type newRowsMsg struct{}

// sampleNew samples what is on screen and was not sampled since the
// last full sample, if anything: at once, or once newRowsPause has
// passed since the last such sample, or after a removal once a pause
// has passed without another.
func (m *Model) sampleNew() tea.Cmd {
	if m.sampled == nil {
		return m.sample()
	}
	if m.newHeld {
		m.newWanted = true
		return nil
	}
	if m.removed {
		m.removed, m.removing, m.newHeld, m.newWanted = false, true, true, true
		return newRowsTick()
	}
	cs, full := m.sampleTargets()
	fresh := cs[:0]
	for _, c := range cs {
		if !m.sampled[c.Ref()] {
			fresh = append(fresh, c)
		}
	}
	if len(fresh) == 0 {
		return nil
	}
	for _, c := range fresh {
		m.sampled[c.Ref()] = true
	}
	m.newHeld = true
	return tea.Batch(m.sampleOf(fresh, full), newRowsTick())
}

func newRowsTick() tea.Cmd {
	return tea.Tick(newRowsPause, func(time.Time) tea.Msg { return newRowsMsg{} })
}

// onNewRows ends the pause after a sample of new rows, sampling those
// that came on screen meanwhile (unless a sample is in flight: the next
// change or tick samples them).
func (m *Model) onNewRows() tea.Cmd {
	m.newHeld = false
	m.removing = m.removing && m.removed
	if !m.newWanted || m.sampling {
		return nil
	}
	m.newWanted = false
	return m.sampleNew()
}

// requestList lists again, or once the list in flight is back.
func (m *Model) requestList() tea.Cmd {
	if m.listing {
		m.relist = true
		return nil
	}
	m.listing = true
	return listCmd(m.ctx, m.c.Core)
}

func (m *Model) onStats(msg common.StatsMsg) tea.Cmd {
	m.sampling = false
	if msg.Gen != m.sampleGen {
		// For a screen since left: sample what is on screen now.
		return m.sample()
	}
	m.c.Store.AddStats(msg.Stats)
	var cmds []tea.Cmd
	if msg.Stale {
		cmds = append(cmds, m.staleCmds(msg.Stats)...)
	}
	// Only the page on view takes the sweep: the list, when hidden,
	// rebuilds its rows when it is opened again.
	return tea.Batch(append(cmds, m.forward(msg))...)
}

// staleCmds read again what a sample found gone: with live events, the
// containers left out of it, one by one (being removed, their delete
// event is on its way; relisting the host per sample during a removal
// of many cost O(host) each); without, the list.
func (m *Model) staleCmds(got []core.Stats) []tea.Cmd {
	if !m.eventsLive {
		return []tea.Cmd{m.requestList()}
	}
	read := make(map[string]bool, len(got))
	for _, st := range got {
		read[st.Ref()] = true
	}
	var cmds []tea.Cmd
	for _, ref := range m.asked {
		if !read[ref] {
			cmds = append(cmds, getCmd(m.ctx, m.c.Core, ref))
		}
	}
	return cmds
}

// sample reads the stats of what is on screen: the visible rows of the
// list (all of them stay in the store), or the container in view fully.
// While a removal goes on, the rows it brought on screen wait for its
// end (see newRowsPause): only those sampled before are read.
func (m *Model) sample() tea.Cmd {
	cs, full := m.sampleTargets()
	if m.removing && !full {
		kept := cs[:0]
		for _, c := range cs {
			if m.sampled[c.Ref()] {
				kept = append(kept, c)
			}
		}
		cs = kept
	}
	m.sampled = make(map[string]bool, len(cs))
	if len(cs) == 0 {
		return nil
	}
	for _, c := range cs {
		m.sampled[c.Ref()] = true
	}
	return m.sampleOf(cs, full)
}

// sampleOf starts the sample of cs.
func (m *Model) sampleOf(cs []core.Container, full bool) tea.Cmd {
	m.sampling = true
	m.asked = make([]string, len(cs))
	for i, c := range cs {
		m.asked[i] = c.Ref()
	}
	return sampleCmd(m.c.Core, cs, full, m.sampleGen)
}

// sampleTargets are what a sample reads now, and whether fully.
func (m *Model) sampleTargets() (cs []core.Container, full bool) {
	switch m.screen {
	case common.ScreenContainer:
		if c, ok := m.c.Store.Get(m.id); ok && c.Running() {
			cs, full = []core.Container{c}, true
		}
	case common.ScreenList:
		for _, id := range m.list.Visible() {
			if c, ok := m.c.Store.Get(id); ok && c.Running() {
				cs = append(cs, c)
			}
		}
	}
	return cs, full
}

func (m *Model) onEventsStarted(msg eventsStartedMsg) tea.Cmd {
	m.c.Store.AddEvents(msg.history)
	if len(msg.warns) > 0 {
		m.say(common.StatusMsg{Text: fmt.Sprintf("events journal: %d unreadable lines skipped", len(msg.warns)), Level: common.LevelWarning})
	}
	m.events, m.eventsLive = msg.stream, msg.stream != nil
	cmd := m.forward(common.EventsMsg{Events: msg.history, History: true})
	if m.events == nil {
		return cmd
	}
	return tea.Batch(cmd, m.events.wait())
}

// onEvents takes a live batch: the rows it names change in the store (a
// kill counted, an exit, a pause), and only containers whose record the
// events do not carry are read again, one by one.
func (m *Model) onEvents(msg common.EventsMsg) tea.Cmd {
	m.c.Store.AddEvents(msg.Events)
	for _, ev := range msg.Events {
		if ev.Kind == watch.KindOOM && !msg.History {
			m.addToast(ev)
		}
	}
	cmds := []tea.Cmd{m.forward(msg)}
	if msg.History {
		return tea.Batch(cmds...)
	}
	if m.events != nil {
		cmds = append(cmds, m.events.wait())
	}
	rev, n := m.c.Store.Rev, len(m.c.Store.Containers)
	for _, id := range m.c.Store.Apply(msg.Events) {
		cmds = append(cmds, getCmd(m.ctx, m.c.Core, id))
	}
	m.removed = m.removed || len(m.c.Store.Containers) < n
	if m.c.Store.Rev != rev {
		cmds = append(cmds, m.containersChanged(nil))
	}
	return tea.Batch(cmds...)
}

// onContainer takes one container read again after an event about it.
func (m *Model) onContainer(msg containerMsg) tea.Cmd {
	switch {
	case errors.Is(msg.err, core.ErrNotFound):
		_, had := m.c.Store.Get(msg.id)
		m.c.Store.Remove(msg.id)
		m.removed = m.removed || had
	case msg.err != nil:
		return m.requestList() // unreadable alone: the list says why
	default:
		m.c.Store.Put(msg.c)
	}
	return m.containersChanged(nil)
}

// onHost takes a reading of the host; a failed one leaves the header
// without host figures (said nowhere else: it is not the operator's to
// fix, and the footer is for what is).
func (m *Model) onHost(msg hostMsg) {
	if msg.err != nil {
		m.c.Store.HostFailed()
		return
	}
	m.c.Store.SetHost(msg.stats)
}

func (m *Model) onTick(msg tickMsg) tea.Cmd {
	m.c.Now = m.opts.Now()
	m.onHost(msg.host)
	m.expireToasts()
	m.ticks++
	cmds := []tea.Cmd{tick(m.opts.Refresh, m.c.Core)}
	if !m.sampling {
		cmds = append(cmds, m.sample())
	}
	if !m.eventsLive && m.ticks%pollTicks == 0 {
		cmds = append(cmds, m.requestList())
	}
	cmds = append(cmds, m.forward(common.RefreshMsg{}))
	return tea.Batch(cmds...)
}
