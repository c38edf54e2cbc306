// Package events is the events timeline: every container's events on the
// global screen (E), one container's in its view's events tab. Newest at
// the bottom; the view follows new events until the operator scrolls up.
package events

import (
	"fmt"
	"strconv"
	"strings"

	"berth/ui/common"
	"berth/ui/format"
	"berth/ui/sanitize"
	"berth/watch"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
)

// Model is a timeline over the store's events.
type Model struct {
	c      *common.Common
	id     string // "" shows every container
	shown  []int  // indexes into the store's events, oldest first
	cursor common.Cursor
	follow bool
	rev    uint64
	// detail is the event opened with enter (nil: the timeline), and
	// detailTop its first line on screen.
	detail    *watch.Event
	detailTop int
}

// New is a timeline; Open chooses whose events it shows.
func New(c *common.Common) *Model {
	return &Model{c: c, follow: true}
}

// Open shows the events of id, or of every container when id is "".
func (m *Model) Open(id string) tea.Cmd {
	m.id, m.follow, m.rev, m.detail = id, true, 0, nil
	m.refresh()
	return nil
}

// Close does nothing: the store keeps the events.
func (m *Model) Close() {}

// Capturing is always false: the timeline takes no text.
func (m *Model) Capturing() bool { return false }

func (m *Model) refresh() {
	if m.rev == m.c.Store.Rev && m.shown != nil {
		return
	}
	m.rev = m.c.Store.Rev
	m.shown = m.shown[:0]
	for i, ev := range m.c.Store.Events {
		if m.id == "" || ev.ID == m.id {
			m.shown = append(m.shown, i)
		}
	}
	if m.follow {
		m.cursor.Index = len(m.shown) - 1
	}
	m.cursor.Clamp(len(m.shown), m.bodyHeight())
}

func (m *Model) bodyHeight() int { return max(m.c.Height-2, 1) }

// Update follows the store and scrolls.
func (m *Model) Update(msg tea.Msg) (common.Page, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.KeyMsg:
		if m.detail != nil {
			m.scrollDetail(msg)
			return m, nil
		}
		if key.Matches(msg, m.c.Keys.Open) && m.cursor.Index < len(m.shown) {
			ev := m.c.Store.Events[m.shown[m.cursor.Index]]
			m.detail, m.detailTop = &ev, 0
			return m, nil
		}
		if m.cursor.Nav(msg, m.c.Keys, len(m.shown), m.bodyHeight()) {
			m.follow = m.cursor.Index >= len(m.shown)-1
		}
	case common.EventsMsg, common.ContainersMsg, tea.WindowSizeMsg:
		m.refresh()
		m.cursor.Clamp(len(m.shown), m.bodyHeight())
	}
	return m, nil
}

// Back closes an open event.
func (m *Model) Back() bool {
	if m.detail != nil {
		m.detail = nil
		return true
	}
	return false
}

func (m *Model) scrollDetail(msg tea.KeyMsg) {
	c := common.Cursor{Index: m.detailTop, Offset: m.detailTop}
	n := max(len(detailLines(*m.detail))-m.c.Height+2, 1)
	if c.Nav(msg, m.c.Keys, n, 1) {
		m.detailTop = c.Index
	}
}

// View draws a title, a header and the visible events, or the event
// opened.
func (m *Model) View() string {
	w, h := m.c.Width, m.c.Height
	if w < 20 || h < 3 {
		return common.Lines("too small", w, h)
	}
	if m.detail != nil {
		return m.detailView()
	}
	st := m.c.Styles
	whose := "all containers"
	if m.id != "" {
		whose = sanitize.OneLine(m.id)
	}
	state := "following"
	if !m.follow {
		state = "scrolled (G follows)"
	}
	title := st.Title.Render("events") + st.Muted.Render(fmt.Sprintf(" · %s · %d · %s", whose, len(m.shown), state))
	cols := []common.Column{{Title: "TIME", Width: 15}, {Title: "KIND", Width: 10}}
	if m.id == "" {
		cols = append(cols, common.Column{Title: "ID", Width: 16})
	}
	cols = common.Flex(append(cols, common.Column{Title: "DETAIL"}), w)
	var b strings.Builder
	b.WriteString(common.Fit(title, w) + "\n" + st.Header.Render(common.Fit(common.Header(cols), w)))
	if len(m.shown) == 0 {
		b.WriteString("\n" + st.Muted.Render("no events yet: they appear here as they happen"))
	}
	end := min(m.cursor.Offset+m.bodyHeight(), len(m.shown))
	cells := make([]string, len(cols))
	for i := m.cursor.Offset; i < end; i++ {
		ev := m.c.Store.Events[m.shown[i]]
		cells[0] = ev.Time.Local().Format("Jan 02 15:04:05")
		cells[1] = string(ev.Kind)
		n := 2
		if m.id == "" {
			cells[2] = sanitize.OneLine(ev.ID)
			n = 3
		}
		cells[n] = format.EventDetail(ev)
		line := common.Row(cols, cells)
		b.WriteByte('\n')
		if i == m.cursor.Index {
			b.WriteString(st.Selected.Render(common.Fit(line, w)))
		} else {
			b.WriteString(kindStyle(st, ev.Kind).Render(line))
		}
	}
	return common.Lines(b.String(), w, h)
}

