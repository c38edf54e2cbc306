package ui

import (
	"strings"
	"testing"

	"berth/ui/uitest"
)

// The row under the cursor is marked by a character as well as by its
// style: without colour (NO_COLOR, a dumb terminal) the style is gone
// and the character is all that shows which row a key acts on.
func TestCursorShownWithoutColour(t *testing.T) {
	screens := []struct {
		name   string
		keys   []string
		marker string // what begins the selected line (in a modal: follows its border)
	}{
		{"list", []string{"down"}, "> "},
		{"processes", []string{"enter", "2", "down"}, "> "},
		{"checkpoints", []string{"enter", "5", "down"}, "> "},
		{"events", []string{"E", "up"}, "> "},
		{"container events", []string{"down", "down", "enter", "6", "up"}, "> "},
		{"signal menu", []string{"k", "down"}, "│ >"},
		{"palette", []string{":", "down"}, "│ >"},
	}
	for _, s := range screens {
		t.Run(s.name, func(t *testing.T) {
			m, _ := app(t, 80, 24, "no-color", false)
			press(m, s.keys...)
			var marked []string
			for _, l := range strings.Split(uitest.Strip(m.View()), "\n") {
				if strings.HasPrefix(l, s.marker) || strings.HasPrefix(s.marker, "│") && strings.Contains(l, s.marker) {
					marked = append(marked, l)
				}
			}
			if len(marked) != 1 {
				t.Fatalf("%d lines marked with %q, want 1 (the cursor's):\n%s", len(marked), s.marker, uitest.Strip(m.View()))
			}
		})
	}
}
