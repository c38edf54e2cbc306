package format

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"berth/core"
)

// The limits an operator types, in the update form and for berth update,
// parsed in one place so both accept the same and say the same. Each
// field's "none" lifts its limit; a blank field stays as it is.

// ParseMemoryLimit parses a memory limit: a size (512m, 1g, 1048576), or
// 0 or -1 for none (-1 to core).
func ParseMemoryLimit(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "-1" {
		return -1, nil
	}
	v, err := ParseBytes(s)
	if err != nil {
		return 0, fmt.Errorf("memory: %q: give a size like 512m or 1g, 0 for no limit", s)
	}
	if v == 0 {
		return -1, nil
	}
	return v, nil
}

// ParsePidsLimit parses a pids limit: a whole number, or 0 or -1 for none
// (-1 to core).
func ParsePidsLimit(s string) (int64, error) {
	s = strings.TrimSpace(s)
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < -1 {
		return 0, fmt.Errorf("pids: %q: give a whole number, 0 for no limit", s)
	}
	if v == 0 {
		return -1, nil
	}
	return v, nil
}

// ParseCPUs parses a cpu limit in CPUs (0.5, 2), 0 for none.
func ParseCPUs(s string) (float64, error) {
	s = strings.TrimSpace(s)
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || !(v >= 0 && v <= 1<<20) {
		return 0, fmt.Errorf("cpus: %q: give a number of CPUs like 0.5 or 2, 0 for no limit", s)
	}
	return v, nil
}

// ErrNoLimits says an update named no limit to change.
var ErrNoLimits = errors.New("nothing to update: give memory, pids or cpus")

// ParseLimits turns the three answers into an update; a blank one stays
// as it is, and all blank is ErrNoLimits.
func ParseLimits(memory, pids, cpus string) (core.Resources, error) {
	var r core.Resources
	if strings.TrimSpace(memory) != "" {
		v, err := ParseMemoryLimit(memory)
		if err != nil {
			return r, err
		}
		r.MemoryBytes = &v
	}
	if strings.TrimSpace(pids) != "" {
		v, err := ParsePidsLimit(pids)
		if err != nil {
			return r, err
		}
		r.Pids = &v
	}
	if strings.TrimSpace(cpus) != "" {
		v, err := ParseCPUs(cpus)
		if err != nil {
			return r, err
		}
		r.CPUs = &v
	}
	if r.MemoryBytes == nil && r.Pids == nil && r.CPUs == nil {
		return r, ErrNoLimits
	}
	return r, nil
}
