package ui

import (
	"strings"
	"testing"
	"time"

	"berth/ui/common"

	tea "github.com/charmbracelet/bubbletea"
)

// A burst of data draws its first message at once and the rest in one
// frame when frameTime has passed; a key draws at once, burst or not.
func TestPacedDrawsABurstOnce(t *testing.T) {
	m, _ := app(t, 80, 24, "dark", false)
	now := time.Now()
	p := &paced{m: m, clock: func() time.Time { return now }}
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

// While a burst goes on (the last frame was held back for data), the
// next one is held back for burstFrameTime; a message after a quiet
// spell, or a key, ends the burst.
func TestPacedSlowsDuringABurst(t *testing.T) {
	m, _ := app(t, 80, 24, "dark", false)
	now := time.Now()
	p := &paced{m: m, clock: func() time.Time { return now }}
	say := func(text string) { p.Update(common.StatusMsg{Text: text}) }
	say("first")
	say("second")
	p.Update(frameMsg{})
	if !p.burst {
		t.Fatal("a frame held back for data did not start a burst")
	}
	now = now.Add(frameTime) // past frameTime, within burstFrameTime
	say("third")
	if contains(p.View(), "third") || !p.due {
		t.Fatal("a message during a burst drawn within burstFrameTime")
	}
	p.Update(frameMsg{})
	now = now.Add(burstFrameTime)
	say("fourth")
	if !contains(p.View(), "fourth") || p.burst {
		t.Fatal("a message after a quiet burstFrameTime not drawn at once, or the burst not ended")
	}
	say("fifth")
	p.Update(frameMsg{})
	p.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'x'}})
	if p.burst {
		t.Fatal("a key did not end the burst")
	}
}
