package ui

import (
	"fmt"

	"berth/ui/common"

	tea "github.com/charmbracelet/bubbletea"
)

// scroller is a window over more lines than a modal has room for: the
// navigation keys move it.
type scroller struct{ common.Scroll }

// update moves the window over n lines shown page at a time; it reports
// whether msg was a navigation key.
func (s *scroller) update(msg tea.KeyMsg, k *common.KeyMap, n, page int) bool {
	return s.Nav(msg, k, n, page)
}

// window is the lines on view, page at a time, and where they are ("" when
// every line is on view).
func (s scroller) window(lines []string, page int) ([]string, string) {
	page = max(page, 1)
	if len(lines) <= page {
		return lines, ""
	}
	off := s.Clamped(len(lines), page)
	return lines[off : off+page], positionText(off, page, len(lines))
}

// positionText says which lines of n are on view.
func positionText(off, page, n int) string {
	return fmt.Sprintf("%d-%d of %d", off+1, min(off+page, n), n)
}
