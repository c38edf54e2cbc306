package ui

import (
	"fmt"

	"berth/ui/common"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// scroller is a window over more lines than a modal has room for: the
// navigation keys move it.
type scroller struct{ offset int }

// update moves the window over n lines shown page at a time; it reports
// whether msg was a navigation key.
func (s *scroller) update(msg tea.KeyMsg, k *common.KeyMap, n, page int) bool {
	page = max(page, 1)
	s.offset = s.clamp(n, page)
	switch {
	case key.Matches(msg, k.Up):
		s.offset--
	case key.Matches(msg, k.Down):
		s.offset++
	case key.Matches(msg, k.PageUp):
		s.offset -= max(page-1, 1)
	case key.Matches(msg, k.PageDown):
		s.offset += max(page-1, 1)
	case key.Matches(msg, k.Top):
		s.offset = 0
	case key.Matches(msg, k.Bottom):
		s.offset = n
	default:
		return false
	}
	s.offset = s.clamp(n, page)
	return true
}

// clamp is the offset kept inside n lines shown page at a time.
func (s scroller) clamp(n, page int) int {
	return min(max(s.offset, 0), max(n-page, 0))
}

// window is the lines on view, page at a time, and where they are ("" when
// every line is on view).
func (s scroller) window(lines []string, page int) ([]string, string) {
	page = max(page, 1)
	if len(lines) <= page {
		return lines, ""
	}
	off := s.clamp(len(lines), page)
	return lines[off : off+page], positionText(off, page, len(lines))
}

// positionText says which lines of n are on view.
func positionText(off, page, n int) string {
	return fmt.Sprintf("%d-%d of %d", off+1, min(off+page, n), n)
}
