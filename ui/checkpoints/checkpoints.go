// Package checkpoints is the container view's checkpoints tab: a browser
// of one container's CRIU checkpoints (name, age, size, validity, options,
// parent, freeze and dump figures) and an inspect view of one checkpoint's
// metadata and dump log.
//
// The page only reads. Creating, restoring and deleting are asked of the
// root with a common.ActionMsg, because the root owns confirmations, forms
// and the footer; the page reloads when the root reports the action done
// (common.DoneMsg) or the watch loop reports a checkpoint.
package checkpoints

import (
	"context"
	"slices"

	"berth/core"
	"berth/ui/common"
	"berth/ui/sanitize"
	"berth/ui/table"
	"berth/watch"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// ListMsg is the reply to a load of container ID's checkpoints. Gen is the
// load's generation: a reply to anything but the latest load is dropped.
type ListMsg struct {
	ID          string
	Gen         uint64
	Checkpoints []core.Checkpoint
	Err         error
}

// LogMsg is the reply to a load of checkpoint Name's dump log, for the
// inspect view opened as generation Gen. Lines are already escaped.
type LogMsg struct {
	ID, Name string
	Gen      uint64
	Lines    []string
	Err      error
}

// Model is the checkpoints tab. Build it with New.
type Model struct {
	c  *common.Common
	id string
	// ctx ends the page's loads when it is closed.
	ctx    context.Context
	cancel context.CancelFunc

	gen     uint64 // of the latest list load
	loading bool   // a list load is in flight
	again   bool   // a reload was asked while one was in flight
	loaded  bool   // the list was loaded at least once
	err     string // the last load's error, escaped, "" when it worked

	list  []core.Checkpoint
	loads uint64 // lists loaded, the rows' revision
	nat   [numCols]int
	// table holds the rows, built once per load, and the cursor.
	table *table.Model[*row]

	logGen  uint64   // of the latest inspect view
	inspGen uint64   // of the latest decode or search of its images
	insp    *inspect // the open inspect view, nil on the list

	// made is a checkpoint just made, selected once a load lists it.
	made string
}

var (
	_ common.Page   = (*Model)(nil)
	_ common.Backer = (*Model)(nil)
)

// New is the tab over c; it shows nothing until Open.
func New(c *common.Common) *Model {
	m := &Model{c: c}
	m.table = m.newTable()
	return m
}

// Open shows container id's checkpoints and loads them. Reopening the same
// container keeps the selection and any open inspect view.
func (m *Model) Open(id string) tea.Cmd {
	if m.cancel != nil {
		m.cancel()
	}
	if id != m.id {
		*m = Model{c: m.c, id: id, gen: m.gen, logGen: m.logGen, inspGen: m.inspGen}
		m.table = m.newTable()
	}
	m.ctx, m.cancel = context.WithCancel(m.c.Ctx)
	cmds := []tea.Cmd{m.load()}
	if in := m.insp; in != nil {
		cmds = append(cmds, m.loadLog())
		// Loads that Close cut off start again.
		if in.f.loading {
			in.f.loading = false
			cmds = append(cmds, m.decode())
		}
		if in.f.searching {
			cmds = append(cmds, m.search(in.f.query))
		}
		if in.f.diffing {
			in.f.diffing = false
			cmds = append(cmds, m.diffOlder())
		}
	}
	return tea.Batch(cmds...)
}

// Close ends the loads in flight; their replies are dropped.
func (m *Model) Close() {
	if m.cancel != nil {
		m.cancel()
	}
	m.ctx, m.cancel = nil, nil
	m.gen++
	m.logGen++
	m.inspGen++
	m.loading, m.again = false, false
}

// Capturing reports whether the filter prompt, or the inspect view's
// search prompt, is open.
func (m *Model) Capturing() bool {
	return m.table.Capturing() || m.insp != nil && m.insp.f.prompting
}

// Back closes the search prompt, or the inspect view, or the filter
// prompt, or the filter; it reports false on the bare list, so the root
// goes back itself.
func (m *Model) Back() bool {
	if m.closePrompt() {
		return true
	}
	if m.insp == nil {
		return m.table.Back()
	}
	m.insp = nil
	m.logGen++
	m.inspGen++
	return true
}

// Inspecting reports whether the inspect view is open.
func (m *Model) Inspecting() bool { return m.insp != nil }

// load starts a list load as a new generation.
func (m *Model) load() tea.Cmd {
	m.gen++
	m.loading, m.again = true, false
	ctx, cr, id, gen := m.ctx, m.c.Core, m.id, m.gen
	return func() tea.Msg {
		cps, err := cr.Checkpoints(ctx, id)
		return ListMsg{ID: id, Gen: gen, Checkpoints: cps, Err: err}
	}
}

// reload loads the list again, keeping one load in flight: a reload asked
// during a load runs when it ends.
func (m *Model) reload() tea.Cmd {
	if m.ctx == nil || m.id == "" {
		return nil
	}
	if m.loading {
		m.again = true
		return nil
	}
	return m.load()
}

// Update handles the page's replies, the root's reports and keys.
func (m *Model) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case ListMsg:
		return m.setList(msg)
	case LogMsg:
		m.setLog(msg)
	case InspectMsg:
		m.setDecoded(msg)
	case SearchMsg:
		m.setSearched(msg)
	case DiffMsg:
		m.setDiffed(msg)
	case common.DoneMsg:
		switch msg.Action {
		case common.ActCheckpoint, common.ActRestore, common.ActDeleteCheckpoint:
			if msg.Action == common.ActCheckpoint && msg.Err == nil && slices.Contains(msg.IDs, m.id) {
				m.made = msg.Checkpoint
			}
			return m.reload()
		}
	case common.EventsMsg:
		if slices.ContainsFunc(msg.Events, func(e watch.Event) bool {
			return e.Kind == watch.KindCheckpoint && e.Ref() == m.id
		}) {
			return m.reload()
		}
	case tea.KeyMsg:
		return m.key(msg)
	case tea.MouseMsg:
		m.mouse(msg)
	}
	return nil
}

