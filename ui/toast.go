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
// one for each OOM kill, as it happens.
type toast struct {
	text  string
	count int
	shown time.Time // when it (or its latest repeat) came
	until time.Time
}

const (
	toastLife = 10 * time.Second
	maxToasts = 3
)

func (m *Model) addToast(ev watch.Event) {
	text := "OOM kill in " + sanitize.OneLine(ev.ID)
	if v, ok := format.OOMVictim(ev); ok {
		text += ": " + v
	} else {
		text += " (the process killed was gone before berth looked)"
	}
	until := m.opts.Now().Add(toastLife)
	// Repeated kills of the same process stack into one toast.
	if n := len(m.toasts); n > 0 && m.toasts[n-1].text == text {
		m.toasts[n-1].count++
		m.toasts[n-1].until = until
		m.toasts[n-1].shown = m.opts.Now()
		return
	}
	m.toasts = append(m.toasts, toast{text: text, count: 1, shown: m.opts.Now(), until: until})
	if len(m.toasts) > maxToasts {
		m.toasts = m.toasts[len(m.toasts)-maxToasts:]
	}
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
	st := m.c.Styles
	width := min(m.termW-4, 60)
	if width < 10 {
		return out
	}
	rows := strings.Split(out, "\n")
	budget := (len(rows) - 1) / 2
	var lines []string
	for _, t := range m.toasts {
		text := t.text
		if t.count > 1 {
			text = fmt.Sprintf("%dx %s", t.count, text)
		}
		lines = append(lines, st.Error.Render("! ")+common.Fit(text, width-2))
	}
	var box []string
	switch {
	case budget < 3:
		line := lines[len(lines)-1]
		if n := len(lines) - 1; n > 0 {
			line = st.Error.Render("! ") + common.Fit(fmt.Sprintf("(+%d) %s", n, ansi.Strip(line)[2:]), width-2)
		}
		box = []string{common.Fit(line, min(m.termW, width+2))}
	default:
		if len(lines)+1 <= budget-2 {
			lines = append(lines, st.Muted.Render(common.Fit("any key dismisses", width)))
		}
		lines = lines[max(len(lines)-(budget-2), 0):]
		box = strings.Split(st.Toast.Render(strings.Join(lines, "\n")), "\n")
	}
	top := max(len(rows)-1-len(box), 1)
	for i, bl := range box {
		y := top + i
		if y >= len(rows)-1 {
			break
		}
		bw := ansi.StringWidth(bl)
		x0 := max(m.termW-bw-1, 0)
		rows[y] = ansi.Truncate(rows[y], x0, "") + bl + ansi.TruncateLeft(rows[y], x0+bw, "")
	}
	return strings.Join(rows, "\n")
}
