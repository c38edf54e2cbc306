package container

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"berth/ui/common"
	"berth/ui/format"
	"berth/ui/sanitize"
	"berth/watch"

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

	// limits are the cgroup's limits as read when the page opened (and
	// again after an update); limitsRev counts the reads taken in.
	limits    *common.Limits
	limitsGen uint64
	limitsRev uint64

	// lines is the content, built in Update for built.
	lines  []string
	built  overviewKey
	scroll common.Scroll

	// raw is the config.json view over the summary, nil when closed;
	// rawGen names its latest load.
	raw    *rawSpec
	rawGen uint64
}

// overviewKey is what the content depends on: when any of it changes,
// the lines are built again.
type overviewKey struct {
	gen, rev  uint64
	limitsRev uint64
	loaded    bool
	width     int
	now       time.Time
	theme     string
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

// loadBundleSpec reads another manager's container's spec off the UI's
// goroutine: the config.json in its bundle, as the config.json view shows
// it (berth keeps no copy of its own).
func loadBundleSpec(ctx context.Context, in common.Inspector, id string, gen uint64) tea.Cmd {
	return func() tea.Msg {
		_, js, err := in.SpecJSON(ctx, id)
		if err != nil {
			return specMsg{id: id, gen: gen, err: err}
		}
		var s specs.Spec
		if err := json.Unmarshal(js, &s); err != nil {
			return specMsg{id: id, gen: gen, err: fmt.Errorf("%s: its bundle's config.json: %w", id, err)}
		}
		return specMsg{id: id, gen: gen, spec: &s}
	}
}

// limitsMsg is container id's cgroup limits, read for generation gen.
type limitsMsg struct {
	id     string
	gen    uint64
	limits common.Limits
	err    error
}

// loadLimits reads the container's limits off the UI's goroutine; a
// container that is not running has none to read.
func (o *Overview) loadLimits() tea.Cmd {
	o.limitsGen++
	ct, ok := o.c.Store.Get(o.id)
	if !ok || !ct.Running() {
		o.limits = nil
		return nil
	}
	s, gen := o.c.Core, o.limitsGen
	return func() tea.Msg {
		l, err := common.ReadLimits(s, ct)
		return limitsMsg{id: ct.Ref(), gen: gen, limits: l, err: err}
	}
}

// Open shows container id and loads its spec and its limits.
func (o *Overview) Open(id string) tea.Cmd {
	o.id = id
	o.gen++
	o.spec, o.specErr, o.loaded, o.limits = nil, nil, false, nil
	o.scroll, o.raw = common.Scroll{}, nil
	cmds := []tea.Cmd{o.loadLimits()}
	if ct, ok := o.c.Store.Get(id); ok && !ct.Managed {
		// berth keeps a spec only for what it starts: an external
		// container's is its manager's, in the bundle the record names.
		cmds = append(cmds, loadBundleSpec(o.c.Ctx, o.c.Core, id, o.gen))
	} else {
		cmds = append(cmds, loadSpec(o.c.Core, id, o.gen))
	}
	o.rebuild()
	return tea.Batch(cmds...)
}

// Close drops the spec, config.json and limits being loaded, if any.
func (o *Overview) Close() {
	o.gen++
	o.limitsGen++
	o.rawGen++
	o.raw = nil
}

// Back closes the config.json view's prompt, search, or the view itself;
// false when it is not open, for the root to go back.
func (o *Overview) Back() bool {
	if o.raw == nil {
		return false
	}
	o.rawBack()
	return true
}

// Update takes the loaded spec and the scroll keys; any other message may
// have changed the store, the size or the clock, so the content is
// rebuilt when they did.
func (o *Overview) Update(msg tea.Msg) tea.Cmd {
	var cmd tea.Cmd
	switch msg := msg.(type) {
	case specMsg:
		o.setSpec(msg)
	case specJSONMsg:
		o.setRaw(msg)
	case limitsMsg:
		o.setLimits(msg)
	case common.DoneMsg:
		if msg.Action == common.ActUpdate && slices.Contains(msg.IDs, o.id) {
			cmd = o.loadLimits()
		}
	case common.EventsMsg:
		if slices.ContainsFunc(msg.Events, func(e watch.Event) bool {
			return e.Ref() == o.id && (e.Kind == watch.KindUpdate || e.Kind == watch.KindExit || e.Kind == watch.KindRestore)
		}) {
			cmd = o.loadLimits()
		}
	case tea.KeyMsg:
		switch {
		case o.raw != nil:
			cmd = o.updateRaw(msg)
		case key.Matches(msg, o.c.Keys.Spec):
			cmd = o.openRaw()
		default:
			o.scroll.Nav(msg, o.c.Keys, len(o.lines), o.c.Height)
		}
	}
	o.rebuild()
	o.wrapRaw()
	return cmd
}

// setLimits keeps limits read for the current generation; a failed read
// shows none rather than stale ones.
func (o *Overview) setLimits(msg limitsMsg) {
	if msg.gen != o.limitsGen || msg.id != o.id {
		return
	}
	o.limitsRev++
	o.limits = nil
	if msg.err == nil {
		l := msg.limits
		o.limits = &l
	}
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
	return overviewKey{gen: o.gen, rev: o.c.Store.Rev, limitsRev: o.limitsRev, loaded: o.loaded, width: o.c.Width, now: o.c.Now, theme: o.c.Styles.Theme}
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
		if o.external() {
			s.blank()
			s.note("from its bundle's config.json (" + o.c.Keys.Spec.Help().Key + " shows it whole)")
		}
		specSummary(s, o.spec)
	}
	o.lines = s.lines
	o.scroll.Top = o.scroll.Clamped(len(o.lines), o.c.Height)
}

