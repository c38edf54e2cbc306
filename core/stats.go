package core

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"berth/host/cgroupfs"
	"berth/watch"

	"golang.org/x/sys/unix"
)

// Stats is one sample of a container's resource use. Counters (CPU, IO,
// network, OOM kills) are cumulative; rates come from two samples. The
// limits and the network and OOM counters are read in full samples only;
// every field is in the JSON, a limit of 0 meaning none.
type Stats struct {
	ID string `json:"id"`
	// Root is an external container's runtime root, "" for berth's own
	// (see Container.Ref).
	Root string    `json:"root,omitempty"`
	Time time.Time `json:"time"`
	// CPUUsage is total CPU time in nanoseconds.
	CPUUsage uint64 `json:"cpuUsageNs"`
	// CPUQuota is the container's CPU limit in CPUs; 0 means none.
	CPUQuota float64 `json:"cpuQuota"`
	// MemoryUsage is the working set, as docker and cAdvisor show it: the
	// cgroup's usage less its inactive file cache (cgroupfs.ReadMemory).
	MemoryUsage uint64 `json:"memoryUsageBytes"`
	// MemoryCache is the page cache charged to the container, most of it
	// reclaimable: v1 total_cache, v2 file of memory.stat.
	MemoryCache uint64 `json:"memoryCacheBytes"`
	// MemoryLimit is 0 when the container has no limit.
	MemoryLimit uint64 `json:"memoryLimitBytes"`
	PidsCurrent uint64 `json:"pids"`
	PidsLimit   uint64 `json:"pidsLimit"`
	IORead      uint64 `json:"ioReadBytes"`
	IOWrite     uint64 `json:"ioWriteBytes"`
	// NetRx and NetTx are the container's network bytes; 0 when NetHost.
	NetRx uint64 `json:"netRxBytes"`
	NetTx uint64 `json:"netTxBytes"`
	// NetHost says the container shares the host's network namespace
	// (read in full samples): its traffic is the host's, not counted.
	NetHost bool `json:"netHost,omitempty"`
	// OOMKills is the cgroup's oom_kill counter, as Container.OOMKills.
	OOMKills uint64 `json:"oomKills"`
}

// Ref names the container sampled (see Container.Ref).
func (s Stats) Ref() string { return watch.Ref(s.Root, s.ID) }

// CPUPercent is the CPU use between two samples in percent of one CPU
// (top's convention: a container using two full CPUs shows 200).
func CPUPercent(prev, cur Stats) float64 {
	dt := cur.Time.Sub(prev.Time)
	if dt <= 0 || cur.CPUUsage < prev.CPUUsage {
		return 0
	}
	return float64(cur.CPUUsage-prev.CPUUsage) / float64(dt.Nanoseconds()) * 100
}

// readStats samples a container's cgroup files: the six the list shows
// (cpu usage, memory usage, memory.stat and the memory limit, pids, io
// bytes), and with full also the CPU quota, pids limit and network
// counters, or that the container shares the host's network. It reads files only; the
// paths were resolved when the container was listed.
func readStats(c Container, full bool) (Stats, error) {
	s := Stats{ID: c.ID, Root: c.eventRoot(), Time: time.Now()}
	p := c.CgroupPaths
	if len(p) == 0 {
		return s, idError(c.ID, ErrNotRunning, "no cgroup")
	}
	var firstErr error
	note := func(err error) {
		if err != nil && firstErr == nil {
			firstErr = err
		}
	}
	if p.V2() {
		dir := p[""]
		note(cgroupfs.ReadFile(filepath.Join(dir, "cpu.stat"), func(b []byte) error {
			v, _ := cgroupfs.KeyValue(b, "usage_usec")
			s.CPUUsage = v * 1000
			return nil
		}))
		var err error
		s.MemoryUsage, s.MemoryCache, err = readMemory(p)
		note(err)
		s.MemoryLimit, err = cgroupfs.MemoryLimit(p)
		note(err)
		s.PidsCurrent, _, err = cgroupfs.ReadUint(filepath.Join(dir, "pids.current"))
		note(err)
		note(cgroupfs.ReadFile(filepath.Join(dir, "io.stat"), func(b []byte) error {
			s.IORead, s.IOWrite = parseIOStatV2(b)
			return nil
		}))
	} else {
		var err error
		s.CPUUsage, _, err = cgroupfs.ReadUint(p.File("cpuacct", "cpuacct.usage"))
		note(err)
		s.MemoryUsage, s.MemoryCache, err = readMemory(p)
		note(err)
		s.MemoryLimit, err = cgroupfs.MemoryLimit(p)
		note(err)
		s.PidsCurrent, _, err = cgroupfs.ReadUint(p.File("pids", "pids.current"))
		note(err)
		note(cgroupfs.ReadFile(p.File("blkio", "blkio.throttle.io_service_bytes"), func(b []byte) error {
			s.IORead, s.IOWrite = parseBlkioV1(b)
			return nil
		}))
	}
	if full {
		s.CPUQuota = readCPUQuota(p)
		s.PidsLimit, _, _ = cgroupfs.ReadUint(p.File("pids", "pids.max"))
		s.OOMKills, _ = cgroupfs.OOMKillCount(p)
		if c.Pid > 0 {
			if s.NetHost = netHost(c.Pid); !s.NetHost {
				s.NetRx, s.NetTx = readNetDev(c.Pid)
			}
		}
	}
	if firstErr != nil {
		return s, fmt.Errorf("%s: %w", c.ID, firstErr)
	}
	return s, nil
}

