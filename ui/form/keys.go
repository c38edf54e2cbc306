package form

import "github.com/charmbracelet/bubbles/key"

// KeyMap is the form's keys. It is a help.KeyMap: the form's hint line
// and the root's help screen are generated from it.
type KeyMap struct {
	// Next and Prev move between fields, wrapping around.
	Next, Prev key.Binding
	// Toggle flips the focused checkbox.
	Toggle key.Binding
	// Submit validates every field and closes the form when all pass.
	Submit key.Binding
	// Cancel closes the form without answers.
	Cancel key.Binding
}

// DefaultKeyMap is tab/down and shift+tab/up to move, space to toggle,
// enter to submit and esc to cancel.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Next:   key.NewBinding(key.WithKeys("tab", "down"), key.WithHelp("tab", "next")),
		Prev:   key.NewBinding(key.WithKeys("shift+tab", "up"), key.WithHelp("shift+tab", "previous")),
		Toggle: key.NewBinding(key.WithKeys(" "), key.WithHelp("space", "toggle")),
		Submit: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "submit")),
		Cancel: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
	}
}

// ShortHelp is the hint line's keys (shift+tab goes without saying).
func (k KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Next, k.Toggle, k.Submit, k.Cancel}
}

// FullHelp is every key, in one column.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Next, k.Prev, k.Toggle, k.Submit, k.Cancel}}
}
