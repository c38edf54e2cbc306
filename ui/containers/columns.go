package containers

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"berth/core"
	"berth/ui/common"
	"berth/ui/format"
	"berth/ui/sanitize"
)

// column is one column of the list: how to render a cell, how to compare
// two rows, and how important it is when the terminal is narrow.
type column struct {
	title string
	width int
	right bool
	// drop orders which columns go first when the width runs out (higher
	// goes first; 0 never goes).
	drop int
	less func(a, b *row) int
}

// row is one container with what the list shows of it, computed in Update
// from the store so View only formats.
type row struct {
	c      core.Container
	id     string // escaped
	cpu    float64
	hasCPU bool
	mem    uint64
	limit  uint64
	pids   uint64
	spark  []float64
}

// The list's columns, in display order. Sparkline and bar ride with the
// cpu and memory columns.
const (
	colMark = iota
	colID
	colStatus
	colPid
	colCPU
	colSpark
	colMem
	colBar
	colPids
	colOOM
	colUptime
	colKind
)

var columns = []column{
	colMark:   {title: "", width: 2},
	colID:     {title: "ID", width: 0, less: func(a, b *row) int { return strings.Compare(a.c.ID, b.c.ID) }},
	colStatus: {title: "STATUS", width: 13, drop: 0, less: func(a, b *row) int { return cmp.Compare(statusRank(a.c.Status), statusRank(b.c.Status)) }},
	colPid:    {title: "PID", width: 7, right: true, drop: 9, less: func(a, b *row) int { return cmp.Compare(a.c.Pid, b.c.Pid) }},
	colCPU:    {title: "CPU%", width: 6, right: true, drop: 1, less: func(a, b *row) int { return cmp.Compare(a.cpu, b.cpu) }},
	colSpark:  {title: "LAST MIN", width: 12, drop: 5},
	colMem:    {title: "MEM", width: 15, right: true, drop: 2, less: func(a, b *row) int { return cmp.Compare(a.mem, b.mem) }},
	colBar:    {title: "", width: 8, drop: 8},
	colPids:   {title: "PIDS", width: 5, right: true, drop: 4, less: func(a, b *row) int { return cmp.Compare(a.pids, b.pids) }},
	colOOM:    {title: "OOM", width: 4, right: true, drop: 3, less: func(a, b *row) int { return cmp.Compare(a.c.OOMKills, b.c.OOMKills) }},
	colUptime: {title: "UPTIME", width: 7, right: true, drop: 6, less: func(a, b *row) int { return a.c.Created.Compare(b.c.Created) * -1 }},
	colKind:   {title: "BY", width: 5, drop: 7, less: func(a, b *row) int { return cmp.Compare(boolRank(a.c.Managed), boolRank(b.c.Managed)) }},
}

func statusRank(s core.Status) int {
	switch s {
	case core.StatusRunning:
		return 0
	case core.StatusPaused:
		return 1
	case core.StatusCreated:
		return 2
	case core.StatusStopped:
		return 3
	}
	return 4
}

func boolRank(b bool) int {
	if b {
		return 0
	}
	return 1
}

// sortable lists the columns the sort key cycles through.
func sortable() []int {
	var out []int
	for i, c := range columns {
		if c.less != nil {
			out = append(out, i)
		}
	}
	return out
}

// layout picks the columns that fit width, dropping the least important
// first, and gives the id column what is left (at least minID): the id
// is what tells rows apart, so every other column gives way before it
// is cut, down to the status (whose word stays).
func layout(width int) []int {
	const minID = 12
	shown := make([]bool, len(columns))
	for i := range shown {
		shown[i] = true
	}
	need := func() int {
		n := minID
		for i, c := range columns {
			if shown[i] && i != colID {
				n += c.width + 1
			}
		}
		return n
	}
	for need() > width {
		worst := -1
		for i, c := range columns {
			if shown[i] && c.drop > 0 && (worst < 0 || c.drop > columns[worst].drop) {
				worst = i
			}
		}
		if worst < 0 {
			break
		}
		shown[worst] = false
	}
	var out []int
	for i := range columns {
		if shown[i] {
			out = append(out, i)
		}
	}
	return out
}

// widen gives the sparkline what the id column does not need: ids
// rarely use more than maxID cells.
func widen(spec []common.Column, cols []int) {
	const maxID = 32
	id, spark := slices.Index(cols, colID), slices.Index(cols, colSpark)
	if id < 0 || spark < 0 || spec[id].Width <= maxID {
		return
	}
	extra := min(spec[id].Width-maxID, 48)
	spec[id].Width -= extra
	spec[spark].Width += extra
}

// uptime is how long a live container has run; "-" otherwise.
func uptime(c core.Container, now time.Time) string {
	if !c.Running() || c.Created.IsZero() {
		return "-"
	}
	return format.HumanDuration(now.Sub(c.Created))
}

// kindWord says who started a container: berth, or another manager.
func kindWord(c core.Container) string {
	if c.Managed {
		return "berth"
	}
	return "ext"
}

// memText is "used/limit" (or just used when there is no limit).
func memText(r *row) string {
	if r.mem == 0 && r.limit == 0 {
		return "-"
	}
	s := shortBytes(r.mem)
	if r.limit > 0 {
		s += "/" + shortBytes(r.limit)
	}
	return s
}

// shortBytes is HumanBytes without the "iB": the list is narrow.
func shortBytes(n uint64) string {
	return strings.TrimSuffix(format.HumanBytes(n), "iB")
}

// sparkBlocks draw a sparkline: the one chart small enough for a table
// cell, so it is drawn here rather than by a chart library.
var sparkBlocks = []rune("▁▂▃▄▅▆▇█")

// sparkline draws the last width values scaled to top (at least 100%: a
// container using a fraction of one CPU looks like it).
func sparkline(vals []float64, width int) string {
	if width <= 0 {
		return ""
	}
	if len(vals) > width {
		vals = vals[len(vals)-width:]
	}
	top := 100.0
	for _, v := range vals {
		top = max(top, v)
	}
	var b strings.Builder
	for range width - len(vals) {
		b.WriteByte(' ')
	}
	for _, v := range vals {
		i := int(v / top * float64(len(sparkBlocks)-1))
		b.WriteRune(sparkBlocks[min(max(i, 0), len(sparkBlocks)-1)])
	}
	return b.String()
}

// bar draws used/limit as a bar of width cells.
func bar(used, limit uint64, width int) string {
	if limit == 0 || width <= 2 {
		return ""
	}
	inner := width - 2
	fill := int(float64(used) / float64(limit) * float64(inner))
	fill = min(max(fill, 0), inner)
	return "[" + strings.Repeat("|", fill) + strings.Repeat(" ", inner-fill) + "]"
}

// escapeID escapes an id for display. berth's ids are validated, but an
// external container's come from another manager's state.
func escapeID(id string) string { return sanitize.OneLine(id) }
