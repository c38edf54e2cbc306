package checkpoints

import (
	"fmt"
	"regexp"
	"strings"

	"berth/core"
	"berth/ui/common"
	"berth/ui/format"
	"berth/ui/sanitize"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
)

// view is one of the inspect view's sub-views.
type view int

// The sub-views, in the order the view keys go through them.
const (
	viewSummary view = iota
	viewProcesses
	viewFiles
	viewSockets
	viewMemory
	viewEnv
	viewMatches
	viewChanges
	numViews
)

var viewNames = [numViews]string{"summary", "processes", "files", "sockets", "memory", "environment", "matches", "changes"}

// lineKind says how a line of a decoded view is styled.
type lineKind uint8

const (
	lineText    lineKind = iota
	lineHeader           // a table's column names
	lineSection          // a process's heading
	lineMuted            // an empty part
)

// docLine is one escaped line of a decoded view.
type docLine struct {
	text string
	kind lineKind
}

// InspectMsg is the reply to a decode of checkpoint Name's images, for the
// decode started as generation Gen. Views are rendered and escaped.
type InspectMsg struct {
	ID, Name string
	Gen      uint64
	Views    [numViews][]docLine
	Err      error
}

// SearchMsg is the reply to a search of checkpoint Name's memory for
// Query, started as generation Gen; Lines are escaped.
type SearchMsg struct {
	ID, Name, Query string
	Gen             uint64
	Count           int
	Truncated       bool
	Lines           []docLine
	Err             error
}

// DiffMsg is the reply to a diff of checkpoint From against Name (the
// next older checkpoint against the inspected one), started as generation
// Gen; Lines are escaped.
type DiffMsg struct {
	ID, Name, From string
	Gen            uint64
	Lines          []docLine
	Err            error
}

// forensics is what the inspect view decoded of a checkpoint.
type forensics struct {
	view view
	gen  uint64 // of the latest decode
	// loading says a decode is in flight; loaded that one replied.
	loading, loaded bool
	err             string
	views           [numViews][]docLine

	searchGen  uint64
	prompt     textinput.Model
	prompting  bool
	searching  bool   // a search is in flight
	query      string // the search shown (or in flight)
	matches    []docLine
	count      int  // matches found
	truncated  bool // the search stopped at its bound
	searchErr  string
	promptErr  string
	searchDone bool

	// The diff against the next older checkpoint: from is its name ("" for
	// none), diffing says it is in flight.
	diffGen           uint64
	diffing, diffed   bool
	diffFrom, diffErr string
	diff              []docLine
}

func newForensics() forensics {
	ti := common.NewInput()
	ti.Prompt = "search memory /"
	ti.Placeholder = "regexp"
	ti.CharLimit = 256
	return forensics{prompt: ti}
}

// decode starts decoding the inspected checkpoint's images, once.
func (m *Model) decode() tea.Cmd {
	in := m.insp
	if in == nil || m.ctx == nil || in.f.loading || in.f.loaded {
		return nil
	}
	m.inspGen++
	in.f.gen, in.f.loading = m.inspGen, true
	ctx, cr, id, name, gen := m.ctx, m.c.Core, m.id, in.cp.Name, m.inspGen
	return func() tea.Msg {
		res, err := cr.InspectCheckpoint(ctx, id, name, core.InspectOptions{}.All())
		msg := InspectMsg{ID: id, Name: name, Gen: gen, Err: err}
		if err == nil {
			msg.Views = renderViews(res)
		}
		return msg
	}
}

// setDecoded takes a decode's reply if it is for the view on screen.
func (m *Model) setDecoded(msg InspectMsg) {
	in := m.insp
	if in == nil || msg.Gen != in.f.gen || msg.ID != m.id || msg.Name != in.cp.Name {
		return
	}
	in.f.loading, in.f.loaded = false, true
	in.f.views, in.f.err = msg.Views, ""
	if msg.Err != nil {
		in.f.err = sanitize.OneLine(msg.Err.Error())
	}
}

