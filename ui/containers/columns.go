package containers

import (
	"cmp"
	"strconv"
	"strings"
	"time"

	"berth/core"
	"berth/ui/common"
	"berth/ui/format"
	"berth/ui/sanitize"
	"berth/ui/table"
)

// row is one container with what the list shows of it, computed in Update
// from the store so View only formats.
type row struct {
	c core.Container
	// id (short for 64-hex ids), name, owner and image, escaped.
	id, name, owner, image string
	cpu                    float64
	hasCPU                 bool
	mem                    uint64
	limit                  uint64
	pids                   uint64
	spark                  []float64
	// rev numbers the row among those built: with its mark, what its
	// cached line depends on. crev is the container's revision in the
	// store it was built from; gen the Refresh that last kept it.
	rev, crev, gen uint64
}

// The list's columns, in display order. Sparkline and bar ride with the
// cpu and memory columns.
const (
	colID = iota
	colName
	colStatus
	colPid
	colCPU
	colSpark
	colMem
	colBar
	colPids
	colOOM
	colUptime
	colOwner
	colImage
)

// columns are the list's columns; Cell and Paint close over the model
// for the clock and the marks.
func (m *Model) columns() []table.Column[*row] {
	p := &m.c.Styles.P
	plain := func(f func(r *row) string) func(*row, table.Cell) string {
		return func(r *row, _ table.Cell) string { return f(r) }
	}
	cols := make([]table.Column[*row], colImage+1)
	cols[colID] = table.Column[*row]{Title: "ID", MinWidth: 12,
		Less: func(a, b *row) int { return strings.Compare(a.c.ID, b.c.ID) },
		Cell: plain(func(r *row) string { return r.id }),
		Paint: func(r *row) common.Paint {
			if m.marked[r.c.Ref()] {
				return p.Marked
			}
			return common.Paint{}
		}}
	cols[colName] = table.Column[*row]{Title: "NAME", Width: 16, Drop: 5,
		Less: func(a, b *row) int { return strings.Compare(a.c.Name, b.c.Name) },
		Cell: plain(func(r *row) string { return r.name })}
	cols[colStatus] = table.Column[*row]{Title: "STATUS", Width: 13,
		Less:  func(a, b *row) int { return cmp.Compare(statusRank(a.c.Status), statusRank(b.c.Status)) },
		Cell:  plain(func(r *row) string { return common.StatusText(r.c) }),
		Paint: func(r *row) common.Paint { return m.c.Styles.StatusPaint(r.c.Status) }}
	cols[colPid] = table.Column[*row]{Title: "PID", Width: 7, Right: true, Drop: 10,
		Less: func(a, b *row) int { return cmp.Compare(a.c.Pid, b.c.Pid) },
		Cell: plain(func(r *row) string {
			if r.c.Pid > 0 && r.c.Running() {
				return strconv.Itoa(r.c.Pid)
			}
			return "-"
		})}
	cols[colCPU] = table.Column[*row]{Title: "CPU%", Width: 6, Right: true, Drop: 1,
		Less: func(a, b *row) int { return cmp.Compare(a.cpu, b.cpu) },
		Cell: plain(func(r *row) string {
			if r.hasCPU {
				return strconv.FormatFloat(r.cpu, 'f', 1, 64)
			}
			return "-"
		})}
	cols[colSpark] = table.Column[*row]{Title: "LAST MIN", Width: 12, Drop: 6,
		Cell:  func(r *row, at table.Cell) string { return sparkline(r.spark, at.Width) },
		Paint: func(*row) common.Paint { return p.CPU }}
	cols[colMem] = table.Column[*row]{Title: "MEM", Width: 15, Right: true, Drop: 2,
		Less: func(a, b *row) int { return cmp.Compare(a.mem, b.mem) },
		Cell: plain(memText)}
	cols[colBar] = table.Column[*row]{Width: 8, Drop: 9,
		Cell: func(r *row, at table.Cell) string { return bar(r.mem, r.limit, at.Width) },
		Paint: func(r *row) common.Paint {
			if r.limit > 0 && r.mem*10 >= r.limit*9 {
				return p.Warning
			}
			return p.Memory
		}}
	cols[colPids] = table.Column[*row]{Title: "PIDS", Width: 5, Right: true, Drop: 4,
		Less: func(a, b *row) int { return cmp.Compare(a.pids, b.pids) },
		Cell: plain(func(r *row) string {
			if r.c.Running() {
				return strconv.FormatUint(r.pids, 10)
			}
			return "-"
		})}
	cols[colOOM] = table.Column[*row]{Title: "OOM", Width: 4, Right: true, Drop: 3,
		Less: func(a, b *row) int { return cmp.Compare(a.c.OOMKills, b.c.OOMKills) },
		Cell: plain(func(r *row) string { return strconv.FormatUint(r.c.OOMKills, 10) }),
		Paint: func(r *row) common.Paint {
			if r.c.OOMKills > 0 {
				return p.Warning
			}
			return common.Paint{}
		}}
	cols[colUptime] = table.Column[*row]{Title: "UPTIME", Width: 7, Right: true, Drop: 7,
		Less: func(a, b *row) int { return a.c.LastStart().Compare(b.c.LastStart()) * -1 },
		Cell: plain(func(r *row) string { return uptime(r.c, m.c.Now) })}
	cols[colOwner] = table.Column[*row]{Title: "OWNER", Width: 10, Drop: 8,
		Less: func(a, b *row) int { return strings.Compare(a.c.Owner, b.c.Owner) },
		Cell: plain(func(r *row) string { return r.owner })}
	cols[colImage] = table.Column[*row]{Title: "IMAGE", Width: 14, Drop: 11,
		Less: func(a, b *row) int { return strings.Compare(a.c.Image, b.c.Image) },
		Cell: plain(func(r *row) string { return r.image })}
	return cols
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

// sortable lists the columns the sort key cycles through.
func (m *Model) sortable() []int {
	var out []int
	for i, c := range m.table.Columns {
		if c.Less != nil && !c.Hidden {
			out = append(out, i)
		}
	}
	return out
}

// layout picks the columns that fit width, dropping the least important
// first, and gives the id column what is left (at least its MinWidth):
// the id is what tells rows apart, so every other column gives way
// before it is cut, down to the status (whose word stays). Ids rarely
// use more than maxID cells: the sparkline takes what they leave.
func (m *Model) layout(width int) []table.Spec {
	const maxID = 32
	specs := table.Drop(m.table.Columns, width)
	status, id, spark := -1, -1, -1
	for i, s := range specs {
		switch s.Col {
		case colStatus:
			status = i
		case colID:
			id = i
		case colSpark:
			spark = i
		}
	}
	if status >= 0 && width < 30 {
		specs[status].Width = 9 // the symbol and the word, no exit status
	}
	specs = table.Flex(m.table.Columns, specs, width)
	if id < 0 || spark < 0 || specs[id].Width <= maxID {
		return specs
	}
	extra := min(specs[id].Width-maxID, 48)
	specs[id].Width -= extra
	specs[spark].Width += extra
	return specs
}

// uptime is how long a live container has run since it last started;
// "-" otherwise.
func uptime(c core.Container, now time.Time) string {
	if !c.Running() || c.LastStart().IsZero() {
		return "-"
	}
	return format.HumanDuration(now.Sub(c.LastStart()))
}

// memText is "used/limit" (or just used when there is no limit).
func memText(r *row) string {
	if r.mem == 0 && r.limit == 0 {
		return "-"
	}
	s := format.CompactBytes(r.mem)
	if r.limit > 0 {
		s += "/" + format.CompactBytes(r.limit)
	}
	return s
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
