package core_test

import (
	"os/exec"
	"strconv"
	"testing"
	"time"

	"berth/core/coretest"
)

// peer is another manager, timed the way its users start a container
// and remove a running one (its image already there), so the README's
// comparison with them is measured here, in the same run as bare runc.
type peer struct {
	name   string
	bin    string
	start  func(id string) error
	remove func(id string) error
}

// peers starts every installed manager privately (coretest's daemons);
// a missing one is left out with a line, as a benchmark is no test.
func peers(b *testing.B) []peer {
	var out []peer
	have := func(bins ...string) bool {
		for _, bin := range bins {
			if _, err := exec.LookPath(bin); err != nil {
				b.Logf("%s not installed: left out of the comparison", bin)
				return false
			}
		}
		return true
	}
	sleep := []string{"sleep", "1000000"}
	if have(coretest.CtrBinary, coretest.ContainerdBinary) {
		cd := coretest.StartContainerd(b)
		out = append(out, peer{name: "ctr", bin: coretest.CtrBinary,
			start: func(id string) error { cd.RunDetached(b, id, sleep...); return nil },
			remove: func(id string) error {
				if _, err := cd.Run("task", "kill", "-s", "SIGKILL", id); err != nil {
					return err
				}
				// ctr's task rm waits for the exit the kill causes.
				for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
					if _, err := cd.Run("task", "rm", id); err == nil || time.Now().After(deadline) {
						break
					}
				}
				_, err := cd.Run("container", "rm", id)
				return err
			}})
	}
	if have(coretest.PodmanBinary, coretest.PodmanRuntime) {
		p := coretest.NewPodman(b)
		image := p.ImportBusybox(b)
		out = append(out, peer{name: "podman", bin: coretest.PodmanBinary,
			start: func(id string) error {
				_, err := p.Run(append([]string{"run", "-d", "--name", id, "--network", "none", "--cgroup-parent", p.CgroupParent,
					"--ulimit", "nofile=20000:20000", "--ulimit", "nproc=32768:32768", image}, sleep...)...)
				return err
			},
			remove: func(id string) error { _, err := p.Run("rm", "-f", "-t", "0", id); return err }})
	}
	if have(coretest.DockerdBinary, coretest.DockerBinary) {
		dk := coretest.StartDockerd(b)
		image := dk.ImportBusybox(b)
		out = append(out, peer{name: "docker", bin: coretest.DockerBinary,
			start: func(id string) error {
				_, err := dk.Run(append([]string{"run", "-d", "--name", id, "--network", "none", image}, sleep...)...)
				return err
			},
			remove: func(id string) error { _, err := dk.Run("rm", "-f", id); return err }})
	}
	return out
}

// clock times fn.
func clock(b *testing.B, fn func() error) float64 {
	b.Helper()
	t0 := time.Now()
	if err := fn(); err != nil {
		b.Fatal(err)
	}
	return ms(time.Since(t0))
}

// BenchmarkPeers: each installed manager's start (`ctr run -d`,
// `podman run -d`, `docker run -d`) and removal of a running container,
// each paired with bare `runc run -d` and `runc delete -f` of berth's
// bundle in the same run, interleaved, as the ratio to runc.
func BenchmarkPeers(b *testing.B) {
	e := newBenchEnv(b)
	bundle := e.sleeperBundle()
	// Each start after the pause BenchmarkStart takes too, outside the
	// time taken.
	start := func(fn func() error) float64 {
		time.Sleep(startSettle)
		return clock(b, fn)
	}
	for _, p := range peers(b) {
		var ps, pr, rs, rr []float64
		for i := 0; i < b.N; i++ {
			id := p.name + "-" + strconv.Itoa(i)
			runcStart := func() error { return e.runc("run", "-d", "--bundle", bundle, id).Run() }
			runcRemove := func() error { return e.runc("delete", "-f", id).Run() }
			if i%2 == 0 {
				ps = append(ps, start(func() error { return p.start(id) }))
				pr = append(pr, clock(b, func() error { return p.remove(id) }))
				rs = append(rs, start(runcStart))
				rr = append(rr, clock(b, runcRemove))
			} else {
				rs = append(rs, start(runcStart))
				rr = append(rr, clock(b, runcRemove))
				ps = append(ps, start(func() error { return p.start(id) }))
				pr = append(pr, clock(b, func() error { return p.remove(id) }))
			}
		}
		reportPeer(b, p.name, "start", ps, rs)
		reportPeer(b, p.name, "remove", pr, rr)
	}
}

// reportPeer reports a peer's medians against runc's and the median of
// the paired ratios, as report does for berth.
func reportPeer(b *testing.B, name, op string, peer, runc []float64) {
	ratios := make([]float64, len(peer))
	for i := range peer {
		ratios[i] = peer[i] / runc[i]
	}
	b.ReportMetric(median(peer), name+"-"+op+"-ms")
	b.ReportMetric(median(ratios), name+"-"+op+"-ratio")
	b.Logf("%s %s: median %.1f ms, runc %.1f ms, paired ratio median %.2f (n=%d)", name, op, median(peer), median(runc), median(ratios), len(peer))
}