// search starts a search of the inspected checkpoint's memory.
func (m *Model) search(query string) tea.Cmd {
	in := m.insp
	if in == nil || m.ctx == nil {
		return nil
	}
	m.inspGen++
	in.f.searchGen, in.f.searching, in.f.query, in.f.searchDone = m.inspGen, true, query, false
	in.f.matches, in.f.searchErr = nil, ""
	ctx, cr, id, name, gen := m.ctx, m.c.Core, m.id, in.cp.Name, m.inspGen
	return func() tea.Msg {
		res, err := cr.InspectCheckpoint(ctx, id, name, core.InspectOptions{Search: query})
		msg := SearchMsg{ID: id, Name: name, Query: query, Gen: gen, Err: err}
		if err == nil {
			msg.Lines, msg.Count, msg.Truncated = renderMatches(res), len(res.Matches), res.MatchesTruncated
		}
		return msg
	}
}

// setSearched takes a search's reply if it is for the view on screen.
func (m *Model) setSearched(msg SearchMsg) {
	in := m.insp
	if in == nil || msg.Gen != in.f.searchGen || msg.ID != m.id || msg.Name != in.cp.Name {
		return
	}
	in.f.searching, in.f.searchDone = false, true
	in.f.matches, in.f.searchErr, in.f.count, in.f.truncated = msg.Lines, "", msg.Count, msg.Truncated
	if msg.Err != nil {
		in.f.matches, in.f.searchErr = nil, sanitize.OneLine(msg.Err.Error())
	}
}

// inspectKey handles a key in the inspect view: the search prompt takes
// every key while open; then the view keys, the search key, scrolling.
func (m *Model) inspectKey(k tea.KeyMsg) tea.Cmd {
	in := m.insp
	keys := m.c.Keys
	switch {
	case in.f.prompting:
		return m.promptKey(k)
	case key.Matches(k, keys.NextView):
		return m.setView((in.f.view + 1) % numViews)
	case key.Matches(k, keys.PrevView):
		return m.setView((in.f.view + numViews - 1) % numViews)
	case key.Matches(k, keys.Search):
		in.f.prompting, in.f.promptErr = true, ""
		in.f.prompt.SetValue(in.f.query)
		in.f.prompt.CursorEnd()
		m.setView(viewMatches)
		return in.f.prompt.Focus()
	}
	m.scroll(k)
	return nil
}

// setView shows sub-view v, from its top, decoding the images the first
// time a decoded view is shown.
func (m *Model) setView(v view) tea.Cmd {
	m.insp.f.view = v
	m.insp.scroll.Index = 0
	switch v {
	case viewSummary, viewMatches:
		return nil
	case viewChanges:
		return m.diffOlder()
	}
	return m.decode()
}

// older is the newest valid checkpoint taken before the inspected one,
// the one its changes are against ("" for none).
func (m *Model) older() string {
	var best *core.Checkpoint
	for i, cp := range m.list {
		if cp.Valid && cp.Created.Before(m.insp.cp.Created) && (best == nil || cp.Created.After(best.Created)) {
			best = &m.list[i]
		}
	}
	if best == nil {
		return ""
	}
	return best.Name
}

// diffOlder starts the diff against the older checkpoint, once.
func (m *Model) diffOlder() tea.Cmd {
	in := m.insp
	if m.ctx == nil || in.f.diffing || in.f.diffed {
		return nil
	}
	in.f.diffFrom = m.older()
	if in.f.diffFrom == "" {
		in.f.diffed = true
		return nil
	}
	m.inspGen++
	in.f.diffGen, in.f.diffing = m.inspGen, true
	ctx, cr, id, name, from, gen := m.ctx, m.c.Core, m.id, in.cp.Name, in.f.diffFrom, m.inspGen
	return func() tea.Msg {
		d, err := cr.DiffCheckpoints(ctx, id, from, name, core.InspectOptions{})
		msg := DiffMsg{ID: id, Name: name, From: from, Gen: gen, Err: err}
		if err == nil {
			msg.Lines = renderDiff(d)
		}
		return msg
	}
}

// setDiffed takes a diff's reply if it is for the view on screen.
func (m *Model) setDiffed(msg DiffMsg) {
	in := m.insp
	if in == nil || msg.Gen != in.f.diffGen || msg.ID != m.id || msg.Name != in.cp.Name {
		return
	}
	in.f.diffing, in.f.diffed = false, true
	in.f.diff, in.f.diffErr = msg.Lines, ""
	if msg.Err != nil {
		in.f.diff, in.f.diffErr = nil, sanitize.OneLine(msg.Err.Error())
	}
}

