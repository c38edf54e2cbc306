package core

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"berth/host/cgroupfs"
	"berth/host/procfs"

	"golang.org/x/sys/unix"
)

// Process is one process of a container, as the processes tab and
// `berth top` show it.
type Process struct {
	HostPid      int `json:"hostPid"`
	ContainerPid int `json:"containerPid"`
	PPid         int `json:"ppid"`
	// UID is the process's real uid as the container sees it (mapped back
	// through its user namespace); HostUID as the host does.
	UID     int `json:"uid"`
	HostUID int `json:"hostUid"`
	// User is UID's name in the container's /etc/passwd ("" when it has
	// none). Raw: it must be escaped before display.
	User  string `json:"user,omitempty"`
	State string `json:"state"`
	// CPUTime is user+system time in nanoseconds; CPUPercent is filled by
	// callers that have two samples (or as an average since start).
	CPUTime    uint64  `json:"cpuTimeNs"`
	CPUPercent float64 `json:"cpuPercent"`
	RSS        uint64  `json:"rssBytes"`
	Threads    int     `json:"threads"`
	StartTime  uint64  `json:"-"`
	Command    string  `json:"command"`
}

// Processes lists a running container's processes from its cgroup. The
// list is a snapshot: processes may come and go while it is read, and those
// that vanish are left out.
func (m *Manager) Processes(ctx context.Context, id string) ([]Process, error) {
	c, err := m.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if !c.Running() {
		return nil, idError(id, ErrNotRunning, "container is %s", c.Status)
	}
	pids, err := cgroupPids(c.CgroupPaths)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", id, err)
	}
	out := make([]Process, 0, len(pids))
	uids := map[int]bool{}
	for _, pid := range pids {
		if p, ok := readProcess(pid); ok {
			uids[p.UID] = true
			out = append(out, p)
		}
	}
	users := userNames(procfs.Ident{Pid: c.Pid, Start: c.InitStart}, uids)
	for i := range out {
		out[i].User = users[out[i].UID]
	}
	sort.Slice(out, func(i, j int) bool { return out[i].HostPid < out[j].HostPid })
	return out, nil
}

