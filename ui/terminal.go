package ui

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"berth/ui/common"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"golang.org/x/term"
)

// terminal is the terminal as berth draws it, in place of bubbletea's
// renderer: a frame is written when the UI draws one, from a goroutine
// of its own, and only the lines that changed. bubbletea's
// renderer woke the process 30 times a second whatever happened, copied
// and compared the whole frame at each wake-up, and measured the width
// of every character of every line that changed, twice, ASCII included;
// under a removal of many, where every row moves each frame, that was a
// seventh of the UI's CPU, and its wake-ups were more of it. The UI's
// lines are already cut to the terminal's width (common.Lines): each is
// measured once, by common.Width, whose ASCII path counts bytes.
//
// It also does what the renderer did around the frames: the
// terminal in raw mode on the alternate screen, the cursor hidden,
// bracketed paste and (when on) mouse reports; the terminal's size sent
// as a tea.WindowSizeMsg, at start and on SIGWINCH; and all of it given
// back while another program (an exec's shell) has the terminal.
type terminal struct {
	out io.Writer
	// in is the terminal raw mode is set on; size the one measured.
	in, size int
	mouse    bool

	// mu guards the frame handed over, never held across a write: Update
	// hands frames over without waiting for the terminal.
	mu   sync.Mutex
	next frame
	wake chan struct{}

	// writing is held while the terminal is written to or handed over.
	writing  sync.Mutex
	raw      *term.State // the terminal's mode before raw, while raw
	released bool
	shown    []string // the lines on the terminal (nil: repaint all)
	w, h     int      // the size they were drawn at
	buf      bytes.Buffer
}

// frame is a frame drawn and the terminal size it was drawn for.
type frame struct {
	s    string
	w, h int
}

// newTerminal draws on the terminal in and out.
func newTerminal(in, out *os.File, mouse bool) *terminal {
	return &terminal{out: out, in: int(in.Fd()), size: int(out.Fd()), mouse: mouse, wake: make(chan struct{}, 1)}
}

// show hands a frame over to be written; a frame not yet written when
// the next comes is never written.
func (t *terminal) show(f string, w, h int) {
	t.mu.Lock()
	t.next = frame{s: f, w: w, h: h}
	t.mu.Unlock()
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

// run writes the frames shown until ctx ends.
func (t *terminal) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.wake:
		}
		t.mu.Lock()
		f := t.next
		t.mu.Unlock()
		t.writing.Lock()
		if !t.released {
			t.paint(f)
		}
		t.writing.Unlock()
	}
}

// open puts the terminal in raw mode on the alternate screen.
func (t *terminal) open() error {
	t.writing.Lock()
	defer t.writing.Unlock()
	return t.enter()
}

// release gives the terminal back as it was: to another program until
// restore, or for good as the UI ends.
func (t *terminal) release() {
	t.writing.Lock()
	defer t.writing.Unlock()
	if t.released {
		return
	}
	t.leave()
	t.released = true
}

// restore takes the terminal back after release and draws the last
// frame whole.
func (t *terminal) restore() {
	t.writing.Lock()
	t.released = false
	t.enter()
	t.writing.Unlock()
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

// enter sets the terminal up for the UI. Called with writing held.
func (t *terminal) enter() error {
	if term.IsTerminal(t.in) {
		st, err := term.MakeRaw(t.in)
		if err != nil {
			return err
		}
		t.raw = st
	}
	seq := ansi.SetModeAltScreenSaveCursor + ansi.EraseEntireScreen + ansi.CursorHomePosition +
		ansi.HideCursor + ansi.SetModeBracketedPaste
	if t.mouse {
		seq += ansi.SetModeMouseButtonEvent + ansi.SetModeMouseExtSgr
	}
	io.WriteString(t.out, seq)
	t.shown = nil
	return nil
}

// leave undoes enter. Called with writing held.
func (t *terminal) leave() {
	seq := ansi.ResetModeBracketedPaste
	if t.mouse {
		seq += ansi.ResetModeMouseButtonEvent + ansi.ResetModeMouseExtSgr
	}
	io.WriteString(t.out, seq+ansi.ShowCursor+ansi.ResetModeAltScreenSaveCursor)
	if t.raw != nil {
		term.Restore(t.in, t.raw)
		t.raw = nil
	}
}

// paint writes the lines of f that differ from those on the terminal,
// each at its row: all of them when the size changed. Called with
// writing held.
func (t *terminal) paint(f frame) {
	lines := strings.Split(f.s, "\n")
	if len(lines) > f.h {
		lines = lines[:f.h]
	}
	b := &t.buf
	b.Reset()
	all := t.shown == nil || f.w != t.w || f.h != t.h
	if all {
		b.WriteString(ansi.EraseEntireScreen)
	}
	for i, l := range lines {
		if !all && i < len(t.shown) && t.shown[i] == l {
			continue
		}
		b.WriteString(ansi.CursorPosition(1, i+1))
		n := common.Width(l)
		if n > f.w {
			l, n = ansi.Truncate(l, f.w, ""), f.w
		}
		b.WriteString(l)
		if n < f.w {
			b.WriteString(ansi.EraseLineRight)
		}
	}
	if !all && len(lines) < len(t.shown) {
		b.WriteString(ansi.CursorPosition(1, len(lines)+1) + ansi.EraseScreenBelow)
	}
	if b.Len() > 0 {
		t.out.Write(b.Bytes())
	}
	t.shown, t.w, t.h = lines, f.w, f.h
}

// watchSize sends the terminal's size now and at each SIGWINCH, until
// ctx ends.
func (t *terminal) watchSize(ctx context.Context, send func(tea.Msg)) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGWINCH)
	defer signal.Stop(sig)
	for {
		if w, h, err := term.GetSize(t.size); err == nil {
			send(tea.WindowSizeMsg{Width: w, Height: h})
		}
		select {
		case <-ctx.Done():
			return
		case <-sig:
		}
	}
}

// handedOver is a command the terminal is handed over to (tea.Exec):
// the screen gives the terminal up for it and takes it back after.
type handedOver struct {
	cmd *exec.Cmd
	t   *terminal
}

func (h handedOver) Run() error {
	h.t.release()
	defer h.t.restore()
	return h.cmd.Run()
}

// SetStdin, SetStdout and SetStderr give the command the program's
// terminal where it has none of its own, as tea.ExecProcess does.
func (h handedOver) SetStdin(r io.Reader) {
	if h.cmd.Stdin == nil {
		h.cmd.Stdin = r
	}
}

func (h handedOver) SetStdout(w io.Writer) {
	if h.cmd.Stdout == nil {
		h.cmd.Stdout = w
	}
}

func (h handedOver) SetStderr(w io.Writer) {
	if h.cmd.Stderr == nil {
		h.cmd.Stderr = w
	}
}