// promptKey takes a key typed in the search prompt: enter searches (a
// regexp that does not compile keeps the prompt open, saying why).
func (m *Model) promptKey(k tea.KeyMsg) tea.Cmd {
	f := &m.insp.f
	if k.Type == tea.KeyEnter {
		q := f.prompt.Value()
		if q == "" {
			f.prompting = false
			f.prompt.Blur()
			return nil
		}
		if _, err := regexp.Compile(q); err != nil {
			f.promptErr = "bad regexp: " + sanitize.OneLine(err.Error())
			return nil
		}
		f.prompting, f.promptErr = false, ""
		f.prompt.Blur()
		return m.search(q)
	}
	var cmd tea.Cmd
	f.prompt, cmd = f.prompt.Update(k)
	f.promptErr = ""
	return cmd
}

// closePrompt closes an open search prompt; it reports whether one was.
func (m *Model) closePrompt() bool {
	if m.insp == nil || !m.insp.f.prompting {
		return false
	}
	m.insp.f.prompting = false
	m.insp.f.prompt.Blur()
	return true
}

// viewBar names the sub-views, the one on screen marked (not by colour
// alone: it is bracketed).
func (m *Model) viewBar(w int) string {
	s := m.c.Styles
	parts := make([]string, 0, numViews)
	for v := range numViews {
		if v == m.insp.f.view {
			parts = append(parts, s.TabActive.Render("["+viewNames[v]+"]"))
		} else {
			parts = append(parts, s.Tab.Render(" "+viewNames[v]+" "))
		}
	}
	return common.Fit(strings.Join(parts, ""), w)
}

// viewLines is a decoded sub-view's lines, or what stands in for them.
func (m *Model) viewLines() []docLine {
	f := &m.insp.f
	if f.view == viewMatches {
		switch {
		case f.searching:
			return []docLine{{"searching the memory for /" + sanitize.OneLine(f.query) + "/…", lineMuted}}
		case f.searchErr != "":
			return []docLine{{"✗ " + f.searchErr, lineMuted}}
		case !f.searchDone:
			return []docLine{{"press " + m.c.Keys.Search.Help().Key + " to search the processes' memory for a regexp", lineMuted}}
		}
		more := ""
		if f.truncated {
			more = " or more"
		}
		head := docLine{fmt.Sprintf("%d%s matches of /%s/", f.count, more, sanitize.OneLine(f.query)), lineSection}
		return append([]docLine{head}, f.matches...)
	}
	if f.view == viewChanges {
		switch {
		case f.diffing || !f.diffed:
			return []docLine{{"comparing with " + sanitize.OneLine(f.diffFrom) + "…", lineMuted}}
		case f.diffErr != "":
			return []docLine{{"✗ " + f.diffErr, lineMuted}}
		case f.diffFrom == "":
			return []docLine{{"no older checkpoint of this container to compare with", lineMuted}}
		}
		return f.diff
	}
	switch {
	case f.err != "":
		return []docLine{{"✗ " + f.err, lineMuted}}
	case !f.loaded:
		return []docLine{{"decoding the checkpoint's images…", lineMuted}}
	}
	return f.views[f.view]
}

// styleLine renders one decoded line.
func (m *Model) styleLine(l docLine) string {
	s := m.c.Styles
	switch l.kind {
	case lineHeader:
		return s.Header.Render(l.text)
	case lineSection:
		return s.Bold.Render(l.text)
	case lineMuted:
		if strings.HasPrefix(l.text, "✗ ") {
			return s.Error.Render(l.text)
		}
		return s.Muted.Render(l.text)
	}
	return l.text
}

