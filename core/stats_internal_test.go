package core

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"berth/host/cgroupfs"
	"berth/host/cgroupfs/cgroupfstest"
)

func v2StatFiles() map[string]string {
	return map[string]string{
		"cpu.stat":       "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 0\nnr_throttled 0\nthrottled_usec 0\n",
		"memory.current": "4194304\n",
		"memory.stat":    "anon 1048576\nfile 3145728\nactive_file 1048576\ninactive_file 2097152\n",
		"memory.max":     "max\n",
		"pids.current":   "3\n",
		"io.stat":        "8:0 rbytes=100 wbytes=200 rios=1 wios=2\n8:16 rbytes=1 wbytes=2\n",
		"cpu.max":        "50000 100000\n",
		"pids.max":       "100\n",
	}
}

func v1StatFiles() map[string]string {
	return map[string]string{
		"cpuacct/cpuacct.usage":                 "123456789\n",
		"memory/memory.usage_in_bytes":          "8192\n",
		"memory/memory.stat":                    "cache 0\ninactive_file 0\ntotal_cache 6144\ntotal_inactive_file 4096\n",
		"memory/memory.limit_in_bytes":          "9223372036854771712\n",
		"pids/pids.current":                     "2\n",
		"pids/pids.max":                         "max\n",
		"blkio/blkio.throttle.io_service_bytes": "8:0 Read 10\n8:0 Write 20\n8:0 Total 30\nTotal 30\n",
		"cpu/cpu.cfs_quota_us":                  "-1\n",
		"cpu/cpu.cfs_period_us":                 "100000\n",
	}
}

func v1Paths(root string) cgroupfs.Paths {
	p := cgroupfs.Paths{}
	for _, ctl := range []string{"cpuacct", "memory", "pids", "blkio", "cpu", "freezer"} {
		p[ctl] = filepath.Join(root, ctl)
	}
	return p
}

// statsTestCase describes a fixture and the fields readStats must fill.
type statsTestCase struct {
	name    string
	v1      bool
	full    bool
	change  map[string]string // files added or replaced in the fixture
	remove  []string          // files removed from the fixture
	want    Stats             // ID, Time and Full are not compared
	wantErr bool
}

