package watch

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"berth/host/cgroupfs"
	"berth/host/procfs"
)

// Forensics is what a container's memory looked like when the OOM killer
// woke: taken at the wake-up, while the victim still exists.
type Forensics struct {
	LimitBytes uint64       `json:"limitBytes"`
	UsageBytes uint64       `json:"usageBytes"`
	Stat       []StatEntry  `json:"stat,omitempty"`
	Processes  []ProcessMem `json:"processes,omitempty"`
	// LikelyVictim is the process with the highest oom_score at the
	// wake-up (the one the kernel picks), kept only if it was dying once
	// the kill was counted; 0 when unknown (the victim was gone before
	// the snapshot).
	LikelyVictim int `json:"likelyVictim,omitempty"`
	// Error says what could not be taken, when something could not.
	Error string `json:"error,omitempty"`
}

// StatEntry is one memory.stat line, in bytes.
type StatEntry struct {
	Name  string `json:"name"`
	Bytes uint64 `json:"bytes"`
}

// ProcessMem is one process ranked by resident memory.
type ProcessMem struct {
	Pid      int    `json:"pid"`
	Command  string `json:"command"`
	RSSBytes uint64 `json:"rssBytes"`
}

// topN is how many memory.stat entries and processes a snapshot keeps.
const topN = 5

// Snapshot reads the memory cgroup's limit, usage, largest memory.stat
// entries and its processes by RSS. It is best effort: whatever fails is
// named in Error and the rest is still filled.
func Snapshot(p cgroupfs.Paths) *Forensics {
	f := &Forensics{}
	var errs []string
	note := func(err error) {
		if err != nil {
			errs = append(errs, err.Error())
		}
	}
	var err error
	f.LimitBytes, err = cgroupfs.MemoryLimit(p)
	note(err)
	f.UsageBytes, err = cgroupfs.MemoryUsage(p)
	note(err)
	note(cgroupfs.ReadFile(p.File("memory", "memory.stat"), func(b []byte) error {
		f.Stat = largestStats(b)
		return nil
	}))
	procs, err := os.ReadFile(filepath.Join(p.Dir("memory"), "cgroup.procs"))
	note(err)
	bestScore := -1
	for _, field := range strings.Fields(string(procs)) {
		pid, err := strconv.Atoi(field)
		if err != nil {
			continue
		}
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/oom_score", pid)); err == nil {
			if score, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && score > bestScore {
				bestScore, f.LikelyVictim = score, pid
			}
		}
		st, err := procfs.ReadStat(pid)
		if err != nil || st.RSSPages <= 0 {
			continue
		}
		f.Processes = append(f.Processes, ProcessMem{Pid: pid, Command: procfs.Command(pid, st.Comm, 256), RSSBytes: st.RSS()})
	}
	sort.Slice(f.Processes, func(i, j int) bool { return f.Processes[i].RSSBytes > f.Processes[j].RSSBytes })
	if len(f.Processes) > topN {
		f.Processes = f.Processes[:topN]
	}
	if len(errs) > 0 {
		f.Error = "snapshot incomplete: " + strings.Join(errs, "; ")
	}
	return f
}

// largestStats returns the largest byte-valued entries of memory.stat,
// leaving out event counters (pg*, workingset_*, thp_*) and the hierarchy
// totals that repeat the local values on v1.
func largestStats(b []byte) []StatEntry {
	var out []StatEntry
	for _, line := range strings.Split(string(b), "\n") {
		name, val, ok := strings.Cut(line, " ")
		if !ok || strings.HasPrefix(name, "total_") || strings.HasPrefix(name, "hierarchical_") ||
			strings.HasPrefix(name, "pg") || strings.HasPrefix(name, "workingset_") || strings.HasPrefix(name, "thp_") ||
			strings.HasSuffix(name, "_limit") || name == "swappiness" || name == "use_hierarchy" {
			continue
		}
		n, err := strconv.ParseUint(strings.TrimSpace(val), 10, 64)
		if err != nil || n == 0 {
			continue
		}
		out = append(out, StatEntry{Name: name, Bytes: n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Bytes > out[j].Bytes })
	if len(out) > topN {
		out = out[:topN]
	}
	return out
}

// ConfirmVictim runs once the kernel has counted the kill: a likely
// victim that is neither gone, a zombie, nor holding a pending SIGKILL was
// not the one killed (the real victim had already gone when the snapshot
// was taken), so it is forgotten rather than blamed.
//
// The kernel raises the counter before it sends the SIGKILL, so a victim
// not yet dying is looked at again, every millisecond, for a moment.
func (f *Forensics) ConfirmVictim() {
	if f == nil || f.LikelyVictim == 0 {
		return
	}
	deadline := time.Now().Add(victimWait)
	for !dying(f.LikelyVictim) {
		if time.Now().After(deadline) {
			f.LikelyVictim = 0
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// victimWait bounds how long ConfirmVictim waits for the kernel's SIGKILL.
const victimWait = 20 * time.Millisecond

// sigkillBit is SIGKILL's bit in /proc/PID/status's pending-signal masks.
const sigkillBit = 1 << (9 - 1)

// dying reports whether pid is gone, a zombie, or has SIGKILL pending.
func dying(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return true
	}
	if st := procfs.StatusField(b, "State"); strings.HasPrefix(st, "Z") || strings.HasPrefix(st, "X") {
		return true
	}
	for _, pending := range []string{"SigPnd", "ShdPnd"} {
		if mask, err := strconv.ParseUint(procfs.StatusField(b, pending), 16, 64); err == nil && mask&sigkillBit != 0 {
			return true
		}
	}
	return false
}
