package container

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"berth/ui/uitest"

	"github.com/charmbracelet/x/ansi"
)

// rawOpen is the overview on id with its config.json view open.
func rawOpen(t *testing.T, f *uitest.Fake, id string, w, h int) *Overview {
	t.Helper()
	c := uitest.NewCommon(t, f, w, h, "dark", false)
	o := open(NewOverview(c), id).(*Overview)
	feed(o, keyMsg("v"))
	if o.raw == nil || !o.raw.loaded {
		t.Fatal("v opened no config.json view")
	}
	return o
}

func TestRawSpecGolden(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {160, 48}} {
		o := rawOpen(t, uitest.New(), "demo-cpu", size[0], size[1])
		uitest.Golden(t, fmt.Sprintf("spec-%dx%d", size[0], size[1]), o.View())
	}
	// Another manager's: its bundle's file, searched to its env, where a
	// long value wraps and a control character shows escaped.
	o := rawOpen(t, uitest.New(), uitest.ExtRedis, 80, 24)
	feed(o, keyMsg("/"), keyMsg("b"), keyMsg("a"), keyMsg("d"), keyMsg("="), keyMsg("enter"))
	uitest.Golden(t, "spec-external-80x24", o.View())
}

// Long lines wrap at the width under their own indentation, no row is
// wider than the page, and what a container put in its spec is escaped.
func TestRawSpecWrapAndEscape(t *testing.T) {
	for _, w := range []int{20, 33, 80, 200} {
		o := rawOpen(t, uitest.New(), uitest.ExtRedis, w, 400)
		v := o.View()
		for _, l := range strings.Split(v, "\n") {
			if n := ansi.StringWidth(l); n > w {
				t.Fatalf("%d: a row %d wide: %q", w, n, l)
			}
		}
		// The rows joined again, less the wraps' indentation.
		flat := strings.ReplaceAll(strings.Join(o.raw.rows, ""), " ", "")
		if strings.ContainsRune(v, '\u009b') || !strings.Contains(flat, `"BAD=\u009b31mred"`) {
			t.Fatalf("%d: the C1 control is not escaped (or lost):\n%s", w, v)
		}
		if !strings.Contains(flat, "/data/redis/persistent/volume/of/a/long/path") {
			t.Fatalf("%d: the long path is cut, not wrapped:\n%s", w, flat)
		}
	}
	rows := wrapSpecLine(`      "--dir", "`+strings.Repeat("x", 40)+`"`, 20, nil)
	for i, r := range rows {
		if ansi.StringWidth(r) > 20 || i > 0 && !strings.HasPrefix(r, "        ") {
			t.Fatalf("row %d %q of %q", i, r, rows)
		}
	}
	// A wide character where one cell is left goes on its own row.
	if rows := wrapSpecLine("ab漢", 1, nil); len(rows) != 3 {
		t.Fatalf("wide rune: %q", rows)
	}
}

// The move keys scroll the file; the title says which rows are on view;
// esc and y go back to the summary.
func TestRawSpecScroll(t *testing.T) {
	o := rawOpen(t, uitest.New(), "demo-cpu", 80, 10)
	if !strings.Contains(o.View(), "rows 1-9 of") {
		t.Fatalf("title:\n%s", o.View())
	}
	feed(o, keyMsg("down"), keyMsg("down"))
	if o.raw.scroll.Top != 2 || !strings.Contains(o.View(), "rows 3-11 of") {
		t.Fatalf("down down: top %d\n%s", o.raw.scroll.Top, o.View())
	}
	feed(o, keyMsg("G"))
	if n := len(o.raw.rows); !strings.Contains(o.View(), fmt.Sprintf("of %d", n)) || !strings.Contains(o.View(), "}") {
		t.Fatalf("end:\n%s", o.View())
	}
	if !o.Back() || o.raw != nil || !strings.Contains(o.View(), "Container demo-cpu") {
		t.Fatalf("esc did not go back to the summary:\n%s", o.View())
	}
	feed(o, keyMsg("v"), keyMsg("v"))
	if o.raw != nil {
		t.Fatal("v again did not close the view")
	}
}

