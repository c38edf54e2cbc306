package container

import (
	"berth/ui/common"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// scroll is the first visible line of content taller than its window; the
// navigation keys move it a line, a page, or to either end.
type scroll struct{ top int }

// nav moves the window over n lines shown h at a time for a navigation
// key; it reports whether msg was one.
func (s *scroll) nav(msg tea.KeyMsg, k *common.KeyMap, n, h int) bool {
	page := max(h-1, 1)
	switch {
	case key.Matches(msg, k.Up):
		s.top--
	case key.Matches(msg, k.Down):
		s.top++
	case key.Matches(msg, k.PageUp):
		s.top -= page
	case key.Matches(msg, k.PageDown):
		s.top += page
	case key.Matches(msg, k.Top):
		s.top = 0
	case key.Matches(msg, k.Bottom):
		s.top = n
	default:
		return false
	}
	s.top = s.clamped(n, h)
	return true
}

// clamped is top kept inside n lines shown h at a time.
func (s scroll) clamped(n, h int) int {
	return min(max(s.top, 0), max(n-max(h, 1), 0))
}
