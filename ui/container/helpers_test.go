package container

import (
	"strings"
	"testing"

	"berth/ui/common"
	"berth/ui/uitest"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
)

// pageKinds builds each tab over c, with the container it is shown on in
// the goldens.
var pageKinds = []struct {
	name string
	id   string
	new  func(*common.Common) common.Page
}{
	{"overview", "demo-mem", func(c *common.Common) common.Page { return NewOverview(c) }},
	{"processes", "demo-cpu", func(c *common.Common) common.Page { return NewProcesses(c) }},
	{"stats", "demo-mem", func(c *common.Common) common.Page { return NewStats(c) }},
}

// open opens p on id and feeds it what its command loads.
func open(p common.Page, id string) common.Page {
	return feed(p, uitest.Run(p.Open(id))...)
}

// feed sends msgs to p, and what their commands produce, in turn.
func feed(p common.Page, msgs ...tea.Msg) common.Page {
	for _, m := range msgs {
		var cmd tea.Cmd
		cmd = p.Update(m)
		if cmd != nil {
			p = feed(p, uitest.Run(cmd)...)
		}
	}
	return p
}

// keyMsg is a key press as bubbletea delivers it.
var keyMsg = uitest.Key

// resize gives the page w x h cells, as the root does.
func resize(c *common.Common, p common.Page, w, h int) common.Page {
	c.Width, c.Height = w, h
	p.Update(tea.WindowSizeMsg{Width: w, Height: h + 3})
	return p
}

// checkSize fails unless view is exactly w x h cells.
func checkSize(t *testing.T, name, view string, w, h int) {
	t.Helper()
	if h <= 0 {
		if view != "" {
			t.Errorf("%s at %dx%d: want an empty view, got %q", name, w, h, view)
		}
		return
	}
	lines := strings.Split(view, "\n")
	if len(lines) != h {
		t.Fatalf("%s at %dx%d: %d lines", name, w, h, len(lines))
	}
	for i, l := range lines {
		if got := ansi.StringWidth(l); got != max(w, 0) {
			t.Fatalf("%s at %dx%d: line %d is %d cells: %q", name, w, h, i, got, l)
		}
	}
}