// / searches (a regexp, case-insensitive); n and N go round the matches;
// a bad regexp keeps the prompt open with its error; esc clears.
func TestRawSpecSearch(t *testing.T) {
	o := rawOpen(t, uitest.New(), "demo-cpu", 80, 12)
	feed(o, keyMsg("/"))
	if !o.Capturing() {
		t.Fatal("/ opened no prompt")
	}
	for _, r := range "DESTINATION" {
		feed(o, keyMsg(string(r)))
	}
	feed(o, keyMsg("enter"))
	if o.Capturing() || len(o.raw.matches) != 2 || o.raw.cur != 0 || !strings.Contains(o.View(), "match 1 of 2") {
		t.Fatalf("search: %v cur %d\n%s", o.raw.matches, o.raw.cur, o.View())
	}
	feed(o, keyMsg("n"))
	if o.raw.cur != 1 {
		t.Fatalf("n: cur %d", o.raw.cur)
	}
	feed(o, keyMsg("n"))
	if o.raw.cur != 0 {
		t.Fatalf("n round the end: cur %d", o.raw.cur)
	}
	feed(o, keyMsg("N"))
	if o.raw.cur != 1 {
		t.Fatalf("N: cur %d", o.raw.cur)
	}
	feed(o, keyMsg("/"), keyMsg("("), keyMsg("enter"))
	if !o.Capturing() || !strings.Contains(o.View(), "bad regexp") {
		t.Fatalf("bad regexp:\n%s", o.View())
	}
	o.Back() // the prompt
	o.Back() // the search
	if o.raw == nil || o.raw.re != nil || strings.Contains(o.View(), "match") {
		t.Fatalf("esc esc: %+v\n%s", o.raw, o.View())
	}
}

// A spec that cannot be read (gone, too large) is one line, escaped, under
// the title.
func TestRawSpecError(t *testing.T) {
	f := uitest.New()
	f.Fail["SpecJSON"] = errors.New("demo-cpu: /run/berth/demo-cpu/bundle/config.json is larger than\n1048576 bytes")
	o := rawOpen(t, f, "demo-cpu", 160, 24)
	var errLines []string
	for _, l := range strings.Split(o.View(), "\n") {
		if strings.Contains(l, "✗") {
			errLines = append(errLines, strings.TrimSpace(l))
		}
	}
	if len(errLines) != 1 || !strings.Contains(errLines[0], "larger than; 1048576") {
		t.Fatalf("error lines %q", errLines)
	}
	// An external container whose bundle has no config.json says so.
	f = uitest.New()
	f.SpecFiles = nil
	o = rawOpen(t, f, uitest.ExtRedis, 160, 24)
	if v := o.View(); !strings.Contains(v, "✗ "+uitest.ExtRedis+": /var/lib/other/redis/config.json does not exist") {
		t.Fatalf("missing file:\n%s", v)
	}
}

// A reply for a view since closed, or another container, is dropped.
func TestRawSpecStaleDropped(t *testing.T) {
	c := uitest.NewCommon(t, uitest.New(), 80, 24, "dark", false)
	o := open(NewOverview(c), "demo-cpu").(*Overview)
	stale := uitest.Run(o.Update(keyMsg("v")))
	o.Back()
	feed(o, keyMsg("v"))
	o.raw.loaded = false
	feed(o, stale...)
	if o.raw.loaded {
		t.Fatal("a reply for the view closed before was taken")
	}
}

// The config.json view draws exactly its cells at every size, as the
// terminal shrinks under it, with the search open or not.
func TestRawSpecSizes(t *testing.T) {
	o := rawOpen(t, uitest.New(), uitest.ExtRedis, 80, 24)
	for _, keys := range [][]string{nil, {"/", "r", "e", "d", "i", "s", "enter"}, {"/"}} {
		for _, k := range keys {
			feed(o, keyMsg(k))
		}
		for w := 0; w <= 200; w += 7 {
			for h := 1; h <= 50; h += 3 {
				resize(o.c, o, w, h)
				v := o.View()
				lines := strings.Split(v, "\n")
				if len(lines) != h {
					t.Fatalf("%v %dx%d: %d lines", keys, w, h, len(lines))
				}
				for _, l := range lines {
					if ansi.StringWidth(l) > w {
						t.Fatalf("%v %dx%d: a line %d wide: %q", keys, w, h, ansi.StringWidth(l), l)
					}
				}
			}
		}
	}
}
