package container

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"berth/core"
	"berth/ui/common"
	"berth/ui/format"
	"berth/ui/sanitize"
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

// procColumns are the columns' titles and widths; the command takes the
// width left.
var procColumns = [numProcColumns]common.Column{
	colPid:     {Title: "PID", Width: 7, Right: true},
	colCPid:    {Title: "CPID", Width: 7, Right: true},
	colPPid:    {Title: "PPID", Width: 7, Right: true},
	colUser:    {Title: "USER", Width: 8},
	colState:   {Title: "STATE", Width: 6},
	colCPU:     {Title: "CPU%", Width: 6, Right: true},
	colRSS:     {Title: "RSS", Width: 9, Right: true},
	colThreads: {Title: "THR", Width: 4, Right: true},
	colCommand: {Title: "COMMAND"},
}

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

// procRow is one process with its CPU use and its cells formatted once,
// when the sample arrives, so View only lays them out.
type procRow struct {
	core.Process
	cpu   float64
	cpuOK bool
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

// newRows turns a sample taken at at into rows, with CPU use since prev.
func newRows(ps []core.Process, prev sample, at time.Time) []procRow {
	rows := make([]procRow, len(ps))
	for i, p := range ps {
		r := &rows[i]
		r.Process = p
		r.cpu, r.cpuOK = prev.cpuPercent(p, at)
		r.format()
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

// compareRows orders two rows by column col, ascending, ties by host pid.
func compareRows(a, b *procRow, col procColumn) int {
	var c int
	switch col {
	case colCPid:
		c = cmp.Compare(a.ContainerPid, b.ContainerPid)
	case colPPid:
		c = cmp.Compare(a.PPid, b.PPid)
	case colUser:
		c = cmp.Compare(a.UID, b.UID)
	case colState:
		c = strings.Compare(a.State, b.State)
	case colCPU:
		c = cmp.Compare(a.cpu, b.cpu)
	case colRSS:
		c = cmp.Compare(a.RSS, b.RSS)
	case colThreads:
		c = cmp.Compare(a.Threads, b.Threads)
	case colCommand:
		c = strings.Compare(a.Command, b.Command)
	}
	if c == 0 {
		c = cmp.Compare(a.HostPid, b.HostPid)
	}
	return c
}

// sortRows sorts rows by col, descending when desc.
func sortRows(rows []procRow, col procColumn, desc bool) {
	slices.SortStableFunc(rows, func(a, b procRow) int {
		if desc {
			return compareRows(&b, &a, col)
		}
		return compareRows(&a, &b, col)
	})
}

// tableColumns is the visible columns for width, the sort column's title
// marked with its direction.
func tableColumns(width int, sortBy procColumn, desc bool) ([]procColumn, []common.Column) {
	vis := visibleColumns(width)
	cols := make([]common.Column, len(vis))
	for i, pc := range vis {
		cols[i] = procColumns[pc]
		if pc == sortBy {
			if desc {
				cols[i].Title += "▼"
			} else {
				cols[i].Title += "▲"
			}
		}
	}
	return vis, common.Flex(cols, width)
}
