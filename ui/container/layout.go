package container

import "berth/ui/common"

// layoutMode is how the stats tab arranges its graphs.
type layoutMode int

// Layouts, from the roomiest: a grid two graphs wide, graphs stacked (as
// many as fit, scrolled), or only their title lines.
const (
	layoutCompact layoutMode = iota
	layoutStacked
	layoutGrid
)

// Sizes the layout works with.
const (
	// gridMinWidth is the width from which graphs go two a row.
	gridMinWidth = 120
	// minPanelHeight is a graph's least height: a title and a chart.
	minPanelHeight = 1 + axisHeight
	// gridGap is the space between the grid's columns.
	gridGap = 2
)

// layout is where the graphs go for one size.
type layout struct {
	mode           layoutMode
	panelW, panelH int
	// first and shown are the graphs in view when stacked.
	first, shown int
}

// layoutFor lays n graphs out in w x h cells, the stacked ones starting
// from the scroll position.
func layoutFor(w, h, n int, sc common.Scroll) layout {
	if w < minChartWidth || h < minPanelHeight || n == 0 {
		return layout{mode: layoutCompact}
	}
	// The grid has a free slot for the summary.
	if rows := (n + 2) / 2; w >= gridMinWidth && h/rows >= minPanelHeight {
		return layout{mode: layoutGrid, panelW: (w - gridGap) / 2, panelH: h / rows, shown: n}
	}
	if h/n >= minPanelHeight {
		return layout{mode: layoutStacked, panelW: w, panelH: h / n, shown: n}
	}
	// Not all fit: keep the last line for a note on the others.
	shown := (h - 1) / minPanelHeight
	if shown < 1 {
		return layout{mode: layoutCompact}
	}
	first := sc.Clamped(n, shown)
	return layout{mode: layoutStacked, panelW: w, panelH: (h - 1) / shown, first: first, shown: shown}
}
