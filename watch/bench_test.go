package watch_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"berth/core/coretest"
	"berth/host/cgroupfs"
	"berth/watch"

	"golang.org/x/sys/unix"
)

func percentile(v []float64, p float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	i := int(p * float64(len(s)-1))
	return s[i]
}

// BenchmarkOOMLatency: from an OOM kill landing to its event arriving on the
// loop's channel, over a container whose child is OOM-killed again and
// again. The kill's moment is the first time anyone saw the counter rise: a
// goroutine polling memory.oom_control every 500 us, or the loop itself.
func BenchmarkOOMLatency(b *testing.B) {
	const kills = 50
	if cgroupfs.Unified() {
		b.Skip("written for cgroup v1")
	}
	e := coretest.NewEnv(b, fixture, nil)
	// Each hog raises its own OOM score to the top (lowering the shell's
	// would need CAP_SYS_RESOURCE), so a kill takes the hog, not the init.
	c := e.Run("lat", []string{"sh", "-c", `while :; do (echo 1000 >/proc/self/oom_score_adj; exec awk 'BEGIN{s="x"; while(1) s=s s}'); done`}, memLimit(32<<20))
	counterFile := filepath.Join(c.CgroupPaths.Dir("memory"), "memory.oom_control")
	seen := make(map[uint64]time.Time)
	seenCh := make(chan map[uint64]time.Time)
	pctx, stopPoll := context.WithCancel(context.Background())
	defer stopPoll()
	go func() {
		local := map[uint64]time.Time{}
		for pctx.Err() == nil {
			if n, err := cgroupfs.OOMKillCount(cgroupfs.Paths{"memory": filepath.Dir(counterFile)}); err == nil {
				if _, ok := local[n]; !ok {
					local[n] = time.Now()
				}
			}
			time.Sleep(500 * time.Microsecond)
		}
		seenCh <- local
	}()
	l, col := startLoopB(b)
	if err := l.Watch(target(e, c)); err != nil {
		b.Fatal(err)
	}
	type got struct {
		count     uint64
		delivered time.Time
		evTime    time.Time
	}
	var gots []got
	deadline := time.After(4 * time.Minute)
	for len(gots) < kills {
		select {
		case batch := <-col:
			now := time.Now()
			for _, ev := range batch {
				switch ev.Kind {
				case watch.KindOOM:
					gots = append(gots, got{ev.OOMCount, now, ev.Time})
				case watch.KindExit:
					b.Fatalf("the container exited (oom-killed %v) after %d kills", ev.OOMKilled, len(gots))
				}
			}
		case <-deadline:
			b.Fatalf("only %d kills in 4 minutes", len(gots))
		}
	}
	stopPoll()
	seen = <-seenCh
	var lat []float64
	for _, g := range gots {
		first := g.evTime
		if t, ok := seen[g.count]; ok && t.Before(first) {
			first = t
		}
		lat = append(lat, float64(g.delivered.Sub(first))/float64(time.Millisecond))
	}
	b.ReportMetric(percentile(lat, 0.5), "median-ms")
	b.ReportMetric(percentile(lat, 0.99), "p99-ms")
	b.Logf("OOM kill to event delivered over %d kills: median %.2f ms, p99 %.2f ms, max %.2f ms",
		len(lat), percentile(lat, 0.5), percentile(lat, 0.99), percentile(lat, 1))
}

// BenchmarkIdleLoop: the loop's CPU while watching 1000 idle registered
// memory cgroups for 60 s (BERTH_IDLE_SECONDS to change).
func BenchmarkIdleLoop(b *testing.B) {
	coretest.Skip(b)
	if cgroupfs.Unified() {
		b.Skip("written for cgroup v1")
	}
	seconds := 60
	if v := os.Getenv("BERTH_IDLE_SECONDS"); v != "" {
		fmt.Sscan(v, &seconds)
	}
	parent := "/berth-test-" + coretest.RandomID()
	b.Cleanup(func() { coretest.RemoveCgroupParent(parent) })
	l, _ := startLoopB(b)
	for i := 0; i < 1000; i++ {
		dir := filepath.Join(cgroupfs.Root, "memory", parent, fmt.Sprint("idle", i))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			b.Fatal(err)
		}
		if err := l.Watch(watch.Target{ID: fmt.Sprint("idle", i), Cgroup: cgroupfs.Paths{"memory": dir}}); err != nil {
			b.Fatal(err)
		}
	}
	var before, after unix.Rusage
	unix.Getrusage(unix.RUSAGE_SELF, &before)
	time.Sleep(time.Duration(seconds) * time.Second)
	unix.Getrusage(unix.RUSAGE_SELF, &after)
	cpu := time.Duration(after.Utime.Nano()+after.Stime.Nano()-before.Utime.Nano()-before.Stime.Nano()) * time.Nanosecond
	b.ReportMetric(float64(cpu)/float64(time.Millisecond), "cpu-ms")
	b.Logf("1000 idle cgroups watched for %ds: %v of CPU for the whole test process (%.4f%% of one core)",
		seconds, cpu, 100*cpu.Seconds()/float64(seconds))
}

func startLoopB(b *testing.B) (*watch.Loop, <-chan []watch.Event) {
	l, err := watch.New()
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ch := l.Run(ctx)
	b.Cleanup(func() {
		cancel()
		for range ch {
		}
	})
	return l, ch
}

// BenchmarkJournalRead: decoding journal lines as a follower does, over
// 1000 OOM kills each with the forensics a shim journals (the line a UI
// decodes per kill under OOM churn), per line.
func BenchmarkJournalRead(b *testing.B) {
	root := b.TempDir()
	f := &watch.Forensics{LimitBytes: 8 << 20, UsageBytes: 8 << 20, LikelyVictim: 4130,
		Stat:      []watch.StatEntry{{Name: "rss", Bytes: 7 << 20}, {Name: "mapped_file", Bytes: 1 << 20}, {Name: "cache", Bytes: 600 << 10}, {Name: "active_anon", Bytes: 7 << 20}, {Name: "inactive_file", Bytes: 300 << 10}},
		Processes: []watch.ProcessMem{{Pid: 4130, Command: `awk BEGIN{s="x"; while(1) s=s s}`, RSSBytes: 7 << 20}, {Pid: 4100, Command: "sh -c while :; do sh -c ...; sleep 1; done", RSSBytes: 400 << 10}}}
	const n = 1000
	evs := make([]watch.Event, n)
	for i := range evs {
		evs[i] = watch.Event{Time: time.Now().UTC(), Kind: watch.KindOOM, ID: fmt.Sprintf("oom-%03d", i%100), Pid: 4000 + i%100,
			OOMCount: uint64(i/100 + 1), Detail: "largest process: awk", Forensics: f}
	}
	if err := watch.Append(root, evs...); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if got, _ := watch.Read(root, time.Time{}); len(got) != n {
			b.Fatalf("read %d events, want %d", len(got), n)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/line")
}
