package container

import (
	"fmt"
	"strings"
	"time"

	"berth/ui/common"
	"berth/ui/format"
	"berth/ui/sanitize"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// Stats is the stats tab: graphs of the container's CPU, memory, pids, IO
// and network over the history the store keeps, each titled with its
// current value and limit. The charts are drawn in Update, when samples
// arrive, the size changes or the window scrolls; View only joins them.
type Stats struct {
	c  *common.Common
	id string

	// pts is the history on screen, reused between builds.
	pts    []common.Point
	styles *chartStyles
	charts chartCache
	lines  []string
	built  statsKey
	// scroll is the first graph shown when not all fit.
	scroll common.Scroll
}

// statsKey is what the drawn graphs depend on.
type statsKey struct {
	id          string
	rev         uint64
	w, h, first int
	theme       *common.Styles
}

var _ common.Page = (*Stats)(nil)

// NewStats is a stats page over c, showing nothing until Open.
func NewStats(c *common.Common) *Stats { return &Stats{c: c} }

// Open shows container id's graphs from the history already kept.
func (s *Stats) Open(id string) tea.Cmd {
	s.id = id
	s.scroll = common.Scroll{}
	s.rebuild()
	return nil
}

// Close does nothing: the page runs nothing of its own.
func (s *Stats) Close() {}

// Update scrolls the graphs with the navigation keys, then redraws them if
// anything they show changed: new samples (a StatsMsg), a new size, the
// theme or the scroll position.
func (s *Stats) Update(msg tea.Msg) tea.Cmd {
	if msg, ok := msg.(tea.KeyMsg); ok {
		s.handleKey(msg)
	}
	s.rebuild()
	return nil
}

// handleKey scrolls the graphs when not all fit.
func (s *Stats) handleKey(msg tea.KeyMsg) {
	l := layoutFor(s.c.Width, s.c.Height, len(metrics), s.scroll)
	if l.mode == layoutStacked {
		s.scroll.Nav(msg, s.c.Keys, len(metrics), l.shown)
	}
}

// key is the current statsKey.
func (s *Stats) key() statsKey {
	l := layoutFor(s.c.Width, s.c.Height, len(metrics), s.scroll)
	return statsKey{id: s.id, rev: s.c.Store.Rev, w: s.c.Width, h: s.c.Height, first: l.first, theme: s.c.Styles}
}

// rebuild draws the graphs again when what they show has changed.
func (s *Stats) rebuild() {
	k := s.key()
	if k == s.built && s.lines != nil {
		return
	}
	s.built = k
	if s.styles == nil || s.styles.theme != s.c.Styles {
		s.styles = newChartStyles(s.c.Styles)
	}
	h := s.c.Store.History[s.id]
	if h == nil || h.Len() == 0 {
		s.lines = []string{s.c.Styles.Muted.Render(s.waiting())}
		return
	}
	s.pts = h.Since(time.Time{}, s.pts)
	graphs := make([]graph, len(metrics))
	for i := range metrics {
		graphs[i] = buildGraph(&metrics[i], s.pts, s.c.Styles, s.styles, i)
	}
	l := layoutFor(s.c.Width, s.c.Height, len(graphs), s.scroll)
	s.scroll.Top = l.first
	switch l.mode {
	case layoutGrid:
		s.lines = s.grid(l, graphs)
	case layoutStacked:
		s.lines = s.stacked(l, graphs)
	default:
		s.lines = titles(graphs)
	}
}

// waiting says why there is nothing to draw.
func (s *Stats) waiting() string {
	if ct, ok := s.c.Store.Get(s.id); ok && !ct.Running() {
		return sanitize.OneLine(s.id) + " is not running: no samples"
	}
	return "waiting for samples"
}

// panel is graph i drawn in w x h cells: its title over its chart.
func (s *Stats) panel(g *graph, i, w, h int) []string {
	out := make([]string, 0, h)
	out = append(out, common.Fit(g.title, w))
	if h > 1 {
		out = append(out, strings.Split(s.charts.render(i, w, h-1, s.styles, s.pts, g), "\n")...)
	}
	return out
}

// grid lays the graphs out two a row, the summary in the last free slot.
func (s *Stats) grid(l layout, graphs []graph) []string {
	rightW := s.c.Width - l.panelW - gridGap
	var panels [][]string
	for i := range graphs {
		w := l.panelW
		if i%2 == 1 {
			w = rightW
		}
		panels = append(panels, s.panel(&graphs[i], i, w, l.panelH))
	}
	panels = append(panels, s.summary(graphs))
	var out []string
	for r := 0; r < len(panels); r += 2 {
		for y := 0; y < l.panelH; y++ {
			line := common.Fit(lineAt(panels[r], y), l.panelW)
			if r+1 < len(panels) {
				line += strings.Repeat(" ", gridGap) + lineAt(panels[r+1], y)
			}
			out = append(out, line)
		}
	}
	return out
}

// stacked shows the graphs that fit one under another, with a note on
// those scrolled out of view.
func (s *Stats) stacked(l layout, graphs []graph) []string {
	var out []string
	for i := l.first; i < l.first+l.shown; i++ {
		out = append(out, s.panel(&graphs[i], i, s.c.Width, l.panelH)...)
	}
	if l.shown < len(graphs) {
		for len(out) < s.c.Height-1 {
			out = append(out, "")
		}
		k := s.c.Keys
		note := fmt.Sprintf("graphs %d-%d of %d · %s/%s for more", l.first+1, l.first+l.shown, len(graphs),
			k.Up.Help().Key, k.Down.Help().Key)
		out = append(out, s.c.Styles.Muted.Render(note))
	}
	return out
}

// summary is the grid's last panel: the window shown and the peaks in it.
func (s *Stats) summary(graphs []graph) []string {
	st := s.c.Styles
	field := func(label, value string) string {
		return "  " + st.Muted.Render(common.Fit(label, labelWidth)) + " " + value
	}
	from, to := s.pts[0].Time, s.pts[len(s.pts)-1].Time
	out := []string{
		st.Title.Render("summary"),
		field("window", format.HumanDuration(to.Sub(from))+", "+fmt.Sprint(len(s.pts))+" samples"),
		field("cpu", "avg "+percent(mean(graphs[0].values[0]))+", peak "+percent(peak(graphs[0].values[0]))),
		field("memory", "peak "+bytes(peak(graphs[1].values[0]))),
		field("pids", "peak "+count(peak(graphs[2].values[0]))),
	}
	if ct, ok := s.c.Store.Get(s.id); ok {
		out = append(out, field("oom kills", fmt.Sprint(ct.OOMKills)))
	}
	return out
}

// titles is the compact view for sizes too small for charts: each graph's
// title line.
func titles(graphs []graph) []string {
	out := make([]string, len(graphs))
	for i := range graphs {
		out[i] = graphs[i].title
	}
	return out
}

func lineAt(lines []string, i int) string {
	if i < len(lines) {
		return lines[i]
	}
	return ""
}

func peak(vs []float64) float64 {
	m := 0.0
	for _, v := range vs {
		m = max(m, v)
	}
	return m
}

func mean(vs []float64) float64 {
	if len(vs) == 0 {
		return 0
	}
	t := 0.0
	for _, v := range vs {
		t += v
	}
	return t / float64(len(vs))
}

// View shows the graphs drawn for the current size.
func (s *Stats) View() string {
	return common.Lines(strings.Join(s.lines, "\n"), s.c.Width, s.c.Height)
}

// ShortHelp is the scroll keys, for when not every graph fits.
func (s *Stats) ShortHelp() []key.Binding {
	return []key.Binding{s.c.Keys.Up, s.c.Keys.Down}
}

// FullHelp is every navigation key.
func (s *Stats) FullHelp() [][]key.Binding {
	return [][]key.Binding{s.c.Keys.NavHelp()}
}

// Capturing is false: the graphs take no text.
func (s *Stats) Capturing() bool { return false }
