package core_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"berth/core"
)

// oneRounds is how many times each command about one container is timed
// at each N (BERTH_BENCH_ONE_ROUNDS, default 7); the medians are reported.
func oneRounds() int {
	if v, err := strconv.Atoi(os.Getenv("BERTH_BENCH_ONE_ROUNDS")); err == nil && v > 0 {
		return v
	}
	return 7
}

// oneResults keeps each N's medians (ms by job): the framework calls a
// benchmark more than once and starting hundreds of containers again
// measures nothing new.
var oneResults = map[int]map[string]float64{}

// oneSizes are the host sizes BenchmarkOneContainer measures: 10 and 300,
// and BERTH_BENCH_ONE_MAX (such as 1000) when set, which needs about 1.5-2
// GiB for the shims.
func oneSizes() []int {
	ns := []int{10, 300}
	if v, err := strconv.Atoi(os.Getenv("BERTH_BENCH_ONE_MAX")); err == nil && v > 300 {
		ns = append(ns, v)
	}
	return ns
}

// oneJob is one command about one container, timed as the CLI runs it.
type oneJob struct {
	name string
	args func(ref string) [][]string // commands run in a row, timed together
	// wait is the sampling interval the command sleeps by design (stats
	// takes two samples 500 ms apart for its CPU%, top 200 ms): what is
	// left of its time is berth's work, which the ratios compare.
	wait time.Duration
}

var oneJobs = []oneJob{
	{"stats", func(r string) [][]string { return [][]string{{"stats", "--no-stream", r}} }, 500 * time.Millisecond},
	{"top", func(r string) [][]string { return [][]string{{"top", r}} }, 200 * time.Millisecond},
	{"pause+resume", func(r string) [][]string { return [][]string{{"pause", r}, {"resume", r}} }, 0},
	{"logs", func(r string) [][]string { return [][]string{{"logs", "-n", "1", r}} }, 0},
}

// BenchmarkOneContainer: the cost of a command about one container as the
// host grows. N berth containers run; for one of them, stats --no-stream,
// top, pause + resume and logs -n 1 are timed given its exact id, a unique
// prefix of it and OWNER/ID, as ratios at N to at 10 (of the time less
// the command's fixed sampling wait, see oneJob); ps (which reads every
// container by nature) is timed beside them as the comparison, and a bare
// `runc state` of the same container as the floor.
func BenchmarkOneContainer(b *testing.B) {
	sizes := oneSizes()
	for _, n := range sizes {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			r := oneResults[n]
			if r == nil {
				r = measureOne(b, n)
				oneResults[n] = r
			}
			base := oneResults[sizes[0]]
			for job, v := range r {
				b.ReportMetric(v, job+"-ms")
				if base != nil && n != sizes[0] {
					b.ReportMetric(v/base[job], job+"-x10")
				}
			}
			// One line a job on stdout: the framework cuts a benchmark's
			// log short after a few lines.
			for _, job := range oneOrder() {
				if base != nil && n != sizes[0] {
					fmt.Printf("N=%d %-22s %8.1f ms  (N=%d: %6.1f ms)  ratio %.2f, %.2fx runc state\n", n, job, r[job], sizes[0], base[job], r[job]/base[job], r[job]/r["runc-state"])
				} else {
					fmt.Printf("N=%d %-22s %8.1f ms\n", n, job, r[job])
				}
			}
		})
	}
}

func oneOrder() []string {
	var out []string
	for _, j := range oneJobs {
		for _, form := range []string{"id", "prefix", "owner"} {
			out = append(out, j.name+"-"+form)
		}
	}
	return append(out, "ps", "runc-state")
}

// measureOne starts n containers, times the jobs on one of them
// (interleaved by round) and removes them all.
func measureOne(b *testing.B, n int) map[string]float64 {
	e := newBenchEnv(b)
	bundle := e.Bundle([]string{"sleep", "1000000"}, nil)
	ctx := context.Background()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("one%04d", i)
	}
	ids[n/2] = "target"
	b.Cleanup(func() {
		var wg sync.WaitGroup
		sem := make(chan struct{}, 8)
		for _, id := range ids {
			wg.Add(1)
			sem <- struct{}{}
			go func(id string) {
				defer func() { <-sem; wg.Done() }()
				e.M.Delete(ctx, id, true)
			}(id)
		}
		wg.Wait()
	})
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	errs := make(chan error, n)
	for _, id := range ids {
		wg.Add(1)
		sem <- struct{}{}
		go func(id string) {
			defer func() { <-sem; wg.Done() }()
			if _, err := e.M.Run(ctx, id, core.RunOptions{Bundle: bundle}); err != nil {
				errs <- err
			}
		}(id)
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
	// The one looked at, with an id no other shares a prefix with, so
	// "targ" is a unique prefix of it.
	target := ids[n/2]
	c, err := e.M.Get(ctx, target)
	if err != nil || !c.Running() {
		b.Fatalf("target %s: %v %v", target, c.Status, err)
	}
	refs := map[string]string{"id": target, "prefix": target[:4], "owner": "berth/" + target}
	times := map[string][]float64{}
	run := func(args ...string) time.Duration {
		return timed(b, e.berth(args...))
	}
	for round := 0; round < oneRounds(); round++ {
		for _, j := range oneJobs {
			for _, form := range []string{"id", "prefix", "owner"} {
				var d time.Duration
				for _, args := range j.args(refs[form]) {
					d += run(args...)
				}
				times[j.name+"-"+form] = append(times[j.name+"-"+form], ms(d-j.wait))
			}
		}
		times["ps"] = append(times["ps"], ms(run("ps")))
		times["runc-state"] = append(times["runc-state"], ms(timed(b, exec.Command("runc", "--root", c.RuntimeRoot, "state", target))))
	}
	out := map[string]float64{}
	for k, v := range times {
		out[k] = median(v)
	}
	return out
}
