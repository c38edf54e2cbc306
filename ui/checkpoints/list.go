package checkpoints

import (
	"fmt"
	"strconv"
	"strings"

	"berth/core"
	"berth/ui/common"
	"berth/ui/format"
	"berth/ui/sanitize"
	"berth/ui/table"

	"github.com/charmbracelet/x/ansi"
)

// The list's columns, in display order.
const (
	colName = iota
	colCreated
	colSize
	colValid
	colOptions
	colParent
	colFreeze
	colPages
	numCols
)

// column is how one list column is laid out.
type column struct {
	title string
	// min is the narrowest the column is shown; want caps what it gets
	// before the name has had its share (0: no cap).
	min, want int
	right     bool
	// whole columns (figures) are shown at their natural width or not at
	// all: a truncated number misleads.
	whole bool
}

var columns = [numCols]column{
	colName:    {title: "NAME", min: 8, want: 32},
	colCreated: {title: "CREATED", want: 10, whole: true},
	colSize:    {title: "SIZE", right: true, whole: true},
	colValid:   {title: "VALID", min: 4, want: 24},
	colOptions: {title: "OPTIONS", min: 8, want: 40},
	colParent:  {title: "PARENT", min: 6, want: 20},
	colFreeze:  {title: "FREEZE/FROZEN", whole: true},
	colPages:   {title: "PAGES", right: true, whole: true},
}

// priority is the order columns are kept in as the width shrinks.
var priority = [numCols]int{colName, colValid, colCreated, colSize, colOptions, colPages, colFreeze, colParent}

// row is one checkpoint's cells, escaped and formatted once per load; the
// age is the one cell View computes, against Common.Now.
type row struct {
	cp    core.Checkpoint
	cells [numCols]string
	load  uint64 // the load the row came from
}

// newTable is the list's table: cells from the rows, the age against
// the clock, the validity coloured (it also says ✓ or ✗).
func (m *Model) newTable() *table.Model[*row] {
	cols := make([]table.Column[*row], numCols)
	for i, c := range columns {
		cols[i] = table.Column[*row]{Title: c.title, Right: c.right,
			Cell: func(r *row, _ table.Cell) string { return r.cells[i] }}
	}
	cols[colCreated].Cell = func(r *row, _ table.Cell) string { return format.Ago(m.c.Now, r.cp.Created) }
	cols[colValid].Paint = func(r *row) common.Paint {
		if r.cp.Valid {
			return m.c.Styles.P.OK
		}
		return m.c.Styles.P.Error
	}
	t := table.New(m.c.Keys, cols, func(r *row) string { return r.cp.Name })
	// Ages move with the clock.
	t.Rev = func(r *row) uint64 { return r.load*1000003 ^ uint64(m.c.Now.UnixNano()) }
	t.Fields = func(r *row) []string {
		return []string{r.cells[colName], r.cells[colValid], r.cells[colOptions], r.cells[colParent]}
	}
	t.Layout = func(w int) []table.Spec { return layout(m.nat, w) }
	t.Filter.SetPlaceholder("regexp over name, validity, options, parent")
	return t
}

// buildRows formats the list's cells, as load number load, and measures
// each column's natural width.
func buildRows(list []core.Checkpoint, load uint64) ([]*row, [numCols]int) {
	var nat [numCols]int
	for i, c := range columns {
		nat[i] = len(c.title)
	}
	nat[colCreated] = columns[colCreated].want
	rows := make([]*row, len(list))
	for i, cp := range list {
		r := &row{cp: cp, load: load}
		r.cells[colName] = sanitize.OneLine(cp.Name)
		r.cells[colSize] = format.HumanBytes(uint64(max(cp.SizeBytes, 0)))
		r.cells[colValid] = validLabel(cp)
		r.cells[colOptions] = format.OrDash(strings.Join(optionNames(cp), ","))
		r.cells[colParent] = format.OrDash(sanitize.OneLine(parent(cp)))
		r.cells[colFreeze], r.cells[colPages] = "-", "-"
		if s := cp.Stats; s != nil {
			r.cells[colFreeze] = micros(s.FreezingTimeUs) + "/" + micros(s.FrozenTimeUs)
			r.cells[colPages] = strconv.FormatUint(s.PagesWritten, 10)
		}
		for c, v := range r.cells {
			nat[c] = max(nat[c], ansi.StringWidth(v))
		}
		rows[i] = r
	}
	return rows, nat
}

