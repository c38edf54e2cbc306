package ui

import (
	"fmt"
	"strings"
	"testing"

	"berth/ui/common"
	"berth/ui/uitest"
	"berth/watch"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
)

// smallSizes are the terminals every overlay must fit.
var smallSizes = [][2]int{{80, 24}, {40, 12}, {30, 10}, {20, 5}}

// wholeBox reports whether frame holds one whole box: its four corners
// drawn, and hint, the box's line of keys, in it.
func wholeBox(frame, hint string) bool {
	top, bottom := false, false
	for _, l := range strings.Split(frame, "\n") {
		top = top || strings.Contains(l, "╭") && strings.Contains(l, "╮")
		bottom = bottom || strings.Contains(l, "╰") && strings.Contains(l, "╯")
	}
	return top && bottom && strings.Contains(frame, hint)
}

// Every overlay fits the terminal whole, whether it opened at that size
// or the terminal shrank under it: both borders drawn, its keys shown,
// no line wider than the terminal.
func TestOverlaysFit(t *testing.T) {
	overlays := []struct {
		name string
		keys []string
		hint string // the start of the box's last line
	}{
		{"help", []string{"?"}, "any"},
		{"container help", []string{"enter", "2", "?"}, "any"},
		{"palette", []string{":"}, "enter"},
		{"signal menu", []string{"k"}, "enter"},
		{"confirm", []string{"k", "2"}, "Cancel"},
		{"update form", []string{"u"}, "tab"},
		{"checkpoint form", []string{"c"}, "tab"},
	}
	for _, o := range overlays {
		for _, size := range smallSizes {
			for _, opened := range []string{"at size", "then shrunk"} {
				t.Run(fmt.Sprintf("%s %dx%d %s", o.name, size[0], size[1], opened), func(t *testing.T) {
					w, h := size[0], size[1]
					start := [2]int{w, h}
					if opened == "then shrunk" {
						start = [2]int{80, 24}
					}
					m, _ := app(t, start[0], start[1], "dark", false)
					press(m, o.keys...)
					m.Update(tea.WindowSizeMsg{Width: w, Height: h})
					v := uitest.Strip(m.View())
					checkFrame(t, v, w, h)
					if !wholeBox(v, o.hint) {
						t.Fatalf("the box is cut (want both borders and %q):\n%s", o.hint, v)
					}
				})
			}
		}
	}
}

func checkFrame(t *testing.T, v string, w, h int) {
	t.Helper()
	lines := strings.Split(v, "\n")
	if len(lines) != h {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), h, v)
	}
	for i, l := range lines {
		if n := ansi.StringWidth(l); n != w {
			t.Fatalf("line %d is %d cells, want %d:\n%s", i, n, w, v)
		}
	}
}

// Help longer than the terminal scrolls: its last key comes into view at
// the bottom, and a scroll key leaves it open.
func TestHelpScrolls(t *testing.T) {
	for _, size := range smallSizes {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			m, _ := app(t, size[0], size[1], "dark", false)
			press(m, "enter", "4", "?")
			last := m.c.Keys.Wrap.Help().Desc // the logs tab's last key
			press(m, "end")
			v := uitest.Strip(m.View())
			if m.modal == nil || !strings.Contains(v, last) {
				t.Fatalf("after end: help closed or %q not in view:\n%s", last, v)
			}
			press(m, "home")
			if v := uitest.Strip(m.View()); m.modal == nil || !strings.Contains(v, "global") {
				t.Fatalf("after home: help closed or its top not in view:\n%s", v)
			}
			press(m, "x")
			if m.modal != nil {
				t.Fatal("another key left help open")
			}
		})
	}
}

// The tab on view is always named in the tab bar, however narrow.
func TestActiveTabShown(t *testing.T) {
	for _, size := range smallSizes {
		for tab, name := range []string{"overview", "processes", "stats", "logs", "checkpoints", "events"} {
			m, _ := app(t, size[0], size[1], "dark", false)
			press(m, "enter", fmt.Sprint(tab+1))
			bar := strings.Split(uitest.Strip(m.View()), "\n")[0]
			if !strings.Contains(bar, fmt.Sprintf("[%d %s]", tab+1, name)) {
				t.Errorf("%dx%d: the tab bar %q does not show [%d %s]", size[0], size[1], bar, tab+1, name)
			}
		}
	}
}

// A toast covers at most half the rows above the footer, at any size.
func TestToastFits(t *testing.T) {
	for _, size := range smallSizes {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			w, h := size[0], size[1]
			m, _ := app(t, w, h, "dark", false)
			before := strings.Split(uitest.Strip(m.View()), "\n")
			for _, id := range []string{"demo-mem", "demo-cpu", "demo-log"} {
				m.Update(common.EventsMsg{Events: []watch.Event{{Time: uitest.Epoch, Kind: watch.KindOOM, ID: id, Pid: 4102, OOMCount: 9}}})
			}
			v := uitest.Strip(m.View())
			checkFrame(t, v, w, h)
			after := strings.Split(v, "\n")
			covered := 0
			for i := range h - 1 {
				if after[i] != before[i] {
					covered++
				}
			}
			if covered == 0 || covered > (h-1)/2 {
				t.Fatalf("the toast covers %d of %d rows:\n%s", covered, h-1, v)
			}
		})
	}
}
