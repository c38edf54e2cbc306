package procfs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// statFixture is /proc/stat of a two-CPU host, cut short after the cpu
// lines' neighbours.
const statFixture = `cpu  163994 10 60372 479872 2084 0 652 141 500 7
cpu0 81041 5 29249 242480 477 0 151 59 250 3
cpu1 82953 5 31123 237392 1606 0 501 82 250 4
intr 8921763 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 1 1 15 0 0 0 0 713 417 0 70 1
ctxt 20661124
btime 1764662400
processes 88211
procs_running 2
procs_blocked 0
softirq 4403351 0 1146049 12 379203 37734 0 5467 1602262 0 1232624
`

const meminfoFixture = `MemTotal:        8129392 kB
MemFree:          812344 kB
MemAvailable:    5020100 kB
Buffers:          301220 kB
Cached:          3810028 kB
SwapCached:            0 kB
Active:          4101228 kB
`

const loadavgFixture = "0.52 0.40 0.31 2/311 88211\n"

func TestParseCPUTimes(t *testing.T) {
	got, cpus, err := ParseCPUTimes([]byte(statFixture))
	if err != nil {
		t.Fatal(err)
	}
	// user nice system idle iowait irq softirq steal; guest not added.
	total := uint64(163994 + 10 + 60372 + 479872 + 2084 + 0 + 652 + 141)
	busy := total - 479872 - 2084
	if got != (CPUTimes{Busy: busy, Total: total}) || cpus != 2 {
		t.Fatalf("got %+v, %d cpus; want busy %d total %d, 2 cpus", got, cpus, busy, total)
	}
	// An old kernel's line has only four fields after "cpu".
	got, cpus, err = ParseCPUTimes([]byte("cpu 10 0 10 80\ncpu0 10 0 10 80\n"))
	if err != nil || got != (CPUTimes{Busy: 20, Total: 100}) || cpus != 1 {
		t.Fatalf("short line: %+v %d %v", got, cpus, err)
	}
	for _, bad := range []string{"", "intr 1 2 3\n", "cpu 1 2\n", "cpu 1 x 3 4 5\n", "cpu0 1 2 3 4 5\n"} {
		if _, _, err := ParseCPUTimes([]byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestCPUPercent(t *testing.T) {
	tests := []struct {
		prev, cur CPUTimes
		want      float64
		ok        bool
	}{
		{CPUTimes{100, 1000}, CPUTimes{150, 1200}, 25, true},
		{CPUTimes{100, 1000}, CPUTimes{300, 1200}, 100, true},
		{CPUTimes{100, 1000}, CPUTimes{100, 1000}, 0, false}, // no time passed
		{CPUTimes{100, 1000}, CPUTimes{90, 900}, 0, false},   // went backwards
		{CPUTimes{}, CPUTimes{50, 100}, 50, true},
	}
	for _, tt := range tests {
		got, ok := CPUPercent(tt.prev, tt.cur)
		if got != tt.want || ok != tt.ok {
			t.Errorf("CPUPercent(%v, %v) = %v, %v; want %v, %v", tt.prev, tt.cur, got, ok, tt.want, tt.ok)
		}
	}
}

func TestParseMeminfo(t *testing.T) {
	total, avail, err := ParseMeminfo([]byte(meminfoFixture))
	if err != nil || total != 8129392*1024 || avail != 5020100*1024 {
		t.Fatalf("got %d %d %v", total, avail, err)
	}
	h := Host{MemTotal: total, MemAvailable: avail}
	if h.MemUsed() != (8129392-5020100)*1024 {
		t.Fatalf("used %d", h.MemUsed())
	}
	// Before MemAvailable (kernel 3.14): free + buffers + cached.
	old := strings.Replace(meminfoFixture, "MemAvailable:    5020100 kB\n", "", 1)
	_, avail, err = ParseMeminfo([]byte(old))
	if err != nil || avail != (812344+301220+3810028)*1024 {
		t.Fatalf("old kernel: %d %v", avail, err)
	}
	for _, bad := range []string{"", "MemFree: 1 kB\n", "MemTotal: x kB\n", "MemTotal:\n"} {
		if _, _, err := ParseMeminfo([]byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestParseLoadavg(t *testing.T) {
	got, err := ParseLoadavg([]byte(loadavgFixture))
	if err != nil || got != [3]float64{0.52, 0.40, 0.31} {
		t.Fatalf("got %v %v", got, err)
	}
	for _, bad := range []string{"", "0.1 0.2\n", "0.1 x 0.3 1/2 3\n"} {
		if _, err := ParseLoadavg([]byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestReadHost(t *testing.T) {
	dir := t.TempDir()
	for name, text := range map[string]string{"stat": statFixture, "meminfo": meminfoFixture, "loadavg": loadavgFixture} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	h, err := ReadHost(dir)
	if err != nil {
		t.Fatal(err)
	}
	if h.CPUs != 2 || h.MemTotal != 8129392*1024 || h.Load[0] != 0.52 {
		t.Fatalf("got %+v", h)
	}
	// A /proc/stat longer than the first buffer is read whole.
	long := statFixture + strings.Repeat("x", 20000) + "\n"
	if err := os.WriteFile(filepath.Join(dir, "stat"), []byte(long), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadHost(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "loadavg")); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadHost(dir); err == nil {
		t.Fatal("no error without loadavg")
	}
}

// The host itself parses: the real files have what the fixtures have.
func TestReadHostLive(t *testing.T) {
	if _, err := os.Stat("/proc/loadavg"); err != nil {
		t.Skip("no /proc")
	}
	h, err := ReadHost("/proc")
	if err != nil {
		t.Fatal(err)
	}
	if h.CPUs < 1 || h.MemTotal == 0 || h.CPU.Total == 0 || h.MemUsed() > h.MemTotal {
		t.Fatalf("implausible %+v", h)
	}
}

// BenchmarkReadHost is the header's read each refresh tick, beside one
// cgroup file's read as the list's stats make it per container
// (BenchmarkReadCgroupFile), for the ratio.
func BenchmarkReadHost(b *testing.B) {
	for b.Loop() {
		if _, err := ReadHost("/proc"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadCgroupFile(b *testing.B) {
	path := ""
	for _, p := range []string{"/sys/fs/cgroup/memory/memory.usage_in_bytes", "/sys/fs/cgroup/memory.current", "/sys/fs/cgroup/cpu.stat"} {
		if _, err := os.Stat(p); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		b.Skip("no cgroup file")
	}
	for b.Loop() {
		if _, err := os.ReadFile(path); err != nil {
			b.Fatal(err)
		}
	}
}
