package logs

import (
	"strconv"
	"strings"

	"berth/ui/common"
	"berth/ui/sanitize"

	"github.com/charmbracelet/lipgloss"
)

const (
	// timeFormat is the time column: local time to the millisecond.
	timeFormat = "15:04:05.000"
	timeWidth  = len(timeFormat) + 1
	// gutterWidth is the column before the text: '!' marks stderr (so the
	// stream reads without colour), '›' the current match.
	gutterWidth = 2
	// blankTime stands for the time column on a wrapped line's later rows
	// and on lines with no time.
	blankTime = "             "
	// Below this size the page says it is too small.
	minWidth, minHeight = 20, 3
	// maxLabelWidth bounds the label column of a merged view; a longer
	// label is cut.
	maxLabelWidth = 16
	// labelSep ends the label column, in labelSepWidth cells.
	labelSep      = " │ "
	labelSepWidth = 3
)

// merged reports a view of several containers' output.
func (m *Model) merged() bool { return len(m.ids) > 1 }

// textWidth is the cells a line's text has on a row.
func (m *Model) textWidth() int {
	w := m.c.Width - gutterWidth
	if m.timestamps {
		w -= timeWidth
	}
	if m.merged() {
		w -= m.labelW + labelSepWidth
	}
	return max(w, 1)
}

// statusCount is how many lines go under the body: the end of the output
// (in the body when there is no output), a search error, the prompt; never
// so many the body has no row.
func (m *Model) statusCount() int {
	n := 0
	if m.ended && m.buf.len() > 0 {
		n++
	}
	if m.asking != askNone {
		n++
		if m.promptErr != "" {
			n++
		}
	}
	return min(n, max(m.c.Height-2, 0))
}

// bodyHeight is the rows the output has: the page less the header and the
// status lines.
func (m *Model) bodyHeight() int {
	return max(m.c.Height-1-m.statusCount(), 1)
}

// View draws the header, the visible rows of output and the status lines,
// in exactly Width x Height cells.
func (m *Model) View() string {
	w, h := m.c.Width, m.c.Height
	if w < minWidth || h < minHeight {
		return common.Lines(m.c.Styles.Muted.Render("too small"), w, h)
	}
	var b strings.Builder
	b.WriteString(m.header())
	body := m.bodyHeight()
	n := m.renderBody(&b, body)
	for ; n < body; n++ {
		b.WriteByte('\n')
	}
	for _, s := range m.statusLines() {
		b.WriteByte('\n')
		b.WriteString(s)
	}
	return common.Lines(b.String(), w, h)
}

// header says whose output this is, whether it follows, how much is held,
// the search and the layout toggles, all in words.
func (m *Model) header() string {
	st := m.c.Styles
	parts := make([]string, 0, 8)
	switch {
	case len(m.ids) == 0:
		parts = append(parts, st.Title.Render("logs"))
	case m.merged():
		parts = append(parts, st.Title.Render(strconv.Itoa(len(m.ids))+" containers merged"))
	default:
		parts = append(parts, st.Title.Render(m.c.Store.Label(m.ids[0])))
	}
	// Once the output ended there is nothing left to follow.
	switch {
	case m.ended && m.endErr:
		parts = append(parts, st.Error.Render("✗ "+m.endState))
	case m.ended:
		parts = append(parts, st.Muted.Render("■ "+m.endState))
	case m.follow:
		parts = append(parts, st.OK.Render("▼ following"))
	default:
		parts = append(parts, st.Warning.Render("‖ follow paused"))
	}
	count := plural(m.buf.len(), "line")
	if d := m.buf.dropped(); d > 0 {
		count += " (" + strconv.FormatUint(d, 10) + " older dropped)"
	}
	parts = append(parts, count)
	if m.search.active() {
		parts = append(parts, st.Accent.Render(m.searchLabel()))
	}
	if m.left > 0 && !m.wrap {
		parts = append(parts, st.Accent.Render("← "+strconv.Itoa(m.left)))
	}
	parts = append(parts, st.Muted.Render("wrap "+onOff(m.wrap)), st.Muted.Render("time "+onOff(m.timestamps)))
	return common.Fit(strings.Join(parts, st.Muted.Render(" · ")), m.c.Width)
}

// searchLabel is the query and where n and N are among its matches.
func (m *Model) searchLabel() string {
	s := "/" + sanitize.Line(m.search.query) + "/ "
	n := len(m.search.matches)
	switch i := m.search.index(); {
	case n == 0:
		return s + "no match"
	case i >= 0:
		return s + strconv.Itoa(i+1) + "/" + strconv.Itoa(n)
	default:
		return s + plural(n, "match")
	}
}

// statusLines are the lines under the body, as statusCount counts them.
func (m *Model) statusLines() []string {
	st := m.c.Styles
	out := make([]string, 0, 3)
	if m.ended && m.buf.len() > 0 {
		out = append(out, m.endLine())
	}
	if m.asking != askNone {
		if m.promptErr != "" {
			out = append(out, st.Error.Render("✗ "+m.promptErr))
		}
		out = append(out, m.promptLine())
	}
	// The prompt is last: it is what the operator is typing into.
	return out[len(out)-m.statusCount():]
}

