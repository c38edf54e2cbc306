package ui

import (
	"strings"
	"testing"

	"berth/ui/common"

	tea "github.com/charmbracelet/bubbletea"
)

// A burst of data draws its first message at once and the rest in one
// frame when frameTime has passed; a key draws at once, burst or not.
func TestPacedDrawsABurstOnce(t *testing.T) {
	m, _ := app(t, 80, 24, "dark", false)
	p := &paced{m: m}
	say := func(text string) tea.Cmd {
		_, cmd := p.Update(common.StatusMsg{Text: text})
		return cmd
	}
	say("first")
	if !contains(p.View(), "first") || p.due {
		t.Fatal("the first message of a burst was not drawn at once")
	}
	cmd := say("second")
	say("third")
	if contains(p.View(), "third") || !p.due || !p.stale || cmd == nil {
		t.Fatal("a message within frameTime of a frame was drawn, or no frame was armed")
	}
	if _, ok := cmd().(frameMsg); !ok {
		t.Fatal("the frame armed is not a frameMsg")
	}
	p.Update(frameMsg{})
	if !contains(p.View(), "third") || p.due || p.stale {
		t.Fatal("the frame did not draw what the burst left")
	}
	say("fourth")
	p.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	if !contains(p.View(), "fourth") || p.stale {
		t.Fatal("input did not draw at once")
	}
}

func contains(frame, s string) bool { return strings.Contains(frame, s) }
