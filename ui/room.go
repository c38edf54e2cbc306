package ui

import (
	"strings"

	"berth/ui/common"

	"github.com/charmbracelet/x/ansi"
)

// room is the cells a modal may take, its border included: the
// terminal's. Every modal lays itself out in its room, shrinking (and,
// when its lines still do not fit, scrolling) rather than being cut.
type room struct{ w, h int }

// boxFrame is what a modal's box (border and padding) takes from its
// room, across and down.
const (
	boxFrameW = 4
	boxFrameH = 2
)

// inner is the room inside a box's frame, at least one cell each way.
func (r room) inner() (w, h int) {
	return max(r.w-boxFrameW, 1), max(r.h-boxFrameH, 1)
}

// boxed frames lines (each fitted to w cells) in st's box.
func boxed(st *common.Styles, lines []string, w int) string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = common.Fit(l, w)
	}
	return st.Box.Render(strings.Join(out, "\n"))
}

// wrap breaks s into lines of at most w cells, at spaces where it can.
func wrap(s string, w int) []string {
	return strings.Split(ansi.Wrap(s, max(w, 1), ""), "\n")
}
