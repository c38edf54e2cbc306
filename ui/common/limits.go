package common

import (
	"fmt"

	"berth/core"
)

// Limits are the limits a container's cgroup has now (0: none). The
// overview and the update form read them on purpose when they show,
// rather than trusting whichever sample came last: the list's samples
// carry no quota or pids limit, and a container with a memory limit only
// looked as if it had never been sampled fully.
type Limits struct {
	Memory, Pids uint64
	CPUs         float64
}

// ReadLimits reads c's limits through a full sample of its cgroup. It
// reads files: call it from a command, never from Update.
func ReadLimits(s Sampler, c core.Container) (Limits, error) {
	if !c.Running() {
		return Limits{}, fmt.Errorf("%s: %w", c.ID, core.ErrNotRunning)
	}
	st, _ := s.Sample([]core.Container{c}, true)
	for _, x := range st {
		if x.Ref() == c.Ref() {
			return Limits{Memory: x.MemoryLimit, Pids: x.PidsLimit, CPUs: x.CPUQuota}, nil
		}
	}
	return Limits{}, fmt.Errorf("%s: its cgroup could not be read", c.ID)
}