// mouse passes a click or the wheel over the list to the table, less the
// lines listView draws above its rows; the inspect view takes none.
func (m *Model) mouse(msg tea.MouseMsg) {
	if m.insp != nil || !m.loaded || len(m.list) == 0 {
		return
	}
	above := 1 // the header
	if m.err != "" {
		above++
	}
	if m.table.FilterLine(m.c.Styles) != "" {
		above++
	}
	m.table.SetHeight(m.listHeight())
	m.table.Mouse(msg, msg.Y-above)
}

// setList takes a list load's reply, keeping the selected checkpoint
// selected, and runs a reload that was asked meanwhile.
func (m *Model) setList(msg ListMsg) tea.Cmd {
	if msg.ID != m.id || msg.Gen != m.gen || !m.loading {
		return nil
	}
	m.loading = false
	if msg.Err != nil {
		m.err = sanitize.OneLine(msg.Err.Error())
	} else {
		m.err, m.loaded = "", true
		m.list = msg.Checkpoints
		m.loads++
		rows, nat := buildRows(m.list, m.loads)
		m.nat = nat
		m.table.SetHeight(m.listHeight())
		m.table.SetRows(rows)
		if m.made != "" && m.table.Select(m.made) {
			m.made = ""
		}
		m.refreshInspect()
	}
	if m.again {
		return m.load()
	}
	return nil
}

// refreshInspect shows the inspected checkpoint's new metadata, or closes
// the view when the checkpoint is gone.
func (m *Model) refreshInspect() {
	if m.insp == nil {
		return
	}
	i := m.indexOf(m.insp.cp.Name)
	if i < 0 {
		m.Back()
		return
	}
	m.insp.cp = m.list[i]
}

func (m *Model) indexOf(name string) int {
	if name == "" {
		return -1
	}
	return slices.IndexFunc(m.list, func(cp core.Checkpoint) bool { return cp.Name == name })
}

