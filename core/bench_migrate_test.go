package core_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"berth/core"
	"berth/core/coretest"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// BenchmarkMigrate: `berth migrate` over a real sshd on loopback to a
// second state dir, full copy (images, root filesystem and spec streamed)
// and post-copy (--lazy: the pages follow the restore), its downtime from
// freeze to running on the other side, against a bare `runc checkpoint` +
// `runc restore` of the same kind of container on one host, for a small
// container and one holding about 200 MiB of touched memory.
func BenchmarkMigrate(b *testing.B) {
	coretest.SkipWithoutCriu(b)
	sshd := coretest.StartSSHD(b)
	lazyPipes(b)
	for _, sz := range []struct {
		name string
		args []string
	}{
		{"small", []string{"sh", "-c", "while :; do sleep 1; done"}},
		{"200MiB", []string{"awk", `BEGIN{s=sprintf("%209715200s","x"); while(1) system("sleep 1000000")}`}},
	} {
		b.Run(sz.name, func(b *testing.B) {
			e := newBenchEnv(b)
			remote := coretest.NewEnv(b, fixture, nil)
			bundle := e.Bundle(sz.args, nil)
			bundleRunc := e.Bundle(sz.args, func(s *specs.Spec) { s.Linux.CgroupsPath = filepath.Join(e.CgroupParent, "runc-mig") })
			if err := e.runcWithPipes(b, "run", "-d", "--bundle", bundleRunc, "rc").Run(); err != nil {
				b.Fatal(err)
			}
			images := b.TempDir()
			var down, lazy, bare, sent, sentLazy []float64
			migrate := func(id string, flags ...string) core.Migration {
				if err := e.berth("run", "-d", "-b", bundle, id).Run(); err != nil {
					b.Fatal(err)
				}
				settle()
				args := append([]string{"--json", "migrate", "--ssh", strings.Join(sshd.SSH, " "),
					"--remote-berth", fixture.Berth + " --cgroup-parent " + remote.CgroupParent + " --external-root ''"}, flags...)
				out, err := e.berth(append(args, id, sshd.Host+":"+remote.StateDir)...).Output()
				if err != nil {
					b.Fatalf("migrate %v: %v: %s", flags, err, out)
				}
				var mig core.Migration
				if err := json.Unmarshal(out, &mig); err != nil {
					b.Fatal(err)
				}
				remote.M.Delete(ctx, id, true)
				settle()
				return mig
			}
			for i := 0; i < b.N; i++ {
				id := "mig" + strconv.Itoa(i)
				mig := migrate(id)
				down, sent = append(down, mig.DowntimeMs), append(sent, float64(mig.Bytes)/(1<<20))
				mig = migrate(id+"-lazy", "--lazy")
				lazy, sentLazy = append(lazy, mig.DowntimeMs), append(sentLazy, float64(mig.Bytes)/(1<<20))
				img := filepath.Join(images, id)
				ck := ms(timed(b, e.runc("checkpoint", "--image-path", img, "--work-path", filepath.Join(img, "work"), "rc")))
				e.runc("delete", "rc").Run()
				settle()
				re := ms(timed(b, e.runcWithPipes(b, "restore", "-d", "--bundle", bundleRunc, "--image-path", img, "--work-path", filepath.Join(img, "rwork"), "rc")))
				bare = append(bare, ck+re)
				os.RemoveAll(img)
			}
			report(b, sz.name+" migrate downtime vs checkpoint+restore: full", down, bare)
			report(b, sz.name+" migrate downtime vs checkpoint+restore: lazy", lazy, bare)
			b.ReportMetric(median(sent), "MiB-sent")
			b.ReportMetric(median(sentLazy), "MiB-sent-before-restore-lazy")
		})
	}
}
