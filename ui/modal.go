package ui

import (
	"slices"
	"strings"

	"berth/ui/common"

	"github.com/charmbracelet/bubbles/textinput"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
)

// modal takes every key while open. update returns nil when the modal
// closes, with the command its choice runs; a modal that leads to another
// (a signal menu to its confirmation) returns the next one, so keys read
// in the same batch reach it. Both are given the modal's room, the
// terminal, which the modal fits whole: it shrinks, and scrolls what
// still does not fit.
type modal interface {
	update(msg tea.KeyMsg, c *common.Common, r room) (modal, tea.Cmd)
	view(c *common.Common, r room) string
	// takingText reports that a text field has the focus: keys are text.
	takingText() bool
}

// confirm asks before a destructive action; Cancel is the default, so an
// absent-minded enter does nothing.
type confirm struct {
	title, body string
	yesLabel    string
	yes         tea.Cmd
	onYes       bool
}

func (m *confirm) update(msg tea.KeyMsg, c *common.Common, _ room) (modal, tea.Cmd) {
	k := confirmKeys
	switch {
	case key.Matches(msg, k.Choose):
		m.onYes = !m.onYes
	case key.Matches(msg, k.Yes):
		return nil, m.yes
	case key.Matches(msg, k.No):
		return nil, nil
	case key.Matches(msg, k.Pick):
		if m.onYes {
			return nil, m.yes
		}
		return nil, nil
	}
	return m, nil
}

func (m *confirm) takingText() bool { return false }

// view wraps the question to the room; when it is short of rows the
// blank line, then the body's end, then the key hints give way, never
// the buttons or the title's first line.
func (m *confirm) view(c *common.Common, r room) string {
	st := c.Styles
	w, h := r.inner()
	// The chosen button is marked by "> " as well as by its style.
	cancel, yes := "  [ Cancel ]", "  [ "+m.yesLabel+" ]"
	if m.onYes {
		yes = st.Selected.Render("> " + yes[2:])
		cancel = st.Muted.Render(cancel)
	} else {
		cancel = st.Selected.Render("> " + cancel[2:])
		yes = st.Error.Render(yes)
	}
	buttons := []string{cancel + "  " + yes}
	if ansi.StringWidth(buttons[0]) > w {
		buttons = []string{cancel, yes}
	}
	title := wrap(m.title, w)
	var body []string
	if m.body != "" {
		body = wrap(m.body, w)
	}
	hint := []string{hints(st, confirmKeys.ShortHelp()...)}
	blank := []string{""}
	fixed := func() int { return len(title) + len(body) + len(blank) + len(buttons) + len(hint) }
	if fixed() > h {
		blank = nil
	}
	if over := fixed() - h; over > 0 {
		body = clip(body, len(body)-over, w)
	}
	if over := fixed() - h; over > 0 {
		hint = nil
	}
	if over := fixed() - h; over > 0 {
		title = clip(title, len(title)-over, w)
	}
	lines := make([]string, 0, fixed())
	for _, l := range title {
		lines = append(lines, st.Warning.Render(l))
	}
	lines = append(append(append(append(lines, body...), blank...), buttons...), hint...)
	return boxed(st, lines, min(w, maxWidth(lines)))
}

// clip keeps the first n (at least one) of lines w cells wide, the last
// of them ending in an ellipsis when any were cut.
func clip(lines []string, n, w int) []string {
	n = max(n, 1)
	if len(lines) <= n {
		return lines
	}
	out := append([]string(nil), lines[:n]...)
	out[n-1] = ansi.Truncate(out[n-1], max(w-1, 0), "") + "…"
	return out
}

// maxWidth is the widest of lines, in cells.
func maxWidth(lines []string) int {
	w := 0
	for _, l := range lines {
		w = max(w, ansi.StringWidth(l))
	}
	return w
}

// menuItem is one choice of a menu: a label and what it runs, or the
// modal it opens next.
type menuItem struct {
	label, hint string
	run         tea.Cmd
	next        modal
	// match, when set, are the texts the item is found by instead of
	// its label and hint, and it shows only once something is typed.
	match []string
}

// matches reports whether the item shows for q (lower case; "" shows
// every item that has no match texts). For an item with match texts, q
// may begin with "go to ", as such an item's label does.
func (it menuItem) matches(q string) bool {
	if it.match == nil {
		return q == "" || strings.Contains(strings.ToLower(it.label+" "+it.hint), q)
	}
	q = strings.TrimPrefix(q, "go to ")
	if q == "" {
		return false
	}
	for _, s := range it.match {
		if s != "" && strings.Contains(strings.ToLower(s), q) {
			return true
		}
	}
	return false
}

