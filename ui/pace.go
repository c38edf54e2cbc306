package ui

import (
	"reflect"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// frameTime is the least time between two frames drawn for data (events,
// stats, replies): 30 a second, as smooth as a list needs to move; a frame
// drawn sooner after another is barely seen, and paid for in full (the
// terminal writes each frame drawn, see terminal).
const frameTime = time.Second / 30

// burstFrameTime is the least time between two frames while a burst goes
// on: the frame before was itself held back for data. A burst's first
// frame still comes within frameTime (a kill after a quiet spell shows
// at once); after it the list moves 15 times a second. Under a removal
// of many, or OOM kills across many containers, every row changes in
// nearly every frame, and drawing and diffing them thirty times a second
// was a third of the UI's CPU for changes no eye reads at that rate.
const burstFrameTime = time.Second / 15

// paced is the root model as the program runs it: input (keys, the mouse,
// a resize) draws at once, as the operator expects; data draws at once
// when no frame was drawn within frameTime, and otherwise once, when
// frameTime (burstFrameTime while a burst goes on) has passed, however
// many messages came meanwhile. Under a burst (a removal of many, OOM
// kills across many containers) the UI so draws 15 frames a second, not
// one per message. Tests drive the Model itself, which draws every
// message.
type paced struct {
	m *Model
	// last is when a frame was last drawn; due is set while a frameMsg
	// is on its way, stale while a change waits for it; burst while the
	// last frame drawn was one held back for data.
	last              time.Time
	due, stale, burst bool
	// clock is the time (nil: time.Now); tests set it.
	clock func() time.Time
}

func (p *paced) now() time.Time {
	if p.clock == nil {
		return time.Now()
	}
	return p.clock()
}

// frameMsg says frameTime has passed since a frame that a change
// followed.
type frameMsg struct{}

func (p *paced) Init() tea.Cmd { return p.guard(p.m.Init()) }

func (p *paced) View() string {
	defer p.releaseOnPanic()
	return p.m.View()
}

// releaseOnPanic gives the terminal back before a panic in the UI goes on
// to bubbletea, which prints it and exits: printed on the alternate
// screen, the trace would be gone as the terminal left it.
func (p *paced) releaseOnPanic() {
	if r := recover(); r != nil {
		if t := p.m.terminal; t != nil {
			t.release()
		}
		panic(r)
	}
}

// cmdType is the type of a command, which tea.Batch's and tea.Sequence's
// messages hold a slice of.
var cmdType = reflect.TypeOf(tea.Cmd(nil))

// guard gives the terminal back before a panic in cmd goes on, as
// releaseOnPanic does for Update and View: bubbletea runs each command on
// a goroutine of its own and prints a panic there, on the alternate
// screen. The commands of a batch or a sequence are guarded as bubbletea
// takes them out: its message is given back as a copy of its own type (a
// sequence's is unexported: a slice of commands, found by reflection)
// holding the guarded commands, the batch's own slice left as it was for
// the batch's next run.
func (p *paced) guard(cmd tea.Cmd) tea.Cmd {
	if cmd == nil {
		return nil
	}
	return func() tea.Msg {
		defer p.releaseOnPanic()
		msg := cmd()
		v, ok := cmdSlice(msg)
		if !ok {
			return msg
		}
		guarded := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := range v.Len() {
			guarded.Index(i).Set(reflect.ValueOf(p.guard(v.Index(i).Interface().(tea.Cmd))))
		}
		return guarded.Interface()
	}
}

// cmdSlice is msg as a slice of commands, when it is one: a batch's or a
// sequence's message.
func cmdSlice(msg tea.Msg) (reflect.Value, bool) {
	v := reflect.ValueOf(msg)
	return v, v.Kind() == reflect.Slice && v.Type().Elem() == cmdType
}

func (p *paced) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	defer p.releaseOnPanic()
	m, cmd := p.update(msg)
	return m, p.guard(cmd)
}

func (p *paced) update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg.(type) {
	case frameMsg:
		p.due = false
		if p.stale {
			p.drawn()
			p.burst = true
		}
		return p, nil
	case tea.KeyMsg, tea.MouseMsg, tea.WindowSizeMsg:
		_, cmd := p.m.Update(msg)
		p.last, p.stale, p.burst = p.now(), false, false
		return p, cmd
	}
	cmd, changed := p.m.step(msg)
	gap := frameTime
	if p.burst {
		gap = burstFrameTime
	}
	switch {
	case !changed:
	case p.due:
		p.stale = true
	case p.now().Sub(p.last) >= gap:
		p.drawn()
		p.burst = false
	default:
		p.stale, p.due = true, true
		cmd = tea.Batch(cmd, tea.Tick(gap-p.now().Sub(p.last), func(time.Time) tea.Msg { return frameMsg{} }))
	}
	return p, cmd
}

// drawn draws the frame now.
func (p *paced) drawn() {
	p.m.draw()
	p.last, p.stale = p.now(), false
}
