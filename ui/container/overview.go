package container

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"berth/ui/common"
	"berth/ui/format"
	"berth/ui/sanitize"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Overview is the overview tab: what a container is (its record as last
// listed) and what it runs (a summary of its OCI spec), one fact a line,
// scrolled with the navigation keys. The spec is loaded once per Open; the
// record is re-read from the store whenever it changes.
type Overview struct {
	c   *common.Common
	id  string
	gen uint64

	spec    *specs.Spec
	specErr error
	loaded  bool

	// lines is the content, built in Update for built.
	lines  []string
	built  overviewKey
	scroll scroll
}

// overviewKey is what the content depends on: when any of it changes,
// the lines are built again.
type overviewKey struct {
	gen, rev uint64
	loaded   bool
	width    int
	now      time.Time
	theme    string
}

var _ common.Page = (*Overview)(nil)

// NewOverview is an overview page over c, showing nothing until Open.
func NewOverview(c *common.Common) *Overview { return &Overview{c: c} }

// specMsg is the OCI spec of container id, loaded for generation gen.
type specMsg struct {
	id   string
	gen  uint64
	spec *specs.Spec
	err  error
}

// loadSpec reads container id's spec off the UI's goroutine.
func loadSpec(in common.Inspector, id string, gen uint64) tea.Cmd {
	return func() tea.Msg {
		s, err := in.Spec(id)
		return specMsg{id: id, gen: gen, spec: s, err: err}
	}
}

// Open shows container id and loads its spec.
func (o *Overview) Open(id string) tea.Cmd {
	o.id = id
	o.gen++
	o.spec, o.specErr, o.loaded = nil, nil, false
	o.scroll = scroll{}
	o.rebuild()
	return loadSpec(o.c.Core, id, o.gen)
}

// Close drops the spec being loaded, if any.
func (o *Overview) Close() { o.gen++ }

// Update takes the loaded spec and the scroll keys; any other message may
// have changed the store, the size or the clock, so the content is
// rebuilt when they did.
func (o *Overview) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case specMsg:
		o.setSpec(msg)
	case tea.KeyMsg:
		o.scroll.nav(msg, o.c.Keys, len(o.lines), o.c.Height)
	}
	o.rebuild()
	return nil
}

// setSpec keeps a spec loaded for the current generation.
func (o *Overview) setSpec(msg specMsg) {
	if msg.gen != o.gen || msg.id != o.id {
		return
	}
	o.spec, o.specErr, o.loaded = msg.spec, msg.err, true
}

// key is the current overviewKey.
func (o *Overview) key() overviewKey {
	return overviewKey{gen: o.gen, rev: o.c.Store.Rev, loaded: o.loaded, width: o.c.Width, now: o.c.Now, theme: o.c.Styles.Theme}
}

// rebuild builds the content again when what it shows has changed.
func (o *Overview) rebuild() {
	k := o.key()
	if k == o.built && o.lines != nil {
		return
	}
	o.built = k
	s := newSheet(o.c.Styles, o.c.Width)
	o.record(s)
	o.liveLimits(s)
	switch {
	case !o.loaded:
		s.note("loading spec…")
	case o.specErr != nil:
		s.blank()
		s.line(o.c.Styles.Error.Render("spec: " + sanitize.OneLine(o.specErr.Error())))
	case o.spec != nil:
		specSummary(s, o.spec)
	}
	o.lines = s.lines
	o.scroll.top = o.scroll.clamped(len(o.lines), o.c.Height)
}

// liveLimits adds the limits the cgroup has now, from the newest full
// sample: berth update changes them, the spec keeps what the container
// started with.
func (o *Overview) liveLimits(s *sheet) {
	h := o.c.Store.History[o.id]
	if h == nil {
		return
	}
	p, ok := h.Last()
	if !ok || !p.Full {
		return
	}
	none := func(set bool, v string) string {
		if !set {
			return "no limit"
		}
		return v
	}
	s.title("Limits now")
	s.field("memory", none(p.MemLimit > 0, format.HumanBytes(p.MemLimit)))
	s.field("pids", none(p.PidsLimit > 0, strconv.FormatUint(p.PidsLimit, 10)))
	s.field("cpu", none(p.CPUQuota > 0, strconv.FormatFloat(p.CPUQuota, 'g', 3, 64)+" CPUs"))
}

// View shows the visible part of the content.
func (o *Overview) View() string {
	w, h := o.c.Width, o.c.Height
	if h <= 0 {
		return ""
	}
	top := o.scroll.clamped(len(o.lines), h)
	end := min(top+h, len(o.lines))
	if end == len(o.lines) || h < 2 {
		return common.Lines(strings.Join(o.lines[min(top, end):end], "\n"), w, h)
	}
	// More below: the last line says how much, in place of a content line.
	more := o.c.Styles.Muted.Render(fmt.Sprintf("↓ %d more lines", len(o.lines)-end+1))
	return common.Lines(strings.Join(o.lines[top:end-1], "\n")+"\n"+more, w, h)
}

// ShortHelp is the scroll keys.
func (o *Overview) ShortHelp() []key.Binding {
	return []key.Binding{o.c.Keys.Up, o.c.Keys.Down}
}

// FullHelp is every navigation key.
func (o *Overview) FullHelp() [][]key.Binding {
	return [][]key.Binding{o.c.Keys.NavHelp()}
}

// Capturing is false: the overview takes no text.
func (o *Overview) Capturing() bool { return false }