// layout picks the columns that fit total cells and their widths: columns
// are dropped from the end of priority (figures are never truncated, so
// they need their natural width), then the room left goes to each text
// column's natural width (capped by want), then to the name, the validity
// reason, the options and the parent uncapped.
func layout(nat [numCols]int, total int) []table.Spec {
	var width [numCols]int
	used := -1
	for _, c := range priority {
		w := columns[c].min
		if columns[c].whole {
			w = nat[c]
		}
		if c != colName && used+1+w > total {
			continue
		}
		width[c] = w
		used += 1 + w
	}
	grow := func(c, limit int) {
		if width[c] == 0 || limit <= width[c] {
			return
		}
		add := min(limit-width[c], total-used)
		if add > 0 {
			width[c] += add
			used += add
		}
	}
	for _, c := range priority {
		limit := nat[c]
		if columns[c].want > 0 {
			limit = min(limit, columns[c].want)
		}
		grow(c, limit)
	}
	for _, c := range []int{colName, colValid, colOptions, colParent} {
		grow(c, nat[c])
	}
	var specs []table.Spec
	for c, w := range width {
		if w > 0 {
			specs = append(specs, table.Spec{Col: c, Width: w})
		}
	}
	return specs
}

// listHeight is how many rows the list shows.
func (m *Model) listHeight() int {
	h := m.c.Height - 1 // the header
	if m.err != "" {
		h--
	}
	if m.table.Capturing() || m.table.Filtering() {
		h--
	}
	return max(h, 1)
}

// listView renders the list, its header, or what stands in for it.
func (m *Model) listView() string {
	s := m.c.Styles
	w := m.c.Width
	var lines []string
	if m.err != "" {
		lines = append(lines, s.Error.Render(common.Fit("✗ "+m.err, w)))
	}
	// The prompt shows whenever it is open, rows or none: keys typed
	// into it are never taken unseen.
	if f := m.table.FilterLine(s); f != "" {
		lines = append(lines, common.Fit(f, w))
	}
	switch {
	case !m.loaded && m.err == "":
		lines = append(lines, s.Muted.Render("loading checkpoints…"))
	case !m.loaded:
	case len(m.list) == 0:
		lines = append(lines, s.Muted.Render(fmt.Sprintf("%s has no checkpoints: press %s to checkpoint it.",
			m.c.Store.Label(m.id), m.c.Keys.Checkpoint.Help().Key)))
	default:
		lines = append(lines, m.table.View(w, m.listHeight(), s)...)
		if len(m.table.Shown()) == 0 {
			lines = append(lines, s.Muted.Render(m.table.NoMatch("checkpoint")))
		}
	}
	return strings.Join(lines, "\n")
}

// validLabel says whether a checkpoint can be restored, in words.
func validLabel(cp core.Checkpoint) string {
	if cp.Valid {
		return "✓ ok"
	}
	return "✗ " + invalidReason(cp)
}

// invalidReason is why a checkpoint is not valid, escaped.
func invalidReason(cp core.Checkpoint) string {
	if cp.Reason == "" {
		return "invalid"
	}
	return sanitize.OneLine(cp.Reason)
}

// optionNames are the options a checkpoint was taken with, as the CLI
// names them.
func optionNames(cp core.Checkpoint) []string {
	o := cp.Options
	var out []string
	for _, f := range []struct {
		on   bool
		name string
	}{
		{o.LeaveRunning, "leave-running"}, {o.TCPEstablished, "tcp"}, {o.ExtUnixSk, "unix-sk"},
		{o.ShellJob, "shell-job"}, {o.FileLocks, "file-locks"}, {o.PreDump, "pre-dump"}, {cp.Imported, "imported"},
	} {
		if f.on {
			out = append(out, f.name)
		}
	}
	return out
}

// parent is the checkpoint a pre-dump chain builds on, if any.
func parent(cp core.Checkpoint) string {
	if cp.Parent != "" {
		return cp.Parent
	}
	return cp.Options.Parent
}

// micros formats a CRIU time in microseconds: 912µs, 41.0ms, 1.20s.
func micros(us uint32) string {
	switch {
	case us < 1000:
		return fmt.Sprintf("%dµs", us)
	case us < 1000000:
		return fmt.Sprintf("%.1fms", float64(us)/1e3)
	default:
		return fmt.Sprintf("%.2fs", float64(us)/1e6)
	}
}
