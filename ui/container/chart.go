package container

import (
	"math"
	"strconv"
	"strings"
	"time"

	"berth/ui/common"
	"berth/ui/format"

	"github.com/NimbleMarkets/ntcharts/canvas"
	tslc "github.com/NimbleMarkets/ntcharts/linechart/timeserieslinechart"
	"github.com/charmbracelet/lipgloss"
)

// Chart sizes: below minChartWidth columns or minChartHeight rows a chart
// has no room for a line beside its axis labels; from axisHeight rows it
// also gets a time axis.
const (
	minChartWidth  = 16
	minChartHeight = 2
	axisHeight     = 6
	// xLabelStep is the columns between time labels.
	xLabelStep = 12
)

// limitSet is the data set name of a graph's limit line.
const limitSet = "0-limit"

// chartCache keeps each graph's chart between draws, so a new sample
// redraws into a canvas already made for the size instead of allocating
// another.
type chartCache []*tslc.Model

// chart is graph i's chart for w x h cells with a time axis every xStep
// columns (none when 0), emptied of data.
func (cc *chartCache) chart(i, w, h, xStep int) *tslc.Model {
	if len(*cc) != len(metrics) {
		*cc = make(chartCache, len(metrics))
	}
	ch := (*cc)[i]
	if ch == nil || ch.Width() != w || ch.Height() != h || ch.XStep() != xStep {
		m := tslc.New(w, h, tslc.WithXYSteps(xStep, 2))
		// The ranges are set from the data: nothing should widen them.
		m.AutoMinX, m.AutoMaxX, m.AutoMinY, m.AutoMaxY = false, false, false, false
		ch = &m
		(*cc)[i] = ch
	}
	ch.ClearAllData()
	return ch
}

// render draws graph g (metric i) over the points' times as a w x h
// braille line chart: the limit first, as a flat line in the warning
// colour, then the values over it. It returns w x h cells, blank when the
// size has no room for a chart.
func (cc *chartCache) render(i, w, h int, cs *chartStyles, pts []common.Point, g *graph) string {
	if w < minChartWidth || h < minChartHeight || len(pts) == 0 {
		return common.Lines("", w, h)
	}
	xStep := 0
	if h >= axisHeight {
		xStep = xLabelStep
	}
	ch := cc.chart(i, w, h, xStep)
	from, to := window(pts)
	axis := g.m.axis
	ch.XLabelFormatter = relativeLabel(to)
	ch.YLabelFormatter = func(_ int, v float64) string { return axis(v) }
	ch.AxisStyle, ch.LabelStyle = cs.axis, cs.axis
	// Ranges before data: points are scaled as they are pushed.
	ch.SetYRange(0, g.top)
	ch.SetViewYRange(0, g.top)
	ch.SetTimeRange(from, to)
	ch.SetViewTimeRange(from, to)
	var names []string
	if push(ch, limitSet, pts, g.limits) {
		ch.SetDataSetStyle(limitSet, cs.limit)
		names = append(names, limitSet)
	}
	for j, vs := range g.values {
		name := strconv.Itoa(j + 1)
		if push(ch, name, pts, vs) {
			ch.SetDataSetStyle(name, cs.line[j][i])
			names = append(names, name)
		}
	}
	ch.DrawBrailleDataSets(names)
	return canvasView(&ch.Canvas)
}

// canvasView renders a chart's cells, one run of same-coloured cells at a
// time. ntcharts' own View renders every cell through its style, which
// was most of the cost of drawing a chart; the charts here style their
// cells with foreground colours only, so a run shares one rendering.
func canvasView(c *canvas.Model) string {
	w, h := c.Width(), c.Height()
	var b strings.Builder
	b.Grow(w * h * 3)
	run := make([]rune, 0, w)
	var style lipgloss.Style
	var fg lipgloss.TerminalColor // nil: blank cells, unstyled
	flush := func() {
		if len(run) == 0 {
			return
		}
		if fg == nil {
			b.WriteString(string(run))
		} else {
			b.WriteString(style.Render(string(run)))
		}
		run = run[:0]
	}
	for y := range h {
		if y > 0 {
			flush()
			b.WriteByte('\n')
		}
		for x := range w {
			cell := c.Cell(canvas.Point{X: x, Y: y})
			var cellFg lipgloss.TerminalColor
			r := cell.Rune
			if r == 0 {
				r = ' '
			} else {
				cellFg = cell.Style.GetForeground()
			}
			if cellFg != fg {
				flush()
				fg, style = cellFg, cell.Style
			}
			run = append(run, r)
		}
	}
	flush()
	return b.String()
}

// push adds the values that are numbers to data set name; it reports
// whether there were any.
func push(ch *tslc.Model, name string, pts []common.Point, vs []float64) bool {
	n := 0
	for k, v := range vs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		ch.PushDataSet(name, tslc.TimePoint{Time: pts[k].Time, Value: v})
		n++
	}
	return n > 0
}

// relativeLabel labels the time axis by age: "-1m0s" ... "now".
func relativeLabel(to time.Time) func(int, float64) string {
	end := to.Unix()
	return func(_ int, v float64) string {
		d := end - int64(v)
		if d <= 0 {
			return "now"
		}
		return "-" + format.HumanDuration(time.Duration(d)*time.Second)
	}
}