// menu picks one item: the signal menu and the command palette. With a
// filter, typing narrows the items.
type menu struct {
	title  string
	items  []menuItem
	shown  []int
	cursor common.Cursor
	filter *textinput.Model
}

func newMenu(title string, items []menuItem, filter bool) *menu {
	m := &menu{title: title, items: items}
	if filter {
		ti := common.NewInput()
		ti.Prompt = ": "
		ti.Placeholder = "type a command, or a container's id or name"
		ti.Focus()
		m.filter = &ti
	}
	m.narrow()
	return m
}

func (m *menu) narrow() {
	m.shown = m.shown[:0]
	q := ""
	if m.filter != nil {
		q = strings.ToLower(m.filter.Value())
	}
	for i, it := range m.items {
		if it.matches(q) {
			m.shown = append(m.shown, i)
		}
	}
	m.cursor.Clamp(len(m.shown), menuRows)
}

// menuRows is the most items a menu shows at once, room permitting.
const menuRows = 12

// menuLayout is how a menu fits its room: its width inside the box,
// the items shown at once, and whether the title and the key hints have
// a row (they give way, the title first, before the last item does).
type menuLayout struct {
	width, rows  int
	title, hints bool
}

func (m *menu) layout(r room) menuLayout {
	w, h := r.inner()
	l := menuLayout{width: min(max(r.w-8, 20), 64, w), title: true, hints: true}
	fixed := 2
	if m.filter != nil {
		fixed++
	}
	if h-fixed < 1 {
		l.title, fixed = false, fixed-1
	}
	if h-fixed < 1 {
		l.hints, fixed = false, fixed-1
	}
	l.rows = min(menuRows, max(h-fixed, 1))
	return l
}

func (m *menu) update(msg tea.KeyMsg, c *common.Common, r room) (modal, tea.Cmd) {
	rows := m.layout(r).rows
	m.cursor.Clamp(len(m.shown), rows)
	switch {
	case key.Matches(msg, menuKeys.Close):
		return nil, nil
	case key.Matches(msg, menuKeys.Run):
		if m.cursor.Index < len(m.shown) {
			return m.pick(m.cursor.Index)
		}
		return m, nil
	case msg.Type == tea.KeyUp:
		m.cursor.Move(-1, len(m.shown), rows)
		return m, nil
	case msg.Type == tea.KeyDown:
		m.cursor.Move(1, len(m.shown), rows)
		return m, nil
	case m.filter == nil && m.cursor.Nav(msg, c.Keys, len(m.shown), rows):
		return m, nil
	}
	if m.filter != nil {
		var cmd tea.Cmd
		*m.filter, cmd = m.filter.Update(msg)
		m.narrow()
		m.cursor.Clamp(len(m.shown), rows)
		return m, cmd
	}
	// Without a filter, a digit picks an item directly.
	if s := msg.String(); len(s) == 1 && s[0] >= '1' && s[0] <= '9' {
		if i := int(s[0] - '1'); i < len(m.shown) {
			return m.pick(i)
		}
	}
	return m, nil
}

// pick chooses shown item i: the menu closes, or gives way to the
// item's next modal.
func (m *menu) pick(i int) (modal, tea.Cmd) {
	it := m.items[m.shown[i]]
	return it.next, it.run
}

func (m *menu) takingText() bool { return m.filter != nil }

func (m *menu) view(c *common.Common, r room) string {
	st := c.Styles
	l := m.layout(r)
	width := l.width
	var lines []string
	if l.title {
		lines = append(lines, st.Title.Render(m.title))
	}
	if m.filter != nil {
		ti := *m.filter
		ti.Width = max(width-4, 1)
		lines = append(lines, ti.View())
	}
	cur := m.cursor
	cur.Clamp(len(m.shown), l.rows)
	if len(m.shown) == 0 {
		lines = append(lines, st.Muted.Render("nothing matches"))
	}
	end := min(cur.Offset+l.rows, len(m.shown))
	for i := cur.Offset; i < end; i++ {
		it := m.items[m.shown[i]]
		// "> " marks the cursor, a digit picks the item directly.
		mark, digit := "  ", "  "
		if i == cur.Index {
			mark = "> "
		}
		if m.filter == nil && i < 9 {
			digit = string(rune('1'+i)) + " "
		}
		line := common.Fit(mark+digit+it.label, width/2) + st.Muted.Render(common.Fit(it.hint, width-width/2))
		if i == cur.Index {
			line = st.Selected.Render(common.Fit(ansi.Strip(line), width))
		}
		lines = append(lines, line)
	}
	if l.hints {
		lines = append(lines, hints(st, menuKeys.ShortHelp()...))
	}
	return boxed(st, lines, width)
}

// helpModal lists every key of the screen on view, generated from the
// key maps (and so from the user's remapping). Longer than its room, it
// scrolls with the navigation keys; any other key closes it.
type helpModal struct {
	groups [][]key.Binding
	titles []string
	scroll scroller
}