// promptLine is the prompt, or the overwrite question.
func (m *Model) promptLine() string {
	if m.asking == askOverwrite {
		st := m.c.Styles
		return common.Fit(st.Warning.Render(sanitize.OneLine(m.overwrite)+" exists: overwrite?")+" "+st.Muted.Render("y: overwrite · any other key: keep it"), m.c.Width)
	}
	return m.prompt.View()
}

// endLine says why the output ended; an error reads as one without colour.
func (m *Model) endLine() string {
	if m.endErr {
		return m.c.Styles.Error.Render("✗ " + m.endText)
	}
	return m.c.Styles.Muted.Render("■ " + m.endText)
}

// renderBody writes the visible rows, from the view's first row down, and
// returns how many it wrote. Only these lines are looked at.
func (m *Model) renderBody(b *strings.Builder, body int) int {
	if m.buf.len() == 0 {
		b.WriteByte('\n')
		if m.ended {
			b.WriteString(m.endLine())
		} else {
			b.WriteString(m.c.Styles.Muted.Render("waiting for output…"))
		}
		return 1
	}
	p := m.start()
	tw := m.textWidth()
	rows := 0
	for seq := p.seq; seq <= m.buf.last() && rows < body; seq++ {
		l := m.buf.get(seq)
		var hl [][]int
		if m.search.active() {
			hl = m.search.re.FindAllStringIndex(l.text, -1)
		}
		current := m.search.active() && seq == m.search.cur
		if !m.wrap {
			b.WriteByte('\n')
			m.renderRow(b, l, 0, 0, tw, hl, current)
			rows++
			continue
		}
		r, from := 0, 0
		if seq == p.seq {
			r, from = p.row, l.rowStart(p.row, tw)
		}
		for rows < body {
			b.WriteByte('\n')
			from = m.renderRow(b, l, r, from, tw, hl, current)
			rows++
			r++
			if from >= len(l.text) {
				break
			}
		}
	}
	return rows
}

// renderRow writes row r of l, whose text starts at byte from, and returns
// where the next row starts. Unwrapped, the row is the line cut to the
// width, an ellipsis saying it was.
func (m *Model) renderRow(b *strings.Builder, l *line, r, from, tw int, hl [][]int, current bool) int {
	st := m.c.Styles
	base := st.Text
	if l.stderr {
		base = st.Warning
	}
	if m.timestamps {
		if r == 0 && !l.time.IsZero() {
			b.WriteString(st.Muted.Render(l.time.Local().Format(timeFormat)))
			b.WriteByte(' ')
		} else {
			b.WriteString(blankTime)
		}
	}
	if m.merged() {
		m.writeLabel(b, l, r)
	}
	if l.stderr {
		b.WriteString(base.Render("!"))
	} else {
		b.WriteByte(' ')
	}
	if current && r == 0 {
		b.WriteString(st.Accent.Render("›"))
	} else {
		b.WriteByte(' ')
	}
	to, cut := len(l.text), false
	switch {
	case m.wrap:
		to = l.span(from, tw)
	case m.left > 0 || l.cells > tw:
		from = l.skip(m.left)
		if to = l.span(from, tw); to < len(l.text) {
			to, cut = l.span(from, tw-1), true
		}
	}
	writeText(b, l.text, from, to, hl, base, st.Search)
	if cut {
		b.WriteString(st.Muted.Render("…"))
	}
	return to
}

// writeLabel writes the label column of a merged view: l's container on
// its first row, blank on the rows a wrap adds.
func (m *Model) writeLabel(b *strings.Builder, l *line, r int) {
	text := ""
	if r == 0 && l.src < len(m.labels) {
		text = m.labels[l.src]
	}
	text = common.Fit(text, m.labelW)
	if r == 0 && l.src < len(m.colors) {
		text = m.colors[l.src].Render(text)
	}
	b.WriteString(text)
	b.WriteString(m.c.Styles.Muted.Render(labelSep))
}

// writeText writes text[from:to] in style base, its parts inside the
// match ranges hl in style match.
func writeText(b *strings.Builder, text string, from, to int, hl [][]int, base, match lipgloss.Style) {
	i := from
	for _, r := range hl {
		s, e := max(r[0], i), min(r[1], to)
		if s >= e {
			if r[0] >= to {
				break
			}
			continue
		}
		if s > i {
			b.WriteString(base.Render(text[i:s]))
		}
		b.WriteString(match.Render(text[s:e]))
		i = e
	}
	if i < to {
		b.WriteString(base.Render(text[i:to]))
	}
}

func plural(n int, word string) string {
	s := strconv.Itoa(n) + " " + word
	if n == 1 {
		return s
	}
	if strings.HasSuffix(word, "ch") {
		return s + "es"
	}
	return s + "s"
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}
