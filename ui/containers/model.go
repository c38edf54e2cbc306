// Package containers is berth's main screen: every container on the host,
// live, with cpu (and its last minute), memory against its limit, pids,
// OOM kills and uptime; sortable by any column, filtered by a regular
// expression, with marks for bulk actions.
package containers

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"berth/core"
	"berth/ui/common"
	"berth/ui/sanitize"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
)

// Model is the container list.
type Model struct {
	c *common.Common

	rows   []*row // every container, sorted
	shown  []*row // rows passing the filter
	cursor common.Cursor
	marked map[string]bool

	sortCol int
	reverse bool

	filter    *regexp.Regexp
	filterSrc string
	prompt    textinput.Model
	prompting bool
	filterErr string
	// before is the filter as it was when the prompt opened: esc puts it
	// back (the filter applies as it is typed).
	before    *regexp.Regexp
	beforeSrc string

	rev uint64 // the store revision rows were built from
	buf []common.Point
}

// New is the list over c's store.
func New(c *common.Common) *Model {
	ti := common.NewInput()
	ti.Prompt = "/"
	ti.Placeholder = "regexp over id, status, runtime, berth/ext"
	ti.CharLimit = 256
	m := &Model{c: c, marked: map[string]bool{}, sortCol: colID, prompt: ti}
	m.Refresh()
	return m
}

// Open shows the list; it needs nothing loaded (the root keeps the store
// fresh).
func (m *Model) Open(string) tea.Cmd { m.Refresh(); return nil }

// Close does nothing: the list runs nothing of its own.
func (m *Model) Close() {}

// Capturing reports whether the filter prompt is open.
func (m *Model) Capturing() bool { return m.prompting }

// Back closes the filter prompt, or clears the filter, or marks.
func (m *Model) Back() bool {
	switch {
	case m.prompting:
		m.prompting = false
		m.prompt.Blur()
		m.filterErr = ""
		m.setFilter(m.before, m.beforeSrc)
		return true
	case m.filter != nil:
		m.setFilter(nil, "")
		return true
	case len(m.marked) > 0:
		clear(m.marked)
		return true
	}
	return false
}

// Selected is the id under the cursor ("" when the list is empty).
func (m *Model) Selected() string {
	if m.cursor.Index < len(m.shown) {
		return m.shown[m.cursor.Index].c.ID
	}
	return ""
}

