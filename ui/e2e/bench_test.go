package e2e_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"berth/core"
	"berth/core/coretest"
)

// cpuTicks is a process's user+system time in clock ticks (1/100 s).
func cpuTicks(b testing.TB, pid int) uint64 {
	st, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		b.Fatal(err)
	}
	f := strings.Fields(string(st[strings.LastIndexByte(string(st), ')')+2:]))
	u, _ := strconv.ParseUint(f[11], 10, 64)
	s, _ := strconv.ParseUint(f[12], 10, 64)
	return u + s
}

// rssKiB is a process's resident set.
func rssKiB(b testing.TB, pid int) uint64 {
	st, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		b.Fatal(err)
	}
	for _, l := range strings.Split(string(st), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			n, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

func envDuration(name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(name)); err == nil {
		return d
	}
	return def
}

// BenchmarkUIIdleCPU: berth's own CPU while it shows 100 real idle
// containers at the default 1 s refresh (BERTH_BENCH_IDLE, default 60 s),
// beside the cost of the raw cgroup-file reads for the rows on screen
// measured in the same run (the floor any live view pays).
func BenchmarkUIIdleCPU(b *testing.B) {
	env := coretest.NewEnv(b, fixture, nil)
	ctx := context.Background()
	for i := range 100 {
		env.Run(fmt.Sprintf("idle-%03d", i), []string{"sleep", "1000000"}, nil)
	}
	tm := startTerm(b, 160, 48, berth(env)...)
	tm.waitText(60*time.Second, "idle-000", "100 containers")
	time.Sleep(3 * time.Second) // the first list and samples settle
	pid := tm.pid()
	d := envDuration("BERTH_BENCH_IDLE", time.Minute)
	b.ResetTimer()
	for range b.N {
		t0, c0 := time.Now(), cpuTicks(b, pid)
		time.Sleep(d)
		cpu := float64(cpuTicks(b, pid)-c0) * 10 / float64(time.Since(t0).Milliseconds()) * 100
		b.ReportMetric(cpu, "%cpu")
	}
	b.StopTimer()
	// The raw read: the five files of the rows on screen (45 at 160x48),
	// once a second, as berth's sample does.
	cs, err := env.M.StatsTargets(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	cs = cs[:min(45, len(cs))]
	const sweeps = 200
	t0 := time.Now()
	for range sweeps {
		core.SampleStats(cs, false)
	}
	perSweep := time.Since(t0) / sweeps
	b.ReportMetric(float64(perSweep.Microseconds())/1e6*100, "%cpu-raw-read")
	b.ReportMetric(float64(rssKiB(b, pid))/1024, "MiB-rss")
	tm.keys("q")
}

// BenchmarkUIFollowLogsRSS: berth's RSS while its logs tab follows a
// chatty container (about 1000 lines a second) for BERTH_BENCH_LOGS
// (default 10 minutes): after one minute and at the end. Bounded means
// the two agree (the buffer keeps 10,000 lines).
func BenchmarkUIFollowLogsRSS(b *testing.B) {
	env := coretest.NewEnv(b, fixture, nil)
	chatty := `i=0; while :; do j=0; while [ $j -lt 100 ]; do echo "GET /api/items/$i served in 3ms by worker $j of the chatty demo logger"; i=$((i+1)); j=$((j+1)); done; usleep 100000; done`
	env.Run("chatty", []string{"sh", "-c", chatty}, nil)
	tm := startTerm(b, 160, 48, berth(env)...)
	tm.waitText(30*time.Second, "chatty")
	tm.keys("l")
	tm.waitText(20*time.Second, "served in")
	pid := tm.pid()
	d := envDuration("BERTH_BENCH_LOGS", 10*time.Minute)
	b.ResetTimer()
	for range b.N {
		t0, c0 := time.Now(), cpuTicks(b, pid)
		time.Sleep(min(time.Minute, d/2))
		early := rssKiB(b, pid)
		time.Sleep(d - min(time.Minute, d/2))
		late := rssKiB(b, pid)
		b.ReportMetric(float64(early)/1024, "MiB-rss-1min")
		b.ReportMetric(float64(late)/1024, "MiB-rss-end")
		b.ReportMetric(float64(cpuTicks(b, pid)-c0)*10/float64(time.Since(t0).Milliseconds())*100, "%cpu")
	}
	b.StopTimer()
	tm.keys("q")
}