// readMemory is the working set and the page cache, from the usage and
// one read of memory.stat.
func readMemory(p cgroupfs.Paths) (workingSet, cache uint64, err error) {
	m, err := cgroupfs.ReadMemory(p)
	return m.WorkingSet, m.Cache, err
}

// parseBlkioV1 sums Read and Write bytes over devices.
func parseBlkioV1(b []byte) (r, w uint64) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 3 {
			continue
		}
		v, _ := strconv.ParseUint(f[2], 10, 64)
		switch f[1] {
		case "Read":
			r += v
		case "Write":
			w += v
		}
	}
	return r, w
}

// parseIOStatV2 sums rbytes and wbytes over devices of an io.stat.
func parseIOStatV2(b []byte) (r, w uint64) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		for _, kv := range strings.Fields(sc.Text()) {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				continue
			}
			n, _ := strconv.ParseUint(v, 10, 64)
			switch k {
			case "rbytes":
				r += n
			case "wbytes":
				w += n
			}
		}
	}
	return r, w
}

// readCPUQuota returns the CPU limit in CPUs, 0 when unlimited.
func readCPUQuota(p cgroupfs.Paths) float64 {
	if p.V2() {
		var q float64
		cgroupfs.ReadFile(filepath.Join(p[""], "cpu.max"), func(b []byte) error {
			f := strings.Fields(string(b))
			if len(f) == 2 && f[0] != "max" {
				quota, _ := strconv.ParseFloat(f[0], 64)
				period, _ := strconv.ParseFloat(f[1], 64)
				if period > 0 {
					q = quota / period
				}
			}
			return nil
		})
		return q
	}
	quota, _, err := cgroupfs.ReadUint(p.File("cpu", "cpu.cfs_quota_us"))
	if err != nil {
		// "-1" does not parse as unsigned: no quota.
		return 0
	}
	period, _, err := cgroupfs.ReadUint(p.File("cpu", "cpu.cfs_period_us"))
	if err != nil || period == 0 {
		return 0
	}
	return float64(quota) / float64(period)
}

// nsID identifies a namespace: the device and inode of its /proc/PID/ns
// link's target.
type nsID struct{ dev, ino uint64 }

// netNS is the network namespace of pid ("self" for berth's own).
func netNS(pid string) (nsID, bool) {
	var st unix.Stat_t
	if err := unix.Stat("/proc/"+pid+"/ns/net", &st); err != nil {
		return nsID{}, false
	}
	return nsID{uint64(st.Dev), st.Ino}, true
}

// hostNetNS is the host's network namespace, read once: init's, or
// berth's own where init's cannot be read (without root, or from inside
// a container's pid namespace the two are the same). A variable so tests
// can put the host elsewhere.
var hostNetNS = sync.OnceValues(func() (nsID, bool) {
	if id, ok := netNS("1"); ok {
		return id, true
	}
	return netNS("self")
})

// netHost reports whether pid is in the host's network namespace: one
// stat per call, the host's side being cached.
func netHost(pid int) bool {
	host, ok := hostNetNS()
	if !ok {
		return false
	}
	id, ok := netNS(strconv.Itoa(pid))
	return ok && id == host
}

// readNetDev sums receive and transmit bytes of every interface but
// loopback in the network namespace of pid.
func readNetDev(pid int) (rx, tx uint64) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/net/dev")
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		name, rest, ok := strings.Cut(line, ":")
		if !ok || strings.TrimSpace(name) == "lo" {
			continue
		}
		f := strings.Fields(rest)
		if len(f) < 9 {
			continue
		}
		r, _ := strconv.ParseUint(f[0], 10, 64)
		t, _ := strconv.ParseUint(f[8], 10, 64)
		rx += r
		tx += t
	}
	return rx, tx
}

// StatsTargets resolves the containers to sample: the given ids, or every
// running container when ids is empty. Resolve once and sample many times:
// the cgroup paths come with the containers.
func (m *Manager) StatsTargets(ctx context.Context, ids []string) ([]Container, error) {
	var cs []Container
	if len(ids) == 0 {
		all, err := m.List(ctx)
		if err != nil {
			return nil, err
		}
		for _, c := range all {
			if c.Running() {
				cs = append(cs, c)
			}
		}
		return cs, nil
	}
	for _, id := range ids {
		c, err := m.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		if !c.Running() {
			return nil, idError(id, ErrNotRunning, "container is %s", c.Status)
		}
		cs = append(cs, c)
	}
	return cs, nil
}

// SampleStats reads every container's stats; those whose cgroup is gone
// are left out and reported by stale.
func SampleStats(cs []Container, full bool) (out []Stats, stale bool) {
	out = make([]Stats, 0, len(cs))
	for _, c := range cs {
		s, err := readStats(c, full)
		if err != nil {
			stale = true
			continue
		}
		out = append(out, s)
	}
	return out, stale
}

// Stats samples the given containers (all running ones when ids is empty).
func (m *Manager) Stats(ctx context.Context, ids []string, full bool) ([]Stats, error) {
	cs, err := m.StatsTargets(ctx, ids)
	if err != nil {
		return nil, err
	}
	out, stale := SampleStats(cs, full)
	if stale && len(ids) > 0 {
		return nil, idError(strings.Join(ids, ","), ErrNotRunning, "a container stopped while sampled")
	}
	return out, nil
}

// Sample is SampleStats as a method, so a UI can take sampling through an
// interface (and a fake in its tests).
func (m *Manager) Sample(cs []Container, full bool) ([]Stats, bool) { return SampleStats(cs, full) }
