package cli

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"berth/core"
	"berth/ui/format"

	"github.com/spf13/cobra"
)

// hostReport is berth host's answer: the figures the list's header shows.
type hostReport struct {
	// CPUPercent is percent of all CPUs, over the sampling interval.
	CPUPercent float64 `json:"cpuPercent"`
	CPUs       int     `json:"cpus"`
	// MemUsedBytes is MemTotal - MemAvailable, as free(1) counts it.
	MemUsedBytes      uint64     `json:"memUsedBytes"`
	MemTotalBytes     uint64     `json:"memTotalBytes"`
	MemAvailableBytes uint64     `json:"memAvailableBytes"`
	Load              [3]float64 `json:"load"`
	// Containers counts the containers listed, by status, and in all.
	Containers map[string]int `json:"containers"`
}

// hostInterval is how long berth host measures CPU use over.
const hostInterval = 250 * time.Millisecond

func newHostCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "host",
		Short: "Show the host's CPU use, memory, load and containers by status",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := g.manager(cmd.Context())
			if err != nil {
				return err
			}
			r, err := readHostReport(cmd.Context(), m)
			if err != nil {
				return err
			}
			if g.json {
				return g.printJSON(r)
			}
			tw := tabwriter.NewWriter(g.stdout, 2, 8, 2, ' ', 0)
			fmt.Fprintf(tw, "cpu\t%.1f%% of %d CPUs\n", r.CPUPercent, r.CPUs)
			pct := 0.0
			if r.MemTotalBytes > 0 {
				pct = float64(r.MemUsedBytes) / float64(r.MemTotalBytes) * 100
			}
			fmt.Fprintf(tw, "memory\t%s used of %s (%.0f%%), %s available\n", format.HumanBytes(r.MemUsedBytes),
				format.HumanBytes(r.MemTotalBytes), pct, format.HumanBytes(r.MemAvailableBytes))
			fmt.Fprintf(tw, "load\t%.2f %.2f %.2f\n", r.Load[0], r.Load[1], r.Load[2])
			fmt.Fprintf(tw, "containers\t%d", r.Containers["total"])
			sep := ": "
			for _, s := range hostStatuses {
				if n := r.Containers[string(s)]; n > 0 {
					fmt.Fprintf(tw, "%s%d %s", sep, n, s)
					sep = ", "
				}
			}
			fmt.Fprintln(tw)
			return tw.Flush()
		},
	}
}

// hostStatuses are the statuses berth host counts, in the list header's
// order.
var hostStatuses = []core.Status{core.StatusRunning, core.StatusPaused, core.StatusStopped, core.StatusCreated, core.StatusUnknown}

// readHostReport reads the host twice, hostInterval apart, for CPU use,
// and lists the containers in between.
func readHostReport(ctx context.Context, m *core.Manager) (hostReport, error) {
	first, err := m.HostStats()
	if err != nil {
		return hostReport{}, err
	}
	t := time.NewTimer(hostInterval)
	defer t.Stop()
	cs, err := m.List(ctx)
	if err != nil {
		return hostReport{}, err
	}
	select {
	case <-t.C:
	case <-ctx.Done():
		return hostReport{}, ctx.Err()
	}
	last, err := m.HostStats()
	if err != nil {
		return hostReport{}, err
	}
	pct, _ := core.HostCPUPercent(first, last)
	r := hostReport{CPUPercent: pct, CPUs: last.CPUs, MemUsedBytes: last.MemUsed(), MemTotalBytes: last.MemTotal,
		MemAvailableBytes: last.MemAvailable, Load: last.Load, Containers: map[string]int{"total": len(cs)}}
	for _, s := range hostStatuses {
		r.Containers[string(s)] = 0
	}
	for _, c := range cs {
		r.Containers[string(c.Status)]++
	}
	return r, nil
}