func (m *helpModal) update(msg tea.KeyMsg, c *common.Common, r room) (modal, tea.Cmd) {
	w, h := r.inner()
	if m.scroll.update(msg, c.Keys, len(m.lines(c, min(w, r.w-6))), h-1) {
		return m, nil
	}
	return nil, nil
}

func (m *helpModal) takingText() bool { return false }

// lines are the key groups laid out in columns that fit width (the key
// column narrows in a narrow terminal, so descriptions still show).
func (m *helpModal) lines(c *common.Common, width int) []string {
	st := c.Styles
	keyW := min(13, max(width/2, 4))
	var cols []string
	for i, g := range m.groups {
		var b strings.Builder
		b.WriteString(st.Title.Render(m.titles[i]))
		for _, k := range g {
			if !k.Enabled() || k.Help().Key == "" {
				continue
			}
			b.WriteString("\n" + st.Key.Render(common.Fit(allKeys(k), keyW)) + " " + st.KeyDesc.Render(k.Help().Desc))
		}
		cols = append(cols, b.String())
	}
	return strings.Split(joinColumns(cols, width), "\n")
}

func (m *helpModal) view(c *common.Common, r room) string {
	st := c.Styles
	w, h := r.inner()
	width := min(w, r.w-6)
	all := m.lines(c, width)
	if len(all)+2 <= h {
		// Room for all of it, and a blank line before the hints.
		return boxed(st, append(append(all[:len(all):len(all)], ""), hints(st, helpCloseKey)), min(width, maxWidth(all)))
	}
	shown, where := m.scroll.window(all, h-1)
	foot := hints(st, helpCloseKey)
	if where != "" {
		foot = hints(st, helpOtherKey, helpScrollKey) + st.Muted.Render(" · "+where)
	}
	return boxed(st, append(shown[:len(shown):len(shown)], foot), min(width, maxWidth(all)))
}

// joinColumns lays blocks side by side while they fit width, wrapping
// to a new band below when they do not.
func joinColumns(blocks []string, width int) string {
	var bands []string
	var row []string
	used := 0
	flush := func() {
		if len(row) > 0 {
			bands = append(bands, sideBySide(row))
			row, used = nil, 0
		}
	}
	for _, b := range blocks {
		w := 0
		for _, l := range strings.Split(b, "\n") {
			w = max(w, ansi.StringWidth(l))
		}
		if used > 0 && used+w+3 > width {
			flush()
		}
		row = append(row, b)
		used += w + 3
	}
	flush()
	return strings.Join(bands, "\n\n")
}

func sideBySide(blocks []string) string {
	split := make([][]string, len(blocks))
	widths := make([]int, len(blocks))
	height := 0
	for i, b := range blocks {
		split[i] = strings.Split(b, "\n")
		height = max(height, len(split[i]))
		for _, l := range split[i] {
			widths[i] = max(widths[i], ansi.StringWidth(l))
		}
	}
	var out []string
	for y := range height {
		var line strings.Builder
		for i := range blocks {
			cell := ""
			if y < len(split[i]) {
				cell = split[i][y]
			}
			if i < len(blocks)-1 {
				cell = common.Fit(cell, widths[i]) + "   "
			}
			line.WriteString(cell)
		}
		out = append(out, line.String())
	}
	return strings.Join(out, "\n")
}

// overlay draws box centred over base (both w x h cells of lines).
func overlay(base, box string, w, h int) string {
	lines := strings.Split(base, "\n")
	boxLines := strings.Split(box, "\n")
	bw := 0
	for _, l := range boxLines {
		bw = max(bw, ansi.StringWidth(l))
	}
	if len(boxLines) > h {
		boxLines = boxLines[:h]
	}
	x0, y0 := max((w-bw)/2, 0), max((h-len(boxLines))/2, 0)
	for i, bl := range boxLines {
		y := y0 + i
		if y >= len(lines) {
			break
		}
		bl = common.Fit(bl, min(bw, w))
		left := ansi.Truncate(lines[y], x0, "")
		right := ansi.TruncateLeft(lines[y], x0+min(bw, w), "")
		lines[y] = left + bl + right
	}
	return strings.Join(lines, "\n")
}

// allKeys names every key of a binding, the help's name first: help lists
// the alternatives the footer has no room for (home/g, ↑/ctrl+p).
func allKeys(b key.Binding) string {
	names := []string{b.Help().Key}
	for _, k := range b.Keys() {
		switch k {
		case " ":
			k = "space"
		case "up":
			k = "↑"
		case "down":
			k = "↓"
		}
		if !slices.Contains(names, k) {
			names = append(names, k)
		}
	}
	return strings.Join(names, "/")
}
