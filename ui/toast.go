package ui

import (
	"fmt"
	"strings"
	"time"

	"berth/ui/common"
	"berth/ui/format"
	"berth/ui/sanitize"
	"berth/watch"

	"github.com/charmbracelet/x/ansi"
)

// toast is a notice drawn over the bottom right corner until it expires:
// one per container OOM-killed, its count going up with each kill. It
// lives toastLife from when it came, however often the container is
// killed again meanwhile: a kill loop does not hold it up for ever.
type toast struct {
	id     string // the container
	count  int    // its OOM kills this session
	victim string // what the latest kill took, or ""
	shown  time.Time
	until  time.Time
}

const (
	toastLife = 10 * time.Second
	maxToasts = 3
)

// text is what the toast says: "demo-mem OOM-killed ×5: grower (pid 4140, …)".
func (t toast) text() string {
	s := fmt.Sprintf("%s OOM-killed ×%d", sanitize.OneLine(t.id), t.count)
	if t.victim == "" {
		return s + " (the process killed was gone before berth looked)"
	}
	return s + ": " + t.victim
}

// addToast counts a live OOM kill in its container's toast, which it
// raises when none is up and makes the newest either way (keeping when
// it came and when it goes); a muted container raises none.
func (m *Model) addToast(ev watch.Event) {
	m.oomKills[ev.Ref()]++
	if m.muted[ev.Ref()] {
		return
	}
	victim, _ := format.OOMVictim(ev)
	now := m.opts.Now()
	t := toast{id: ev.Ref(), shown: now, until: now.Add(toastLife)}
	if i := m.toastOf(ev.Ref()); i >= 0 {
		t.shown, t.until = m.toasts[i].shown, m.toasts[i].until
		m.toasts = append(m.toasts[:i], m.toasts[i+1:]...)
	}
	t.count, t.victim = m.oomKills[ev.Ref()], victim
	m.toasts = append(m.toasts, t)
	if len(m.toasts) > maxToasts {
		m.toasts = m.toasts[len(m.toasts)-maxToasts:]
	}
}

// toastOf is the index of id's toast, or -1.
func (m *Model) toastOf(id string) int {
	for i, t := range m.toasts {
		if t.id == id {
			return i
		}
	}
	return -1
}

// muteOOM is the mute key: it silences the newest toast's container for
// the session (its toast goes), or with no toast up toggles the
// container selected or in view. The kills still reach the events and
// the count column.
func (m *Model) muteOOM() {
	var id string
	switch ids := m.targets(); {
	case len(m.toasts) > 0:
		id = m.toasts[len(m.toasts)-1].id
	case len(ids) == 1:
		id = ids[0]
	default:
		m.say(common.StatusMsg{Text: "no OOM toast up and no one container selected to mute", Level: common.LevelWarning})
		return
	}
	m.setMuted(id, !m.muted[id] || len(m.toasts) > 0)
}

// setMuted mutes or unmutes id's OOM toasts, and says so.
func (m *Model) setMuted(id string, on bool) {
	name := m.c.Store.Label(id)
	if !on {
		delete(m.muted, id)
		m.say(common.StatusMsg{Text: "OOM toasts of " + name + " heard again"})
		return
	}
	m.muted[id] = true
	if i := m.toastOf(id); i >= 0 {
		m.toasts = append(m.toasts[:i], m.toasts[i+1:]...)
	}
	m.say(common.StatusMsg{Text: "OOM toasts of " + name + " muted for this session: its kills still show in the OOM column " +
		"and the events (" + m.c.Keys.MuteOOM.Help().Key + " with it selected and no toast up, or the palette, unmutes)"})
}

// seeTime is how long a toast must have been up for a key to dismiss
// it: a key already on its way (a held arrow, a filter being typed) does
// not take a toast the operator has not had the time to read.
const seeTime = time.Second

// seeToasts is a key pressed: the toasts up long enough to be read go,
// and the key does what it does.
func (m *Model) seeToasts() {
	now := m.opts.Now()
	keep := m.toasts[:0]
	for _, t := range m.toasts {
		if now.Sub(t.shown) < seeTime {
			keep = append(keep, t)
		}
	}
	m.toasts = keep
}

func (m *Model) expireToasts() {
	now := m.opts.Now()
	keep := m.toasts[:0]
	for _, t := range m.toasts {
		if now.Before(t.until) {
			keep = append(keep, t)
		}
	}
	m.toasts = keep
}

// drawToasts puts the toasts in a box at the bottom right of out, above
// the footer, where they cover the least of a list sorted by id or use.
// They take at most half the rows above the footer: short of rows, the
// hint goes, then the oldest toasts, and below a box's three rows the
// newest toast is one bare line.
func (m *Model) drawToasts(out string) string {
	width := min(m.termW-4, 60)
	if width < 10 {
		return out
	}
	rows := strings.Split(out, "\n")
	budget := (len(rows) - 1) / 2
	box := m.toastBox(width, budget)
	top := max(len(rows)-1-len(box), 1)
	under := m.toastMemo.under[:0]
	for i, bl := range box {
		y := top + i
		if y >= len(rows)-1 {
			break
		}
		bw := common.Width(bl)
		x0 := max(m.termW-bw-1, 0)
		cut := m.cutRow(i, rows[y], x0, x0+bw)
		under = append(under, cut)
		rows[y] = cut.left + bl + cut.right
	}
	m.toastMemo.under = under
	return strings.Join(rows, "\n")
}

