package core

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"berth/host/statefile"
	"berth/watch"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Resources are the limits Update can change; nil fields stay as they are.
// -1 lifts a memory or pids limit; CPUs 0 lifts the quota.
type Resources struct {
	MemoryBytes *int64   `json:"memoryBytes,omitempty"`
	Pids        *int64   `json:"pids,omitempty"`
	CPUs        *float64 `json:"cpus,omitempty"`
}

// cpuPeriod is the CFS period berth sets with a quota: 100 ms, the kernel's
// default.
const cpuPeriod = 100000

// Update changes a running container's memory, pids and cpu limits.
func (m *Manager) Update(ctx context.Context, id string, r Resources) error {
	t, err := m.target(ctx, id)
	if err != nil {
		return err
	}
	if err := t.requireRunning("update", true); err != nil {
		return err
	}
	args := []string{"update"}
	if r.MemoryBytes != nil {
		if *r.MemoryBytes < -1 {
			return idError(id, ErrInvalid, "memory limit must be -1 (no limit) or more")
		}
		args = append(args, "--memory", strconv.FormatInt(*r.MemoryBytes, 10))
	}
	if r.Pids != nil {
		args = append(args, "--pids-limit", strconv.FormatInt(*r.Pids, 10))
	}
	if r.CPUs != nil {
		if !(*r.CPUs >= 0 && *r.CPUs <= 1<<20) { // also rejects NaN and Inf
			return idError(id, ErrInvalid, "cpus must be a number from 0 (no limit) up")
		}
		quota := int64(-1)
		if *r.CPUs > 0 {
			quota = int64(*r.CPUs * cpuPeriod)
		}
		args = append(args, "--cpu-period", strconv.Itoa(cpuPeriod), "--cpu-quota", strconv.FormatInt(quota, 10))
	}
	if len(args) == 1 {
		return idError(id, ErrInvalid, "nothing to update: give --memory, --pids or --cpus")
	}
	if tool, ok := t.ownerTool(); ok && tool.argv(OpUpdate, t.Container, nil) != nil {
		flags, err := updateFlags(r)
		if err != nil {
			return fmt.Errorf("%s: %w", id, err)
		}
		if _, err := tool.run(ctx, t.Container, OpUpdate, flags...); err != nil {
			return err
		}
	} else if err := t.run(ctx, append(args, t.ID)...); err != nil {
		return err
	}
	ev := t.event(watch.KindUpdate)
	ev.Detail = strings.Join(args[1:], " ")
	m.journal(ev)
	if t.Managed {
		// The limits now in force are the container's: a restore in place
		// or a clone, which start from the runtime bundle, keeps them.
		if err := m.recordResources(id, r); err != nil {
			return wrapError(id, ErrRuntime, err, "the new limits apply, but a restore will not keep them")
		}
	}
	return nil
}

// recordResources writes updated limits into the runtime bundle's spec,
// as runc's update applies them (-1 lifts a memory or pids limit, a quota
// of -1 lifts the cpu limit).
func (m *Manager) recordResources(id string, r Resources) error {
	rec, err := m.readRecord(id)
	if err != nil {
		return err
	}
	spec, err := loadRuntimeSpec(rec.RuntimeBundle)
	if err != nil {
		return err
	}
	if spec.Linux.Resources == nil {
		spec.Linux.Resources = &specs.LinuxResources{}
	}
	res := spec.Linux.Resources
	if r.MemoryBytes != nil {
		if res.Memory == nil {
			res.Memory = &specs.LinuxMemory{}
		}
		limit := *r.MemoryBytes
		res.Memory.Limit = &limit
		// memory+swap may not be below memory: runc's update raises it
		// with the limit, and the spec must say what the cgroup has.
		if sw := res.Memory.Swap; sw != nil && *sw != -1 && (limit == -1 || *sw < limit) {
			res.Memory.Swap = &limit
		}
	}
	if r.Pids != nil {
		limit := *r.Pids
		res.Pids = &specs.LinuxPids{Limit: &limit}
	}
	if r.CPUs != nil {
		if res.CPU == nil {
			res.CPU = &specs.LinuxCPU{}
		}
		quota, period := int64(-1), uint64(cpuPeriod)
		if *r.CPUs > 0 {
			quota = int64(*r.CPUs * cpuPeriod)
		}
		res.CPU.Quota, res.CPU.Period = &quota, &period
	}
	return statefile.WriteJSON(filepath.Join(rec.RuntimeBundle, "config.json"), spec, 0o600)
}
