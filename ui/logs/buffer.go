package logs

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"berth/core"
	"berth/ui/sanitize"

	"github.com/charmbracelet/x/ansi"
)

const (
	// maxLines bounds the lines the page keeps: the oldest go first.
	maxLines = 10000
	// maxText bounds one line's text: a container may print a megabyte
	// without a newline, and the page keeps ten thousand lines.
	maxText = 16 << 10
	// tabWidth is the distance between tab stops when tabs are expanded.
	tabWidth = 8
)

// line is one line of output as the page keeps it: escaped, tabs
// expanded, capped, measured once so rendering never has to.
type line struct {
	// seq numbers the lines since Open from 1; it outlives the ring's
	// turnover, so scroll positions and matches can refer to it.
	seq uint64
	// src is the line's container in a merged view: its index in ids.
	src    int
	time   time.Time
	stderr bool
	text   string
	// cells is text's width; ascii says one byte is one cell, so rows and
	// cuts need no grapheme walk.
	cells int
	ascii bool
}

// newLine makes a container's line safe to keep and to show. It runs in
// the follow goroutine, so a hostile line costs the UI nothing.
func newLine(l core.LogLine) line {
	raw := l.Data
	if raw == nil {
		raw = []byte(l.Text)
	}
	text := escapeCapped(raw)
	out := line{time: l.Time, stderr: l.Stream == "stderr", text: text, ascii: isASCII(text)}
	if out.ascii {
		out.cells = len(text)
	} else {
		out.cells = ansi.StringWidth(text)
	}
	return out
}

// escapeCapped escapes raw with sanitize.Line and expands its tabs, keeping
// at most maxText bytes of the result; what is cut is counted in a marker.
func escapeCapped(raw []byte) string {
	show := func(n int) string { return expandTabs(sanitize.Line(string(raw[:n]))) }
	n := min(len(raw), maxText)
	s := show(n)
	if len(s) > maxText {
		// Escaping grew the text (control bytes become \xNN, tabs spaces):
		// find the longest prefix whose escaped form fits.
		lo, hi := 0, n
		s = ""
		for hi-lo > 1 {
			mid := runeStart(raw, (lo+hi)/2, lo)
			if t := show(mid); len(t) <= maxText {
				lo, s = mid, t
			} else {
				hi = mid
			}
		}
		n = lo
	}
	if n < len(raw) {
		s += " … [+" + strconv.Itoa(len(raw)-n) + " bytes]"
	}
	return s
}

// runeStart moves i back to the start of a UTF-8 sequence, so a cut does
// not show half a character as escapes; never to lo or below.
func runeStart(b []byte, i, lo int) int {
	for j := i; j > lo && j > i-utf8.UTFMax; j-- {
		if utf8.RuneStart(b[j]) {
			return j
		}
	}
	return i
}

// expandTabs replaces tabs with spaces to the next tab stop: a tab's
// width depends on where the terminal's cursor is, which a cut or a wrap
// would get wrong.
func expandTabs(s string) string {
	if !strings.Contains(s, "\t") {
		return s
	}
	var b strings.Builder
	col := 0
	for len(s) > 0 {
		if s[0] == '\t' {
			n := tabWidth - col%tabWidth
			b.WriteString(strings.Repeat(" ", n))
			col += n
			s = s[1:]
			continue
		}
		cl, w := ansi.FirstGraphemeCluster(s, ansi.GraphemeWidth)
		if len(cl) == 0 {
			cl = s[:1]
		}
		b.WriteString(cl)
		col += w
		s = s[len(cl):]
	}
	return b.String()
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// ring holds the newest maxLines lines, oldest first.
type ring struct {
	lines []line
	head  int    // index of the oldest line once full
	next  uint64 // seq of the next line added
}

// add appends l, numbering it, and drops the oldest line when full.
func (r *ring) add(l line) {
	if r.next == 0 {
		r.next = 1
	}
	l.seq = r.next
	r.next++
	if len(r.lines) < maxLines {
		r.lines = append(r.lines, l)
		return
	}
	r.lines[r.head] = l
	r.head = (r.head + 1) % maxLines
}

// len is the number of lines held.
func (r *ring) len() int { return len(r.lines) }

// first is the oldest line's seq (last+1 when empty).
func (r *ring) first() uint64 { return max(r.next, 1) - uint64(len(r.lines)) }

// last is the newest line's seq (0 when empty).
func (r *ring) last() uint64 { return max(r.next, 1) - 1 }

// dropped is how many lines the ring let go since Open.
func (r *ring) dropped() uint64 { return r.first() - 1 }

// get returns the line numbered seq, nil when it is not held.
func (r *ring) get(seq uint64) *line {
	if len(r.lines) == 0 || seq < r.first() || seq > r.last() {
		return nil
	}
	return &r.lines[(r.head+int(seq-r.first()))%len(r.lines)]
}