// selected is the checkpoint the keys act on: the inspected one, or the
// one under the cursor.
func (m *Model) selected() (core.Checkpoint, bool) {
	if m.insp != nil {
		return m.insp.cp, true
	}
	if r, ok := m.table.Selected(); ok {
		return r.cp, true
	}
	return core.Checkpoint{}, false
}

// key handles a key: the actions, enter, then navigation.
func (m *Model) key(k tea.KeyMsg) tea.Cmd {
	if m.id == "" {
		return nil
	}
	keys := m.c.Keys
	m.table.SetHeight(m.listHeight())
	switch {
	case m.insp == nil && m.table.Capturing():
		_, cmd := m.table.Update(k)
		return cmd
	case m.insp != nil && m.insp.f.prompting:
		return m.inspectKey(k)
	case key.Matches(k, keys.Checkpoint):
		return m.c.Ask(common.ActionMsg{Action: common.ActCheckpoint, IDs: []string{m.id}})
	case key.Matches(k, keys.Restore):
		return m.restore()
	case key.Matches(k, keys.Delete):
		if cp, ok := m.selected(); ok {
			return m.c.Ask(common.ActionMsg{Action: common.ActDeleteCheckpoint, IDs: []string{m.id}, Checkpoint: cp.Name})
		}
	case m.insp != nil:
		return m.inspectKey(k)
	case key.Matches(k, keys.Open):
		return m.openInspect()
	default:
		_, cmd := m.table.Update(k)
		return cmd
	}
	return nil
}

// restore asks the root to restore the selected checkpoint; an invalid
// one is refused here, with its reason, rather than failing in CRIU.
func (m *Model) restore() tea.Cmd {
	cp, ok := m.selected()
	if !ok {
		return nil
	}
	if !cp.Valid {
		return m.c.Ask(common.StatusMsg{
			Text:  "cannot restore " + sanitize.OneLine(cp.Name) + ": " + invalidReason(cp),
			Level: common.LevelWarning,
		})
	}
	return m.c.Ask(common.ActionMsg{Action: common.ActRestore, IDs: []string{m.id}, Checkpoint: cp.Name})
}

// View renders the list or the inspect view in exactly Common.Width x
// Common.Height cells. It reads no clock (ages are against Common.Now) and
// renders only the rows on screen.
func (m *Model) View() string {
	if m.insp != nil {
		return common.Lines(m.inspectView(), m.c.Width, m.c.Height)
	}
	return common.Lines(m.listView(), m.c.Width, m.c.Height)
}

// ShortHelp is the page's main keys, for the footer.
func (m *Model) ShortHelp() []key.Binding {
	k := m.c.Keys
	if m.insp != nil {
		return []key.Binding{k.NextView, memorySearchHelp(k), scrollHelp(k), k.Restore, k.Delete}
	}
	return []key.Binding{inspectHelp(k), k.Filter, k.Checkpoint, k.Restore, k.Delete}
}

// FullHelp is every key of the page, for the help screen.
func (m *Model) FullHelp() [][]key.Binding {
	k := m.c.Keys
	return [][]key.Binding{
		{inspectHelp(k), k.Filter, k.Checkpoint, k.Restore, k.Delete, k.Back},
		{k.NextView, k.PrevView, memorySearchHelp(k)},
		k.NavHelp(),
	}
}

// inspectHelp is the open key, described as what it does here.
func inspectHelp(k *common.KeyMap) key.Binding {
	b := k.Open
	b.SetHelp(b.Help().Key, "inspect")
	return b
}

// memorySearchHelp is the search key, described as what it does in the
// inspect view.
func memorySearchHelp(k *common.KeyMap) key.Binding {
	b := k.Search
	b.SetHelp(b.Help().Key, "search memory")
	return b
}

// scrollHelp stands for the navigation keys in the inspect view.
func scrollHelp(k *common.KeyMap) key.Binding {
	return key.NewBinding(key.WithKeys(k.Up.Keys()...),
		key.WithHelp(k.Up.Help().Key+"/"+k.Down.Help().Key, "scroll"))
}
