package e2e_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"berth/core"
	"berth/core/coretest"

	specs "github.com/opencontainers/runtime-spec/specs-go"
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

// rawReadCPU is the raw read a live list pays: the five cgroup files of
// the rows on screen (45 at 160x48), once a second, as berth's sample
// does, in percent of a core.
func rawReadCPU(b *testing.B, env *coretest.Env) float64 {
	cs, err := env.M.StatsTargets(context.Background(), nil)
	if err != nil {
		b.Fatal(err)
	}
	cs = cs[:min(45, len(cs))]
	if len(cs) == 0 {
		return 0
	}
	const sweeps = 200
	t0 := time.Now()
	for range sweeps {
		core.SampleStats(cs, false)
	}
	return float64((time.Since(t0) / sweeps).Microseconds()) / 1e6 * 100
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// BenchmarkUIRemoveCPU: berth's CPU showing BERTH_BENCH_RM (default
// 1000) real containers while they are removed with `berth rm -f`, 50
// ids a command, from the first command until the list is empty.
func BenchmarkUIRemoveCPU(b *testing.B) {
	n := envInt("BERTH_BENCH_RM", 1000)
	env := coretest.NewEnv(b, fixture, nil)
	for range b.N {
		b.StopTimer()
		ids := make([]string, n)
		for i := range n {
			ids[i] = fmt.Sprintf("rm-%04d", i)
			env.Run(ids[i], []string{"sleep", "1000000"}, nil)
		}
		tm := startTerm(b, 160, 48, berth(env)...)
		tm.waitText(60*time.Second, "rm-0000", fmt.Sprintf("%d containers", n))
		time.Sleep(3 * time.Second) // the first list and samples settle
		pid := tm.pid()
		b.StartTimer()
		t0, c0 := time.Now(), cpuTicks(b, pid)
		for i := 0; i < n; i += 50 {
			argv := berth(env, append([]string{"rm", "-f"}, ids[i:min(i+50, n)]...)...)
			if out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput(); err != nil {
				b.Fatalf("rm: %v: %s", err, out)
			}
		}
		tm.waitFor("an empty list", 60*time.Second, func(s string) bool { return !strings.Contains(s, "rm-") })
		el, cpu := time.Since(t0), cpuTicks(b, pid)-c0
		b.StopTimer()
		b.ReportMetric(float64(cpu)*10/float64(el.Milliseconds())*100, "%cpu")
		b.ReportMetric(float64(cpu)/100, "cpu-s")
		b.ReportMetric(el.Seconds(), "s-window")
		tm.keys("q")
		gone(pid, 10*time.Second)
	}
}

// BenchmarkUIOOMChurnCPU: berth's CPU showing 100 real containers of
// which each has a child OOM-killed about once a second (an 8 MiB limit,
// a grower that doubles a string, then a second's sleep), for
// BERTH_BENCH_OOM (default 30 s), beside the raw read of the rows on
// screen measured in the same run.
func BenchmarkUIOOMChurnCPU(b *testing.B) {
	env := coretest.NewEnv(b, fixture, nil)
	loop := `while :; do sh -c "echo 1000 > /proc/self/oom_score_adj; exec awk 'BEGIN{s=\"x\"; while(1) s=s s}'"; sleep 1; done`
	limit := int64(8 << 20)
	for i := range 100 {
		env.Run(fmt.Sprintf("oom-%03d", i), []string{"sh", "-c", loop}, func(s *specs.Spec) {
			if s.Linux.Resources == nil {
				s.Linux.Resources = &specs.LinuxResources{}
			}
			s.Linux.Resources.Memory = &specs.LinuxMemory{Limit: &limit, Swap: &limit}
		})
	}
	tm := startTerm(b, 160, 48, berth(env)...)
	tm.waitText(60*time.Second, "oom-000", "100 containers")
	time.Sleep(5 * time.Second) // the first list, samples and toasts settle
	pid := tm.pid()
	d := envDuration("BERTH_BENCH_OOM", 30*time.Second)
	ctx := context.Background()
	b.ResetTimer()
	for range b.N {
		k0 := oomKills(b, env, ctx)
		t0, c0 := time.Now(), cpuTicks(b, pid)
		time.Sleep(d)
		el := time.Since(t0)
		b.ReportMetric(float64(cpuTicks(b, pid)-c0)*10/float64(el.Milliseconds())*100, "%cpu")
		b.ReportMetric(float64(oomKills(b, env, ctx)-k0)/el.Seconds(), "kills/s")
	}
	b.StopTimer()
	b.ReportMetric(rawReadCPU(b, env), "%cpu-raw-read")
	tm.keys("q")
}

// oomKills is the OOM kills core counts over the containers.
func oomKills(b *testing.B, env *coretest.Env, ctx context.Context) int {
	cs, err := env.M.List(ctx)
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for _, c := range cs {
		n += int(c.OOMKills)
	}
	return n
}
