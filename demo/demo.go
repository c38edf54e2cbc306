// Package demo builds the demo's containers (and the tests'): a static
// busybox root filesystem, OCI bundles from the runtime's default spec,
// and four containers with distinct behaviour that berth demo starts
// through core, so every screen has something real to show.
package demo

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"berth/core"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Container is one container of the demo set.
type Container struct {
	ID    string
	About string
	Args  []string
	Edit  func(*specs.Spec)
}

// demoMemoryLimit is the demo memory grower's limit.
const demoMemoryLimit = 32 << 20

// Containers are four containers with distinct behaviour, so every
// screen has something to show.
var Containers = []Container{
	{
		ID: "demo-cpu", About: "burns half a CPU (quota 0.5)",
		Args: []string{"sh", "-c", "while :; do :; done"},
		Edit: func(s *specs.Spec) {
			quota, period := int64(50000), uint64(100000)
			resources(s).CPU = &specs.LinuxCPU{Quota: &quota, Period: &period}
		},
	},
	{
		ID: "demo-mem", About: "32 MiB limit; a child grows until the OOM killer takes it, every few seconds",
		// Each grower volunteers to the OOM killer (oom_score_adj 1000), so
		// the kills take it and never init. (Shielding init with -1000
		// needs CAP_SYS_RESOURCE, which some sandboxes withhold.)
		Args: []string{"sh", "-c", `n=0; while :; do n=$((n+1)); echo "grower $n starting"; ` +
			`sh -c "echo 1000 > /proc/self/oom_score_adj; exec awk 'BEGIN{s=\"x\"; while(1) s=s s}'"; ` +
			`echo "grower $n ended with status $?"; sleep 4; done`},
		Edit: func(s *specs.Spec) {
			limit := int64(demoMemoryLimit)
			resources(s).Memory = &specs.LinuxMemory{Limit: &limit, Swap: &limit}
		},
	},
	{
		ID: "demo-log", About: "a chatty logger, five lines a second, warnings on stderr",
		Args: []string{"sh", "-c", `i=0; while :; do i=$((i+1)); echo "request $i served in $((i * 37 % 97))ms"; ` +
			`if [ $((i % 10)) -eq 0 ]; then echo "warning: request $i was slow" >&2; fi; sleep 0.2; done`},
	},
	{
		ID: "demo-sleep", About: "a quiet sleeper",
		Args: []string{"sleep", "2147483647"},
	},
}

func resources(s *specs.Spec) *specs.LinuxResources {
	if s.Linux.Resources == nil {
		s.Linux.Resources = &specs.LinuxResources{}
	}
	return s.Linux.Resources
}

// demoDir holds the demo's bundles; the dot keeps it apart from containers.
func demoDir(m *core.Manager) string { return filepath.Join(m.Options().StateDir, ".demo") }

// Start builds busybox bundles under the state dir and starts the demo
// containers, leaving running ones alone and replacing stopped ones.
func Start(ctx context.Context, m *core.Manager) ([]core.Container, error) {
	rootfs := filepath.Join(demoDir(m), "rootfs")
	if _, err := os.Stat(filepath.Join(rootfs, "bin", "busybox")); err != nil {
		if err := MakeBusyboxRootfs(rootfs); err != nil {
			return nil, fmt.Errorf("demo rootfs: %w", err)
		}
	}
	var out []core.Container
	for _, d := range Containers {
		c, err := m.Get(ctx, d.ID)
		switch {
		case err == nil && c.Running():
			out = append(out, c)
			continue
		case err == nil && c.Managed:
			if err := m.Delete(ctx, d.ID, true); err != nil {
				return out, err
			}
		case err == nil:
			return out, fmt.Errorf("%s: a container berth did not start has this id: %w", d.ID, core.ErrExists)
		case !errors.Is(err, core.ErrNotFound):
			return out, err
		}
		bundle := filepath.Join(demoDir(m), d.ID)
		runtime, err := exec.LookPath(m.Options().Runtime)
		if err != nil {
			return out, fmt.Errorf("runtime %q not found: install it or pass --runtime", m.Options().Runtime)
		}
		if err := WriteBundle(runtime, bundle, rootfs, d.Args, d.Edit); err != nil {
			return out, fmt.Errorf("%s: bundle: %w", d.ID, err)
		}
		c, err = m.Run(ctx, d.ID, core.RunOptions{Bundle: bundle, Labels: map[string]string{"berth.demo": d.About}})
		if err != nil {
			return out, err
		}
		out = append(out, c)
	}
	return out, nil
}