// detailView shows everything an event holds: for an OOM kill, the
// memory snapshot taken at the wake-up.
func (m *Model) detailView() string {
	st := m.c.Styles
	lines := detailLines(*m.detail)
	top := min(m.detailTop, max(len(lines)-1, 0))
	var b strings.Builder
	b.WriteString(st.Title.Render("event") + st.Muted.Render(" · esc returns to the timeline"))
	for _, l := range lines[top:] {
		b.WriteString("\n" + l)
	}
	return common.Lines(b.String(), m.c.Width, m.c.Height)
}

// detailLines are an event's fields, one a line, escaped.
func detailLines(ev watch.Event) []string {
	field := func(k, v string) string { return fmt.Sprintf("  %-14s %s", k, sanitize.OneLine(v)) }
	out := []string{
		field("time", ev.Time.Local().Format("2006-01-02 15:04:05.000")),
		field("kind", string(ev.Kind)),
		field("container", ev.ID),
	}
	if ev.Pid > 0 {
		out = append(out, field("init pid", strconv.Itoa(ev.Pid)))
	}
	if ev.Proc != "" {
		out = append(out, field("process", ev.Proc))
	}
	if ev.ExitStatus != nil {
		out = append(out, field("exit status", strconv.Itoa(*ev.ExitStatus)))
	}
	if ev.OOMKilled {
		out = append(out, field("oom-killed", "yes"))
	}
	if ev.Kind == watch.KindOOM {
		out = append(out, field("kill number", strconv.FormatUint(ev.OOMCount, 10)))
		if ev.Missed {
			out = append(out, field("seen", "from the counter: it happened while nothing watched"))
		}
	}
	if ev.Detail != "" {
		out = append(out, field("detail", ev.Detail))
	}
	f := ev.Forensics
	if f == nil {
		return out
	}
	out = append(out, "", "  memory at the OOM wake-up")
	limit := "no limit"
	if f.LimitBytes > 0 {
		limit = format.HumanBytes(f.LimitBytes)
	}
	out = append(out, field("usage", format.HumanBytes(f.UsageBytes)+" of "+limit))
	if v, ok := format.OOMVictim(ev); ok {
		out = append(out, field("killed", v))
	} else {
		out = append(out, field("killed", "not seen: the process was gone before the snapshot"))
	}
	if len(f.Processes) > 0 {
		out = append(out, "", fmt.Sprintf("  %8s %10s  %s", "PID", "RSS", "COMMAND"))
		for _, p := range f.Processes {
			out = append(out, fmt.Sprintf("  %8d %10s  %s", p.Pid, format.HumanBytes(p.RSSBytes), sanitize.OneLine(p.Command)))
		}
	}
	if len(f.Stat) > 0 {
		out = append(out, "", "  largest memory.stat entries")
		for _, e := range f.Stat {
			out = append(out, field(e.Name, format.HumanBytes(e.Bytes)))
		}
	}
	if f.Error != "" {
		out = append(out, "", field("snapshot", f.Error))
	}
	return out
}

// kindStyle colours the kinds that need attention; the kind is always
// written out.
func kindStyle(st *common.Styles, k watch.Kind) lipgloss.Style {
	switch k {
	case watch.KindOOM:
		return st.Error
	case watch.KindExit, watch.KindDelete:
		return st.Warning
	case watch.KindPause:
		return st.Status("paused")
	}
	return st.Text
}

// ShortHelp is the timeline's keys.
func (m *Model) ShortHelp() []key.Binding {
	k := m.c.Keys
	open := k.Open
	open.SetHelp(k.Open.Help().Key, "details")
	return []key.Binding{open, k.Up, k.Down, k.Bottom}
}

// FullHelp is every key of the timeline.
func (m *Model) FullHelp() [][]key.Binding {
	return [][]key.Binding{m.ShortHelp()[:1], m.c.Keys.NavHelp()}
}
