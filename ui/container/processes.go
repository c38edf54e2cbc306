package container

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"berth/core"
	"berth/ui/common"
	"berth/ui/sanitize"
	"berth/ui/table"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// processesTimeout bounds one read of a container's processes.
const processesTimeout = 5 * time.Second

// Processes is the processes tab: a table of the container's processes,
// read again on each refresh (one read in flight at a time), with CPU use
// from the time each used between two reads. The selection follows the
// same process across reads and re-sorts; Kill asks the root to signal it.
type Processes struct {
	c        *common.Common
	id       string
	gen      uint64
	inFlight bool

	// table holds the processes, sorted and filtered, and the cursor,
	// which stays on the same process across reads.
	table  *table.Model[*procRow]
	reads  uint64 // reads taken, the rows' revision
	prev   sample
	loaded bool
	err    error
	// gone is the process that was selected when it exited: nothing is
	// selected until the operator chooses again, rather than the cursor
	// landing on another process that a kill would then signal.
	gone *procRow

	sortBy  procColumn
	reverse bool
}

var _ common.Page = (*Processes)(nil)

// NewProcesses is a processes page over c, showing nothing until Open.
func NewProcesses(c *common.Common) *Processes {
	p := &Processes{c: c}
	p.table = table.New(c.Keys, procColumns(), func(r *procRow) string { return r.id })
	p.table.Rev = func(r *procRow) uint64 { return r.rev }
	p.table.Tie = byHostPid
	p.table.Layout = procLayout
	p.table.Fields = func(r *procRow) []string {
		return []string{r.cells[colPid], r.cells[colUser], r.cells[colState], r.cells[colCommand]}
	}
	p.table.Filter.SetPlaceholder("regexp over pid, user, state, command")
	p.table.SortBy(int(p.sortBy), p.desc())
	return p
}

// processesMsg is container id's processes as read at at, for generation
// gen.
type processesMsg struct {
	id    string
	gen   uint64
	at    time.Time
	procs []core.Process
	err   error
}

// loadProcesses reads container id's processes off the UI's goroutine,
// noting when, for the CPU use of the next read.
func loadProcesses(parent context.Context, in common.Inspector, id string, gen uint64) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(parent, processesTimeout)
		defer cancel()
		ps, err := in.Processes(ctx, id)
		return processesMsg{id: id, gen: gen, at: time.Now(), procs: ps, err: err}
	}
}

// Open shows container id's processes, read afresh.
func (p *Processes) Open(id string) tea.Cmd {
	p.id = id
	p.gen++
	p.inFlight = false
	p.prev, p.loaded, p.err, p.gone = sample{}, false, nil, nil
	p.table.SetRows(nil)
	p.table.SetCursor(0)
	return p.poll()
}

// Close drops the read in flight, if any.
func (p *Processes) Close() {
	p.gen++
	p.inFlight = false
}

// Update takes reads, polls on refresh, and handles the table's keys.
func (p *Processes) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case processesMsg:
		p.receive(msg)
	case common.RefreshMsg:
		return p.poll()
	case tea.KeyMsg:
		return p.handleKey(msg)
	case tea.MouseMsg:
		p.mouse(msg)
	case common.SortMsg:
		p.sortByColumn(procColumn(msg.Col))
	}
	return nil
}

// mouse passes a click or the wheel to the table, less the lines View
// draws above its rows.
func (p *Processes) mouse(msg tea.MouseMsg) {
	if p.placeholder() != "" {
		return
	}
	above := 1 // the header
	for _, l := range []string{p.errorLine(), p.noticeLine(), p.table.FilterLine(p.c.Styles)} {
		if l != "" {
			above++
		}
	}
	p.table.SetHeight(p.tableHeight())
	p.table.Mouse(msg, msg.Y-above)
}

// stopped reports whether the store knows the container has no live init.
func (p *Processes) stopped() bool {
	ct, ok := p.c.Store.Get(p.id)
	return ok && !ct.Running()
}

