package form_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"berth/ui/common"
	"berth/ui/form"
	"berth/ui/uitest"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
)

// press turns a key name into the message bubbletea would send.
func press(k string) tea.KeyMsg {
	switch k {
	case "tab":
		return tea.KeyMsg{Type: tea.KeyTab}
	case "shift+tab":
		return tea.KeyMsg{Type: tea.KeyShiftTab}
	case "up":
		return tea.KeyMsg{Type: tea.KeyUp}
	case "down":
		return tea.KeyMsg{Type: tea.KeyDown}
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEsc}
	case "space":
		return tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}}
	case "backspace":
		return tea.KeyMsg{Type: tea.KeyBackspace}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
}

func feed(m form.Model, keys ...string) form.Model {
	for _, k := range keys {
		m, _ = m.Update(press(k))
	}
	return m
}

var errEmpty = errors.New("a name is required")

func notEmpty(s string) error {
	if s == "" {
		return errEmpty
	}
	return nil
}

func checkpointForm() form.Model {
	return form.New("Checkpoint demo-cpu",
		form.Field{Name: "name", Label: "Name", Placeholder: "a timestamp", Validate: notEmpty},
		form.Field{Name: "leave", Label: "Leave running", Kind: form.KindBool, Checked: true},
		form.Field{Name: "tcp", Label: "TCP connections", Kind: form.KindBool},
		form.Field{Name: "parent", Label: "Parent", Value: "base"},
	)
}

func TestKeys(t *testing.T) {
	tests := []struct {
		name      string
		keys      []string
		done      bool
		cancelled bool
		focused   string
		text      map[string]string
		bools     map[string]bool
	}{
		{name: "initial", focused: "name", text: map[string]string{"name": "", "parent": "base"}, bools: map[string]bool{"leave": true, "tcp": false}},
		{name: "type", keys: []string{"n", "i", "g", "h", "t"}, focused: "name", text: map[string]string{"name": "night"}},
		{name: "space types in a text field", keys: []string{"a", "space", "b"}, text: map[string]string{"name": "a b"}},
		{name: "backspace", keys: []string{"a", "b", "backspace"}, text: map[string]string{"name": "a"}},
		{name: "tab moves", keys: []string{"tab"}, focused: "leave"},
		{name: "down moves", keys: []string{"down", "down"}, focused: "tcp"},
		{name: "tab wraps", keys: []string{"tab", "tab", "tab", "tab"}, focused: "name"},
		{name: "shift+tab wraps", keys: []string{"shift+tab"}, focused: "parent"},
		{name: "up moves back", keys: []string{"tab", "tab", "up"}, focused: "leave"},
		{name: "space toggles", keys: []string{"tab", "space", "tab", "space"}, bools: map[string]bool{"leave": false, "tcp": true}},
		{name: "space twice", keys: []string{"tab", "space", "space"}, bools: map[string]bool{"leave": true}},
		{name: "letters ignored on a checkbox", keys: []string{"tab", "x"}, bools: map[string]bool{"leave": true}, text: map[string]string{"name": ""}},
		{name: "edit the initial value", keys: []string{"shift+tab", "backspace", "e"}, text: map[string]string{"parent": "base"}},
		{name: "enter submits", keys: []string{"c", "p", "1", "enter"}, done: true, text: map[string]string{"name": "cp1"}},
		{name: "enter on a checkbox submits", keys: []string{"c", "tab", "space", "enter"}, done: true, bools: map[string]bool{"leave": false}},
		{name: "invalid stays open", keys: []string{"tab", "tab", "enter"}, focused: "name"},
		{name: "esc cancels", keys: []string{"a", "esc"}, cancelled: true},
		{name: "closed ignores keys", keys: []string{"esc", "a", "enter"}, cancelled: true, text: map[string]string{"name": ""}},
		{name: "submitted ignores keys", keys: []string{"a", "enter", "b", "esc"}, done: true, text: map[string]string{"name": "a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := feed(checkpointForm(), tt.keys...)
			if m.Done() != tt.done || m.Cancelled() != tt.cancelled {
				t.Errorf("Done %v Cancelled %v, want %v %v", m.Done(), m.Cancelled(), tt.done, tt.cancelled)
			}
			if m.Closed() != (tt.done || tt.cancelled) {
				t.Errorf("Closed %v", m.Closed())
			}
			if tt.focused != "" && m.Focused() != tt.focused {
				t.Errorf("focused %q, want %q", m.Focused(), tt.focused)
			}
			for k, v := range tt.text {
				if got := m.Text(k); got != v {
					t.Errorf("Text(%q) = %q, want %q", k, got, v)
				}
			}
			for k, v := range tt.bools {
				if got := m.Bool(k); got != v {
					t.Errorf("Bool(%q) = %v, want %v", k, got, v)
				}
			}
		})
	}
}

func TestUnknownNames(t *testing.T) {
	m := checkpointForm()
	if m.Text("nope") != "" || m.Bool("nope") || m.Text("leave") != "" || m.Bool("name") {
		t.Error("unknown or mismatched names should read as zero values")
	}
}