// cgroupPids reads every process in the container's cgroup.
func cgroupPids(p cgroupfs.Paths) ([]int, error) {
	dir := p.Dir("pids")
	if dir == "" {
		dir = p.Dir("memory")
	}
	if dir == "" {
		return nil, fmt.Errorf("no cgroup to read processes from")
	}
	b, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, f := range strings.Fields(string(b)) {
		if pid, err := strconv.Atoi(f); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// clockTick is USER_HZ, 100 on every Linux berth runs on.
const clockTick = 100

func readProcess(pid int) (Process, bool) {
	st, err := procfs.ReadStat(pid)
	if err != nil {
		return Process{}, false
	}
	p := Process{
		HostPid: pid, ContainerPid: pid, PPid: st.PPid, State: string(st.State),
		CPUTime: (st.UTime + st.STime) * (1e9 / clockTick), Threads: st.Threads,
		StartTime: st.StartTime, RSS: st.RSS(), Command: procfs.Command(pid, st.Comm, 0),
	}
	base := "/proc/" + strconv.Itoa(pid)
	if b, err := os.ReadFile(base + "/status"); err == nil {
		if v := procfs.StatusField(b, "NSpid"); v != "" {
			f := strings.Fields(v)
			if n, err := strconv.Atoi(f[len(f)-1]); err == nil {
				p.ContainerPid = n
			}
		}
		if v := procfs.StatusField(b, "Uid"); v != "" {
			if n, err := strconv.Atoi(strings.Fields(v)[0]); err == nil {
				p.HostUID = n
				p.UID = n
			}
		}
	}
	if b, err := os.ReadFile(base + "/uid_map"); err == nil {
		p.UID = mapToContainer(b, p.HostUID)
	}
	return p, true
}

// mapToContainer maps a host id to the id a user namespace sees, from a
// uid_map ("inside outside count" lines); unmapped ids are the overflow id.
func mapToContainer(uidMap []byte, host int) int {
	for _, line := range strings.Split(string(uidMap), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		in, _ := strconv.Atoi(f[0])
		out, _ := strconv.Atoi(f[1])
		n, _ := strconv.Atoi(f[2])
		if host >= out && host < out+n {
			return in + host - out
		}
	}
	return 65534
}

// FillCPUPercent sets CPUPercent in cur from the CPU time each process used
// since prev, interval apart; a process is matched by pid and start time.
func FillCPUPercent(prev, cur []Process, interval time.Duration) {
	if interval <= 0 {
		return
	}
	type key struct {
		pid   int
		start uint64
	}
	before := make(map[key]uint64, len(prev))
	for _, p := range prev {
		before[key{p.HostPid, p.StartTime}] = p.CPUTime
	}
	for i := range cur {
		if t, ok := before[key{cur[i].HostPid, cur[i].StartTime}]; ok && cur[i].CPUTime >= t {
			cur[i].CPUPercent = float64(cur[i].CPUTime-t) / float64(interval.Nanoseconds()) * 100
		}
	}
}

// maxPasswd bounds how much of a container's /etc/passwd is read.
const maxPasswd = 1 << 20

// userNames maps the uids in want to names from the container's
// /etc/passwd. The file is found with every symlink resolved inside
// init's root (never the host's) and without crossing a mount (no /proc,
// /sys or FUSE below /etc), as a path only; it is opened for reading only
// once known to be a regular file of sane size, so a device node or FIFO
// planted there is never opened by berth. Any failure is no names.
func userNames(init procfs.Ident, want map[int]bool) map[int]string {
	if init.Pid <= 0 || len(want) == 0 {
		return nil
	}
	root, err := unix.Open("/proc/"+strconv.Itoa(init.Pid)+"/root", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	defer unix.Close(root)
	if !init.Alive() {
		return nil // the pid was reused: that root is another process's
	}
	path, err := unix.Openat2(root, "etc/passwd", &unix.OpenHow{
		Flags:   unix.O_PATH | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS | unix.RESOLVE_NO_XDEV,
	})
	if err != nil {
		return nil
	}
	defer unix.Close(path)
	var st unix.Stat_t
	if err := unix.Fstat(path, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG || st.Size <= 0 || st.Size > maxPasswd {
		return nil
	}
	fd, err := unix.Open("/proc/self/fd/"+strconv.Itoa(path), unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NONBLOCK|unix.O_NOCTTY, 0)
	if err != nil {
		return nil
	}
	f := os.NewFile(uintptr(fd), "passwd")
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxPasswd))
	if err != nil {
		return nil
	}
	return parsePasswd(b, want)
}

// parsePasswd reads "name:password:uid:..." lines for the uids in want;
// the first name for a uid wins, as getpwuid's does.
func parsePasswd(b []byte, want map[int]bool) map[int]string {
	names := map[int]string{}
	for len(b) > 0 && len(names) < len(want) {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		name, rest, ok := bytes.Cut(line, []byte{':'})
		if !ok || len(name) == 0 || name[0] == '#' {
			continue
		}
		_, rest, ok = bytes.Cut(rest, []byte{':'})
		uidField, _, ok2 := bytes.Cut(rest, []byte{':'})
		if !ok || !ok2 {
			continue
		}
		uid, err := strconv.Atoi(string(uidField))
		if err != nil || !want[uid] {
			continue
		}
		if _, seen := names[uid]; !seen {
			names[uid] = string(name)
		}
	}
	return names
}

// SignalProcess sends sig to one process of a running container, named by
// its host pid and start time (as Processes listed it): a process that has
// left the container's cgroup, or a pid reused since, is never signalled.
func (m *Manager) SignalProcess(ctx context.Context, id string, pid int, start uint64, sig unix.Signal) error {
	c, err := m.Get(ctx, id)
	if err != nil {
		return err
	}
	if !c.Running() {
		return idError(id, ErrNotRunning, "container is %s", c.Status)
	}
	if c.Status == StatusPaused {
		return idError(id, ErrPaused, "cannot signal process %d: the container is paused (resume it first)", pid)
	}
	pids, err := cgroupPids(c.CgroupPaths)
	if err != nil {
		return fmt.Errorf("%s: %w", id, err)
	}
	if !slices.Contains(pids, pid) {
		return idError(id, ErrNotFound, "process %d is not in the container", pid)
	}
	if err := signalProcess(procfs.Ident{Pid: pid, Start: start}, sig); err != nil {
		if errors.Is(err, procfs.ErrGone) {
			return idError(id, ErrNotFound, "process %d has exited", pid)
		}
		return fmt.Errorf("%s: signal process %d: %w", id, pid, err)
	}
	return nil
}
