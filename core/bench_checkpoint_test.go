package core_test

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

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