func TestReadStats(t *testing.T) {
	tests := []statsTestCase{
		{
			name: "v2",
			want: Stats{CPUUsage: 1500000, MemoryUsage: 2097152, MemoryCache: 3145728, MemoryLimit: 0, PidsCurrent: 3, IORead: 101, IOWrite: 202},
		},
		{
			name: "v2 full",
			full: true,
			want: Stats{CPUUsage: 1500000, CPUQuota: 0.5, MemoryUsage: 2097152, MemoryCache: 3145728, PidsCurrent: 3, PidsLimit: 100, IORead: 101, IOWrite: 202},
		},
		{
			name:   "v2 full with limits",
			full:   true,
			change: map[string]string{"memory.max": "1073741824\n", "cpu.max": "200000 100000\n"},
			want: Stats{CPUUsage: 1500000, CPUQuota: 2, MemoryUsage: 2097152, MemoryCache: 3145728, MemoryLimit: 1073741824,
				PidsCurrent: 3, PidsLimit: 100, IORead: 101, IOWrite: 202},
		},
		{
			name:   "v2 full without limits",
			full:   true,
			change: map[string]string{"cpu.max": "max 100000\n", "pids.max": "max\n"},
			want:   Stats{CPUUsage: 1500000, MemoryUsage: 2097152, MemoryCache: 3145728, PidsCurrent: 3, IORead: 101, IOWrite: 202},
		},
		{
			name:   "v2 limits not read without full",
			change: map[string]string{"cpu.max": "200000 100000\n"},
			want:   Stats{CPUUsage: 1500000, MemoryUsage: 2097152, MemoryCache: 3145728, PidsCurrent: 3, IORead: 101, IOWrite: 202},
		},
		{
			name:   "v2 malformed cpu.max is no quota",
			full:   true,
			change: map[string]string{"cpu.max": "junk\n"},
			want:   Stats{CPUUsage: 1500000, MemoryUsage: 2097152, MemoryCache: 3145728, PidsCurrent: 3, PidsLimit: 100, IORead: 101, IOWrite: 202},
		},
		{
			name:   "v2 zero period is no quota",
			full:   true,
			change: map[string]string{"cpu.max": "50000 0\n"},
			want:   Stats{CPUUsage: 1500000, MemoryUsage: 2097152, MemoryCache: 3145728, PidsCurrent: 3, PidsLimit: 100, IORead: 101, IOWrite: 202},
		},
		{
			name:   "v2 empty io.stat",
			change: map[string]string{"io.stat": ""},
			want:   Stats{CPUUsage: 1500000, MemoryUsage: 2097152, MemoryCache: 3145728, PidsCurrent: 3},
		},
		{
			name:    "v2 missing memory.current",
			remove:  []string{"memory.current"},
			want:    Stats{CPUUsage: 1500000, PidsCurrent: 3, IORead: 101, IOWrite: 202},
			wantErr: true,
		},
		{
			name:   "v2 without memory.stat the working set is the usage",
			remove: []string{"memory.stat"},
			want:   Stats{CPUUsage: 1500000, MemoryUsage: 4194304, PidsCurrent: 3, IORead: 101, IOWrite: 202},
		},
		{
			name:   "v2 inactive file above usage is no working set",
			change: map[string]string{"memory.stat": "file 8388608\ninactive_file 8388608\n"},
			want:   Stats{CPUUsage: 1500000, MemoryUsage: 0, MemoryCache: 8388608, PidsCurrent: 3, IORead: 101, IOWrite: 202},
		},
		{
			name:    "v2 missing cpu.stat",
			remove:  []string{"cpu.stat"},
			want:    Stats{MemoryUsage: 2097152, MemoryCache: 3145728, PidsCurrent: 3, IORead: 101, IOWrite: 202},
			wantErr: true,
		},
		{
			// io.stat is absent when the io controller is not enabled.
			name:    "v2 missing io.stat",
			remove:  []string{"io.stat"},
			want:    Stats{CPUUsage: 1500000, MemoryUsage: 2097152, MemoryCache: 3145728, PidsCurrent: 3},
			wantErr: true,
		},
		{
			name:    "v2 garbage memory.current",
			change:  map[string]string{"memory.current": "lots\n"},
			want:    Stats{CPUUsage: 1500000, PidsCurrent: 3, IORead: 101, IOWrite: 202},
			wantErr: true,
		},
		{
			name: "v1",
			v1:   true,
			want: Stats{CPUUsage: 123456789, MemoryUsage: 4096, MemoryCache: 6144, MemoryLimit: 0, PidsCurrent: 2, IORead: 10, IOWrite: 20},
		},
		{
			name: "v1 full",
			v1:   true,
			full: true,
			want: Stats{CPUUsage: 123456789, MemoryUsage: 4096, MemoryCache: 6144, PidsCurrent: 2, IORead: 10, IOWrite: 20},
		},
		{
			name: "v1 full with limits",
			v1:   true,
			full: true,
			change: map[string]string{
				"memory/memory.limit_in_bytes": "536870912\n",
				"cpu/cpu.cfs_quota_us":         "150000\n",
				"pids/pids.max":                "64\n",
			},
			want: Stats{CPUUsage: 123456789, CPUQuota: 1.5, MemoryUsage: 4096, MemoryCache: 6144, MemoryLimit: 536870912,
				PidsCurrent: 2, PidsLimit: 64, IORead: 10, IOWrite: 20},
		},
		{
			name: "v1 blkio with several devices",
			v1:   true,
			change: map[string]string{"blkio/blkio.throttle.io_service_bytes": "8:0 Read 10\n8:0 Write 20\n8:0 Sync 25\n8:0 Async 5\n" +
				"8:0 Discard 0\n8:0 Total 30\n8:16 Read 1\n8:16 Write 2\n8:16 Total 3\nTotal 33\n"},
			want: Stats{CPUUsage: 123456789, MemoryUsage: 4096, MemoryCache: 6144, PidsCurrent: 2, IORead: 11, IOWrite: 22},
		},
		{
			name:    "v1 missing memory usage",
			v1:      true,
			remove:  []string{"memory/memory.usage_in_bytes"},
			want:    Stats{CPUUsage: 123456789, PidsCurrent: 2, IORead: 10, IOWrite: 20},
			wantErr: true,
		},
		{
			name:   "v1 total_inactive_file above usage is no working set",
			v1:     true,
			change: map[string]string{"memory/memory.stat": "total_cache 16384\ntotal_inactive_file 12288\n"},
			want:   Stats{CPUUsage: 123456789, MemoryUsage: 0, MemoryCache: 16384, PidsCurrent: 2, IORead: 10, IOWrite: 20},
		},
		{
			name:    "v1 missing blkio",
			v1:      true,
			remove:  []string{"blkio/blkio.throttle.io_service_bytes"},
			want:    Stats{CPUUsage: 123456789, MemoryUsage: 4096, MemoryCache: 6144, PidsCurrent: 2},
			wantErr: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			files := v2StatFiles()
			paths := cgroupfs.Paths{"": root}
			if tt.v1 {
				files = v1StatFiles()
				paths = v1Paths(root)
			}
			for k, v := range tt.change {
				files[k] = v
			}
			for _, k := range tt.remove {
				delete(files, k)
			}
			cgroupfstest.WriteFiles(t, root, files)
			before := time.Now()
			got, err := readStats(Container{ID: "x", CgroupPaths: paths}, tt.full)
			if (err != nil) != tt.wantErr {
				t.Fatalf("readStats error = %v, want error %v", err, tt.wantErr)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "x: ") {
				t.Errorf("error %q does not start with the container id", err)
			}
			if got.ID != "x" || got.Time.Before(before) || time.Since(got.Time) > time.Minute {
				t.Errorf("ID, Time = %q, %v", got.ID, got.Time)
			}
			want := tt.want
			want.ID, want.Time = got.ID, got.Time
			if got != want {
				t.Errorf("readStats =\n %+v\nwant\n %+v", got, want)
			}
		})
	}
}

