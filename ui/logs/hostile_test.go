package logs

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"berth/core"
	"berth/ui/uitest"
)

// hostile is output a container could print to take over the terminal,
// forge rows, or exhaust memory.
func hostile() []core.LogLine {
	mb := 1 << 20
	raw := []string{
		"clipboard \x1b]52;c;aGk=\x07 written",
		"link \x1b]8;;http://evil.example/\x1b\\click me\x1b]8;;\x1b\\ end",
		"\x1b[2J\x1b[Hscreen cleared",
		"progress 10%\rprogress 100%",
		"lone st \x9c here",
		"c1 csi \u009b31m red",
		"invalid \xff\xfe\xc3 utf-8",
		"tabs\tto\tstops",
		"nul \x00 bell \x07 del \x7f",
		strings.Repeat("A", mb),
		strings.Repeat("\x1b", mb),
		strings.Repeat("界", mb/3),
	}
	out := make([]core.LogLine, len(raw))
	for i, s := range raw {
		stream := "stdout"
		if i%2 == 1 {
			stream = "stderr"
		}
		out[i] = core.LogLine{Time: uitest.Epoch, Stream: stream, Data: []byte(s)}
	}
	return out
}

var sgr = regexp.MustCompile(`\x1b\[[0-9;]*m`)

// checkSafe fails when view holds anything a terminal would act on, or
// does not fill exactly w x h cells.
func checkSafe(t *testing.T, view string, w, h int, color bool) {
	t.Helper()
	if color {
		view = sgr.ReplaceAllString(view, "")
	}
	if i := strings.IndexByte(view, 0x1b); i >= 0 {
		t.Fatalf("%dx%d: ESC at %d: %q", w, h, i, view[max(i-20, 0):min(i+20, len(view))])
	}
	if strings.ContainsAny(view, "\r\x07\x00") {
		t.Fatalf("%dx%d: raw control in view: %q", w, h, view)
	}
	if !utf8.ValidString(view) {
		t.Fatalf("%dx%d: invalid UTF-8 in view", w, h)
	}
	for _, r := range view {
		if r >= 0x80 && r < 0xa0 || r < 0x20 && r != '\n' {
			t.Fatalf("%dx%d: control %U in view", w, h, r)
		}
	}
	checkSize(t, view, w, h)
}

func TestHostileOutput(t *testing.T) {
	lines := hostile()
	for _, color := range []bool{false, true} {
		f := uitest.New()
		f.LogLines["demo-log"] = lines
		m := newModel(t, f, 80, 24, color)
		open(t, m, "demo-log", len(lines))
		for seq := m.buf.first(); seq <= m.buf.last(); seq++ {
			if l := m.buf.get(seq); len(l.text) > maxText+32 {
				t.Errorf("line %d kept %d bytes", seq, len(l.text))
			}
		}
		if got := m.buf.get(10).text; !strings.HasSuffix(got, " … [+1032192 bytes]") {
			t.Errorf("1 MB line ends %q", got[len(got)-40:])
		}
		// Escaping makes each ESC four bytes: 4096 of them fit.
		if got := m.buf.get(11).text; !strings.HasSuffix(got, `\x1b … [+1044480 bytes]`) {
			t.Errorf("1 MB of ESC ends %q", got[len(got)-40:])
		}
		for _, mode := range []string{"", "w", "t", "wt"} {
			m.wrap, m.timestamps = strings.Contains(mode, "w"), strings.Contains(mode, "t")
			for _, size := range [][2]int{{80, 24}, {160, 48}, {20, 3}, {21, 5}, {33, 7}} {
				m.c.Width, m.c.Height = size[0], size[1]
				// Every line on the first row, and the middle row of each.
				for seq := m.buf.first(); seq <= m.buf.last(); seq++ {
					m.follow = false
					for _, row := range []int{0, m.rowsOf(seq) / 2} {
						m.top = pos{seq: seq, row: row}
						checkSafe(t, m.View(), size[0], size[1], color)
					}
				}
				press(m, "end")
				checkSafe(t, m.View(), size[0], size[1], color)
			}
		}
		m.c.Width, m.c.Height = 80, 24
		press(m, "/", `\\x1b|here|界`, "enter")
		if !m.search.active() || len(m.search.matches) == 0 {
			t.Fatalf("search: %q %v", m.promptErr, m.search.matches)
		}
		press(m, "n", "n", "w")
		checkSafe(t, m.View(), 80, 24, color)
		press(m, "/")
		checkSafe(t, m.View(), 80, 24, color)
	}
}

func TestEveryTinySize(t *testing.T) {
	f := uitest.New()
	f.LogLines["demo-log"] = hostile()[:9]
	m := newModel(t, f, 80, 24, false)
	open(t, m, "demo-log", 9)
	m.end(fmt.Errorf("gone"))
	for _, keys := range [][]string{nil, {"w", "t"}, {"/", "x", "enter", "/", "(", "enter"}} {
		press(m, keys...)
		for w := 0; w <= 41; w++ {
			for h := 0; h <= 8; h++ {
				m.c.Width, m.c.Height = w, h
				v := m.View()
				if h == 0 {
					if v != "" {
						t.Fatalf("0 rows drew %q", v)
					}
					continue
				}
				if w > 0 {
					checkSafe(t, v, w, h, false)
				}
				press(m, "up", "pgdown")
			}
		}
	}
}
