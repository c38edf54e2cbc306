package checkpoints

import (
	"fmt"
	"strconv"
	"strings"

	"berth/core"
	"berth/ui/common"
	"berth/ui/format"
	"berth/ui/sanitize"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
)

// inspect is the open inspect view: one checkpoint's summary (its
// metadata, then its dump log, scrolled as one document) and the
// sub-views of what its images hold (see forensics).
type inspect struct {
	f   forensics
	cp  core.Checkpoint
	gen uint64 // of the latest log load
	// log is the dump log's lines, escaped; logErr its load's error.
	log       []string
	logErr    string
	logLoaded bool
	// scroll.Index is the document's top line on screen.
	scroll common.Cursor
}

// openInspect opens the inspect view on the selected checkpoint and loads
// its dump log.
func (m *Model) openInspect() tea.Cmd {
	cp, ok := m.selected()
	if !ok {
		return nil
	}
	m.insp = &inspect{cp: cp, f: newForensics()}
	return m.loadLog()
}

// loadLog loads the inspected checkpoint's dump log as a new generation.
// The log is split and escaped in the command, off the UI's goroutine.
func (m *Model) loadLog() tea.Cmd {
	if m.insp == nil || m.ctx == nil {
		return nil
	}
	m.logGen++
	m.insp.gen = m.logGen
	ctx, cr, id, name, gen := m.ctx, m.c.Core, m.id, m.insp.cp.Name, m.logGen
	return func() tea.Msg {
		log, err := cr.CheckpointLog(ctx, id, name)
		return LogMsg{ID: id, Name: name, Gen: gen, Lines: logLines(log), Err: err}
	}
}

// logLines splits a dump log into escaped lines, tabs expanded.
func logLines(log string) []string {
	log = strings.TrimSuffix(log, "\n")
	if log == "" {
		return nil
	}
	lines := strings.Split(log, "\n")
	for i, l := range lines {
		lines[i] = strings.ReplaceAll(sanitize.Line(l), "\t", "    ")
	}
	return lines
}

// setLog takes a log load's reply if it is for the view on screen.
func (m *Model) setLog(msg LogMsg) {
	in := m.insp
	if in == nil || msg.Gen != in.gen || msg.ID != m.id || msg.Name != in.cp.Name {
		return
	}
	in.logLoaded = true
	in.log, in.logErr = msg.Lines, ""
	if msg.Err != nil {
		in.log, in.logErr = nil, sanitize.OneLine(msg.Err.Error())
	}
}

// bodyHeight is the inspect view's scrolling part: all but the title and
// the sub-views' bar.
func (m *Model) bodyHeight() int { return max(m.c.Height-2, 0) }

// docLen is the lines of the sub-view on screen.
func (m *Model) docLen() int {
	if m.insp.f.view == viewSummary {
		return len(m.inspectMeta(m.c.Width)) + len(m.logBody())
	}
	return len(m.viewLines())
}

// scroll moves the inspect view for a navigation key.
func (m *Model) scroll(k tea.KeyMsg) {
	total := m.docLen()
	h := m.bodyHeight()
	m.insp.scroll.Nav(k, m.c.Keys, max(total-h, 0)+1, h)
}

// inspectView renders the title line, the sub-views' bar (or the search
// prompt) and the visible part of the sub-view: for the summary the
// metadata, then the dump log.
func (m *Model) inspectView() string {
	w, h := m.c.Width, m.bodyHeight()
	var meta, body []string
	var doc []docLine
	total := 0
	if m.insp.f.view == viewSummary {
		meta, body = m.inspectMeta(w), m.logBody()
		total = len(meta) + len(body)
	} else {
		doc = m.viewLines()
		total = len(doc)
	}
	top := max(min(m.insp.scroll.Index, total-h), 0)
	end := min(top+h, total)
	lines := make([]string, 0, h+2)
	lines = append(lines, m.inspectTitle(w, top, end, total))
	if m.c.Height > 1 {
		lines = append(lines, m.barOrPrompt(w))
	}
	for i := top; i < end; i++ {
		switch {
		case doc != nil:
			lines = append(lines, common.Fit(m.styleLine(doc[i]), w))
		case i < len(meta):
			lines = append(lines, common.Fit(meta[i], w))
		default:
			lines = append(lines, common.Fit(body[i-len(meta)], w))
		}
	}
	return strings.Join(lines, "\n")
}

// barOrPrompt is the sub-views' bar, or the search prompt while it is
// open.
func (m *Model) barOrPrompt(w int) string {
	f := &m.insp.f
	if !f.prompting {
		return m.viewBar(w)
	}
	line := f.prompt.View()
	if f.promptErr != "" {
		line += "  " + m.c.Styles.Error.Render(f.promptErr)
	}
	return common.Fit(line, w)
}

