package watch

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"berth/host/cgroupfs"
	"berth/host/procfs"

	"golang.org/x/sys/unix"
)

// Forensics is what a container's memory looked like when the OOM killer
// woke: taken at the wake-up, while the victim still exists, or, for a
// kill seen only after it landed, as soon as it was seen (Late).
type Forensics struct {
	LimitBytes uint64 `json:"limitBytes"`
	UsageBytes uint64 `json:"usageBytes"`
	// PeakBytes is the most the cgroup has used in its life (0: the
	// kernel does not say): about the limit at a kill, and still that
	// once the victim's memory is freed.
	PeakBytes uint64       `json:"peakBytes,omitempty"`
	Stat      []StatEntry  `json:"stat,omitempty"`
	Processes []ProcessMem `json:"processes,omitempty"`
	// LikelyVictim is the process with the highest oom_score at the
	// wake-up (the one the kernel picks), kept only if it was dying once
	// the kill was counted; 0 when unknown (the victim was gone before
	// the snapshot).
	LikelyVictim int `json:"likelyVictim,omitempty"`
	// Late says the snapshot was taken after the kill, not at its
	// wake-up (LateSnapshot): the usage and processes are what was left,
	// the peak what was reached, and no victim is named.
	Late bool `json:"late,omitempty"`
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
	f, victim := snapshot(p)
	if victim >= 0 {
		unix.Close(victim)
	}
	return f
}

// LateSnapshot is Snapshot for a kill seen only after it landed: the
// kernel told of it once the container's init had exited (cgroup v2
// notifies a memory.events change at most every 20 ms, and the limit's
// hits before a kill use that up), or it landed before the watch was
// armed. The cgroup still tells its limit, peak and stat; its processes
// are the survivors, the likeliest of which is no victim.
func LateSnapshot(p cgroupfs.Paths) *Forensics {
	f := Snapshot(p)
	f.Late, f.LikelyVictim = true, 0
	return f
}

// snapshot is Snapshot, also returning the likely victim's /proc
// directory, held open (-1: none) for the wait for its death. Each
// process's directory is walked to once and its files opened from it:
// under OOM churn a path walk to a /proc/PID being killed cost a
// millisecond, several times a kill.
func snapshot(p cgroupfs.Paths) (f *Forensics, victim int) {
	f, victim = &Forensics{}, -1
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
	if f.PeakBytes, err = cgroupfs.MemoryPeak(p); !errors.Is(err, os.ErrNotExist) {
		note(err)
	}
	note(cgroupfs.ReadFile(p.File("memory", "memory.stat"), func(b []byte) error {
		f.Stat = largestStats(b)
		return nil
	}))
	procs, err := os.ReadFile(filepath.Join(p.Dir("memory"), "cgroup.procs"))
	note(err)
	bestScore := -1
	buf := make([]byte, 4096)
	for _, field := range strings.Fields(string(procs)) {
		pid, err := strconv.Atoi(field)
		if err != nil {
			continue
		}
		dir, err := unix.Open("/proc/"+field, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			continue // gone
		}
		if b, err := readAt(dir, "oom_score", buf); err == nil {
			if score, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && score > bestScore {
				bestScore, f.LikelyVictim = score, pid
				if victim >= 0 {
					unix.Close(victim)
				}
				victim = dir // held for the wait for its death
			}
		}
		if b, err := readAt(dir, "stat", buf); err == nil {
			if st, err := procfs.ParseStat(b); err == nil && st.RSSPages > 0 {
				f.Processes = append(f.Processes, ProcessMem{Pid: pid, Command: commandAt(dir, st.Comm, buf), RSSBytes: st.RSS()})
			}
		}
		if dir != victim {
			unix.Close(dir)
		}
	}
	sort.Slice(f.Processes, func(i, j int) bool { return f.Processes[i].RSSBytes > f.Processes[j].RSSBytes })
	if len(f.Processes) > topN {
		f.Processes = f.Processes[:topN]
	}
	if len(errs) > 0 {
		f.Error = "snapshot incomplete: " + strings.Join(errs, "; ")
	}
	return f, victim
}

// readAt reads the file name of the /proc/PID directory dir into buf
// (a file of /proc larger than buf is cut short).
func readAt(dir int, name string, buf []byte) ([]byte, error) {
	fd, err := unix.Openat(dir, name, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	n := 0
	for n < len(buf) {
		m, err := unix.Read(fd, buf[n:])
		if err != nil {
			return nil, err
		}
		if m == 0 {
			break
		}
		n += m
	}
	return buf[:n], nil
}

// commandAt is procfs.Command for the /proc/PID directory dir.
func commandAt(dir int, comm string, buf []byte) string {
	b, err := readAt(dir, "cmdline", buf)
	if err != nil || len(b) == 0 {
		return comm
	}
	b = bytes.TrimRight(bytes.ReplaceAll(b, []byte{0}, []byte{' '}), " ")
	return string(b[:min(len(b), 256)])
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
// victim that is neither gone, a zombie, exiting, nor holding a pending
// SIGKILL was not the one killed (the real victim had already gone when
// the snapshot was taken), so it is forgotten rather than blamed.
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
// The kernel sends it right after it counts the kill, in the same call
// (the report it prints comes before both): a likely victim not dying a
// moment after the count is another process, and the kill is reported
// without it. It was 20 ms while an exiting victim read as not dying.
const victimWait = 2 * time.Millisecond

// sigkillBit is SIGKILL's bit in /proc/PID/stat's pending signals.
const sigkillBit = 1 << (9 - 1)

// pfExiting is PF_EXITING in /proc/PID/stat's flags: set as a process
// begins to exit, once it has taken its SIGKILL off the pending set.
const pfExiting = 0x4

// dying reports whether pid is gone, a zombie, exiting, or has SIGKILL
// pending.
func dying(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	return dyingStat(b)
}

// dyingAt is dying for a process's /proc directory held open.
func dyingAt(dir int) bool {
	b, err := readAt(dir, "stat", make([]byte, 1024))
	if err != nil {
		return true // gone (ESRCH), or unreadable as it went
	}
	return dyingStat(b)
}

// dyingStat reads a /proc/PID/stat for a process on its way out: a
// zombie, one exiting, or one with SIGKILL pending. A killed process
// soon takes the signal and starts to exit, freeing its memory for a
// while before it is a zombie: looked at for a pending SIGKILL alone (as
// /proc/PID/status was read before), an OOM victim was then "not dying",
// and its kill waited for its exit or victimWait.
func dyingStat(b []byte) bool {
	st, err := procfs.ParseStat(b)
	if err != nil {
		return false
	}
	return st.State == 'Z' || st.State == 'X' || st.Flags&pfExiting != 0 || st.Pending&sigkillBit != 0
}
