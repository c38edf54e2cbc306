package ui

import (
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// frameTime is the least time between two frames drawn for data (events,
// stats, replies): bubbletea writes at most 30 frames a second, so a frame
// drawn sooner after another is never seen, only paid for.
const frameTime = time.Second / 30

// paced is the root model as the program runs it: input (keys, the mouse,
// a resize) draws at once, as the operator expects; data draws at once
// when no frame was drawn within frameTime, and otherwise once, when
// frameTime has passed, however many messages came meanwhile. Under a
// burst (a removal of many, OOM kills across many containers) the UI so
// draws 30 frames a second, not one per message. Tests drive the Model
// itself, which draws every message.
type paced struct {
	m *Model
	// last is when a frame was last drawn; due is set while a frameMsg
	// is on its way, stale while a change waits for it.
	last       time.Time
	due, stale bool
}

// frameMsg says frameTime has passed since a frame that a change
// followed.
type frameMsg struct{}

func (p *paced) Init() tea.Cmd { return p.m.Init() }

func (p *paced) View() string { return p.m.View() }

func (p *paced) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg.(type) {
	case frameMsg:
		p.due = false
		if p.stale {
			p.drawn()
		}
		return p, nil
	case tea.KeyMsg, tea.MouseMsg, tea.WindowSizeMsg:
		_, cmd := p.m.Update(msg)
		p.last, p.stale = time.Now(), false
		return p, cmd
	}
	cmd, changed := p.m.step(msg)
	switch {
	case !changed:
	case p.due:
		p.stale = true
	case time.Since(p.last) >= frameTime:
		p.drawn()
	default:
		p.stale, p.due = true, true
		cmd = tea.Batch(cmd, tea.Tick(frameTime-time.Since(p.last), func(time.Time) tea.Msg { return frameMsg{} }))
	}
	return p, cmd
}

// drawn draws the frame now.
func (p *paced) drawn() {
	p.m.draw()
	p.last, p.stale = time.Now(), false
}