func TestValidationError(t *testing.T) {
	m := feed(checkpointForm(), "tab", "enter")
	if m.Done() || m.Closed() {
		t.Fatal("an invalid form closed")
	}
	if m.Err("name") != errEmpty.Error() || m.Focused() != "name" {
		t.Fatalf("err %q focus %q", m.Err("name"), m.Focused())
	}
	m.SetWidth(60)
	v := ansi.Strip(m.View())
	if !strings.Contains(v, "✗ "+errEmpty.Error()) {
		t.Errorf("error not shown:\n%s", v)
	}
	// Typing clears the error; a valid submit closes.
	m = feed(m, "x")
	if m.Err("name") != "" {
		t.Errorf("error kept after an edit: %q", m.Err("name"))
	}
	if m = feed(m, "enter"); !m.Done() {
		t.Error("a valid form did not close")
	}
}

func TestEveryValidatorRuns(t *testing.T) {
	calls := 0
	v := func(string) error { calls++; return errEmpty }
	m := form.New("t", form.Field{Name: "a", Validate: v}, form.Field{Name: "b", Validate: v})
	m = feed(m, "tab", "enter")
	if calls != 2 || m.Err("a") == "" || m.Err("b") == "" || m.Focused() != "a" {
		t.Errorf("calls %d errs %q %q focus %q", calls, m.Err("a"), m.Err("b"), m.Focused())
	}
}

func TestHostile(t *testing.T) {
	bad := "x\x1b]52;c;aGk=\x07\x1b[2J\r\xc2\x9c\xff"
	c := uitest.NewCommon(t, uitest.New(), 80, 24, "dark", false)
	m := form.New(bad, form.Field{Name: bad, Label: bad, Value: bad, Validate: func(string) error { return errors.New(bad) }})
	m.SetStyles(form.StylesFrom(c.Styles))
	m.SetWidth(70)
	m = feed(m, "enter", bad)
	v := m.View()
	for _, r := range []string{"\x1b", "\r", "\x07", "\u009c"} {
		if strings.Contains(v, r) {
			t.Errorf("%q reached the view:\n%q", r, v)
		}
	}
	if !utf8.ValidString(v) {
		t.Errorf("invalid UTF-8 reached the view: %q", v)
	}
}

func TestTinyWidths(t *testing.T) {
	f := uitest.New()
	c := uitest.NewCommon(t, f, 80, 24, "dark", true)
	for w := 0; w <= 30; w++ {
		m := checkpointForm()
		m.SetStyles(form.StylesFrom(c.Styles))
		m = feed(m, "tab", "tab", "tab", "backspace", "backspace", "backspace", "backspace", "enter")
		m.SetWidth(w)
		v := m.View()
		for i, l := range strings.Split(v, "\n") {
			if got := ansi.StringWidth(l); got != w {
				t.Errorf("width %d: line %d is %d wide: %q", w, i, got, l)
			}
		}
	}
}

// A form taller than its height drops its blank lines, then scrolls its
// fields to keep the focused one (and its error) in view.
func TestHeights(t *testing.T) {
	for h := 3; h <= 12; h++ {
		m := checkpointForm()
		m.SetWidth(40)
		m.SetHeight(h)
		m = feed(m, "tab", "tab", "tab", "backspace", "backspace", "backspace", "backspace", "enter")
		v := ansi.Strip(m.View())
		if n := strings.Count(v, "\n") + 1; n > h {
			t.Errorf("height %d: %d lines:\n%s", h, n, v)
		}
		if !strings.Contains(v, "> Name") || h >= 4 && !strings.Contains(v, "required") {
			t.Errorf("height %d: the focused field or its error is not in view:\n%s", h, v)
		}
	}
}

func TestGolden(t *testing.T) {
	f := uitest.New()
	c := uitest.NewCommon(t, f, 80, 24, "dark", false)
	m := checkpointForm()
	m.SetStyles(form.StylesFrom(c.Styles))
	m.SetWidth(56)
	m = feed(m, "shift+tab", "backspace", "backspace", "backspace", "backspace", "enter", "tab", "space")
	view := lipgloss.Place(c.Width, c.Height, lipgloss.Center, lipgloss.Center, m.View())
	uitest.Golden(t, "form-80x24", uitest.Strip(common.Lines(view, c.Width, c.Height)))
}

// Fill answers a field for the operator only while the operator has not:
// a value read after the form opened never overwrites what was typed.
func TestFill(t *testing.T) {
	f := form.New("limits", form.Field{Name: "memory"}, form.Field{Name: "pids"}, form.Field{Name: "on", Kind: form.KindBool})
	if !f.TakingText() {
		t.Fatal("a text field has the focus but the form takes no text")
	}
	f, _ = f.Update(press("6"))
	if f.Fill("memory", "32m") || f.Text("memory") != "6" {
		t.Fatalf("Fill overwrote what was typed: %q", f.Text("memory"))
	}
	if !f.Fill("pids", "64") || f.Text("pids") != "64" {
		t.Fatalf("Fill of an untouched field: %q", f.Text("pids"))
	}
	if f.Fill("on", "x") {
		t.Fatal("Fill set a checkbox")
	}
	f, _ = f.Update(press("tab"))
	f, _ = f.Update(press("tab"))
	if f.TakingText() {
		t.Fatal("a checkbox has the focus but the form takes text")
	}
}
