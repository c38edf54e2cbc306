package ui

import (
	"fmt"
	"strings"

	"berth/ui/common"
	"berth/ui/sanitize"

	"github.com/charmbracelet/bubbles/key"
)

// View returns the frame Update drew.
func (m *Model) View() string {
	if m.frame == "" {
		return m.render()
	}
	return m.frame
}

// render draws the page (with the tab bar in the container view), the
// footer, and any toast or modal over them.
func (m *Model) render() string {
	w, h := m.termW, m.termH
	if w < minWidth || h < minHeight {
		return tooSmall(w, h)
	}
	var bar string
	if m.screen == common.ScreenContainer {
		bar = m.tabBar() + "\n"
	}
	page, foot := common.Lines(m.page().View(), m.c.Width, m.c.Height), m.footer()
	var b strings.Builder
	b.Grow(len(bar) + len(page) + 1 + len(foot))
	b.WriteString(bar)
	b.WriteString(page)
	b.WriteString("\n")
	b.WriteString(foot)
	out := b.String()
	if len(m.toasts) > 0 {
		out = m.drawToasts(out)
	}
	if m.modal != nil {
		out = overlay(out, m.modal.view(m.c, m.room()), w, h)
	}
	return out
}

// tooSmall says how small the terminal is and what berth needs, in
// whatever fits.
func tooSmall(w, h int) string {
	if w <= 0 || h <= 0 {
		return ""
	}
	msg := fmt.Sprintf("berth: terminal %dx%d is too small; needs %dx%d", w, h, minWidth, minHeight)
	var lines []string
	for len(msg) > 0 && len(lines) < h {
		n := min(len(msg), w)
		lines = append(lines, msg[:n])
		msg = msg[n:]
	}
	return common.Lines(strings.Join(lines, "\n"), w, h)
}

// tabBar names the container and its status (in words) and the tabs.
// Narrower than all of it, the other tabs shorten to their digits, then
// the head shortens, then only the tab on view is left: that one is
// always named.
func (m *Model) tabBar() string {
	st := m.c.Styles
	c, ok := m.c.Store.Get(m.id)
	head := st.Title.Render(m.c.Store.Label(m.id))
	if ok {
		head += " " + st.Status(c.Status).Render(common.StatusText(c))
	} else {
		head += " " + st.Error.Render("gone")
	}
	// The tab on view is bracketed as well as styled.
	active := st.TabActive.Render(fmt.Sprintf("[%d %s]", m.tab+1, common.TabNames[m.tab]))
	tabs := func(named bool) string {
		var b strings.Builder
		for i, name := range common.TabNames {
			switch {
			case common.Tab(i) == m.tab && named:
				b.WriteString(active)
			case common.Tab(i) == m.tab:
				b.WriteString(" " + active)
			case named:
				b.WriteString(st.Tab.Render(fmt.Sprintf(" %d %s ", i+1, name)))
			default:
				b.WriteString(st.Tab.Render(fmt.Sprintf(" %d", i+1)))
			}
		}
		return b.String()
	}
	w := m.termW
	full := tabs(true)
	if common.Width(head)+1+common.Width(full) <= w {
		return common.Fit(head+" "+full, w)
	}
	short := tabs(false)
	if n := common.Width(short); n <= w {
		if room := w - n - 1; room >= 4 {
			return common.Fit(common.Fit(head, min(room, common.Width(head)))+" "+short, w)
		}
		return common.Fit(short, w)
	}
	return common.Fit(active, w)
}

// footer is the status message, or the page's keys.
func (m *Model) footer() string {
	st := m.c.Styles
	if m.status.Text != "" {
		s := st.Text
		prefix := ""
		switch m.status.Level {
		case common.LevelWarning:
			s, prefix = st.Warning, "warning: "
		case common.LevelError:
			s, prefix = st.Error, "error: "
		}
		text := prefix + sanitize.OneLine(m.status.Text)
		// Cut short, it says where to read it whole.
		if more := " (" + m.c.Keys.Messages.Help().Key + ": whole)"; common.Width(text) > m.termW && m.termW > 2*common.Width(more) {
			return s.Render(common.Fit(text, m.termW-common.Width(more))) + st.Muted.Render(more)
		}
		return common.Fit(s.Render(text), m.termW)
	}
	keys := append([]key.Binding{m.c.Keys.Help}, m.page().ShortHelp()...)
	keys = append(keys, m.c.Keys.Palette, m.c.Keys.Quit)
	if m.screen != common.ScreenList {
		keys = append(keys, m.c.Keys.Back)
	}
	return m.hints(keys)
}

// hintsMemo is the footer's key hints as last drawn, and what they were
// drawn from: they change with the screen and its state, not with the
// data each frame draws, and styling every hint was a tenth of a frame.
type hintsMemo struct {
	key, line string
}

// hints is the footer line of keys' hints, from the memo when the keys,
// the width and the theme are as they were.
func (m *Model) hints(keys []key.Binding) string {
	var k strings.Builder
	fmt.Fprintf(&k, "%d/%d/%s", m.termW, m.help.Width, m.c.Styles.Theme)
	for _, b := range keys {
		if b.Enabled() {
			h := b.Help()
			k.WriteString("\x00" + h.Key + "\x01" + h.Desc)
		}
	}
	if key := k.String(); key != m.hintsMemo.key {
		m.hintsMemo = hintsMemo{key: key, line: common.Fit(m.help.ShortHelpView(keys), m.termW)}
	}
	return m.hintsMemo.line
}

func (m *Model) styleHelp() {
	st := m.c.Styles
	m.help.Styles.ShortKey = st.Key
	m.help.Styles.ShortDesc = st.KeyDesc
	m.help.Styles.ShortSeparator = st.Muted
	m.help.Styles.Ellipsis = st.Muted
	m.help.ShortSeparator = " · "
}

// helpModal gathers the global keys and the page's.
func (m *Model) helpModal() modal {
	k := m.c.Keys
	h := &helpModal{groups: [][]key.Binding{k.GlobalHelp()}, titles: []string{"global"}}
	if m.screen == common.ScreenContainer {
		tabs := append(append([]key.Binding{k.NextTab, k.PrevTab}, k.Tab[:]...), k.Spec)
		h.groups = append(h.groups, tabs, k.ActionHelp())
		h.titles = append(h.titles, "tabs", "actions")
	}
	for i, g := range m.page().FullHelp() {
		title := pageTitle(m.screen, m.tab, i)
		switch {
		case len(g) > 0 && g[0].Help() == k.Pause.Help():
			if m.screen == common.ScreenContainer {
				continue // listed above
			}
			title = "actions"
		case len(g) > 0 && g[0].Help() == k.Up.Help():
			title = "move"
		}
		h.groups = append(h.groups, g)
		h.titles = append(h.titles, title)
	}
	return h
}

func pageTitle(s common.Screen, t common.Tab, i int) string {
	name := "list"
	switch s {
	case common.ScreenContainer:
		name = common.TabNames[t]
	case common.ScreenEvents:
		name = "events"
	case common.ScreenLogs:
		name = "merged logs"
	}
	if i > 0 {
		return fmt.Sprintf("%s (%d)", name, i+1)
	}
	return name
}
