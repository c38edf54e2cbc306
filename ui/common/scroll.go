package common

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// Scroll is the first visible line of content taller than its window; the
// navigation keys move it a line, a page (keeping one line of the last in
// view), or to either end.
type Scroll struct{ Top int }

// Nav moves the window over n lines shown h at a time for a navigation
// key; it reports whether msg was one.
func (s *Scroll) Nav(msg tea.KeyMsg, k *KeyMap, n, h int) bool {
	page := max(h-1, 1)
	s.Top = s.Clamped(n, h)
	switch {
	case key.Matches(msg, k.Up):
		s.Top--
	case key.Matches(msg, k.Down):
		s.Top++
	case key.Matches(msg, k.PageUp):
		s.Top -= page
	case key.Matches(msg, k.PageDown):
		s.Top += page
	case key.Matches(msg, k.Top):
		s.Top = 0
	case key.Matches(msg, k.Bottom):
		s.Top = n
	default:
		return false
	}
	s.Top = s.Clamped(n, h)
	return true
}

// Clamped is Top kept inside n lines shown h at a time.
func (s Scroll) Clamped(n, h int) int {
	return min(max(s.Top, 0), max(n-max(h, 1), 0))
}
