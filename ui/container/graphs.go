package container

import (
	"fmt"
	"math"
	"strings"
	"time"

	"berth/ui/common"
	"berth/ui/format"

	"github.com/charmbracelet/lipgloss"
)

// metric is one kind of graph: what it plots from each point, its limit
// if it has one, and how its values read.
type metric struct {
	name  string
	lines []metricLine
	// limit is the limit at p given the one before (samples that are not
	// full carry no quota or pids limit, so the last one known holds);
	// nil when the metric has none.
	limit func(p common.Point, prev float64) float64
	// value formats a current value; axis an axis label, shorter.
	value, axis func(float64) string
	// floor is the least top of the y axis, so an idle graph is flat at
	// the bottom rather than scaled up from noise.
	floor float64
	// aside, when set, is a muted note after the values and the limit,
	// from the newest point: memory's page cache.
	aside func(p common.Point) string
	// instead, when set and not "", is said in place of the values: the
	// network of a container on the host's.
	instead func(pts []common.Point) string
}

// metricLine is one line of a graph; the first is the metric's own colour,
// the second muted.
type metricLine struct {
	label string
	at    func(common.Point) float64
}

// carried is a limit that only full samples report.
func carried(v float64, full bool, prev float64) float64 {
	if full || v != 0 {
		return v
	}
	return prev
}

func percent(v float64) string     { return fmt.Sprintf("%.1f%%", v) }
func percentAxis(v float64) string { return fmt.Sprintf("%.0f%%", v) }
func count(v float64) string       { return fmt.Sprintf("%.0f", v) }
func bytes(v float64) string       { return format.HumanBytes(uint64(max(v, 0))) }
func rate(v float64) string        { return bytes(v) + "/s" }

// metrics are the graphs, in the order shown.
var metrics = []metric{
	{
		name:  "cpu",
		lines: []metricLine{{"", func(p common.Point) float64 { return p.CPU }}},
		limit: func(p common.Point, prev float64) float64 { return carried(p.CPUQuota*100, p.Full, prev) },
		value: percent, axis: percentAxis, floor: 5,
	},
	{
		name:  "memory",
		lines: []metricLine{{"", func(p common.Point) float64 { return float64(p.Mem) }}},
		limit: func(p common.Point, _ float64) float64 { return float64(p.MemLimit) },
		value: bytes, axis: bytes, floor: 1 << 20,
		aside: func(p common.Point) string { return "cache " + bytes(float64(p.MemCache)) },
	},
	{
		name:  "pids",
		lines: []metricLine{{"", func(p common.Point) float64 { return float64(p.Pids) }}},
		limit: func(p common.Point, prev float64) float64 { return carried(float64(p.PidsLimit), p.Full, prev) },
		value: count, axis: count, floor: 4,
	},
	{
		name: "io",
		lines: []metricLine{
			{"read", func(p common.Point) float64 { return p.IORead }},
			{"write", func(p common.Point) float64 { return p.IOWrite }},
		},
		value: rate, axis: bytes, floor: 1024,
	},
	{
		name: "net",
		lines: []metricLine{
			{"rx", func(p common.Point) float64 { return p.NetRx }},
			{"tx", func(p common.Point) float64 { return p.NetTx }},
		},
		value: rate, axis: bytes, floor: 1024,
		instead: hostNetwork,
	},
}

// hostNetwork is "host" when the newest full point (only those carry the
// network) says the container is on the host's network.
func hostNetwork(pts []common.Point) string {
	for i := len(pts) - 1; i >= 0; i-- {
		if pts[i].Full {
			if pts[i].NetHost {
				return "host"
			}
			return ""
		}
	}
	return ""
}

// graph is a metric's series over the points on screen, ready to draw:
// one slice of values per line and the limit (NaN where there is none).
type graph struct {
	m      *metric
	values [][]float64
	limits []float64
	top    float64 // the y axis's top
	title  string
	// last is the newest point, for the metric's aside; instead what the
	// title says in place of the values.
	last    common.Point
	instead string
}

