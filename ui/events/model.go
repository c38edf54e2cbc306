// Package events is the events timeline: every container's events on the
// global screen (E), one container's in its view's events tab. Newest at
// the bottom; the view follows new events until the operator scrolls up.
package events

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"

	"berth/ui/common"
	"berth/ui/format"
	"berth/ui/sanitize"
	"berth/ui/table"
	"berth/watch"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// Model is a timeline over the store's events.
type Model struct {
	c      *common.Common
	id     string // "" shows every container
	table  *table.Model[*evRow]
	rows   []*evRow
	follow bool
	rev    uint64
	// detail is the event opened with enter (nil: the timeline), and
	// detailTop its first line on screen.
	detail    *watch.Event
	detailTop int
}

// evRow is one event of the store's, by its index there (oldest first).
type evRow struct {
	key string // the index, as the table's row id
	ev  *watch.Event
}

// Columns of the timeline; the id column is shown only on the global one.
const (
	colTime = iota
	colKind
	colID
	colDetail
)

// New is a timeline; Open chooses whose events it shows.
func New(c *common.Common) *Model {
	m := &Model{c: c, follow: true}
	text := func(f func(ev *watch.Event) string) func(*evRow, table.Cell) string {
		return func(r *evRow, _ table.Cell) string { return f(r.ev) }
	}
	cols := []table.Column[*evRow]{
		colTime:   {Title: "TIME", Width: 15, Cell: text(eventTime)},
		colKind:   {Title: "KIND", Width: 10, Cell: text(func(ev *watch.Event) string { return string(ev.Kind) })},
		colID:     {Title: "ID", Width: 16, Cell: text(func(ev *watch.Event) string { return sanitize.OneLine(format.ShortID(ev.ID)) })},
		colDetail: {Title: "DETAIL", Cell: text(func(ev *watch.Event) string { return format.EventDetail(*ev) })},
	}
	m.table = table.New(c.Keys, cols, func(r *evRow) string { return r.key })
	// An index holds another event once the store drops its oldest.
	m.table.Rev = func(r *evRow) uint64 {
		h := fnv.New64a()
		h.Write([]byte(r.ev.Kind))
		h.Write([]byte(r.ev.Ref()))
		return h.Sum64() ^ uint64(r.ev.Time.UnixNano())
	}
	// The filter meets what the rows show, and the container's name,
	// as the list's does.
	m.table.Fields = func(r *evRow) []string {
		return []string{eventTime(r.ev), string(r.ev.Kind), r.ev.ID, c.Store.Label(r.ev.Ref()), format.EventDetail(*r.ev)}
	}
	m.table.Layout = func(w int) []table.Spec {
		specs := []table.Spec{{Col: colTime, Width: 15}, {Col: colKind, Width: 10}}
		if m.id == "" {
			specs = append(specs, table.Spec{Col: colID, Width: 16})
		}
		return table.Flex(cols, append(specs, table.Spec{Col: colDetail}), w)
	}
	m.table.RowPaint = func(r *evRow) common.Paint { return kindPaint(c.Styles, r.ev.Kind) }
	m.table.Filter.SetPlaceholder("regexp over time, kind, id, name, detail")
	return m
}

// eventTime is an event's time as the timeline shows it.
func eventTime(ev *watch.Event) string { return ev.Time.Local().Format("Jan 02 15:04:05") }

// Open shows the events of id, or of every container when id is "".
func (m *Model) Open(id string) tea.Cmd {
	m.id, m.follow, m.rev, m.detail = id, true, 0, nil
	m.refresh()
	return nil
}

// Close does nothing: the store keeps the events.
func (m *Model) Close() {}

// Capturing reports whether the filter prompt is open.
func (m *Model) Capturing() bool { return m.table.Capturing() }

func (m *Model) refresh() {
	m.table.SetHeight(m.bodyHeight())
	if m.rev == m.c.Store.Rev && m.rows != nil {
		return
	}
	m.rev = m.c.Store.Rev
	m.rows = m.rows[:0]
	evs := m.c.Store.Events
	for i := range evs {
		if m.id == "" || evs[i].Ref() == m.id {
			m.rows = append(m.rows, &evRow{key: strconv.Itoa(i), ev: &evs[i]})
		}
	}
	m.table.SetRows(m.rows)
	m.followNewest()
}

// followNewest keeps the newest event selected while following.
func (m *Model) followNewest() {
	if m.follow {
		m.table.SetCursor(len(m.table.Shown()) - 1)
	}
}

func (m *Model) bodyHeight() int { return max(m.c.Height-2, 1) }

