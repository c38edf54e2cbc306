package ui

import (
	"testing"

	"berth/ui/common"

	tea "github.com/charmbracelet/bubbletea"
)

// Each modal's keys do what its generated footer says.
func TestConfirmKeys(t *testing.T) {
	yes := func() tea.Msg { return nil }
	tests := []struct {
		key      tea.KeyMsg
		open     bool // the dialog stays open
		runs     bool // the action runs
		toggles  bool
		firstYes bool
	}{
		{key: tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("y")}, runs: true},
		{key: tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("n")}},
		{key: tea.KeyMsg{Type: tea.KeyEsc}},
		{key: tea.KeyMsg{Type: tea.KeyEnter}},
		{key: tea.KeyMsg{Type: tea.KeyEnter}, firstYes: true, runs: true},
		{key: tea.KeyMsg{Type: tea.KeyLeft}, open: true, toggles: true},
		{key: tea.KeyMsg{Type: tea.KeyTab}, open: true, toggles: true},
		{key: tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("x")}, open: true},
	}
	for _, tt := range tests {
		m := &confirm{title: "t", yesLabel: "Kill", yes: yes, onYes: tt.firstYes}
		next, cmd := m.update(tt.key, &common.Common{}, room{80, 24})
		if (next != nil) != tt.open || (cmd != nil) != tt.runs {
			t.Errorf("%s (on yes %v): open %v runs %v, want %v %v", tt.key, tt.firstYes, next != nil, cmd != nil, tt.open, tt.runs)
		}
		if tt.toggles && m.onYes == tt.firstYes {
			t.Errorf("%s did not move the choice", tt.key)
		}
	}
}

func TestModalHints(t *testing.T) {
	st := &common.Styles{}
	for _, tt := range []struct{ got, want string }{
		{hints(st, confirmKeys.ShortHelp()...), "y confirms · n or esc cancels · ←/→ choose"},
		{hints(st, menuKeys.ShortHelp()...), "enter runs · esc closes"},
		{hints(st, helpCloseKey), "any key closes help"},
	} {
		if tt.got != tt.want {
			t.Errorf("hints = %q, want %q", tt.got, tt.want)
		}
	}
}