// buildGraph computes metric m's series over pts.
func buildGraph(m *metric, pts []common.Point, st *common.Styles, cs *chartStyles, i int) graph {
	g := graph{m: m, values: make([][]float64, len(m.lines)), top: m.floor}
	if len(pts) > 0 {
		g.last = pts[len(pts)-1]
	}
	if m.instead != nil {
		g.instead = m.instead(pts)
	}
	for j, l := range m.lines {
		vs := make([]float64, len(pts))
		for k, p := range pts {
			vs[k] = l.at(p)
			g.top = max(g.top, vs[k])
		}
		g.values[j] = vs
	}
	if m.limit != nil {
		g.limits = make([]float64, len(pts))
		prev := 0.0
		for k, p := range pts {
			prev = m.limit(p, prev)
			g.limits[k] = math.NaN()
			if prev > 0 {
				g.limits[k] = prev
				g.top = max(g.top, prev)
			}
		}
	}
	g.top *= 1.1
	g.title = g.titleLine(st, cs, i)
	return g
}

// current is the newest value of line j.
func (g *graph) current(j int) float64 {
	vs := g.values[j]
	if len(vs) == 0 {
		return 0
	}
	return vs[len(vs)-1]
}

// limit is the newest limit, 0 when none.
func (g *graph) limit() float64 {
	if len(g.limits) == 0 || math.IsNaN(g.limits[len(g.limits)-1]) {
		return 0
	}
	return g.limits[len(g.limits)-1]
}

// titleLine states the current values and the limit: "memory 28.0MiB /
// 32.0MiB (87%) · cache 12.0MiB", or "io read 4.0KiB/s · write 0B/s",
// or "net host" for a container on the host's network. Colours tie the
// words to the lines: the metric's colour, muted for the second line and
// asides, the warning colour for the limit.
func (g *graph) titleLine(st *common.Styles, cs *chartStyles, i int) string {
	var b strings.Builder
	b.WriteString(cs.name[i].Render(g.m.name))
	if g.instead != "" {
		b.WriteString(" " + g.instead + " " + cs.axis.Render("(the host's network: no counters of its own)"))
		return b.String()
	}
	for j, l := range g.m.lines {
		if j > 0 {
			b.WriteString(" ·")
		}
		if l.label != "" {
			b.WriteString(" " + cs.line[j][i].Render(l.label))
		}
		b.WriteString(" " + g.m.value(g.current(j)))
	}
	if lim := g.limit(); lim > 0 {
		pct := int(g.current(0) / lim * 100)
		b.WriteString(" / " + cs.limit.Render(g.m.value(lim)))
		p := fmt.Sprintf("(%d%%)", pct)
		if pct >= 90 {
			p = st.Warning.Render(p)
		}
		b.WriteString(" " + p)
	}
	// Last, so a narrow panel cuts it before the limit.
	if g.m.aside != nil {
		b.WriteString(" · " + cs.axis.Render(g.m.aside(g.last)))
	}
	return b.String()
}

// chartStyles are the styles the graphs draw with, made from the theme's
// chart colours once per theme.
type chartStyles struct {
	theme *common.Styles
	// name styles each metric's name; line[j][i] line j of metric i.
	name  []lipgloss.Style
	line  [2][]lipgloss.Style
	limit lipgloss.Style
	axis  lipgloss.Style
}

// newChartStyles derives the chart styles from st (keeping its renderer).
func newChartStyles(st *common.Styles) *chartStyles {
	col := st.Colors
	colors := []lipgloss.TerminalColor{col.CPU, col.Memory, col.Pids, col.IO, col.Net}
	cs := &chartStyles{theme: st, limit: st.Text.Foreground(col.Warning), axis: st.Muted}
	for _, c := range colors {
		line := st.Text.Foreground(c)
		cs.name = append(cs.name, line.Bold(true))
		cs.line[0] = append(cs.line[0], line)
		cs.line[1] = append(cs.line[1], st.Text.Foreground(col.Muted))
	}
	return cs
}

// window is the time the graphs span: the points', at least minWindow.
func window(pts []common.Point) (from, to time.Time) {
	from, to = pts[0].Time, pts[len(pts)-1].Time
	if to.Sub(from) < minWindow {
		from = to.Add(-minWindow)
	}
	return from, to
}

// minWindow is the least time a graph spans, so the first samples do not
// stretch across the whole width.
const minWindow = 10 * time.Second
