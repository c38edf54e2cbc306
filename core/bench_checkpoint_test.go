package core_test

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"berth/core"
	"berth/core/coretest"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// runcWithPipes runs a runc command whose container inherits a pipe as
// stdout/stderr, drained and discarded, as a shim would give it.
func (e benchEnv) runcWithPipes(b *testing.B, args ...string) *exec.Cmd {
	r, w, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	go func() { io.Copy(io.Discard, r); r.Close() }()
	cmd := e.runc(args...)
	cmd.Stdout, cmd.Stderr = w, w
	b.Cleanup(func() { w.Close() })
	return cmd
}

// BenchmarkCheckpoint: berth's checkpoint (leave-running and stop) and
// restore against bare runc with the same options, for a small container
// and one holding about 200 MiB of touched memory. Images are deleted
// between iterations (piled-up dirty pages slow later runs by ~1.7x).
func BenchmarkCheckpoint(b *testing.B) {
	coretest.SkipWithoutCriu(b)
	sizes := []struct {
		name string
		args []string
	}{
		{"small", []string{"sh", "-c", "while :; do sleep 1; done"}},
		{"200MiB", []string{"awk", `BEGIN{s=sprintf("%209715200s","x"); while(1) system("sleep 1000000")}`}},
	}
	for _, sz := range sizes {
		b.Run(sz.name, func(b *testing.B) {
			e := newBenchEnv(b)
			bundleBerth := e.Bundle(sz.args, nil)
			bundleRunc := e.Bundle(sz.args, func(s *specs.Spec) {
				s.Linux.CgroupsPath = filepath.Join(e.CgroupParent, "runc-ck")
			})
			images := b.TempDir()
			if err := e.berth("run", "-d", "-b", bundleBerth, "bc").Run(); err != nil {
				b.Fatal(err)
			}
			if err := e.runcWithPipes(b, "run", "-d", "--bundle", bundleRunc, "rc").Run(); err != nil {
				b.Fatal(err)
			}
			settle()
			var lrB, lrR, stB, stR, reB, reR []float64
			for i := 0; i < b.N; i++ {
				name := "c" + strconv.Itoa(i)
				img := filepath.Join(images, name)
				ckDir := filepath.Join(filepath.Dir(bundleBerth), "bundle", "checkpoints", name)
				berthFirst := i%2 == 0
				for pass := 0; pass < 2; pass++ {
					if (pass == 0) == berthFirst {
						lrB = append(lrB, ms(timed(b, e.berth("checkpoint", "create", "--leave-running", "bc", name))))
						os.RemoveAll(ckDir)
						settle()
						stB = append(stB, ms(timed(b, e.berth("checkpoint", "create", "bc", name))))
						settle()
						reB = append(reB, ms(timed(b, e.berth("restore", "-d", "bc", name))))
						os.RemoveAll(ckDir)
					} else {
						lrR = append(lrR, ms(timed(b, e.runc("checkpoint", "--leave-running", "--image-path", img, "--work-path", filepath.Join(img, "work"), "rc"))))
						os.RemoveAll(img)
						settle()
						stR = append(stR, ms(timed(b, e.runc("checkpoint", "--image-path", img, "--work-path", filepath.Join(img, "work"), "rc"))))
						e.runc("delete", "rc").Run()
						settle()
						reR = append(reR, ms(timed(b, e.runcWithPipes(b, "restore", "-d", "--bundle", bundleRunc, "--image-path", img, "--work-path", filepath.Join(img, "rwork"), "rc"))))
						os.RemoveAll(img)
					}
					settle()
				}
			}
			report(b, sz.name+" checkpoint --leave-running", lrB, lrR)
			report(b, sz.name+" checkpoint (stop)", stB, stR)
			report(b, sz.name+" restore", reB, reR)
		})
	}
}

// settle writes dirty pages back so one iteration's images do not slow the
// next one's.
func settle() { exec.Command("sync").Run() }

// BenchmarkInspect: `berth checkpoint inspect` of a container holding
// about 200 MiB of touched memory (every part decoded, then a search of
// all its pages), against a bare `runc checkpoint --leave-running` of the
// same container run by runc, which writes those images. The checkpoint
// inspected is
// taken once and kept in the page cache (an inspect follows the dump it
// looks at); runc's images are deleted between iterations.
func BenchmarkInspect(b *testing.B) {
	coretest.SkipWithoutCriu(b)
	e := newBenchEnv(b)
	args := []string{"awk", `BEGIN{s=sprintf("%209715200s","x"); while(1) system("sleep 1000000")}`}
	bundle := e.Bundle(args, nil)
	bundleRunc := e.Bundle(args, func(s *specs.Spec) {
		s.Linux.CgroupsPath = filepath.Join(e.CgroupParent, "runc-ib")
	})
	if err := e.berth("run", "-d", "-b", bundle, "ib").Run(); err != nil {
		b.Fatal(err)
	}
	if err := e.runcWithPipes(b, "run", "-d", "--bundle", bundleRunc, "ri").Run(); err != nil {
		b.Fatal(err)
	}
	// awk takes a while to build its string: checkpoint it once it has.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
		var rss uint64
		ps, _ := e.M.Processes(context.Background(), "ib")
		for _, p := range ps {
			rss += p.RSS
		}
		if rss >= 200<<20 {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("the container's RSS is %d bytes, want 200 MiB", rss)
		}
	}
	settle()
	if err := e.berth("checkpoint", "create", "--leave-running", "ib", "big").Run(); err != nil {
		b.Fatal(err)
	}
	out, err := e.berth("checkpoint", "inspect", "--json", "--mem", "ib", "big").Output()
	var in core.CheckpointInspection
	if err != nil || json.Unmarshal(out, &in) != nil {
		b.Fatalf("inspect: %v", err)
	}
	var resident uint64
	for _, p := range in.Processes {
		resident += p.ResidentBytes
	}
	if resident < 200<<20 {
		b.Fatalf("the checkpoint holds %d bytes of memory, want 200 MiB", resident)
	}
	b.Logf("inspected: %d processes, %.1f MiB resident, checkpoint %.1f MiB", len(in.Processes), float64(resident)/(1<<20), float64(in.Checkpoint.SizeBytes)/(1<<20))
	images := b.TempDir()
	var all, search, dump []float64
	for i := 0; i < b.N; i++ {
		img := filepath.Join(images, "c"+strconv.Itoa(i))
		all = append(all, ms(timed(b, e.berth("checkpoint", "inspect", "--json", "--files", "--sockets", "--mem", "--env", "ib", "big"))))
		search = append(search, ms(timed(b, e.berth("checkpoint", "inspect", "--json", "--search", "needle-[0-9]+", "ib", "big"))))
		dump = append(dump, ms(timed(b, e.runc("checkpoint", "--leave-running", "--image-path", img, "--work-path", filepath.Join(img, "work"), "ri"))))
		os.RemoveAll(img)
		settle()
	}
	report(b, "200MiB inspect (every part)", all, dump)
	report(b, "200MiB inspect --search", search, dump)
}
