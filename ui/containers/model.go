// Package containers is berth's main screen: every container on the host,
// live, with cpu (and its last minute), memory against its limit, pids,
// OOM kills and uptime; sortable by any column, filtered by a regular
// expression, with marks for bulk actions.
package containers

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"berth/core"
	"berth/ui/common"
	"berth/ui/format"
	"berth/ui/table"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// Model is the container list.
type Model struct {
	c *common.Common

	// table holds every container, sorted and filtered, and the cursor.
	table  *table.Model[*row]
	rows   []*row // as built from the store, before sorting
	spare  []*row // the rows' slice before, reused by the next Refresh
	marked map[string]bool

	sortCol int
	reverse bool

	rev uint64    // the store revision rows were built from
	now time.Time // the clock they were built at (uptime, the last minute)
	// byRef holds the rows built, by container: a row whose container's
	// revision has not moved since is kept, and its cached line with it.
	byRef map[string]*row
	// built numbers the rows built, for the table's cache; gen marks
	// the rows one Refresh keeps.
	built, gen uint64
	// counts are the rows by status, for the title line, in the order
	// of titleStatuses.
	counts [len(titleStatuses)]int
	buf    []common.Point
	// title is the title line as last drawn, and what it was drawn from.
	title titleMemo
}

// titleMemo is the title line as last drawn and what it shows: the
// counts, the host's figures (a tick's), the width and the styles. Under
// churn a frame is drawn thirty times a second and the title changes
// with the counts alone; drawing it (a dozen styled pieces) each frame
// was a third of what the list's View cost.
type titleMemo struct {
	key  titleKey
	line string
}

type titleKey struct {
	w, rows int
	counts  [len(titleStatuses)]int
	host    common.HostFigures
	styles  *common.Styles
}

// titleStatuses are the statuses the title line counts, in its order.
var titleStatuses = [...]core.Status{core.StatusRunning, core.StatusPaused, core.StatusStopped, core.StatusCreated, core.StatusUnknown}

// statusIndex is s's place in titleStatuses, or -1.
func statusIndex(s core.Status) int {
	for i, t := range titleStatuses {
		if s == t {
			return i
		}
	}
	return -1
}

// New is the list over c's store.
func New(c *common.Common) *Model {
	m := &Model{c: c, marked: map[string]bool{}, sortCol: colID, byRef: map[string]*row{}}
	m.table = table.New(c.Keys, m.columns(), func(r *row) string { return r.c.Ref() })
	m.table.Rev = func(r *row) uint64 {
		if m.marked[r.c.Ref()] {
			return r.rev<<1 | 1
		}
		return r.rev << 1
	}
	m.table.Marked = func(r *row) bool { return m.marked[r.c.Ref()] }
	m.table.Fields = func(r *row) []string {
		return []string{r.c.ID, r.c.Name, r.c.Owner, r.c.Image, string(r.c.Status), r.c.Runtime}
	}
	m.table.Tie = func(a, b *row) int {
		return cmp.Or(strings.Compare(a.c.ID, b.c.ID), strings.Compare(a.c.RuntimeRoot, b.c.RuntimeRoot))
	}
	m.table.Layout = m.layout
	m.table.Filter.SetPlaceholder("regexp over id, name, owner, image, status, runtime")
	m.table.SortBy(m.sortCol, m.reverse)
	m.table.SetHeight(m.bodyHeight())
	m.Refresh()
	return m
}

// Open shows the list; it needs nothing loaded (the root keeps the store
// fresh).
func (m *Model) Open(string) tea.Cmd { m.Refresh(); return nil }

// Close does nothing: the list runs nothing of its own.
func (m *Model) Close() {}

// Capturing reports whether the filter prompt is open.
func (m *Model) Capturing() bool { return m.table.Capturing() }

// Back closes the filter prompt, or clears the filter, or marks.
func (m *Model) Back() bool {
	switch {
	case m.table.Back():
		return true
	case len(m.marked) > 0:
		clear(m.marked)
		return true
	}
	return false
}

// Selected is the id under the cursor ("" when the list is empty).
func (m *Model) Selected() string {
	if r, ok := m.table.Selected(); ok {
		return r.c.Ref()
	}
	return ""
}

// Targets are the ids an action applies to: the marked containers the
// filter shows (a mark hidden by the filter is not acted on), or, with no
// marks, the selected one.
func (m *Model) Targets() []string {
	var ids []string
	for _, r := range m.table.Shown() {
		if m.marked[r.c.Ref()] {
			ids = append(ids, r.c.Ref())
		}
	}
	// With marks, only marks count: when the filter hides them all,
	// nothing is acted on (not the row under the cursor).
	if len(ids) == 0 && len(m.marked) == 0 {
		if id := m.Selected(); id != "" {
			ids = []string{id}
		}
	}
	return ids
}

// Visible are the ids of the rows on screen: the only ones whose stats
// the root samples.
func (m *Model) Visible() []string {
	win := m.table.Window()
	ids := make([]string, 0, len(win))
	for _, r := range win {
		ids = append(ids, r.c.Ref())
	}
	return ids
}

