package containers

import (
	"fmt"
	"strings"

	"berth/ui/common"
	"berth/ui/format"
)

// hostGap is the least space between the counts and the host's figures.
const hostGap = 2

// withHost puts the host's figures at the right end of the title line
// left, in the widest form that fits beside it: the least useful parts go
// first (the CPU count, the 5 and 15 minute loads, the 1 minute load,
// memory's total, memory), CPU use last. When not even that fits, the
// line is left alone, cut to w as before: the counts and what the
// operator is doing (the filter, the marks) come before the host.
func withHost(left string, h common.HostFigures, st *common.Styles, w int) string {
	lw := common.Width(left)
	if h.Known {
		for level := range hostLevels {
			right := hostText(h, st, level)
			if right == "" {
				break
			}
			if rw := common.Width(right); lw+hostGap+rw <= w {
				return left + strings.Repeat(" ", w-lw-rw) + right
			}
		}
	}
	return common.Fit(left, w)
}

// hostLevels is how many forms hostText has, from the widest.
const hostLevels = 6

// hostText is the host's figures in form level (0 the widest): "cpu 37%
// of 2 · mem 3.0GiB/8.0GiB · load 0.52 0.40 0.31", shedding parts as the
// level rises. A figure at 90% or more is drawn as a warning (and reads
// as a number all the same).
func hostText(h common.HostFigures, st *common.Styles, level int) string {
	var parts []string
	warn := func(pct float64, s string) string {
		if pct >= 90 {
			return st.Warning.Render(s)
		}
		return st.Text.Render(s)
	}
	if h.CPUKnown {
		cpu := "cpu " + warn(h.CPU, percent(h.CPU))
		if level == 0 && h.Stats.CPUs > 0 {
			cpu += st.Muted.Render(fmt.Sprintf(" of %d", h.Stats.CPUs))
		}
		parts = append(parts, cpu)
	}
	used, total := h.Stats.MemUsed(), h.Stats.MemTotal
	memPct := 0.0
	if total > 0 {
		memPct = float64(used) / float64(total) * 100
	}
	switch {
	case total == 0 || level >= 5:
	case level >= 4:
		parts = append(parts, "mem "+warn(memPct, percent(memPct)))
	default:
		parts = append(parts, "mem "+warn(memPct, format.CompactBytes(used))+st.Muted.Render("/"+format.CompactBytes(total)))
	}
	switch l := h.Stats.Load; {
	case level <= 1:
		parts = append(parts, fmt.Sprintf("load %.2f %.2f %.2f", l[0], l[1], l[2]))
	case level == 2:
		parts = append(parts, fmt.Sprintf("load %.2f", l[0]))
	}
	return strings.Join(parts, st.Muted.Render(" · "))
}

// percent is a share in whole percent, with a decimal below 10.
func percent(p float64) string {
	if p < 9.95 {
		return fmt.Sprintf("%.1f%%", p)
	}
	return fmt.Sprintf("%.0f%%", p)
}
