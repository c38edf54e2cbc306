package ui

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
)

// The terminal writes a frame whole the first time and at a new size,
// and afterwards only the lines that changed, each at its row; a line
// short of the width erases the rest of its row, one too long is cut.
func TestTerminalPaint(t *testing.T) {
	var out bytes.Buffer
	tt := &terminal{out: &out, wake: make(chan struct{}, 1)}
	tt.paint(frame{s: "aaaa\nbbbb\ncccc", w: 4, h: 3})
	if got, want := out.String(), ansi.EraseEntireScreen+ansi.CursorPosition(1, 1)+"aaaa"+
		ansi.CursorPosition(1, 2)+"bbbb"+ansi.CursorPosition(1, 3)+"cccc"; got != want {
		t.Fatalf("first frame %q, want %q", got, want)
	}
	out.Reset()
	tt.paint(frame{s: "aaaa\nbb\ncccc", w: 4, h: 3})
	if got, want := out.String(), ansi.CursorPosition(1, 2)+"bb"+ansi.EraseLineRight; got != want {
		t.Fatalf("one line changed: %q, want %q", got, want)
	}
	out.Reset()
	tt.paint(frame{s: "aaaa\nbb\ncccc", w: 4, h: 3})
	if out.Len() != 0 {
		t.Fatalf("the same frame again wrote %q", out.String())
	}
	tt.paint(frame{s: "aaaa\nbbbbbb\ncccc", w: 4, h: 3})
	if got, want := out.String(), ansi.CursorPosition(1, 2)+"bbbb"; got != want {
		t.Fatalf("a line too long: %q, want %q", got, want)
	}
	out.Reset()
	tt.paint(frame{s: "aaaaa\nbbbbb\nccccc", w: 5, h: 3})
	if !strings.HasPrefix(out.String(), ansi.EraseEntireScreen) || strings.Count(out.String(), "\x1b[") != 4 {
		t.Fatalf("a new size: %q, want the frame whole", out.String())
	}
}

// A frame handed over while another waits replaces it: only the newest
// is written.
func TestTerminalShowsTheNewest(t *testing.T) {
	var out bytes.Buffer
	tt := &terminal{out: &out, wake: make(chan struct{}, 1)}
	tt.show("first", 6, 1)
	tt.show("second", 6, 1)
	<-tt.wake
	tt.paint(tt.next)
	if got := out.String(); strings.Contains(got, "first") || !strings.Contains(got, "second") {
		t.Fatalf("wrote %q, want the second frame alone", got)
	}
	select {
	case <-tt.wake:
		t.Fatal("two frames handed over woke the writer twice")
	default:
	}
}

// A panic in the UI leaves the alternate screen before it goes on to be
// printed, and is passed on as it was.
func TestPanicReleasesTheTerminal(t *testing.T) {
	var out bytes.Buffer
	tt := &terminal{out: &out, wake: make(chan struct{}, 1)}
	p := &paced{m: &Model{terminal: tt}}
	defer func() {
		if r := recover(); r != "boom" {
			t.Fatalf("recovered %v, want the panic passed on", r)
		}
		if !tt.released || !strings.HasSuffix(out.String(), ansi.ResetModeAltScreenSaveCursor) {
			t.Fatalf("terminal not given back before the panic went on: released %v, wrote %q", tt.released, out.String())
		}
		out.Reset()
		tt.release()
		if out.Len() != 0 {
			t.Fatalf("a second release wrote %q", out.String())
		}
	}()
	func() {
		defer p.releaseOnPanic()
		panic("boom")
	}()
}

// A panic in a command, run by bubbletea on a goroutine of its own, also
// gives the terminal back first, inside a batch or a sequence too.
func TestCommandPanicReleasesTheTerminal(t *testing.T) {
	boom := func() tea.Msg { panic("boom") }
	quiet := func() tea.Msg { return nil }
	for name, cmd := range map[string]tea.Cmd{
		"alone":    boom,
		"batch":    tea.Batch(quiet, boom),
		"sequence": tea.Sequence(quiet, tea.Batch(quiet, boom)),
	} {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			tt := &terminal{out: &out, wake: make(chan struct{}, 1)}
			p := &paced{m: &Model{terminal: tt}}
			if panicked := runCmd(p.guard(cmd)); panicked != "boom" {
				t.Fatalf("recovered %v, want the panic passed on", panicked)
			}
			if !tt.released {
				t.Fatal("terminal not given back before the panic went on")
			}
		})
	}
}

// runCmd runs cmd and the commands of the batches and sequences it
// returns, as bubbletea does, and returns what panicked.
func runCmd(cmd tea.Cmd) (panicked any) {
	defer func() {
		if r := recover(); r != nil {
			panicked = r
		}
	}()
	v, ok := cmdSlice(cmd())
	if !ok {
		return nil
	}
	for i := range v.Len() {
		if c := v.Index(i).Interface().(tea.Cmd); c != nil {
			if r := runCmd(c); r != nil {
				return r
			}
		}
	}
	return nil
}

// Guarding a batch leaves the batch as it was: run again, it holds its
// own commands, not guards piled on guards.
func TestGuardLeavesBatchAlone(t *testing.T) {
	quiet := func() tea.Msg { return nil }
	batch := tea.Batch(quiet, quiet)
	p := &paced{m: &Model{terminal: &terminal{out: &bytes.Buffer{}, wake: make(chan struct{}, 1)}}}
	for range 2 {
		if msg, ok := p.guard(batch)().(tea.BatchMsg); !ok || len(msg) != 2 {
			t.Fatalf("guarded batch gave %T", msg)
		}
	}
	for _, c := range batch().(tea.BatchMsg) {
		if reflect.ValueOf(c).Pointer() != reflect.ValueOf(quiet).Pointer() {
			t.Fatal("the batch's own commands were replaced")
		}
	}
}