// Refresh brings the rows up to the store when it changed: a container
// whose revision moved gets its row built again, the others keep theirs
// (and their cached lines). The first change after the clock moved
// builds every row again (uptime and the last minute follow the clock):
// the stats the refresh tick brings, once a second; the tick alone
// rebuilds nothing, as those stats follow it. An event about one
// container among a thousand so costs one row, not a thousand.
func (m *Model) Refresh() {
	st := m.c.Store
	if m.rev == st.Rev && m.rows != nil {
		return
	}
	clock := !m.now.Equal(m.c.Now)
	m.rev, m.now = st.Rev, m.c.Now
	m.gen++
	old := m.rows
	m.rows = m.spare[:0]
	m.counts = [len(titleStatuses)]int{}
	since := m.c.Now.Add(-time.Minute)
	// NAME and IMAGE show only on a host where some container has one
	// (berth's own have neither: the id is the name).
	named, imaged := false, false
	for i := range st.Containers {
		c := &st.Containers[i]
		ref := c.Ref()
		r := m.byRef[ref]
		if r == nil || clock || r.crev != st.RevAt(i) {
			r = m.build(*c, since)
			m.byRef[ref] = r
		}
		r.gen = m.gen
		m.rows = append(m.rows, r)
		if j := statusIndex(c.Status); j >= 0 {
			m.counts[j]++
		}
		named = named || c.Name != ""
		imaged = imaged || c.Image != ""
	}
	// The rows not kept are among those built before (a row built again
	// replaced its old one under the same ref).
	for _, r := range old {
		if ref := r.c.Ref(); r.gen != m.gen && m.byRef[ref] == r {
			delete(m.byRef, ref)
		}
	}
	clear(old)
	m.spare = old
	m.table.Columns[colName].Hidden, m.table.Columns[colImage].Hidden = !named, !imaged
	for id := range m.marked {
		if _, ok := m.c.Store.Get(id); !ok {
			delete(m.marked, id)
		}
	}
	m.table.SetRows(m.rows)
}

// build makes c's row from the store: its record, its last sample and
// its cpu over the last minute (since).
func (m *Model) build(c core.Container, since time.Time) *row {
	m.built++
	r := &row{c: c, id: escapeID(format.ShortID(c.ID)), name: format.OrDash(escapeID(c.Name)),
		owner: escapeID(c.Owner), image: format.OrDash(escapeID(c.Image)),
		rev: m.built, crev: m.c.Store.ContainerRev(c.Ref())}
	if h := m.c.Store.History[c.Ref()]; h != nil && c.Running() {
		s := h.Sample()
		r.mem, r.limit, r.pids = s.MemoryUsage, s.MemoryLimit, s.PidsCurrent
		if p, ok := h.Last(); ok {
			r.cpu, r.hasCPU = p.CPU, true
		}
		m.buf = h.Since(since, m.buf)
		r.spark = make([]float64, len(m.buf))
		for i, p := range m.buf {
			r.spark[i] = p.CPU
		}
	}
	return r
}

// Update handles keys and the root's data messages.
func (m *Model) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.KeyMsg:
		return m.updateKey(msg)
	case tea.MouseMsg:
		// The title line and the table's header are above the rows.
		m.table.SetHeight(m.bodyHeight())
		m.table.Mouse(msg, msg.Y-2)
	case tea.WindowSizeMsg:
		m.table.SetHeight(m.bodyHeight())
	case common.ContainersMsg, common.StatsMsg, common.RefreshMsg:
		m.Refresh()
	case common.SortMsg:
		m.sortBy(msg.Col)
	}
	return nil
}

func (m *Model) updateKey(msg tea.KeyMsg) tea.Cmd {
	k := m.c.Keys
	m.table.SetHeight(m.bodyHeight())
	if ok, cmd := m.table.Update(msg); ok {
		return cmd
	}
	id := m.Selected()
	switch {
	case key.Matches(msg, k.Sort):
		m.cycleSort()
	case key.Matches(msg, k.Reverse):
		m.reverse = !m.reverse
		m.resort()
	case key.Matches(msg, k.Mark):
		if id != "" {
			m.marked[id] = !m.marked[id]
			if !m.marked[id] {
				delete(m.marked, id)
			}
			m.table.Move(1)
		}
	case id == "":
		return nil
	case key.Matches(msg, k.Open):
		return m.c.Ask(common.NavigateMsg{Screen: common.ScreenContainer, ID: id, Tab: common.TabOverview})
	case key.Matches(msg, k.Logs):
		// Marks merge their containers' logs; one alone is its logs tab.
		ids := m.Targets()
		switch len(ids) {
		case 0:
			return nil
		case 1:
			id = ids[0]
		default:
			return m.c.Ask(common.NavigateMsg{Screen: common.ScreenLogs, IDs: ids})
		}
		return m.c.Ask(common.NavigateMsg{Screen: common.ScreenContainer, ID: id, Tab: common.TabLogs})
	default:
		if a, ok := k.ActionFor(msg); ok {
			ids := m.Targets()
			return m.c.Ask(common.ActionMsg{Action: a, IDs: ids})
		}
	}
	return nil
}

