package container

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
	"time"

	"berth/core"
	"berth/ui/format"
	"berth/ui/sanitize"
	"berth/ui/table"
)

// procColumn is a column of the processes table, in display order.
type procColumn int

// The processes table's columns.
const (
	colPid procColumn = iota
	colCPid
	colPPid
	colUser
	colState
	colCPU
	colRSS
	colThreads
	colCommand
	numProcColumns
)

// procColumns are the table's columns: titles, widths (the command
// takes the width left), and orders; the cells were formatted when the
// sample arrived.
func procColumns() []table.Column[*procRow] {
	cell := func(c procColumn) func(*procRow, table.Cell) string {
		return func(r *procRow, _ table.Cell) string { return r.cells[c] }
	}
	cols := []table.Column[*procRow]{
		colPid:     {Title: "PID", Width: 7, Right: true, Less: func(a, b *procRow) int { return cmp.Compare(a.HostPid, b.HostPid) }},
		colCPid:    {Title: "CPID", Width: 7, Right: true, Less: func(a, b *procRow) int { return cmp.Compare(a.ContainerPid, b.ContainerPid) }},
		colPPid:    {Title: "PPID", Width: 7, Right: true, Less: func(a, b *procRow) int { return cmp.Compare(a.PPid, b.PPid) }},
		colUser:    {Title: "USER", Width: 8, Less: func(a, b *procRow) int { return cmp.Compare(a.UID, b.UID) }},
		colState:   {Title: "STATE", Width: 6, Less: func(a, b *procRow) int { return strings.Compare(a.State, b.State) }},
		colCPU:     {Title: "CPU%", Width: 6, Right: true, Less: func(a, b *procRow) int { return cmp.Compare(a.cpu, b.cpu) }},
		colRSS:     {Title: "RSS", Width: 9, Right: true, Less: func(a, b *procRow) int { return cmp.Compare(a.RSS, b.RSS) }},
		colThreads: {Title: "THR", Width: 4, Right: true, Less: func(a, b *procRow) int { return cmp.Compare(a.Threads, b.Threads) }},
		colCommand: {Title: "COMMAND", Less: func(a, b *procRow) int { return strings.Compare(a.Command, b.Command) }},
	}
	for i := range cols {
		cols[i].Cell = cell(procColumn(i))
	}
	return cols
}

// byHostPid breaks the ties of every order.
func byHostPid(a, b *procRow) int { return cmp.Compare(a.HostPid, b.HostPid) }

// descending marks the columns whose natural order is largest first (who
// uses the most), so choosing one shows the heaviest processes on top.
var descending = [numProcColumns]bool{colCPU: true, colRSS: true, colThreads: true}

// narrowWidth is the width below which the table keeps only the columns
// that matter most.
const narrowWidth = 60

// allColumns and narrowColumns are the columns shown at each width.
var (
	allColumns    = []procColumn{colPid, colCPid, colPPid, colUser, colState, colCPU, colRSS, colThreads, colCommand}
	narrowColumns = []procColumn{colPid, colCPU, colRSS, colCommand}
)

// visibleColumns is the columns that fit width.
func visibleColumns(width int) []procColumn {
	if width < narrowWidth {
		return narrowColumns
	}
	return allColumns
}

// procKey names a process across samples: a pid and its start time, so a
// reused pid is another process.
type procKey struct {
	pid   int
	start uint64
}

func keyOf(p core.Process) procKey { return procKey{p.HostPid, p.StartTime} }

// String is the key as the table's row id.
func (k procKey) String() string {
	return strconv.Itoa(k.pid) + ":" + strconv.FormatUint(k.start, 10)
}

// procRow is one process with its CPU use and its cells formatted once,
// when the sample arrives, so View only lays them out.
type procRow struct {
	core.Process
	cpu   float64
	cpuOK bool
	id    string // keyOf, as the table's row id
	rev   uint64 // the read the row came from
	cells [numProcColumns]string
}

// sample is what a processes sample leaves for the next one: when it was
// taken and each process's CPU time then.
type sample struct {
	at  time.Time
	cpu map[procKey]uint64
}

// newSample remembers ps, taken at at.
func newSample(ps []core.Process, at time.Time) sample {
	s := sample{at: at, cpu: make(map[procKey]uint64, len(ps))}
	for _, p := range ps {
		s.cpu[keyOf(p)] = p.CPUTime
	}
	return s
}

// cpuPercent is p's CPU use in percent of one CPU between the previous
// sample and at. A process not in that sample shows what the core gave
// (an average since it started), or nothing when it gave none.
func (prev sample) cpuPercent(p core.Process, at time.Time) (float64, bool) {
	before, ok := prev.cpu[keyOf(p)]
	dt := at.Sub(prev.at)
	if !ok || dt <= 0 || p.CPUTime < before {
		return p.CPUPercent, p.CPUPercent > 0
	}
	return float64(p.CPUTime-before) / float64(dt.Nanoseconds()) * 100, true
}

// newRows turns sample number rev, taken at at, into rows, with CPU use
// since prev.
func newRows(ps []core.Process, prev sample, at time.Time, rev uint64) []*procRow {
	rows := make([]*procRow, len(ps))
	for i, p := range ps {
		r := &procRow{Process: p, id: keyOf(p).String(), rev: rev}
		r.cpu, r.cpuOK = prev.cpuPercent(p, at)
		r.format()
		rows[i] = r
	}
	return rows
}

// format fills the row's cells; the command and state came from the
// container and are sanitized.
func (r *procRow) format() {
	r.cells[colPid] = strconv.Itoa(r.HostPid)
	r.cells[colCPid] = strconv.Itoa(r.ContainerPid)
	r.cells[colPPid] = strconv.Itoa(r.PPid)
	r.cells[colUser] = strconv.Itoa(r.UID)
	if r.User != "" {
		r.cells[colUser] = sanitize.OneLine(r.User)
	}
	r.cells[colState] = sanitize.OneLine(r.State)
	r.cells[colCPU] = "-"
	if r.cpuOK {
		r.cells[colCPU] = fmt.Sprintf("%.1f", r.cpu)
	}
	r.cells[colRSS] = format.HumanBytes(r.RSS)
	r.cells[colThreads] = strconv.Itoa(r.Threads)
	r.cells[colCommand] = sanitize.OneLine(r.Command)
}

// procLayout is the visible columns for width, the command flexible.
func procLayout(width int) []table.Spec {
	cols := procColumns()
	vis := visibleColumns(width)
	specs := make([]table.Spec, len(vis))
	for i, c := range vis {
		specs[i] = table.Spec{Col: int(c), Width: cols[c].Width}
	}
	return table.Flex(cols, specs, width)
}