// poll starts a read unless one is in flight or there is nothing to read.
func (p *Processes) poll() tea.Cmd {
	if p.id == "" || p.inFlight || p.stopped() {
		return nil
	}
	p.inFlight = true
	return loadProcesses(p.c.Ctx, p.c.Core, p.id, p.gen)
}

// receive takes a read of the current generation: new rows, sorted, with
// the selection kept on the same process.
func (p *Processes) receive(msg processesMsg) {
	if msg.gen != p.gen || msg.id != p.id {
		return
	}
	p.inFlight = false
	p.loaded = true
	if msg.err != nil {
		p.err = msg.err
		if errors.Is(msg.err, core.ErrNotRunning) {
			p.table.SetRows(nil)
			p.prev = sample{}
		}
		return
	}
	p.err = nil
	p.reads++
	before, had := p.table.Selected()
	p.table.SetHeight(p.tableHeight())
	p.table.SetRows(newRows(msg.procs, p.prev, msg.at, p.reads))
	if now, ok := p.table.Selected(); had && (!ok || now.id != before.id) {
		p.gone = before
		p.table.Unselect()
	}
	p.prev = newSample(msg.procs, msg.at)
}

// handleKey sorts, kills or moves the selection.
func (p *Processes) handleKey(msg tea.KeyMsg) tea.Cmd {
	k := p.c.Keys
	p.table.SetHeight(p.tableHeight())
	if ok, cmd := p.table.Update(msg); ok {
		if _, chosen := p.selected(); chosen {
			p.gone = nil
		}
		return cmd
	}
	switch {
	case key.Matches(msg, k.Sort):
		p.nextSort()
	case key.Matches(msg, k.Reverse):
		p.reverse = !p.reverse
		p.sort()
	case key.Matches(msg, k.Kill):
		return p.kill()
	}
	return nil
}

// nextSort sorts by the next visible column, in its natural direction.
func (p *Processes) nextSort() {
	vis := visibleColumns(p.c.Width)
	next := vis[0]
	for i, c := range vis {
		if c == p.sortBy {
			next = vis[(i+1)%len(vis)]
		}
	}
	p.sortBy, p.reverse = next, false
	p.sort()
}

// sortByColumn sorts by col in its natural direction, or the other way
// when the table already sorts by it; a column not shown is ignored.
func (p *Processes) sortByColumn(col procColumn) {
	switch {
	case !slices.Contains(visibleColumns(p.c.Width), col):
		return
	case col == p.sortBy:
		p.reverse = !p.reverse
	default:
		p.sortBy, p.reverse = col, false
	}
	p.sort()
}

// SortColumns are the columns shown, which the table sorts by, for the
// sort menu.
func (p *Processes) SortColumns() []common.SortColumn {
	var out []common.SortColumn
	for _, c := range visibleColumns(p.c.Width) {
		out = append(out, common.SortColumn{Col: int(c), Title: p.table.Columns[c].Title, Current: c == p.sortBy, Desc: p.desc()})
	}
	return out
}

// desc reports whether the table is sorted largest first.
func (p *Processes) desc() bool { return descending[p.sortBy] != p.reverse }

// sort orders the rows; the cursor stays on the selected process.
func (p *Processes) sort() { p.table.SortBy(int(p.sortBy), p.desc()) }

// selected is the row under the cursor.
func (p *Processes) selected() (*procRow, bool) { return p.table.Selected() }

// kill asks the root to signal the selected process (it shows the signal
// menu, naming the command); the start time guards against the pid being
// reused meanwhile. With the selected process gone it says so instead.
func (p *Processes) kill() tea.Cmd {
	r, ok := p.selected()
	if p.stopped() {
		return nil
	}
	if !ok {
		if p.gone != nil {
			return p.c.Ask(common.StatusMsg{Text: p.goneText() + ": choose another process", Level: common.LevelWarning})
		}
		return nil
	}
	return p.c.Ask(common.ActionMsg{Action: common.ActSignalProcess, IDs: []string{p.id}, Pid: r.HostPid, Start: r.StartTime,
		Command: r.Command})
}

