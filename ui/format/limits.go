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
	return lifted(v), nil
}

// ParsePidsLimit parses a pids limit: a whole number, or 0 or -1 for none
// (-1 to core).
func ParsePidsLimit(s string) (int64, error) {
	s = strings.TrimSpace(s)
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < -1 {
		return 0, fmt.Errorf("pids: %q: give a whole number, 0 for no limit", s)
	}
	return lifted(v), nil
}

// lifted turns the 0 an operator types for "no limit" into core's -1.
func lifted(v int64) int64 {
	if v == 0 {
		return -1
	}
	return v
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
	if err := parseField(memory, ParseMemoryLimit, &r.MemoryBytes); err != nil {
		return r, err
	}
	if err := parseField(pids, ParsePidsLimit, &r.Pids); err != nil {
		return r, err
	}
	if err := parseField(cpus, ParseCPUs, &r.CPUs); err != nil {
		return r, err
	}
	if r.MemoryBytes == nil && r.Pids == nil && r.CPUs == nil {
		return r, ErrNoLimits
	}
	return r, nil
}

// parseField sets *dst to the parsed answer s, leaving it nil when s is blank.
func parseField[T any](s string, parse func(string) (T, error), dst **T) error {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	v, err := parse(s)
	if err != nil {
		return err
	}
	*dst = &v
	return nil
}

// MemoryLimitText writes a memory limit as ParseMemoryLimit reads it, in
// the largest binary unit that divides it (32m, 1g, 1536k).
func MemoryLimitText(n uint64) string {
	for _, u := range []struct {
		suffix string
		size   uint64
	}{{"t", 1 << 40}, {"g", 1 << 30}, {"m", 1 << 20}, {"k", 1 << 10}} {
		if n >= u.size && n%u.size == 0 {
			return strconv.FormatUint(n/u.size, 10) + u.suffix
		}
	}
	return strconv.FormatUint(n, 10)
}

// CPUsText writes a CPU quota as ParseCPUs reads it.
func CPUsText(cpus float64) string { return strconv.FormatFloat(cpus, 'f', -1, 64) }