func (m *Model) cycleSort() {
	cols := m.sortable()
	i := slices.Index(cols, m.sortCol)
	m.sortCol = cols[(i+1)%len(cols)]
	m.reverse = largestFirst(m.sortCol)
	m.resort()
}

// largestFirst reports a column whose natural order is descending: numbers
// are most useful largest first.
func largestFirst(col int) bool { return col != colID && col != colStatus }

// sortBy sorts by column col in its natural order, or the other way when
// the list already sorts by it; a column that does not sort is ignored.
func (m *Model) sortBy(col int) {
	switch {
	case !slices.Contains(m.sortable(), col):
		return
	case col == m.sortCol:
		m.reverse = !m.reverse
	default:
		m.sortCol, m.reverse = col, largestFirst(col)
	}
	m.resort()
}

// SortColumns are the columns the list sorts by, for the sort menu.
func (m *Model) SortColumns() []common.SortColumn {
	var out []common.SortColumn
	for _, i := range m.sortable() {
		out = append(out, common.SortColumn{Col: i, Title: m.table.Columns[i].Title, Current: i == m.sortCol, Desc: m.reverse})
	}
	return out
}

func (m *Model) resort() {
	m.table.SortBy(m.sortCol, m.reverse)
}

// bodyHeight is the rows the table has: the page less its title and
// header lines (and the prompt line when open).
func (m *Model) bodyHeight() int {
	return max(m.c.Height-2, 1)
}

// View draws the title line, the header and the visible rows.
func (m *Model) View() string {
	w, h := m.c.Width, m.c.Height
	if w < 20 || h < 3 {
		return common.Lines("too small", w, h)
	}
	lines := m.table.View(w, m.bodyHeight(), m.c.Styles)
	var b strings.Builder
	n := w + 1
	for _, l := range lines {
		n += len(l) + 1
	}
	b.Grow(n + 64)
	b.WriteString(m.titleLine(w))
	b.WriteByte('\n')
	b.WriteString(lines[0])
	if len(m.table.Shown()) == 0 {
		b.WriteString("\n" + m.c.Styles.Muted.Render(m.emptyText()))
	}
	for _, l := range lines[1:] {
		b.WriteByte('\n')
		b.WriteString(l)
	}
	return common.Lines(b.String(), w, h)
}

func (m *Model) emptyText() string {
	if m.table.Filtering() {
		return m.table.NoMatch("container")
	}
	return "no containers: start one with berth run, or berth demo"
}

// titleLine counts containers by status and says how the list is cut;
// the host's figures go at its right end, as many as fit (see withHost).
func (m *Model) titleLine(w int) string {
	st := m.c.Styles
	if m.table.Capturing() {
		return common.Fit(m.table.FilterLine(st), w)
	}
	// The filter's line and the marks are drawn fresh: the memo is for
	// the list as churn leaves it, with neither.
	if m.table.Filtering() || len(m.marked) > 0 {
		return m.drawTitle(w)
	}
	k := titleKey{w: w, rows: len(m.rows), host: m.c.Store.Host, styles: st}
	k.counts = m.counts
	if k != m.title.key || m.title.line == "" {
		m.title = titleMemo{key: k, line: m.drawTitle(w)}
	}
	return m.title.line
}

// drawTitle draws the title line titleLine memoizes.
func (m *Model) drawTitle(w int) string {
	st := m.c.Styles
	counts := m.counts
	noun := "containers"
	if len(m.rows) == 1 {
		noun = "container"
	}
	parts := []string{st.Title.Render("berth"), fmt.Sprintf("%d %s", len(m.rows), noun)}
	for i, s := range titleStatuses {
		if counts[i] > 0 {
			parts = append(parts, st.Status(s).Render(strconv.Itoa(counts[i])+" "+string(s)))
		}
	}
	if m.table.Filtering() {
		parts = append(parts, m.table.FilterLine(st))
	}
	if n := len(m.marked); n > 0 {
		hidden := 0
		for id := range m.marked {
			if !slices.ContainsFunc(m.table.Shown(), func(r *row) bool { return r.c.Ref() == id }) {
				hidden++
			}
		}
		text := fmt.Sprintf("%d marked", n)
		if hidden > 0 {
			text += fmt.Sprintf(" (%d hidden by the filter: not acted on)", hidden)
		}
		parts = append(parts, st.Marked.Render(text))
	}
	return withHost(strings.Join(parts, st.Muted.Render(" · ")), m.c.Store.Host, st, w)
}

// ShortHelp is the list's main keys.
func (m *Model) ShortHelp() []key.Binding {
	k := m.c.Keys
	return []key.Binding{k.Open, k.Logs, k.Pause, k.Exec, k.Kill, k.Delete, k.Filter, k.Mark, k.Sort}
}

// FullHelp is every key of the list.
func (m *Model) FullHelp() [][]key.Binding {
	k := m.c.Keys
	return [][]key.Binding{
		{k.Open, k.Logs, k.Filter, k.Mark, k.Sort, k.Reverse, k.SortBy},
		k.ActionHelp(),
		k.NavHelp(),
	}
}
