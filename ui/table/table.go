// Package table is the one table berth's screens draw their lists with:
// the container list, a container's processes, its checkpoints and the
// events timelines. Columns carry how to write a cell and how to paint
// it, so screens hold no per-cell switch; the table keeps the rows, the
// cursor and the visible window, renders only the rows on screen from a
// cache keyed by (row id, row revision, width, theme), and gives every
// table the same regexp filter on /. Every table draws a gutter before
// its columns: '>' on the row under the cursor (and, in a table with
// marks, '*' on a marked row), so selection never rests on colour alone.
package table

import (
	"regexp"
	"slices"
	"strings"

	"berth/ui/common"
	"berth/ui/sanitize"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// Column is one column of a table of rows of type R.
type Column[R any] struct {
	Title string
	// Width is the column's cells; 0 makes it flexible: it takes the
	// width the others leave, at least MinWidth when columns are dropped
	// to make room.
	Width, MinWidth int
	Right           bool
	// Drop orders which columns go first when the width runs out
	// (higher goes first; 0 never goes).
	Drop int
	// Hidden leaves the column out of every layout: one with nothing to
	// show (no container has a name) gives its room to the others.
	Hidden bool
	// Less compares two rows by this column (nil: not sortable).
	Less func(a, b R) int
	// Cell is the row's text in this column, at the column's width.
	Cell func(r R, at Cell) string
	// Paint colours the cell of an unselected row (nil: plain). The
	// paint starts where the text does: it covers a left-aligned cell's
	// padding, not a right-aligned one's.
	Paint func(r R) common.Paint
}

// Cell is where a cell is drawn: its width.
type Cell struct {
	Width int
}

// Spec is a column as laid out: its index in the table's columns and the
// width it gets.
type Spec struct {
	Col, Width int
}

// Model is a table over rows of type R (usually a pointer).
type Model[R any] struct {
	// Columns are every column, in display order.
	Columns []Column[R]
	// ID names a row across updates: the cursor stays on it and its
	// cached line is found by it.
	ID func(R) string
	// Rev is the row's revision: its cached line is reused while it and
	// the layout are unchanged. It must change whenever anything its
	// cells show does (nil: rows never change).
	Rev func(R) uint64
	// Fields are the texts the filter matches, each on its own so ^ and
	// $ anchor to one (nil: the ids).
	Fields func(R) []string
	// Tie orders rows the sort column finds equal.
	Tie func(a, b R) int
	// Layout picks the columns shown at a width (nil: Drop's, with
	// flexible columns widened by Flex).
	Layout func(width int) []Spec
	// RowPaint colours a whole unselected row (nil: none).
	RowPaint func(R) common.Paint
	// Marked reports a row marked for a bulk action, shown by '*' in the
	// gutter beside the cursor's '>' (nil: the table has no marks, and
	// its gutter is the cursor's alone). Rev must change with the mark.
	Marked func(R) bool

	keys   *common.KeyMap
	rows   []R // every row, sorted
	shown  []R // rows passing the filter
	cursor common.Cursor
	// none: no row is selected (the selected one went); the next move
	// selects again, from where the cursor was.
	none   bool
	height int

	sortCol int // -1: rows keep their order
	desc    bool

	Filter Filter
	// before is the row selected when the filter prompt opened: esc
	// puts it back with the filter, so what is typed and taken back
	// never moves the selection an action would then apply to.
	before string

	cache cache
}

// New is an empty table answering to k's navigation and filter keys.
func New[R any](k *common.KeyMap, cols []Column[R], id func(R) string) *Model[R] {
	return &Model[R]{Columns: cols, ID: id, keys: k, sortCol: -1, height: 1, Filter: newFilter()}
}

// SetHeight is how many rows the table shows under its header.
func (m *Model[R]) SetHeight(h int) {
	m.height = max(h, 1)
	m.cursor.Clamp(len(m.shown), m.height)
}

// SetRows replaces the rows, sorted and filtered, the cursor staying on
// the row it was on.
func (m *Model[R]) SetRows(rows []R) {
	sel, ok := m.Selected()
	m.rows = append(m.rows[:0], rows...)
	m.sort()
	m.apply(sel, ok)
}

// Rows are every row, sorted, the filter aside.
func (m *Model[R]) Rows() []R { return m.rows }

// Shown are the rows passing the filter, in order.
func (m *Model[R]) Shown() []R { return m.shown }

// Window is the rows on screen.
func (m *Model[R]) Window() []R {
	c := m.cursor
	c.Clamp(len(m.shown), m.height)
	return m.shown[c.Offset:min(c.Offset+m.height, len(m.shown))]
}

// Selected is the row under the cursor.
func (m *Model[R]) Selected() (R, bool) {
	if m.none || m.cursor.Index < 0 || m.cursor.Index >= len(m.shown) {
		var zero R
		return zero, false
	}
	return m.shown[m.cursor.Index], true
}

// Cursor is the selected index among the shown rows.
func (m *Model[R]) Cursor() int { return m.cursor.Index }

// SetCursor selects shown row i (clamped).
func (m *Model[R]) SetCursor(i int) {
	m.none = false
	m.cursor.Index = i
	m.cursor.Clamp(len(m.shown), m.height)
}

// Select puts the cursor on the shown row named id; it reports whether
// one is shown.
func (m *Model[R]) Select(id string) bool {
	for i, r := range m.shown {
		if m.ID(r) == id {
			m.SetCursor(i)
			return true
		}
	}
	return false
}

// Unselect leaves no row selected until the cursor next moves.
func (m *Model[R]) Unselect() { m.none = true }

// Move moves the cursor by delta rows.
func (m *Model[R]) Move(delta int) {
	m.none = false
	m.cursor.Move(delta, len(m.shown), m.height)
}

// SortBy orders the rows by column col (descending when desc); -1 keeps
// them in the order given.
func (m *Model[R]) SortBy(col int, desc bool) {
	sel, ok := m.Selected()
	m.sortCol, m.desc = col, desc
	m.sort()
	m.apply(sel, ok)
}

func (m *Model[R]) sort() {
	if m.sortCol < 0 || m.sortCol >= len(m.Columns) || m.Columns[m.sortCol].Less == nil {
		return
	}
	less := m.Columns[m.sortCol].Less
	cmp := func(a, b R) int {
		n := less(a, b)
		if n == 0 && m.Tie != nil {
			n = m.Tie(a, b)
		}
		if m.desc {
			n = -n
		}
		return n
	}
	// Rows often come in order already (the container list's are by id,
	// as its default sort): one pass says so, where a sort of every row
	// at every change of one cost O(n log n) each.
	if !slices.IsSortedFunc(m.rows, cmp) {
		slices.SortStableFunc(m.rows, cmp)
	}
}

// apply recomputes the shown rows, keeping the cursor on sel.
func (m *Model[R]) apply(sel R, ok bool) {
	m.shown = m.shown[:0]
	for _, r := range m.rows {
		if m.matches(r) {
			m.shown = append(m.shown, r)
		}
	}
	if ok {
		id := m.ID(sel)
		for i, r := range m.shown {
			if m.ID(r) == id {
				m.cursor.Index = i
				break
			}
		}
	}
	m.cursor.Clamp(len(m.shown), m.height)
}

func (m *Model[R]) matches(r R) bool {
	re := m.Filter.re
	if re == nil {
		return true
	}
	if m.Fields == nil {
		return re.MatchString(m.ID(r))
	}
	for _, s := range m.Fields(r) {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

// setFilter filters by re (nil: none), the cursor kept on its row.
func (m *Model[R]) setFilter(re *regexp.Regexp, src string) {
	sel, ok := m.Selected()
	m.Filter.re, m.Filter.src = re, src
	m.apply(sel, ok)
}

// Update takes a key for the table: the filter prompt's when it is open,
// else the filter key and the navigation keys. It reports whether the key
// was the table's.
func (m *Model[R]) Update(msg tea.KeyMsg) (bool, tea.Cmd) {
	if m.Filter.prompting {
		return true, m.updatePrompt(msg)
	}
	if key.Matches(msg, m.keys.Filter) {
		m.before = ""
		if r, ok := m.Selected(); ok {
			m.before = m.ID(r)
		}
		return true, m.Filter.open()
	}
	if m.cursor.Nav(msg, m.keys, len(m.shown), m.height) {
		m.none = false
		return true, nil
	}
	return false, nil
}

func (m *Model[R]) updatePrompt(msg tea.KeyMsg) tea.Cmd {
	if msg.Type == tea.KeyEnter {
		if re, src, ok := m.Filter.submit(); ok {
			m.setFilter(re, src)
		}
		return nil
	}
	re, src, cmd, ok := m.Filter.typed(msg)
	if ok {
		m.setFilter(re, src)
	}
	return cmd
}

// Back closes the filter prompt (putting back the filter it opened on,
// and the row then selected), or else clears the filter; it reports
// whether there was either.
func (m *Model[R]) Back() bool {
	switch {
	case m.Filter.prompting:
		m.setFilter(m.Filter.cancel())
		if m.before != "" {
			m.Select(m.before)
		}
		return true
	case m.Filter.re != nil:
		m.setFilter(nil, "")
		return true
	}
	return false
}

// Capturing reports whether the filter prompt is open.
func (m *Model[R]) Capturing() bool { return m.Filter.prompting }

// Filtering reports whether a filter applies.
func (m *Model[R]) Filtering() bool { return m.Filter.re != nil }

// NoMatch says that no row (what names one) passes the filter.
func (m *Model[R]) NoMatch(what string) string {
	return "no " + what + " matches /" + sanitize.OneLine(m.Filter.src) + "/ (esc clears the filter)"
}

// FilterLine is the prompt line while it is open, or what the filter
// shows while one applies, or "".
func (m *Model[R]) FilterLine(st *common.Styles) string {
	switch {
	case m.Filter.prompting:
		return m.Filter.promptView(st)
	case m.Filter.re != nil:
		return st.Accent.Render(m.Filter.Summary(len(m.shown)))
	}
	return ""
}

// gutter is the cells before the first column: the cursor's, the mark's
// in a table with marks, and a space.
func (m *Model[R]) gutter() int {
	if m.Marked != nil {
		return 3
	}
	return 2
}

// layout is the columns shown at width (the gutter aside).
func (m *Model[R]) layout(width int) []Spec {
	width = max(width-m.gutter(), 0)
	if m.Layout != nil {
		return m.Layout(width)
	}
	return Flex(m.Columns, Drop(m.Columns, width), width)
}

// Drop lays cols out in width: every column at its width, then the
// columns with the highest Drop removed one by one until the rest fit,
// flexible columns counted at their MinWidth.
func Drop[R any](cols []Column[R], width int) []Spec {
	shown := make([]bool, len(cols))
	for i, c := range cols {
		shown[i] = !c.Hidden
	}
	need := func() int {
		n := -1
		for i, c := range cols {
			if shown[i] {
				n += max(c.Width, c.MinWidth) + 1
			}
		}
		return n
	}
	for need() > width {
		worst := -1
		for i, c := range cols {
			if shown[i] && c.Drop > 0 && (worst < 0 || c.Drop > cols[worst].Drop) {
				worst = i
			}
		}
		if worst < 0 {
			break
		}
		shown[worst] = false
	}
	var out []Spec
	for i, c := range cols {
		if shown[i] {
			out = append(out, Spec{Col: i, Width: c.Width})
		}
	}
	return out
}

// Flex gives the flexible columns of specs (width 0) what is left of
// total, at least 4 cells.
func Flex[R any](cols []Column[R], specs []Spec, total int) []Spec {
	spec := make([]common.Column, len(specs))
	for i, s := range specs {
		spec[i].Width = s.Width
	}
	spec = common.Flex(spec, total)
	for i := range specs {
		specs[i].Width = spec[i].Width
	}
	return specs
}

// columns are specs as common.Columns, the sort column's title marked
// with its direction.
func (m *Model[R]) columns(specs []Spec) []common.Column {
	out := make([]common.Column, len(specs))
	for i, s := range specs {
		c := m.Columns[s.Col]
		out[i] = common.Column{Title: c.Title, Width: s.Width, Right: c.Right}
		if s.Col == m.sortCol && c.Less != nil {
			out[i].Title += common.Arrow(m.desc)
		}
	}
	return out
}

// View is the header and up to height visible rows, width cells wide, in
// st's colours. It moves nothing (the cursor is clamped on a copy); its
// one effect is the cache, a memo of lines: rows not under the cursor
// come from it while their revision, the layout and the theme are
// unchanged.
func (m *Model[R]) View(width, height int, st *common.Styles) []string {
	height = max(height, 1)
	specs := m.layout(width)
	m.cache.check(specs, width, st.Theme)
	m.cache.frame++
	lines := make([]string, 0, height+1)
	lines = append(lines, m.header(specs, width, st))
	cur := m.cursor
	cur.Clamp(len(m.shown), height)
	end := min(cur.Offset+height, len(m.shown))
	var b strings.Builder
	for i := cur.Offset; i < end; i++ {
		r := m.shown[i]
		if i == cur.Index && !m.none {
			lines = append(lines, st.P.Selected.Render(common.Fit(m.line(r, specs, &b, true), width)))
			continue
		}
		id, rev := m.ID(r), m.rev(r)
		line, ok := m.cache.get(id, rev)
		if !ok {
			line = m.line(r, specs, &b, false)
			if m.RowPaint != nil {
				line = m.RowPaint(r).Render(line)
			}
			m.cache.put(id, rev, line)
		}
		lines = append(lines, line)
	}
	m.cache.trim(4 * (height + 1))
	return lines
}

// header is the header line, from the cache while the layout, the
// theme and the sort are as they were: styled by lipgloss, it was drawn
// again every frame.
func (m *Model[R]) header(specs []Spec, width int, st *common.Styles) string {
	c := &m.cache
	if c.header == "" || c.headerSort != m.sortCol || c.headerDesc != m.desc {
		c.header = st.P.Header.Render(common.Fit(blanks(m.gutter())+common.Header(m.columns(specs)), width))
		c.headerSort, c.headerDesc = m.sortCol, m.desc
	}
	return c.header
}

func (m *Model[R]) rev(r R) uint64 {
	if m.Rev == nil {
		return 0
	}
	return m.Rev(r)
}

// line renders row r's gutter and cells, one space between columns:
// plain when selected (the selection style goes over the whole line, so
// the cursor reads the same in every theme), else each painted. Each cell
// is measured once.
func (m *Model[R]) line(r R, specs []Spec, b *strings.Builder, selected bool) string {
	b.Reset()
	// Room for the cells, multi-byte symbols and a few paints, so the
	// line is built without growing.
	n := 0
	for _, s := range specs {
		n += s.Width + 1
	}
	b.Grow(2*n + 64)
	b.WriteByte(sign(selected, '>'))
	if m.Marked != nil {
		b.WriteByte(sign(m.Marked(r), '*'))
	}
	b.WriteByte(' ')
	for i, s := range specs {
		if i > 0 {
			b.WriteByte(' ')
		}
		c := &m.Columns[s.Col]
		v := c.Cell(r, Cell{Width: s.Width})
		n := common.Width(v)
		if n > s.Width {
			v, n = common.Fit(v, s.Width), s.Width
		}
		pad := s.Width - n
		var p common.Paint
		if !selected && c.Paint != nil && v != "" {
			p = c.Paint(r)
		}
		switch {
		case c.Right:
			b.WriteString(blanks(pad))
			b.WriteString(p.Render(v))
		case p != common.Paint{}:
			b.WriteString(p.Render(v + blanks(pad)))
		default:
			b.WriteString(v)
			b.WriteString(blanks(pad))
		}
	}
	return b.String()
}

// sign is c when on is set, else a space.
func sign(on bool, c byte) byte {
	if on {
		return c
	}
	return ' '
}

// spaces serves the padding of cells without allocating it.
var spaces = strings.Repeat(" ", 256)

func blanks(n int) string {
	if n <= 0 {
		return ""
	}
	if n <= len(spaces) {
		return spaces[:n]
	}
	return strings.Repeat(" ", n)
}

// cache holds rendered lines by row id, for one layout and theme.
type cache struct {
	specs []Spec
	width int
	theme string
	lines map[string]cachedLine
	// frame counts the frames drawn, to tell the lines on screen.
	frame uint64
	// header is the header line as drawn for the sort column and
	// direction beside it ("": none yet for this layout and theme).
	header     string
	headerSort int
	headerDesc bool
}

type cachedLine struct {
	rev  uint64
	line string
	// frame is the last frame that drew it.
	frame uint64
}

// check empties the cache when the layout or the theme changed.
func (c *cache) check(specs []Spec, width int, theme string) {
	if c.lines != nil && c.width == width && c.theme == theme && slices.Equal(c.specs, specs) {
		return
	}
	c.specs, c.width, c.theme = append(c.specs[:0], specs...), width, theme
	c.lines = map[string]cachedLine{}
	c.header = ""
}

func (c *cache) get(id string, rev uint64) (string, bool) {
	e, ok := c.lines[id]
	if !ok || e.rev != rev {
		return "", false
	}
	if e.frame != c.frame {
		e.frame = c.frame
		c.lines[id] = e
	}
	return e.line, true
}

func (c *cache) put(id string, rev uint64, line string) {
	c.lines[id] = cachedLine{rev: rev, line: line, frame: c.frame}
}

// trim forgets the lines off screen once the cache holds more than n:
// rows that scrolled away are not kept for ever, and those on screen
// stay (a list losing rows above the window shifts every row, and each
// is still in the cache).
func (c *cache) trim(n int) {
	if len(c.lines) <= n {
		return
	}
	for id, e := range c.lines {
		if e.frame != c.frame {
			delete(c.lines, id)
		}
	}
}

// wheelRows is how far one turn of the mouse wheel moves the cursor.
const wheelRows = 3

// Mouse takes a mouse report over the table's rows: y is the report's
// row less the rows above the first body row (the header's included).
// A left click selects the row under it, the wheel moves the cursor; a
// report elsewhere (the header, below the rows) does nothing. It reports
// whether the table moved.
func (m *Model[R]) Mouse(msg tea.MouseMsg, y int) bool {
	if msg.Action != tea.MouseActionPress {
		return false
	}
	switch msg.Button {
	case tea.MouseButtonWheelUp:
		m.Move(-wheelRows)
	case tea.MouseButtonWheelDown:
		m.Move(wheelRows)
	case tea.MouseButtonLeft:
		c := m.cursor
		c.Clamp(len(m.shown), m.height)
		if y < 0 || y >= m.height || c.Offset+y >= len(m.shown) {
			return false
		}
		m.SetCursor(c.Offset + y)
	default:
		return false
	}
	return true
}