// Targets are the ids an action applies to: the marked containers the
// filter shows (a mark hidden by the filter is not acted on), or, with no
// marks, the selected one.
func (m *Model) Targets() []string {
	var ids []string
	for _, r := range m.shown {
		if m.marked[r.c.ID] {
			ids = append(ids, r.c.ID)
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
	h := m.bodyHeight()
	end := min(m.cursor.Offset+h, len(m.shown))
	ids := make([]string, 0, max(end-m.cursor.Offset, 0))
	for _, r := range m.shown[m.cursor.Offset:end] {
		ids = append(ids, r.c.ID)
	}
	return ids
}

// Refresh rebuilds the rows from the store when it changed.
func (m *Model) Refresh() {
	if m.rev == m.c.Store.Rev && m.rows != nil {
		return
	}
	m.rev = m.c.Store.Rev
	selected := m.Selected()
	m.rows = m.rows[:0]
	since := m.c.Now.Add(-time.Minute)
	for _, c := range m.c.Store.Containers {
		r := &row{c: c, id: escapeID(c.ID)}
		if h := m.c.Store.History[c.ID]; h != nil && c.Running() {
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
		m.rows = append(m.rows, r)
	}
	for id := range m.marked {
		if _, ok := m.c.Store.Get(id); !ok {
			delete(m.marked, id)
		}
	}
	m.sortRows()
	m.applyFilter(selected)
}

func (m *Model) sortRows() {
	less := columns[m.sortCol].less
	slices.SortStableFunc(m.rows, func(a, b *row) int {
		n := less(a, b)
		if n == 0 {
			n = strings.Compare(a.c.ID, b.c.ID)
		}
		if m.reverse {
			n = -n
		}
		return n
	})
}

// applyFilter recomputes the shown rows, keeping the cursor on selected.
func (m *Model) applyFilter(selected string) {
	m.shown = m.shown[:0]
	for _, r := range m.rows {
		if m.filter == nil || m.matches(r) {
			m.shown = append(m.shown, r)
		}
	}
	for i, r := range m.shown {
		if r.c.ID == selected {
			m.cursor.Index = i
		}
	}
	m.cursor.Clamp(len(m.shown), m.bodyHeight())
}

// matches reports whether the filter matches any of the row's id, status,
// runtime or who started it, each on its own (so ^ and $ anchor to one).
func (m *Model) matches(r *row) bool {
	for _, s := range []string{r.c.ID, string(r.c.Status), r.c.Runtime, kindWord(r.c)} {
		if m.filter.MatchString(s) {
			return true
		}
	}
	return false
}

func (m *Model) setFilter(re *regexp.Regexp, src string) {
	sel := m.Selected()
	m.filter, m.filterSrc = re, src
	m.applyFilter(sel)
}

// Update handles keys and the root's data messages.
func (m *Model) Update(msg tea.Msg) (common.Page, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.KeyMsg:
		if m.prompting {
			return m, m.updatePrompt(msg)
		}
		return m, m.updateKey(msg)
	case tea.WindowSizeMsg:
		m.cursor.Clamp(len(m.shown), m.bodyHeight())
	case common.ContainersMsg, common.StatsMsg, common.RefreshMsg:
		m.Refresh()
	}
	return m, nil
}

func (m *Model) updatePrompt(msg tea.KeyMsg) tea.Cmd {
	if msg.Type == tea.KeyEnter {
		src := m.prompt.Value()
		if src == "" {
			m.setFilter(nil, "")
		} else {
			re, err := regexp.Compile("(?i)" + src)
			if err != nil {
				m.filterErr = "bad regexp: " + sanitize.OneLine(err.Error())
				return nil
			}
			m.setFilter(re, src)
		}
		m.prompting, m.filterErr = false, ""
		m.prompt.Blur()
		return nil
	}
	var cmd tea.Cmd
	m.prompt, cmd = m.prompt.Update(msg)
	// Filter as the operator types, when what is typed so far compiles.
	if re, err := regexp.Compile("(?i)" + m.prompt.Value()); err == nil {
		m.filterErr = ""
		m.setFilter(re, m.prompt.Value())
	}
	return cmd
}

func (m *Model) updateKey(msg tea.KeyMsg) tea.Cmd {
	k := m.c.Keys
	if m.cursor.Nav(msg, k, len(m.shown), m.bodyHeight()) {
		return nil
	}
	id := m.Selected()
	switch {
	case key.Matches(msg, k.Filter):
		m.prompting = true
		m.before, m.beforeSrc = m.filter, m.filterSrc
		m.prompt.SetValue(m.filterSrc)
		m.prompt.CursorEnd()
		return m.prompt.Focus()
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
			m.cursor.Move(1, len(m.shown), m.bodyHeight())
		}
	case id == "":
		return nil
	case key.Matches(msg, k.Open):
		return navigate(id, common.TabOverview)
	case key.Matches(msg, k.Logs):
		return navigate(id, common.TabLogs)
	default:
		if a, ok := k.ActionFor(msg); ok {
			ids := m.Targets()
			return func() tea.Msg { return common.ActionMsg{Action: a, IDs: ids} }
		}
	}
	return nil
}

func navigate(id string, tab common.Tab) tea.Cmd {
	return func() tea.Msg { return common.NavigateMsg{Screen: common.ScreenContainer, ID: id, Tab: tab} }
}

func (m *Model) cycleSort() {
	cols := sortable()
	i := slices.Index(cols, m.sortCol)
	m.sortCol = cols[(i+1)%len(cols)]
	// Numbers are most useful largest first.
	m.reverse = m.sortCol != colID && m.sortCol != colStatus
	m.resort()
}

func (m *Model) resort() {
	sel := m.Selected()
	m.sortRows()
	m.applyFilter(sel)
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
	st := m.c.Styles
	cols := layout(w)
	spec := make([]common.Column, len(cols))
	for i, ci := range cols {
		c := columns[ci]
		spec[i] = common.Column{Title: c.title, Width: c.width, Right: c.right}
		if ci == colStatus && w < 30 {
			spec[i].Width = 9 // the symbol and the word, no exit status
		}
		if ci == m.sortCol {
			spec[i].Title += map[bool]string{false: "▲", true: "▼"}[m.reverse]
		}
	}
	spec = common.Flex(spec, w)
	widen(spec, cols)
	var b strings.Builder
	b.WriteString(m.titleLine(w))
	b.WriteByte('\n')
	b.WriteString(st.P.Header.Render(common.Fit(common.Header(spec), w)))
	body := m.bodyHeight()
	if len(m.shown) == 0 {
		b.WriteString("\n" + st.Muted.Render(m.emptyText()))
	}
	end := min(m.cursor.Offset+body, len(m.shown))
	cells := make([]string, len(cols))
	for i := m.cursor.Offset; i < end; i++ {
		r := m.shown[i]
		b.WriteByte('\n')
		b.WriteString(m.renderRow(r, cols, spec, cells, i == m.cursor.Index))
	}
	return common.Lines(b.String(), w, h)
}

func (m *Model) emptyText() string {
	if m.filter != nil {
		return "no container matches /" + sanitize.OneLine(m.filterSrc) + "/ (esc clears the filter)"
	}
	return "no containers: start one with berth run, or berth demo"
}

// titleLine counts containers by status and says how the list is cut.
func (m *Model) titleLine(w int) string {
	st := m.c.Styles
	if m.prompting {
		line := m.prompt.View()
		if m.filterErr != "" {
			line += "  " + st.Error.Render(m.filterErr)
		}
		return common.Fit(line, w)
	}
	counts := map[core.Status]int{}
	for _, r := range m.rows {
		counts[r.c.Status]++
	}
	noun := "containers"
	if len(m.rows) == 1 {
		noun = "container"
	}
	parts := []string{st.Title.Render("berth"), fmt.Sprintf("%d %s", len(m.rows), noun)}
	for _, s := range []core.Status{core.StatusRunning, core.StatusPaused, core.StatusStopped, core.StatusCreated, core.StatusUnknown} {
		if counts[s] > 0 {
			parts = append(parts, st.Status(s).Render(strconv.Itoa(counts[s])+" "+string(s)))
		}
	}
	if m.filter != nil {
		parts = append(parts, st.Accent.Render(fmt.Sprintf("filter /%s/ %d shown", sanitize.OneLine(m.filterSrc), len(m.shown))))
	}
	if n := len(m.marked); n > 0 {
		hidden := 0
		for id := range m.marked {
			if !slices.ContainsFunc(m.shown, func(r *row) bool { return r.c.ID == id }) {
				hidden++
			}
		}
		text := fmt.Sprintf("%d marked", n)
		if hidden > 0 {
			text += fmt.Sprintf(" (%d hidden by the filter: not acted on)", hidden)
		}
		parts = append(parts, st.Marked.Render(text))
	}
	return common.Fit(strings.Join(parts, st.Muted.Render(" · ")), w)
}

// renderRow formats one row; the selected row is drawn plain then styled
// whole, so the cursor reads the same in every theme.
func (m *Model) renderRow(r *row, cols []int, spec []common.Column, cells []string, selected bool) string {
	p := &m.c.Styles.P
	styled := !selected
	for i, ci := range cols {
		var v string
		switch ci {
		case colMark:
			// The cursor and marks show as characters too: with no
			// colour (NO_COLOR, a dumb terminal) styles are dropped.
			v = map[bool]string{false: " ", true: ">"}[selected] + map[bool]string{false: " ", true: "*"}[m.marked[r.c.ID]]
		case colID:
			v = r.id
			if m.marked[r.c.ID] && styled {
				v = p.Marked.Render(common.Fit(v, spec[i].Width))
			}
		case colStatus:
			v = common.StatusText(r.c)
			if styled {
				v = m.c.Styles.StatusPaint(r.c.Status).Render(common.Fit(v, spec[i].Width))
			}
		case colPid:
			if r.c.Pid > 0 && r.c.Running() {
				v = strconv.Itoa(r.c.Pid)
			} else {
				v = "-"
			}
		case colCPU:
			v = "-"
			if r.hasCPU {
				v = strconv.FormatFloat(r.cpu, 'f', 1, 64)
			}
		case colSpark:
			v = sparkline(r.spark, spec[i].Width)
			if styled {
				v = p.CPU.Render(v)
			}
		case colMem:
			v = memText(r)
		case colBar:
			v = bar(r.mem, r.limit, spec[i].Width)
			if styled && v != "" {
				s := p.Memory
				if r.limit > 0 && r.mem*10 >= r.limit*9 {
					s = p.Warning
				}
				v = s.Render(v)
			}
		case colPids:
			v = "-"
			if r.c.Running() {
				v = strconv.FormatUint(r.pids, 10)
			}
		case colOOM:
			v = strconv.FormatUint(r.c.OOMKills, 10)
			if r.c.OOMKills > 0 && styled {
				v = p.Warning.Render(v)
			}
		case colUptime:
			v = uptime(r.c, m.c.Now)
		case colKind:
			v = kindWord(r.c)
		}
		cells[i] = v
	}
	line := common.Row(spec, cells)
	if selected {
		return p.Selected.Render(common.Fit(line, m.c.Width))
	}
	return line
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
		{k.Open, k.Logs, k.Filter, k.Mark, k.Sort, k.Reverse},
		k.ActionHelp(),
		k.NavHelp(),
	}
}