// inspectTitle names the checkpoint and, when the document scrolls, which
// lines are shown.
func (m *Model) inspectTitle(w, top, end, total int) string {
	s := m.c.Styles
	title := s.Title.Render("checkpoint " + sanitize.OneLine(m.insp.cp.Name) + " of " + m.c.Store.Label(m.id))
	if end-top >= total {
		return common.Fit(title, w)
	}
	pos := fmt.Sprintf("lines %d-%d of %d", top+1, end, total)
	if w < len(pos)+12 {
		return common.Fit(title, w)
	}
	return common.Fit(title, w-len(pos)-1) + " " + s.Muted.Render(pos)
}

// Label widths of the metadata and the dump stats.
const (
	metaLabel  = 17 // "runtime version" and a gap
	statsLabel = 22 // "pages skipped parent" and a gap
	// twoColumns is the narrowest left column worth sharing a line with
	// the dump stats.
	twoColumns = 44
	// maxLeft keeps the dump stats near the fields on a wide terminal.
	maxLeft = 64
)

// inspectMeta is the document's metadata part, styled: general fields and
// dump stats side by side when w allows, else one under the other; then
// the dump log's heading.
func (m *Model) inspectMeta(w int) []string {
	s := m.c.Styles
	cp := m.insp.cp
	row := func(label, value string, lw int) string {
		return s.Muted.Render(common.Fit(label, lw)) + value
	}
	yesNo := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	valid := s.OK.Render(validLabel(cp))
	if !cp.Valid {
		valid = s.Error.Render(validLabel(cp))
	}
	created := "-"
	if !cp.Created.IsZero() {
		created = cp.Created.Format("2006-01-02 15:04:05 MST")
	}
	general := []string{
		row("name", sanitize.OneLine(cp.Name), metaLabel),
		row("container", format.OrDash(sanitize.OneLine(cp.Container)), metaLabel),
		row("created", created, metaLabel),
		row("age", format.Ago(m.c.Now, cp.Created), metaLabel),
		row("valid", valid, metaLabel),
		row("options", format.OrDash(strings.Join(optionNames(cp), ", ")), metaLabel),
		row("parent", format.OrDash(sanitize.OneLine(parent(cp))), metaLabel),
		row("criu version", format.OrDash(sanitize.OneLine(cp.CriuVersion)), metaLabel),
		row("runtime version", format.OrDash(sanitize.OneLine(cp.RuntimeVersion)), metaLabel),
		row("left running", yesNo(cp.LeftRunning), metaLabel),
		row("paused", yesNo(cp.Paused), metaLabel),
		row("imported", yesNo(cp.Imported), metaLabel),
		row("size", format.HumanBytes(uint64(max(cp.SizeBytes, 0)))+" ("+strconv.FormatInt(cp.SizeBytes, 10)+" bytes)", metaLabel),
	}
	stats := []string{s.Header.Render("DUMP STATS")}
	if st := cp.Stats; st == nil {
		stats = append(stats, s.Muted.Render("none recorded"))
	} else {
		n := func(v uint64) string { return strconv.FormatUint(v, 10) }
		stats = append(stats,
			row("freezing time", micros(st.FreezingTimeUs), statsLabel),
			row("frozen time", micros(st.FrozenTimeUs), statsLabel),
			row("memdump time", micros(st.MemdumpTimeUs), statsLabel),
			row("memwrite time", micros(st.MemwriteTimeUs), statsLabel),
			row("pages scanned", n(st.PagesScanned), statsLabel),
			row("pages skipped parent", n(st.PagesSkippedParent), statsLabel),
			row("pages written", n(st.PagesWritten), statsLabel),
		)
	}
	var out []string
	statsW := 0
	for _, l := range stats {
		statsW = max(statsW, ansi.StringWidth(l))
	}
	if left := min(w-statsW-2, maxLeft); left >= twoColumns {
		for i := range max(len(general), len(stats)) {
			l := ""
			if i < len(general) {
				l = general[i]
			}
			if i < len(stats) {
				l = common.Fit(l, left) + "  " + stats[i]
			}
			out = append(out, l)
		}
	} else {
		out = append(append(append(out, general...), ""), stats...)
	}
	return append(out, "", s.Header.Render("DUMP LOG"))
}

// logBody is the document's dump log part, or what stands in for it.
func (m *Model) logBody() []string {
	s := m.c.Styles
	in := m.insp
	switch {
	case !in.logLoaded:
		return []string{s.Muted.Render("loading the dump log…")}
	case in.logErr != "":
		return []string{s.Error.Render("✗ " + in.logErr)}
	case len(in.log) == 0:
		return []string{s.Muted.Render("(empty)")}
	}
	return in.log
}