// renderViews turns a decode into the sub-views' lines, every string from
// the images escaped.
func renderViews(in core.CheckpointInspection) [numViews][]docLine {
	var v [numViews][]docLine
	esc := sanitize.OneLine
	depth := map[uint32]int{}
	v[viewProcesses] = append(v[viewProcesses], docLine{fmt.Sprintf("%-8s %-8s %-8s %4s  %-16s %s", "PID", "PPID", "STATE", "THR", "COMMAND", "ARGS"), lineHeader})
	for _, p := range in.Processes {
		d := 0
		if p.Ppid != 0 {
			d = min(depth[p.Ppid]+1, 16)
		}
		depth[p.Pid] = d
		args := strings.Join(p.Args, " ")
		if p.ArgsTruncated {
			args += " …"
		}
		pid := strings.Repeat("  ", d) + fmt.Sprint(p.Pid)
		v[viewProcesses] = append(v[viewProcesses], docLine{fmt.Sprintf("%-8s %-8d %-8s %4d  %-16s %s", pid, p.Ppid, p.State, p.Threads, esc(p.Command), format.OrDash(esc(args))), lineText})
	}
	section := func(p core.InspectProcess, extra string) docLine {
		return docLine{fmt.Sprintf("process %d %s%s", p.Pid, esc(p.Command), extra), lineSection}
	}
	for i, p := range in.Processes {
		if i > 0 {
			for _, vv := range []view{viewFiles, viewSockets, viewMemory, viewEnv} {
				v[vv] = append(v[vv], docLine{})
			}
		}
		v[viewFiles] = append(v[viewFiles], section(p, ""))
		v[viewSockets] = append(v[viewSockets], section(p, ""))
		v[viewMemory] = append(v[viewMemory], section(p, ", resident "+format.HumanBytes(p.ResidentBytes)))
		v[viewEnv] = append(v[viewEnv], section(p, ""))
		if p.State != "Alive" && p.State != "Stopped" {
			none := docLine{"  (" + strings.ToLower(p.State) + ": no files, memory or environment)", lineMuted}
			for _, vv := range []view{viewFiles, viewSockets, viewMemory, viewEnv} {
				v[vv] = append(v[vv], none)
			}
			continue
		}
		v[viewFiles] = append(v[viewFiles], docLine{fmt.Sprintf("  %-6s %-9s %s", "FD", "TYPE", "PATH"), lineHeader})
		for _, f := range p.Files {
			v[viewFiles] = append(v[viewFiles], docLine{fmt.Sprintf("  %-6s %-9s %s", esc(f.Fd), format.OrDash(esc(f.Type)), esc(f.Path)), lineText})
		}
		if len(p.Sockets) == 0 {
			v[viewSockets] = append(v[viewSockets], docLine{"  (no sockets)", lineMuted})
		} else {
			v[viewSockets] = append(v[viewSockets], docLine{fmt.Sprintf("  %-4s %-9s %-5s %-6s %-12s %-22s %s", "FD", "KIND", "PROTO", "TYPE", "STATE", "LOCAL", "REMOTE"), lineHeader})
		}
		for _, k := range p.Sockets {
			v[viewSockets] = append(v[viewSockets], docLine{fmt.Sprintf("  %-4d %-9s %-5s %-6s %-12s %-22s %s", k.Fd, esc(k.Kind),
				format.OrDash(esc(k.Protocol)), format.OrDash(esc(k.Type)), format.OrDash(esc(k.State)), sockAddr(k.Src, k.SrcPort), sockAddr(k.Dst, k.DstPort)), lineText})
		}
		v[viewMemory] = append(v[viewMemory], docLine{fmt.Sprintf("  %-33s %-4s %9s %9s  %s", "START-END", "PROT", "SIZE", "RESIDENT", "RESOURCE"), lineHeader})
		for _, mp := range p.Mappings {
			v[viewMemory] = append(v[viewMemory], docLine{fmt.Sprintf("  %016x-%016x %-4s %9s %9s  %s", mp.Start, mp.End, mp.Protection,
				format.HumanBytes(mp.Size), format.HumanBytes(mp.ResidentPages*uint64(in.PageSize)), format.OrDash(esc(mp.Resource))), lineText})
		}
		v[viewEnv] = append(v[viewEnv], docLine{"  command line", lineHeader})
		v[viewEnv] = append(v[viewEnv], docLine{"    " + format.OrDash(esc(strings.Join(p.Args, " "))), lineText})
		v[viewEnv] = append(v[viewEnv], docLine{"  environment", lineHeader})
		if len(p.Env) == 0 {
			v[viewEnv] = append(v[viewEnv], docLine{"    (empty)", lineMuted})
		}
		for _, e := range p.Env {
			v[viewEnv] = append(v[viewEnv], docLine{"    " + esc(e), lineText})
		}
		if p.EnvTruncated {
			v[viewEnv] = append(v[viewEnv], docLine{"    (cut at 1 MiB)", lineMuted})
		}
	}
	return v
}