// goneText names the selected process that exited.
func (p *Processes) goneText() string {
	return fmt.Sprintf("process %d (%s) exited", p.gone.HostPid, p.gone.cells[colCommand])
}

// noticeLine says the selected process exited, while nothing is selected.
func (p *Processes) noticeLine() string {
	if p.gone == nil {
		return ""
	}
	return p.c.Styles.Warning.Render(p.goneText() + ": nothing selected (" +
		p.c.Keys.Up.Help().Key + "/" + p.c.Keys.Down.Help().Key + " chooses another)")
}

// errorLine is the read error shown above the table, if any.
func (p *Processes) errorLine() string {
	if p.err == nil {
		return ""
	}
	return p.c.Styles.Error.Render("processes: " + sanitize.OneLine(p.err.Error()))
}

// tableHeight is the rows the table shows under its header.
func (p *Processes) tableHeight() int {
	h := p.c.Height - 1
	if p.err != nil {
		h--
	}
	if p.gone != nil {
		h--
	}
	if p.table.Capturing() || p.table.Filtering() {
		h--
	}
	return max(h, 1)
}

// View is the table, only its visible rows rendered, or why there is none.
func (p *Processes) View() string {
	w, h := p.c.Width, p.c.Height
	if h <= 0 {
		return ""
	}
	if msg := p.placeholder(); msg != "" {
		// The prompt shows whenever it is open, rows or none: keys
		// typed into it are never taken unseen.
		if f := p.table.FilterLine(p.c.Styles); f != "" {
			msg = common.Fit(f, w) + "\n" + msg
		}
		return common.Lines(msg, w, h)
	}
	var b strings.Builder
	if e := p.errorLine(); e != "" {
		b.WriteString(e + "\n")
	}
	if n := p.noticeLine(); n != "" {
		b.WriteString(common.Fit(n, w) + "\n")
	}
	if f := p.table.FilterLine(p.c.Styles); f != "" {
		b.WriteString(common.Fit(f, w) + "\n")
	}
	lines := p.table.View(w, p.tableHeight(), p.c.Styles)
	b.WriteString(strings.Join(lines, "\n"))
	if len(p.table.Shown()) == 0 {
		b.WriteString("\n" + p.c.Styles.Muted.Render(p.table.NoMatch("process")))
	}
	return common.Lines(b.String(), w, h)
}

// placeholder says why there is no table: not loaded yet, a stopped
// container, a failed first read, or no processes at all.
func (p *Processes) placeholder() string {
	muted := p.c.Styles.Muted
	switch {
	case p.stopped() || errors.Is(p.err, core.ErrNotRunning):
		return muted.Render(sanitize.OneLine(p.id) + " is not running: it has no processes.")
	case !p.loaded:
		return muted.Render("loading processes…")
	case len(p.table.Rows()) == 0 && p.err != nil:
		return p.errorLine()
	case len(p.table.Rows()) == 0:
		return muted.Render("no processes")
	}
	return ""
}

// ShortHelp is the table's own keys.
func (p *Processes) ShortHelp() []key.Binding {
	k := p.c.Keys
	return []key.Binding{k.Up, k.Down, k.Filter, k.Sort, k.Reverse, k.Kill}
}

// FullHelp is the table's keys and every navigation key.
func (p *Processes) FullHelp() [][]key.Binding {
	k := p.c.Keys
	return [][]key.Binding{{k.Filter, k.Sort, k.Reverse, k.SortBy, k.Kill}, k.NavHelp()}
}

// Capturing reports whether the filter prompt is open.
func (p *Processes) Capturing() bool { return p.table.Capturing() }

// Back closes the filter prompt, or clears the filter.
func (p *Processes) Back() bool { return p.table.Back() }
