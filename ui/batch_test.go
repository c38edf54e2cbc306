package ui

import (
	"strings"
	"testing"

	"berth/ui/common"
	"berth/ui/uitest"

	tea "github.com/charmbracelet/bubbletea"
)

// batch sends runes read in one go (typed fast over ssh, or pasted) as
// bubbletea delivers them: one key message holding them all.
func batch(m *Model, s string, paste bool) {
	_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s), Paste: paste})
	feed(m, cmd)
}

// Keys read together are each handled, in order, exactly as if they came
// one by one: as keys until something takes text, then as its text.
func TestKeyBatch(t *testing.T) {
	tests := []struct {
		name   string
		before []string // keys pressed one by one first
		runes  string   // then one batch
		after  []string // then more keys one by one
		paste  bool
		// alone: the batch is not meant to do what the keys one by one do
		alone bool
		check func(t *testing.T, m *Model, calls []string)
	}{
		{name: "sort twice", runes: "ss"},
		{name: "help opened and closed", runes: "?q", check: func(t *testing.T, m *Model, _ []string) {
			if m.modal != nil {
				t.Fatal("help still open")
			}
		}},
		{name: "sort, then help", runes: "s?", check: func(t *testing.T, m *Model, _ []string) {
			if _, ok := m.modal.(*helpModal); !ok {
				t.Fatal("help not open")
			}
		}},
		{name: "filter typed fast", runes: "/log", after: []string{"enter"}, check: func(t *testing.T, m *Model, _ []string) {
			if m.screen != common.ScreenList || !strings.Contains(uitest.Strip(m.View()), "filter /log/") {
				t.Fatalf("the filter was lost:\n%s", uitest.Strip(m.View()))
			}
		}},
		{name: "a paste presses no key", runes: "dy ping jjp", paste: true, alone: true, check: func(t *testing.T, m *Model, calls []string) {
			if len(calls) != 0 {
				t.Fatalf("a paste acted: %v", calls)
			}
			if m.modal != nil {
				t.Fatalf("a paste opened %T", m.modal)
			}
		}},
		{name: "kill chosen and confirmed", runes: "k2y", check: func(t *testing.T, m *Model, calls []string) {
			if len(calls) == 0 || calls[len(calls)-1] != "kill demo-cpu 9" {
				t.Fatalf("calls %v", calls)
			}
		}},
		{name: "update form typed fast", runes: "u64m", after: []string{"enter"}, check: func(t *testing.T, m *Model, calls []string) {
			if len(calls) == 0 || calls[len(calls)-1] != "update demo-cpu memory=67108864" {
				t.Fatalf("calls %v", calls)
			}
		}},
		{name: "palette typed fast", runes: ":pau", after: []string{"enter"}},
		{name: "tabs", before: []string{"enter"}, runes: "23"},
		{name: "log search and matches", before: []string{"down", "enter", "4", "/", "l", "i", "n", "e", "enter"}, runes: "nnn"},
		{name: "checkpoint form over a typed name", before: []string{"enter", "5"}, runes: "cx"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			one, f1 := app(t, 120, 40, "dark", false)
			press(one, tt.before...)
			for _, r := range tt.runes {
				press(one, string(r))
			}
			press(one, tt.after...)

			all, f2 := app(t, 120, 40, "dark", false)
			press(all, tt.before...)
			batch(all, tt.runes, tt.paste)
			press(all, tt.after...)

			if tt.alone {
				tt.check(t, all, f2.Calls)
				return
			}
			if got, want := uitest.Strip(all.View()), uitest.Strip(one.View()); got != want {
				t.Fatalf("%q in one read drew\n%s\nkey by key\n%s", tt.runes, got, want)
			}
			if strings.Join(f2.Calls, "; ") != strings.Join(f1.Calls, "; ") {
				t.Fatalf("%q in one read called %v, key by key %v", tt.runes, f2.Calls, f1.Calls)
			}
			if tt.check != nil {
				tt.check(t, all, f2.Calls)
			}
		})
	}
}