func TestReadStatsNoCgroup(t *testing.T) {
	for _, p := range []cgroupfs.Paths{nil, {}} {
		_, err := readStats(Container{ID: "x", CgroupPaths: p}, false)
		if !errors.Is(err, ErrNotRunning) {
			t.Errorf("readStats(%v) error = %v, want ErrNotRunning", p, err)
		}
	}
}

// TestReadStatsNetwork samples this process's network namespace: the
// counters are whatever they are, the call must just work.
func TestReadStatsNetwork(t *testing.T) {
	root := t.TempDir()
	cgroupfstest.WriteFiles(t, root, v2StatFiles())
	s, err := readStats(Container{ID: "x", Pid: os.Getpid(), CgroupPaths: cgroupfs.Paths{"": root}}, true)
	if err != nil {
		t.Fatalf("readStats: %v", err)
	}
	if s.CPUQuota != 0.5 || s.PidsLimit != 100 {
		t.Errorf("CPUQuota, PidsLimit = %v, %v", s.CPUQuota, s.PidsLimit)
	}
	rx, tx := readNetDev(-1)
	if rx != 0 || tx != 0 {
		t.Errorf("readNetDev(missing pid) = %d, %d", rx, tx)
	}
}

// TestReadStatsLargeIOStat checks that io.stat is summed over all devices
// even when the file is larger than one 4 KiB read.
func TestReadStatsLargeIOStat(t *testing.T) {
	root := t.TempDir()
	files := v2StatFiles()
	var b strings.Builder
	const devices = 100
	for i := 0; i < devices; i++ {
		fmt.Fprintf(&b, "259:%d rbytes=1000 wbytes=2000 rios=10 wios=20 dbytes=0 dios=0\n", i)
	}
	files["io.stat"] = b.String()
	cgroupfstest.WriteFiles(t, root, files)
	s, err := readStats(Container{ID: "x", CgroupPaths: cgroupfs.Paths{"": root}}, false)
	if err != nil {
		t.Fatalf("readStats: %v", err)
	}
	if s.IORead != devices*1000 || s.IOWrite != devices*2000 {
		t.Errorf("io.stat of %d bytes (%d devices): IORead, IOWrite = %d, %d; want %d, %d",
			b.Len(), devices, s.IORead, s.IOWrite, devices*1000, devices*2000)
	}
}