// renderMatches turns a search's matches into lines: a header, then each
// match's process, address and the bytes around it (already escaped by
// core, escaped again: nothing from an image reaches the view unescaped).
func renderMatches(in core.CheckpointInspection) []docLine {
	out := []docLine{{fmt.Sprintf("%-8s %-18s %s", "PID", "ADDRESS", "MATCH IN CONTEXT"), lineHeader}}
	for _, mt := range in.Matches {
		out = append(out, docLine{fmt.Sprintf("%-8d 0x%-16x %s[%s]%s", mt.Pid, mt.Address, sanitize.Line(mt.Before),
			sanitize.Line(mt.Match), sanitize.Line(mt.After)), lineText})
	}
	if in.MatchesTruncated {
		out = append(out, docLine{"(stopped at the first 1000 matches)", lineMuted})
	}
	return out
}

// renderDiff turns a diff into lines, every string from the images
// escaped.
func renderDiff(d core.CheckpointDiff) []docLine {
	esc := sanitize.OneLine
	out := []docLine{{"changes since " + esc(d.From), lineSection}}
	for _, part := range []struct {
		what string
		ps   []core.InspectProcess
	}{{"started", d.ProcessesAdded}, {"gone", d.ProcessesGone}} {
		out = append(out, docLine{}, docLine{fmt.Sprintf("processes %s: %d", part.what, len(part.ps)), lineHeader})
		for _, p := range part.ps {
			out = append(out, docLine{fmt.Sprintf("  %-7d parent %-7d %-16s %s", p.Pid, p.Ppid, esc(p.Command), format.OrDash(esc(strings.Join(p.Args, " ")))), lineText})
		}
	}
	if len(d.Processes) == 0 {
		out = append(out, docLine{}, docLine{"no process's files or memory changed", lineMuted})
	}
	for _, p := range d.Processes {
		out = append(out, docLine{}, docLine{fmt.Sprintf("process %d %s: resident %s → %s (%s)", p.Pid, esc(p.Command),
			format.HumanBytes(p.ResidentBefore), format.HumanBytes(p.ResidentAfter), signed(int64(p.ResidentAfter)-int64(p.ResidentBefore))), lineSection})
		for _, f := range p.FilesOpened {
			out = append(out, docLine{fmt.Sprintf("  + fd %-5s %s", esc(f.Fd), esc(f.Path)), lineText})
		}
		for _, f := range p.FilesClosed {
			out = append(out, docLine{fmt.Sprintf("  - fd %-5s %s", esc(f.Fd), esc(f.Path)), lineText})
		}
		for _, mp := range p.Mappings {
			out = append(out, docLine{fmt.Sprintf("  %-7s %016x %9s → %-9s resident %9s → %-9s %-10s %s", mp.Change, mp.Start,
				format.HumanBytes(mp.SizeBefore), format.HumanBytes(mp.SizeAfter), format.HumanBytes(mp.ResidentBefore),
				format.HumanBytes(mp.ResidentAfter), signed(int64(mp.ResidentAfter)-int64(mp.ResidentBefore)), format.OrDash(esc(mp.Resource))), lineText})
		}
	}
	return out
}

// signed is a change in bytes with its sign.
func signed(n int64) string {
	if n < 0 {
		return "-" + format.HumanBytes(uint64(-n))
	}
	return "+" + format.HumanBytes(uint64(n))
}

// sockAddr shows an address and port, "-" for none.
func sockAddr(addr string, port uint32) string {
	addr = sanitize.OneLine(addr)
	switch {
	case addr == "" && port == 0:
		return "-"
	case port == 0:
		return addr
	case strings.Contains(addr, ":"):
		return fmt.Sprintf("[%s]:%d", addr, port)
	}
	return fmt.Sprintf("%s:%d", addr, port)
}
