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
// closes, with the command its choice runs.
// A modal that leads to another (a signal menu to its confirmation)
// returns the next one from update, so keys read in the same batch reach
// it.
type modal interface {
	update(msg tea.KeyMsg, c *common.Common) (modal, tea.Cmd)
	view(c *common.Common) string
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

func (m *confirm) update(msg tea.KeyMsg, c *common.Common) (modal, tea.Cmd) {
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

func (m *confirm) view(c *common.Common) string {
	st := c.Styles
	// The chosen button is marked by "> " as well as by its style.
	cancel, yes := "  [ Cancel ]", "  [ "+m.yesLabel+" ]"
	if m.onYes {
		yes = st.Selected.Render("> " + yes[2:])
		cancel = st.Muted.Render(cancel)
	} else {
		cancel = st.Selected.Render("> " + cancel[2:])
		yes = st.Error.Render(yes)
	}
	body := st.Warning.Render(m.title)
	if m.body != "" {
		body += "\n" + m.body
	}
	body += "\n\n" + cancel + "  " + yes + "\n" + hints(st, confirmKeys.ShortHelp()...)
	return st.Box.Render(body)
}

// menuItem is one choice of a menu: a label and what it runs, or the
// modal it opens next.
type menuItem struct {
	label, hint string
	run         tea.Cmd
	next        modal
}

// menu picks one item: the signal menu and the command palette. With a
// filter, typing narrows the items.
type menu struct {
	title  string
	width  int
	items  []menuItem
	shown  []int
	cursor common.Cursor
	filter *textinput.Model
}

func newMenu(title string, items []menuItem, filter bool, width int) *menu {
	m := &menu{title: title, items: items, width: min(max(width-8, 20), 64)}
	if filter {
		ti := common.NewInput()
		ti.Width = m.width - 4
		ti.Prompt = ": "
		ti.Placeholder = "type to filter commands"
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
		if q == "" || strings.Contains(strings.ToLower(it.label+" "+it.hint), q) {
			m.shown = append(m.shown, i)
		}
	}
	m.cursor.Clamp(len(m.shown), menuRows)
}

const menuRows = 12

func (m *menu) update(msg tea.KeyMsg, c *common.Common) (modal, tea.Cmd) {
	switch {
	case key.Matches(msg, menuKeys.Close):
		return nil, nil
	case key.Matches(msg, menuKeys.Run):
		if m.cursor.Index < len(m.shown) {
			return m.pick(m.cursor.Index)
		}
		return m, nil
	case msg.Type == tea.KeyUp:
		m.cursor.Move(-1, len(m.shown), menuRows)
		return m, nil
	case msg.Type == tea.KeyDown:
		m.cursor.Move(1, len(m.shown), menuRows)
		return m, nil
	case m.filter == nil && m.cursor.Nav(msg, c.Keys, len(m.shown), menuRows):
		return m, nil
	}
	if m.filter != nil {
		var cmd tea.Cmd
		*m.filter, cmd = m.filter.Update(msg)
		m.narrow()
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

func (m *menu) view(c *common.Common) string {
	st := c.Styles
	width := m.width
	var b strings.Builder
	b.WriteString(st.Title.Render(m.title))
	if m.filter != nil {
		b.WriteString("\n" + m.filter.View())
	}
	if len(m.shown) == 0 {
		b.WriteString("\n" + st.Muted.Render("nothing matches"))
	}
	end := min(m.cursor.Offset+menuRows, len(m.shown))
	for i := m.cursor.Offset; i < end; i++ {
		it := m.items[m.shown[i]]
		// "> " marks the cursor, a digit picks the item directly.
		cur, digit := "  ", "  "
		if i == m.cursor.Index {
			cur = "> "
		}
		if m.filter == nil && i < 9 {
			digit = string(rune('1'+i)) + " "
		}
		line := common.Fit(cur+digit+it.label, width/2) + st.Muted.Render(common.Fit(it.hint, width-width/2))
		if i == m.cursor.Index {
			line = st.Selected.Render(common.Fit(ansi.Strip(line), width))
		}
		b.WriteString("\n" + line)
	}
	b.WriteString("\n" + hints(st, menuKeys.ShortHelp()...))
	return st.Box.Render(b.String())
}

// helpModal lists every key of the screen on view, generated from the
// key maps (and so from the user's remapping).
type helpModal struct {
	groups [][]key.Binding
	titles []string
}

func (m *helpModal) update(msg tea.KeyMsg, c *common.Common) (modal, tea.Cmd) {
	return nil, nil // any key closes help
}

func (m *helpModal) takingText() bool { return false }

func (m *helpModal) view(c *common.Common) string {
	st := c.Styles
	var cols []string
	for i, g := range m.groups {
		var b strings.Builder
		b.WriteString(st.Title.Render(m.titles[i]))
		for _, k := range g {
			if !k.Enabled() || k.Help().Key == "" {
				continue
			}
			b.WriteString("\n" + st.Key.Render(common.Fit(allKeys(k), 13)) + " " + st.KeyDesc.Render(k.Help().Desc))
		}
		cols = append(cols, b.String())
	}
	body := joinColumns(cols, c.Width-6)
	return st.Box.Render(body + "\n\n" + hints(st, helpCloseKey))
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