// Update follows the store and scrolls.
func (m *Model) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.KeyMsg:
		if m.detail != nil {
			m.scrollDetail(msg)
			return nil
		}
		return m.updateKey(msg)
	case tea.MouseMsg:
		// The title line and the header are above the rows; at the
		// newest event the timeline follows again.
		m.table.SetHeight(m.bodyHeight())
		if m.detail == nil && m.table.Mouse(msg, msg.Y-2) {
			m.follow = m.table.Cursor() >= len(m.table.Shown())-1
		}
	case common.EventsMsg, common.ContainersMsg, tea.WindowSizeMsg:
		m.refresh()
	}
	return nil
}

// updateKey opens the selected event, or gives the key to the table
// (which filters and moves): at the newest event it follows again, and
// a filter typed while following follows the newest event it shows.
func (m *Model) updateKey(msg tea.KeyMsg) tea.Cmd {
	r, ok := m.table.Selected()
	if !m.table.Capturing() && key.Matches(msg, m.c.Keys.Open) && ok {
		ev := *r.ev
		m.detail, m.detailTop = &ev, 0
		return nil
	}
	m.table.SetHeight(m.bodyHeight())
	typing := m.table.Capturing()
	handled, cmd := m.table.Update(msg)
	switch {
	case !handled:
	case typing || m.table.Capturing():
		// Filtering keeps following: the newest event that passes.
		m.followNewest()
	default:
		m.follow = m.table.Cursor() >= len(m.table.Shown())-1
	}
	return cmd
}

// Back closes an open event.
func (m *Model) Back() bool {
	if m.detail != nil {
		m.detail = nil
		return true
	}
	if m.table.Back() {
		m.followNewest()
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
		whose = m.c.Store.Label(m.id)
	}
	state := "following"
	if !m.follow {
		state = "scrolled (G follows)"
	}
	title := st.Title.Render("events") + st.Muted.Render(fmt.Sprintf(" · %s · %d · %s", whose, len(m.table.Shown()), state))
	switch {
	case m.table.Capturing():
		title = m.table.FilterLine(st)
	case m.table.Filtering():
		title += st.Muted.Render(" · ") + m.table.FilterLine(st)
	}
	lines := m.table.View(w, m.bodyHeight(), st)
	var b strings.Builder
	b.WriteString(common.Fit(title, w) + "\n" + lines[0])
	switch {
	case len(m.table.Shown()) > 0:
	case m.table.Filtering():
		b.WriteString("\n" + st.Muted.Render(m.table.NoMatch("event")))
	default:
		b.WriteString("\n" + st.Muted.Render("no events yet: they appear here as they happen"))
	}
	for _, l := range lines[1:] {
		b.WriteString("\n" + l)
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
	if ev.Root != "" {
		out = append(out, field("runtime root", ev.Root))
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
	heading, unseen := "  memory at the OOM wake-up", "not seen: the process was gone before the snapshot"
	if f.Late {
		heading, unseen = "  memory after the kill (it was seen only then)", "not seen: the snapshot came after the kill"
	}
	out = append(out, "", heading)
	limit := "no limit"
	if f.LimitBytes > 0 {
		limit = format.HumanBytes(f.LimitBytes)
	}
	out = append(out, field("usage", format.HumanBytes(f.UsageBytes)+" of "+limit))
	if f.PeakBytes > 0 {
		out = append(out, field("peak", format.HumanBytes(f.PeakBytes)))
	}
	if v, ok := format.OOMVictim(ev); ok {
		out = append(out, field("killed", v))
	} else {
		out = append(out, field("killed", unseen))
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

// kindPaint colours the kinds that need attention; the kind is always
// written out. It reads the styles on every call: the theme can change.
func kindPaint(st *common.Styles, k watch.Kind) common.Paint {
	switch k {
	case watch.KindOOM:
		return st.P.Error
	case watch.KindExit, watch.KindDelete:
		return st.P.Warning
	case watch.KindPause:
		return st.StatusPaint("paused")
	}
	return st.P.Text
}

// ShortHelp is the timeline's keys.
func (m *Model) ShortHelp() []key.Binding {
	k := m.c.Keys
	open := k.Open
	open.SetHelp(k.Open.Help().Key, "details")
	return []key.Binding{open, k.Filter, k.Up, k.Down, k.Bottom}
}

// FullHelp is every key of the timeline.
func (m *Model) FullHelp() [][]key.Binding {
	return [][]key.Binding{m.ShortHelp()[:2], m.c.Keys.NavHelp()}
}

// CopyText is the selected event's container id, for the copy key (in an
// open event too: the one shown).
func (m *Model) CopyText() (text, what string, ok bool) {
	ev := m.detail
	if ev == nil {
		r, ok := m.table.Selected()
		if !ok {
			return "", "", false
		}
		ev = r.ev
	}
	id := sanitize.OneLine(ev.ID)
	return id, format.ShortID(id), id != ""
}
