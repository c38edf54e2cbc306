package ui

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"berth/core"
	"berth/themes"
	"berth/ui/common"
	"berth/ui/format"
	"berth/ui/uitest"

	tea "github.com/charmbracelet/bubbletea"
)

// appWith is app with options of the test's.
func appWith(t testing.TB, w, h int, set func(*Options)) (*Model, *uitest.Fake) {
	t.Helper()
	f := uitest.New()
	p, err := themes.Load("dark", "")
	if err != nil {
		t.Fatal(err)
	}
	o := Options{Core: f, Theme: p, ThemeNames: themes.BuiltinNames, Renderer: uitest.Renderer(false),
		TerminalFd: -1, Refresh: time.Millisecond, Now: func() time.Time { return uitest.Epoch }}
	set(&o)
	m := New(o)
	t.Cleanup(m.Close)
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	feed(m, m.Init())
	return m, f
}

// copied decodes the OSC 52 sequences written, in order.
func copied(t *testing.T, b *bytes.Buffer) []string {
	t.Helper()
	var out []string
	for _, seq := range strings.SplitAfter(b.String(), "\x07") {
		if seq == "" {
			continue
		}
		payload, ok := strings.CutPrefix(seq, "\x1b]52;c;")
		if !ok {
			t.Fatalf("not an OSC 52 sequence: %q", seq)
		}
		text, err := base64.StdEncoding.DecodeString(strings.TrimSuffix(payload, "\x07"))
		if err != nil {
			t.Fatalf("payload %q: %v", payload, err)
		}
		out = append(out, string(text))
	}
	return out
}

func TestCopyID(t *testing.T) {
	var term bytes.Buffer
	m, _ := appWith(t, 100, 30, func(o *Options) { o.Clipboard = Clipboard{W: &term} })
	ref := m.list.Selected()
	c, _ := m.c.Store.Get(ref)
	press(m, "y")
	if got := copied(t, &term); len(got) != 1 || got[0] != c.ID {
		t.Fatalf("copied %q, want %q", got, c.ID)
	}
	if m.status.Text != "copied "+format.ShortID(c.ID) {
		t.Errorf("footer %q", m.status.Text)
	}
	uitest.Golden(t, "app-copied-100x30", uitest.Strip(m.View()))
	// In the container view: its id.
	term.Reset()
	press(m, "down", "enter", "y")
	c, _ = m.c.Store.Get(m.id)
	if got := copied(t, &term); len(got) != 1 || got[0] != c.ID {
		t.Fatalf("copied in the container view %q, want %q", got, c.ID)
	}
}

// A log line is copied as the page shows it, escaped: a hostile line's
// sequences never reach the terminal, not even inside the OSC 52.
func TestCopyLogLine(t *testing.T) {
	var term bytes.Buffer
	m, f := appWith(t, 100, 30, func(o *Options) { o.Clipboard = Clipboard{W: &term} })
	f.LogLines["demo-cpu"] = []core.LogLine{
		{Time: uitest.Epoch.Add(-time.Second), Stream: "stdout", Data: []byte("evil \x1b]52;c;aGk=\x07\x1b[2J done")},
	}
	_, cmd := m.Update(common.NavigateMsg{Screen: common.ScreenContainer, ID: "demo-cpu", Tab: common.TabLogs})
	feed(m, cmd)
	if !strings.Contains(m.View(), "evil") {
		t.Fatalf("no line:\n%s", m.View())
	}
	press(m, "/")
	press(m, typed("evil")...)
	press(m, "enter", "n", "y")
	got := copied(t, &term)
	if len(got) != 1 || got[0] != `evil \x1b]52;c;aGk=\x07\x1b[2J done` {
		t.Fatalf("copied %q", got)
	}
	if m.status.Text != "copied the line" {
		t.Errorf("footer %q", m.status.Text)
	}
}

func TestCopyTmux(t *testing.T) {
	got := osc52("abc", true)
	want := "\x1bPtmux;\x1b\x1b]52;c;YWJj\x07\x1b\\" + "\x1b]52;c;YWJj\x07"
	if got != want {
		t.Errorf("tmux %q, want %q", got, want)
	}
	if got := osc52("abc", false); got != "\x1b]52;c;YWJj\x07" {
		t.Errorf("plain %q", got)
	}
}

func TestCopyOff(t *testing.T) {
	m, _ := appWith(t, 100, 30, func(o *Options) {})
	press(m, "y")
	if m.status.Level != common.LevelWarning || !strings.Contains(m.status.Text, "copying is off") {
		t.Errorf("footer %q", m.status.Text)
	}
}
