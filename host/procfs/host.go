package procfs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
)

// Host is the host-wide figures berth's list header shows, as read at one
// instant: cumulative CPU times (a percentage needs two readings, see
// CPUPercent), memory as free(1) counts it, and the load averages.
type Host struct {
	CPU CPUTimes
	// CPUs is the number of cpuN lines in /proc/stat: the CPUs online.
	CPUs int
	// MemTotal and MemAvailable are bytes; used is their difference.
	MemTotal, MemAvailable uint64
	// Load is the 1, 5 and 15 minute load averages.
	Load [3]float64
}

// MemUsed is memory in use as free(1) counts it: MemTotal - MemAvailable.
func (h Host) MemUsed() uint64 {
	if h.MemAvailable > h.MemTotal {
		return 0
	}
	return h.MemTotal - h.MemAvailable
}

// CPUTimes are the aggregate "cpu" line of /proc/stat, in clock ticks
// since boot: Busy is all but idle and iowait, Total everything (guest
// time is already counted in user and nice, so it is not added again).
type CPUTimes struct {
	Busy, Total uint64
}

// CPUPercent is the share of all CPUs in use between two readings, 0 to
// 100; ok is false when no time passed between them (or the counters went
// backwards, as after a CPU went offline).
func CPUPercent(prev, cur CPUTimes) (pct float64, ok bool) {
	if cur.Total <= prev.Total || cur.Busy < prev.Busy {
		return 0, false
	}
	pct = float64(cur.Busy-prev.Busy) / float64(cur.Total-prev.Total) * 100
	return min(pct, 100), true
}

// maxHostFile bounds one read of /proc/stat, /proc/meminfo or
// /proc/loadavg. /proc/stat carries a line per CPU and one of every
// interrupt's count, a few KiB on small hosts; only its start is parsed.
const maxHostFile = 256 << 10

// ReadHost reads /proc/stat, /proc/meminfo and /proc/loadavg under proc
// (normally "/proc"), one read each into one buffer.
func ReadHost(proc string) (Host, error) {
	var h Host
	buf := make([]byte, 0, 4<<10)
	read := func(name string) ([]byte, error) {
		b, err := readInto(filepath.Join(proc, name), buf[:0])
		buf = b
		return b, err
	}
	b, err := read("stat")
	if err != nil {
		return h, err
	}
	if h.CPU, h.CPUs, err = ParseCPUTimes(b); err != nil {
		return h, err
	}
	if b, err = read("meminfo"); err != nil {
		return h, err
	}
	if h.MemTotal, h.MemAvailable, err = ParseMeminfo(b); err != nil {
		return h, err
	}
	if b, err = read("loadavg"); err != nil {
		return h, err
	}
	if h.Load, err = ParseLoadavg(b); err != nil {
		return h, err
	}
	return h, nil
}

// readInto reads a whole (small, virtual) file into buf, growing it as
// needed up to maxHostFile.
func readInto(path string, buf []byte) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return buf, err
	}
	defer f.Close()
	for {
		if len(buf) == cap(buf) {
			if cap(buf) >= maxHostFile {
				return buf, fmt.Errorf("%s: larger than %d bytes", path, maxHostFile)
			}
			buf = slices.Grow(buf, cap(buf))
		}
		n, err := f.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		switch {
		case errors.Is(err, io.EOF):
			return buf, nil
		case err != nil:
			return buf, err
		}
	}
}

// ParseCPUTimes parses /proc/stat's aggregate "cpu" line and counts the
// cpuN lines after it.
func ParseCPUTimes(b []byte) (CPUTimes, int, error) {
	var t CPUTimes
	first, rest, _ := bytes.Cut(b, []byte{'\n'})
	fields := bytes.Fields(first)
	if len(fields) < 5 || string(fields[0]) != "cpu" {
		return t, 0, fmt.Errorf("/proc/stat: no cpu line in %q", truncate(first))
	}
	// user nice system idle iowait irq softirq steal guest guest_nice
	for i, f := range fields[1:] {
		if i >= 8 {
			break // guest and guest_nice are part of user and nice
		}
		v, err := strconv.ParseUint(string(f), 10, 64)
		if err != nil {
			return t, 0, fmt.Errorf("/proc/stat: cpu field %d: %w", i+1, err)
		}
		t.Total += v
		if i != 3 && i != 4 { // idle, iowait
			t.Busy += v
		}
	}
	cpus := 0
	for len(rest) > 0 {
		var line []byte
		line, rest, _ = bytes.Cut(rest, []byte{'\n'})
		if !bytes.HasPrefix(line, []byte("cpu")) {
			break // the cpuN lines come together, first
		}
		cpus++
	}
	return t, cpus, nil
}

// ParseMeminfo returns MemTotal and MemAvailable, in bytes. A kernel too
// old for MemAvailable (before 3.14) gets MemFree + Buffers + Cached.
func ParseMeminfo(b []byte) (total, avail uint64, err error) {
	var free, buffers, cached uint64
	var haveTotal, haveAvail bool
	for len(b) > 0 {
		var line []byte
		line, b, _ = bytes.Cut(b, []byte{'\n'})
		name, val, ok := bytes.Cut(line, []byte{':'})
		if !ok {
			continue
		}
		var dst *uint64
		switch string(name) {
		case "MemTotal":
			dst, haveTotal = &total, true
		case "MemAvailable":
			dst, haveAvail = &avail, true
		case "MemFree":
			dst = &free
		case "Buffers":
			dst = &buffers
		case "Cached":
			dst = &cached
		default:
			continue
		}
		f := bytes.Fields(val)
		if len(f) == 0 {
			return 0, 0, fmt.Errorf("/proc/meminfo: %s has no value", name)
		}
		v, err := strconv.ParseUint(string(f[0]), 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("/proc/meminfo: %s: %w", name, err)
		}
		if len(f) > 1 && string(f[1]) == "kB" {
			v *= 1024
		}
		*dst = v
	}
	if !haveTotal {
		return 0, 0, errors.New("/proc/meminfo: no MemTotal")
	}
	if !haveAvail {
		avail = min(free+buffers+cached, total)
	}
	return total, avail, nil
}

// ParseLoadavg returns the three load averages of /proc/loadavg.
func ParseLoadavg(b []byte) ([3]float64, error) {
	var l [3]float64
	f := bytes.Fields(b)
	if len(f) < 3 {
		return l, fmt.Errorf("/proc/loadavg: malformed %q", truncate(b))
	}
	for i := range l {
		v, err := strconv.ParseFloat(string(f[i]), 64)
		if err != nil {
			return l, fmt.Errorf("/proc/loadavg: %w", err)
		}
		l[i] = v
	}
	return l, nil
}