// external reports whether the container in view is another manager's.
func (o *Overview) external() bool {
	ct, ok := o.c.Store.Get(o.id)
	return ok && !ct.Managed
}

// liveLimits adds the limits the cgroup has now, as read when the page
// opened: berth update changes them, the spec keeps what the container
// started with.
func (o *Overview) liveLimits(s *sheet) {
	if o.limits == nil {
		return
	}
	if ct, ok := o.c.Store.Get(o.id); !ok || !ct.Running() {
		return
	}
	p := *o.limits
	none := func(set bool, v string) string {
		if !set {
			return "no limit"
		}
		return v
	}
	s.title("Limits now")
	s.field("memory", none(p.Memory > 0, format.HumanBytes(p.Memory)))
	s.field("pids", none(p.Pids > 0, strconv.FormatUint(p.Pids, 10)))
	s.field("cpu", none(p.CPUs > 0, strconv.FormatFloat(p.CPUs, 'g', 3, 64)+" CPUs"))
}

// View shows the visible part of the content, or of the config.json.
func (o *Overview) View() string {
	w, h := o.c.Width, o.c.Height
	if h <= 0 {
		return ""
	}
	if o.raw != nil {
		return o.rawView()
	}
	top := o.scroll.Clamped(len(o.lines), h)
	end := min(top+h, len(o.lines))
	if end == len(o.lines) || h < 2 {
		return common.Lines(strings.Join(o.lines[min(top, end):end], "\n"), w, h)
	}
	// More below: the last line says how much, in place of a content line.
	more := o.c.Styles.Muted.Render(fmt.Sprintf("↓ %d more lines", len(o.lines)-end+1))
	return common.Lines(strings.Join(o.lines[top:end-1], "\n")+"\n"+more, w, h)
}

// ShortHelp is the scroll keys and the spec key, or the config.json
// view's keys.
func (o *Overview) ShortHelp() []key.Binding {
	if o.raw != nil {
		return o.rawHelp()
	}
	return []key.Binding{o.c.Keys.Up, o.c.Keys.Down, o.c.Keys.Spec}
}

// FullHelp is every navigation key, and the config.json view's search
// (the spec key itself is with the tabs' keys: it works from every tab).
func (o *Overview) FullHelp() [][]key.Binding {
	k := o.c.Keys
	return [][]key.Binding{k.NavHelp(), {k.Search, k.NextMatch, k.PrevMatch}}
}

// Capturing reports whether the config.json view's search prompt is
// open: it takes every key.
func (o *Overview) Capturing() bool { return o.raw != nil && o.raw.prompting }
