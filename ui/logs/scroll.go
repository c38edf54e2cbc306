package logs

import (
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// pos is a place in the output: a line, by seq, and a row of it (a
// wrapped line has several). Seqs outlive the ring's turnover, so a
// position stays on its line while new lines arrive.
type pos struct {
	seq uint64
	row int
}

// before reports whether a comes before b.
func (a pos) before(b pos) bool {
	return a.seq < b.seq || a.seq == b.seq && a.row < b.row
}

// span is where the row of l that starts at byte from ends: the longest
// run that fits w cells, and at least one character, so rows always
// advance.
func (l *line) span(from, w int) int {
	w = max(w, 1)
	if l.ascii {
		return min(from+w, len(l.text))
	}
	cells, i := 0, from
	for i < len(l.text) {
		n, cw := cluster(l.text[i:])
		if cells+cw > w && i > from {
			break
		}
		cells += cw
		i += n
	}
	return i
}

// cluster is the size and width of the grapheme cluster s starts with.
// ASCII and CJK ideographs followed by more of the same are clusters of
// their own, whose widths are known: they skip the grapheme rules, which
// cost a hundred times more.
func cluster(s string) (size, width int) {
	if s[0] < utf8.RuneSelf && (len(s) == 1 || s[1] < utf8.RuneSelf) {
		return 1, 1 // sanitized: no control bytes
	}
	if r, n := utf8.DecodeRuneInString(s); ideograph(r) {
		if len(s) == n || s[n] < utf8.RuneSelf {
			return n, 2
		}
		if next, _ := utf8.DecodeRuneInString(s[n:]); ideograph(next) {
			return n, 2
		}
	}
	cl, w := ansi.FirstGraphemeCluster(s, ansi.GraphemeWidth)
	return max(len(cl), 1), w
}

// ideograph reports whether r is a CJK unified ideograph: two cells wide,
// never joined to its neighbours.
func ideograph(r rune) bool { return r >= 0x4e00 && r <= 0x9fff }

// rows is how many rows l takes wrapped at w cells.
func (l *line) rows(w int) int {
	w = max(w, 1)
	if l.cells <= w {
		return 1
	}
	if l.ascii {
		return (len(l.text) + w - 1) / w
	}
	n := 0
	for i := 0; i < len(l.text); i = l.span(i, w) {
		n++
	}
	return n
}

// rowStart is the byte where row r of l starts, wrapped at w cells.
func (l *line) rowStart(r, w int) int {
	if l.ascii {
		return min(r*max(w, 1), len(l.text))
	}
	i := 0
	for ; r > 0 && i < len(l.text); r-- {
		i = l.span(i, w)
	}
	return i
}

// rowsOf is how many rows line seq takes on screen now.
func (m *Model) rowsOf(seq uint64) int {
	l := m.buf.get(seq)
	if l == nil || !m.wrap {
		return 1
	}
	return l.rows(m.textWidth())
}

// clamp keeps p on a line held and a row it has.
func (m *Model) clamp(p pos) pos {
	if m.buf.len() == 0 {
		return pos{}
	}
	if p.seq < m.buf.first() {
		return pos{seq: m.buf.first()}
	}
	if p.seq > m.buf.last() {
		p.seq = m.buf.last()
	}
	p.row = min(max(p.row, 0), m.rowsOf(p.seq)-1)
	return p
}

// bottom is the first visible row when the newest row is on the body's
// last row: where following shows the output from.
func (m *Model) bottom() pos {
	if m.buf.len() == 0 {
		return pos{}
	}
	h := m.bodyHeight()
	n := 0
	for seq := m.buf.last(); seq >= m.buf.first(); seq-- {
		n += m.rowsOf(seq)
		if n >= h {
			return pos{seq: seq, row: n - h}
		}
	}
	return pos{seq: m.buf.first()}
}

// start is the first visible row: the bottom when following, else the
// scroll position, never so far down that the body has rows to spare.
func (m *Model) start() pos {
	b := m.bottom()
	if m.follow {
		return b
	}
	if p := m.clamp(m.top); p.before(b) {
		return p
	}
	return b
}

// move is p moved by delta rows, within the output.
func (m *Model) move(p pos, delta int) pos {
	p = m.clamp(p)
	first, last := m.buf.first(), m.buf.last()
	for delta < 0 {
		if p.row > 0 {
			step := min(p.row, -delta)
			p.row -= step
			delta += step
			continue
		}
		if p.seq <= first {
			break
		}
		p.seq--
		p.row = m.rowsOf(p.seq) - 1
		delta++
	}
	for delta > 0 {
		if r := m.rowsOf(p.seq); p.row+1 < r {
			step := min(r-1-p.row, delta)
			p.row += step
			delta -= step
			continue
		}
		if p.seq >= last {
			break
		}
		p.seq++
		p.row = 0
		delta--
	}
	return p
}

// scroll moves the view by delta rows. Going up stops following; coming
// down to the newest rows starts it again.
func (m *Model) scroll(delta int) {
	p := m.move(m.start(), delta)
	if delta > 0 && !p.before(m.bottom()) {
		m.follow = true
		return
	}
	if delta < 0 {
		m.follow = false
	}
	m.top = p
}

// scrollTop shows the oldest line held and stops following.
func (m *Model) scrollTop() {
	m.follow = false
	m.top = pos{seq: m.buf.first()}
}

// visible reports whether line seq is (at least partly) on screen.
func (m *Model) visible(seq uint64) bool {
	p := m.start()
	if seq < p.seq {
		return false
	}
	n := -p.row
	for s := p.seq; s <= m.buf.last(); s++ {
		if s == seq {
			return n < m.bodyHeight()
		}
		n += m.rowsOf(s)
		if n >= m.bodyHeight() {
			return false
		}
	}
	return false
}

// reveal shows line seq: the view stays put if it is on screen, else
// scrolls to put it on the first row. Either way following stops, so the
// line stays where the operator can read it.
func (m *Model) reveal(seq uint64) {
	if m.visible(seq) {
		m.top = m.start()
	} else {
		m.top = pos{seq: seq}
		if b := m.bottom(); !m.top.before(b) {
			m.top = b
		}
	}
	m.follow = false
}

// skip is the byte where l's text starts with its first cells cells
// scrolled off to the left: a wide character across the edge goes too.
func (l *line) skip(cells int) int {
	if cells <= 0 {
		return 0
	}
	if l.ascii {
		return min(cells, len(l.text))
	}
	n, i := 0, 0
	for i < len(l.text) && n < cells {
		size, w := cluster(l.text[i:])
		n += w
		i += size
	}
	return i
}

// scrollSideways moves the text half a width left (dir < 0) or right,
// while wrap is off: no further right than the longest line held needs.
func (m *Model) scrollSideways(dir int) {
	if m.wrap {
		return
	}
	step := max(m.textWidth()/2, 1)
	widest := 0
	for seq := m.buf.first(); seq <= m.buf.last(); seq++ {
		widest = max(widest, m.buf.get(seq).cells)
	}
	m.left = min(max(m.left+dir*step, 0), max(widest-m.textWidth()+1, 0))
}