// TestReadStatsV1MissingController checks that a v1 controller absent from
// the paths is not read from a file named like it in the current directory.
func TestReadStatsV1MissingController(t *testing.T) {
	root := t.TempDir()
	cgroupfstest.WriteFiles(t, root, v1StatFiles())
	paths := v1Paths(root)
	delete(paths, "pids")
	cwd := t.TempDir()
	cgroupfstest.WriteFiles(t, cwd, map[string]string{"pids.current": "999\n", "pids.max": "999\n"})
	t.Chdir(cwd)
	s, _ := readStats(Container{ID: "x", CgroupPaths: paths}, true)
	if s.PidsCurrent == 999 || s.PidsLimit == 999 {
		t.Errorf("without a pids controller, PidsCurrent, PidsLimit = %d, %d: read from ./pids.current, ./pids.max in the working directory",
			s.PidsCurrent, s.PidsLimit)
	}
}

func TestCPUPercent(t *testing.T) {
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		prev, cur Stats
		want      float64
	}{
		{"half a CPU", Stats{Time: t0, CPUUsage: 1e9}, Stats{Time: t0.Add(time.Second), CPUUsage: 1.5e9}, 50},
		{"two CPUs", Stats{Time: t0}, Stats{Time: t0.Add(2 * time.Second), CPUUsage: 4e9}, 200},
		{"idle", Stats{Time: t0, CPUUsage: 5}, Stats{Time: t0.Add(time.Second), CPUUsage: 5}, 0},
		{"short interval", Stats{Time: t0}, Stats{Time: t0.Add(100 * time.Millisecond), CPUUsage: 25e6}, 25},
		{"same time", Stats{Time: t0}, Stats{Time: t0, CPUUsage: 1e9}, 0},
		{"time went back", Stats{Time: t0.Add(time.Second)}, Stats{Time: t0, CPUUsage: 1e9}, 0},
		{"counter reset", Stats{Time: t0, CPUUsage: 2e9}, Stats{Time: t0.Add(time.Second), CPUUsage: 1e9}, 0},
		{"zero samples", Stats{}, Stats{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CPUPercent(tt.prev, tt.cur)
			if math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("CPUPercent = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParseIOStatV2(t *testing.T) {
	tests := []struct {
		in   string
		r, w uint64
	}{
		{"8:0 rbytes=100 wbytes=200 rios=1 wios=2\n8:16 rbytes=1 wbytes=2\n", 101, 202},
		{"8:0 rbytes=100 wbytes=200 rios=1 wios=2 dbytes=7 dios=1", 100, 200},
		{"", 0, 0},
		{"\n\n", 0, 0},
		{"8:0\n", 0, 0},
		{"8:0 rbytes= wbytes=\n", 0, 0},
		{"8:0 rbytes=abc wbytes=-5\n", 0, 0},
		{"8:0 = == ===\n", 0, 0},
		{"rbytes=5 wbytes=6\n", 5, 6},
		{"8:0 rbytes=5=6\n", 0, 0},
		{"8:0 RBYTES=5\n", 0, 0},
		{"\x00\xff\x1b[2J rbytes\n", 0, 0},
		{strings.Repeat("x", 70000) + "\n8:0 rbytes=1\n", 0, 0},
	}
	for _, tt := range tests {
		r, w := parseIOStatV2([]byte(tt.in))
		if r != tt.r || w != tt.w {
			t.Errorf("parseIOStatV2(%.40q) = %d, %d; want %d, %d", tt.in, r, w, tt.r, tt.w)
		}
	}
}

func TestParseBlkioV1(t *testing.T) {
	tests := []struct {
		in   string
		r, w uint64
	}{
		{"8:0 Read 10\n8:0 Write 20\n8:0 Total 30\nTotal 30\n", 10, 20},
		{"8:0 Read 10\n8:0 Write 20\n8:16 Read 5\n8:16 Write 6\nTotal 41\n", 15, 26},
		{"Total 0\n", 0, 0},
		{"", 0, 0},
		{"8:0 Read\n", 0, 0},
		{"8:0 Read abc\n8:0 Write -1\n", 0, 0},
		{"8:0 Read 1 2\n", 0, 0},
		{"8:0 read 10\n", 0, 0},
		{"\x00 \xff \x1b\n\n", 0, 0},
		{"a b c\n", 0, 0},
	}
	for _, tt := range tests {
		r, w := parseBlkioV1([]byte(tt.in))
		if r != tt.r || w != tt.w {
			t.Errorf("parseBlkioV1(%.40q) = %d, %d; want %d, %d", tt.in, r, w, tt.r, tt.w)
		}
	}
}

// TestNetHost decides host networking against a fake host namespace: this
// process's own, then one it is not in, then none known.
func TestNetHost(t *testing.T) {
	self, ok := netNS("self")
	if !ok {
		t.Skip("no /proc/self/ns/net")
	}
	saved := hostNetNS
	t.Cleanup(func() { hostNetNS = saved })
	root := t.TempDir()
	cgroupfstest.WriteFiles(t, root, v2StatFiles())
	c := Container{ID: "x", Pid: os.Getpid(), CgroupPaths: cgroupfs.Paths{"": root}}

	hostNetNS = func() (nsID, bool) { return self, true }
	if !netHost(os.Getpid()) {
		t.Error("netHost(self) = false in the host's namespace")
	}
	s, err := readStats(c, true)
	if err != nil || !s.NetHost || s.NetRx != 0 || s.NetTx != 0 {
		t.Errorf("full sample in the host's namespace: NetHost %v, NetRx %d, NetTx %d, err %v; want true, 0, 0",
			s.NetHost, s.NetRx, s.NetTx, err)
	}
	if s, _ := readStats(c, false); s.NetHost {
		t.Error("a sample that is not full has NetHost set")
	}
	if netHost(-1) {
		t.Error("netHost(missing pid) = true")
	}

	hostNetNS = func() (nsID, bool) { return nsID{self.dev, self.ino + 1}, true }
	if netHost(os.Getpid()) {
		t.Error("netHost(self) = true with the host in another namespace")
	}
	if s, _ := readStats(c, true); s.NetHost {
		t.Error("NetHost set for a container in a namespace of its own")
	}

	hostNetNS = func() (nsID, bool) { return nsID{}, false }
	if netHost(os.Getpid()) {
		t.Error("netHost = true with the host's namespace unknown")
	}
}

// TestHostNetNS checks the real host namespace: init's where it can be
// read, and this test process shares it unless it runs in a network
// namespace of its own.
func TestHostNetNS(t *testing.T) {
	host, ok := hostNetNS()
	if !ok {
		t.Skip("neither /proc/1/ns/net nor /proc/self/ns/net can be read")
	}
	if init, ok := netNS("1"); ok && init != host {
		t.Errorf("hostNetNS = %v, init's is %v", host, init)
	}
	self, _ := netNS("self")
	if got := netHost(os.Getpid()); got != (self == host) {
		t.Errorf("netHost(self) = %v; self %v, host %v", got, self, host)
	}
}