// cutRow is a row of the page under a toast box, cut around the cells
// [x0, x1) the box covers.
type cutRow struct {
	row         string
	x0, x1      int
	left, right string
}

// cutRow cuts row around [x0, x1), from the memo when the row under the
// box's line i was the same in the last frame: under OOM churn the
// toasts are up in every frame and the rows under them change about
// once a second, and cutting them (grapheme by grapheme) was most of
// what drawing the toasts cost.
func (m *Model) cutRow(i int, row string, x0, x1 int) cutRow {
	if memo := m.toastMemo.under; i < len(memo) && memo[i].row == row && memo[i].x0 == x0 && memo[i].x1 == x1 {
		return memo[i]
	}
	return cutRow{row: row, x0: x0, x1: x1, left: ansi.Truncate(row, x0, ""), right: ansi.TruncateLeft(row, x1, "")}
}

// toastMemo is the toasts' box as last drawn, and what it was drawn
// from, and the rows under it as last cut: under OOM churn the toasts
// are up in every frame, and their box changes only with a kill.
type toastMemo struct {
	key    toastKey
	toasts []toast
	box    []string
	frame  toastFrame
	under  []cutRow
}

// toastKey is what a toast box is drawn for besides the toasts.
type toastKey struct {
	termW, width, budget int
	theme                string
}

// toastBox is the box of the toasts, width cells wide and at most budget
// rows, from the memo when the toasts, the sizes and the theme are as
// they were.
func (m *Model) toastBox(width, budget int) []string {
	key := toastKey{termW: m.termW, width: width, budget: budget, theme: m.c.Styles.Theme}
	if key != m.toastMemo.key || !sameText(m.toasts, m.toastMemo.toasts) || m.toastMemo.box == nil {
		m.toastMemo.key, m.toastMemo.box = key, m.drawToastBox(width, budget)
		m.toastMemo.toasts = append(m.toastMemo.toasts[:0], m.toasts...)
	}
	return m.toastMemo.box
}

// sameText reports whether two lists of toasts say the same, in the same
// order (what their text is made of); comparing them, rather than a key
// of their texts built each frame, costs nothing under OOM churn.
func sameText(a, b []toast) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].id != b[i].id || a[i].count != b[i].count || a[i].victim != b[i].victim {
			return false
		}
	}
	return true
}

// drawToastBox draws the box toastBox memoizes: short of rows, the hint
// goes, then the oldest toasts, and below a box's three rows the newest
// toast is one bare line.
func (m *Model) drawToastBox(width, budget int) []string {
	st := m.c.Styles
	f := m.toastFrame(width)
	var lines []string
	for _, t := range m.toasts {
		lines = append(lines, f.bang+common.Fit(t.text(), width-2))
	}
	switch {
	case budget < 3:
		line := lines[len(lines)-1]
		if n := len(lines) - 1; n > 0 {
			line = f.bang + common.Fit(fmt.Sprintf("(+%d) %s", n, ansi.Strip(line)[2:]), width-2)
		}
		return []string{common.Fit(line, min(m.termW, width+2))}
	case len(lines)+1 <= budget-2:
		hint := "any key dismisses · " + m.c.Keys.MuteOOM.Help().Key + " mutes " + sanitize.OneLine(m.toasts[len(m.toasts)-1].id)
		lines = append(lines, st.Muted.Render(common.Fit(hint, width)))
	}
	lines = lines[max(len(lines)-(budget-2), 0):]
	if f.ok {
		return f.around(lines)
	}
	return strings.Split(st.Toast.Render(strings.Join(lines, "\n")), "\n")
}

// toastFrame is the toast style's border and padding around lines of one
// width, drawn once by lipgloss and kept: a line then goes between left
// and right. Drawing the bordered box through lipgloss at each kill was
// a tenth of the UI's CPU under OOM churn.
type toastFrame struct {
	width       int
	styles      *common.Styles
	top, bottom string
	left, right string
	// bang is the mark a toast's line starts with.
	bang string
	// ok is false when lipgloss's box could not be taken apart.
	ok bool
}

// toastFrame is the frame for lines width cells wide, from the memo when
// the width and the theme are as they were.
func (m *Model) toastFrame(width int) toastFrame {
	f := m.toastMemo.frame
	if f.styles == m.c.Styles && f.width == width {
		return f
	}
	// A line of a mark that neither borders nor escape sequences hold
	// shows where a line goes.
	mark := strings.Repeat("x", width)
	rows := strings.Split(m.c.Styles.Toast.Render(mark), "\n")
	f = toastFrame{width: width, styles: m.c.Styles, bang: m.c.Styles.Error.Render("! ")}
	if len(rows) == 3 {
		if i := strings.Index(rows[1], mark); i >= 0 {
			f.top, f.bottom, f.left, f.right, f.ok = rows[0], rows[2], rows[1][:i], rows[1][i+len(mark):], true
		}
	}
	m.toastMemo.frame = f
	return f
}

// around frames lines, each the frame's width (as the toasts' lines
// are).
func (f toastFrame) around(lines []string) []string {
	box := make([]string, 0, len(lines)+2)
	box = append(box, f.top)
	for _, l := range lines {
		box = append(box, f.left+l+f.right)
	}
	return append(box, f.bottom)
}
