package core_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"berth/core"
	"berth/core/coretest"
	"berth/ui/format"
	"berth/watch"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// chatty prints a line every 100 ms.
var chatty = []string{"sh", "-c", "i=0; while true; do echo line $i; i=$((i+1)); sleep 0.1; done"}

// openDefault opens a manager over a private state dir with the default
// external roots: what berth finds without flags.
func openDefault(t *testing.T) *core.Manager {
	t.Helper()
	m, err := core.Open(ctx, core.Options{StateDir: t.TempDir(), Runtime: coretest.Runtime(), ShimBinary: fixture.Shim})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// find returns the listed container id, if List shows it.
func find(t *testing.T, m *core.Manager, id string) (core.Container, bool) {
	t.Helper()
	cs, err := m.List(ctx)
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	for _, c := range cs {
		if c.ID == id {
			return c, true
		}
	}
	return core.Container{}, false
}

// assertListed waits (up to 10 s) for List to show id running in root
// with a live pid.
func assertListed(t *testing.T, m *core.Manager, id, root string) core.Container {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, ok := find(t, m, id)
		if ok && c.Status == core.StatusRunning && c.Pid > 0 {
			if c.RuntimeRoot != root {
				t.Fatalf("%s listed with runtime root %q, want %q", id, c.RuntimeRoot, root)
			}
			if c.Managed {
				t.Fatalf("%s listed as berth's own: %+v", id, c)
			}
			if _, err := os.Stat(fmt.Sprintf("/proc/%d", c.Pid)); err != nil {
				t.Fatalf("%s listed with pid %d: %v", id, c.Pid, err)
			}
			t.Logf("listed: %s pid %d bundle %s", c.ID, c.Pid, c.Bundle)
			return c
		}
		if time.Now().After(deadline) {
			cs, _ := m.List(ctx)
			t.Fatalf("%s not listed running in %s within 10 s (found %v: %+v); list: %+v", id, root, ok, c, cs)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// assertGone waits (up to 10 s) for List to stop showing id running.
func assertGone(t *testing.T, m *core.Manager, id string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, ok := find(t, m, id)
		if !ok || !c.Running() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s still listed running 10 s after its manager stopped it: %+v", id, c)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// wantFile fails t unless path is want (when given) and exists.
func wantFile(t *testing.T, path, want string) {
	t.Helper()
	if want != "" && path != want {
		t.Fatalf("path %q, want %q", path, want)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
}

func TestDockerContainersListed(t *testing.T) {
	dk := coretest.StartDockerd(t)
	m := openDefault(t)
	id := dk.RunDetached(t, dk.ImportBusybox(t), chatty...)
	if len(id) != 64 {
		t.Fatalf("docker run printed %q, not a container id", id)
	}
	c := assertListed(t, m, id, dk.RuntimeRoot)
	// What a later reader of docker's records starts from (see coretest).
	wantFile(t, c.Bundle, "/run/docker/containerd/daemon/io.containerd.runtime.v2.task/moby/"+id)
	wantFile(t, filepath.Join(dk.DataRoot, "containers", id, "config.v2.json"), "")
	wantFile(t, filepath.Join(dk.DataRoot, "containers", id, id+"-json.log"), "")
	t.Setenv("DOCKER_HOST", "unix://"+dk.Socket)
	useCLI(t, "docker", coretest.DockerBinary)
	// docker's short id is taken, after the owner or alone.
	for _, ref := range []string{"docker/" + id[:12], id[:12]} {
		if got, err := m.Resolve(ctx, ref); err != nil || got.Ref() != c.Ref() {
			t.Fatalf("%s resolved to %q, %v", ref, got.Ref(), err)
		}
	}
	checkOwned(t, m, c, owned{
		owner: core.OwnerDocker, image: coretest.BusyboxImage, tool: "docker", logs: true,
		paused: func() bool {
			out, _ := dk.Run("inspect", "-f", "{{.State.Paused}}", id)
			return strings.TrimSpace(out) == "true"
		},
		pause:  func() error { _, err := dk.Run("pause", id); return err },
		resume: func() error { _, err := dk.Run("unpause", id); return err },
		top:    func() (string, error) { return dk.Run("top", id, "-eo", "pid") },
		memory: func() (string, error) { return dk.Run("stats", "--no-stream", "--format", "{{.MemUsage}}", id) },
		stop:   func() error { _, err := dk.Run("stop", "-t", "1", id); return err },
	})
	assertGone(t, m, id)
}

func TestContainerdContainersListed(t *testing.T) {
	cd := coretest.StartContainerd(t)
	m := openDefault(t)
	id := "chatty-" + coretest.RandomID()
	cd.RunDetached(t, id, chatty...)
	c := assertListed(t, m, id, cd.RuntimeRoot)
	wantFile(t, c.Bundle, filepath.Join(cd.State, "io.containerd.runtime.v2.task", cd.Namespace, id))
	// The first line can come after the container is listed.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		b, err := os.ReadFile(cd.LogPath(id))
		if err == nil && strings.Contains(string(b), "line 0\n") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("ctr's log %s after 10 s: %q %v", cd.LogPath(id), b, err)
		}
	}
	t.Setenv("CONTAINERD_ADDRESS", cd.Address)
	useCLI(t, "ctr", coretest.CtrBinary)
	task := func() string {
		out, _ := cd.Run("task", "ls")
		for _, line := range strings.Split(out, "\n") {
			if f := strings.Fields(line); len(f) == 3 && f[0] == id {
				return f[2]
			}
		}
		return ""
	}
	checkOwned(t, m, c, owned{
		owner: "containerd/" + cd.Namespace, tool: "ctr",
		paused: func() bool { return task() == "PAUSED" },
		pause:  func() error { _, err := cd.Run("task", "pause", id); return err },
		resume: func() error { _, err := cd.Run("task", "resume", id); return err },
		top:    func() (string, error) { return cd.Run("task", "ps", id) },
		stop:   func() error { _, err := cd.Run("task", "kill", "-s", "SIGKILL", id); return err },
		before: func() {
			// The same id in runc's own root is another container: the
			// plain id is ambiguous, and each is acted on apart.
			e := coretest.NewEnv(t, fixture, func(o *core.Options) { o.ExternalRoots = nil })
			bundle := e.Bundle([]string{"sleep", "1000"}, func(sp *specs.Spec) { sp.Linux.CgroupsPath = e.CgroupParent + "/" + id })
			if err := exec.Command(coretest.Runtime(), "--root", "/run/runc", "run", "-d", "--bundle", bundle, id).Run(); err != nil {
				t.Fatal(err)
			}
			defer exec.Command(coretest.Runtime(), "--root", "/run/runc", "delete", "-f", id).Run()
			_, err := e.M.Resolve(ctx, id)
			coretest.ErrIs(t, err, core.ErrAmbiguous)
			if err := e.M.Pause(ctx, c.Ref()); err != nil {
				t.Fatal(err)
			}
			if got, _ := e.M.Get(ctx, "/run/runc/"+id); task() != "PAUSED" || got.Status != core.StatusRunning {
				t.Fatalf("a pause of containerd's %s left ctr with %q and runc's twin %s", id, task(), got.Status)
			}
			if err := e.M.Resume(ctx, c.Ref()); err != nil {
				t.Fatal(err)
			}
		},
	})
	assertGone(t, m, id)
}

func TestPodmanContainersListed(t *testing.T) {
	p := coretest.NewPodman(t)
	m := openDefault(t)
	id := p.RunDetached(t, p.ImportBusybox(t), chatty...)
	if len(id) != 64 {
		t.Fatalf("podman run printed %q, not a container id", id)
	}
	c := assertListed(t, m, id, p.RuntimeRoot)
	wantFile(t, c.Bundle, filepath.Join(p.Root, "overlay-containers", id, "userdata"))
	wantFile(t, filepath.Join(c.Bundle, "ctr.log"), "")
	useCLI(t, "podman", coretest.PodmanBinary)
	status := func() string {
		out, _ := p.Run("inspect", "-f", "{{.State.Status}}", id)
		return strings.TrimSpace(out)
	}
	checkOwned(t, m, c, owned{
		owner: core.OwnerPodman, image: "localhost/" + coretest.BusyboxImage, tool: "podman", logs: true,
		paused: func() bool { return status() == "paused" },
		pause:  func() error { _, err := p.Run("pause", id); return err },
		resume: func() error { _, err := p.Run("unpause", id); return err },
		top:    func() (string, error) { return p.Run("top", id, "hpid") },
		stop:   func() error { _, err := p.Run("stop", "-t", "1", id); return err },
	})
	assertGone(t, m, id)
}

// useCLI puts a manager's CLI first on PATH under its name (docker's own
// CLI for a daemon of its version), for berth to act through.
func useCLI(t *testing.T, name, bin string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.Symlink(bin, filepath.Join(dir, name)); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+":"+os.Getenv("PATH"))
}

// owned is what a test knows of another manager's container and how to
// ask that manager about it.
type owned struct {
	owner, image, tool string
	logs               bool // the manager keeps a log berth reads
	paused             func() bool
	pause, resume      func() error
	top                func() (string, error) // the manager's process list
	memory             func() (string, error) // its memory use as the manager shows it, "6.1MiB / 1GiB"
	stop               func() error
	before             func() // more checks while it runs, before the rest
}

// checkOwned checks what berth makes of another manager's running
// container: owner, name and image from the manager's records, its logs,
// its processes and stats against the manager's, a pause and resume
// through the manager's CLI that the manager agrees with, the manager's
// own pause, resume and stop seen live.
func checkOwned(t *testing.T, m *core.Manager, c core.Container, w owned) {
	t.Helper()
	if c.Owner != w.owner || c.Image != w.image {
		t.Fatalf("%s: owner %q image %q, want %q %q", c.ID, c.Owner, c.Image, w.owner, w.image)
	}
	if w.image != "" && c.Name == "" {
		t.Fatalf("%s: no name from %s's records", c.ID, w.owner)
	}
	if c.Name != "" {
		if got, err := m.Resolve(ctx, c.Name); err != nil || got.Ref() != c.Ref() {
			t.Fatalf("its name %q resolved to %q, %v", c.Name, got.Ref(), err)
		}
	}
	if w.before != nil {
		w.before()
	}
	if w.logs {
		var lines []string
		for deadline := time.Now().Add(10 * time.Second); len(lines) < 3 && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			lines = lines[:0]
			err := m.Logs(ctx, c.Ref(), core.LogOptions{Tail: 3}, func(l core.LogLine) error {
				lines = append(lines, l.Stream+" "+string(l.Data))
				return nil
			})
			if err != nil {
				t.Fatalf("logs: %v", err)
			}
		}
		if len(lines) < 3 || !strings.HasPrefix(lines[2], "stdout line ") {
			t.Fatalf("logs through berth: %q", lines)
		}
	}
	// Its init is among the manager's processes, and berth samples it.
	top, err := w.top()
	if err != nil || !strings.Contains(" "+strings.Join(strings.Fields(top), " ")+" ", fmt.Sprintf(" %d ", c.Pid)) {
		t.Fatalf("the manager's process list lacks init %d: %q %v", c.Pid, top, err)
	}
	ps, err := m.Processes(ctx, c.Ref())
	if err != nil || len(ps) == 0 || ps[0].HostPid != c.Pid {
		t.Fatalf("processes: %+v %v", ps, err)
	}
	st, err := m.Stats(ctx, []string{c.Ref()}, true)
	if err != nil || len(st) != 1 || st[0].PidsCurrent == 0 || st[0].MemoryUsage == 0 {
		t.Fatalf("stats: %+v %v", st, err)
	}
	if w.memory != nil {
		// The same working set as the manager's, give or take what the
		// container did between the two reads.
		out, err := w.memory()
		used, _, _ := strings.Cut(strings.TrimSpace(out), " / ")
		theirs, perr := format.ParseBytes(used)
		ours := int64(st[0].MemoryUsage)
		if err != nil || perr != nil || ours-theirs > 2<<20+theirs/4 || theirs-ours > 2<<20+theirs/4 {
			t.Fatalf("memory: berth %d, %s says %q (%v %v)", ours, w.tool, out, err, perr)
		}
	}

	if v := m.Via(c, core.OpPause); v.Tool != w.tool || v.Warning != "" {
		t.Fatalf("a pause would go %+v, want through %s", v, w.tool)
	}
	if err := m.Pause(ctx, c.Ref()); err != nil {
		t.Fatal(err)
	}
	if !w.paused() {
		t.Fatalf("berth paused %s through %s, which does not say so", c.ID, w.tool)
	}
	if err := m.Resume(ctx, c.Ref()); err != nil {
		t.Fatal(err)
	}
	if w.paused() {
		t.Fatalf("berth resumed %s through %s, which still says paused", c.ID, w.tool)
	}

	// The manager's own pause, resume and stop, seen live.
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	evc, _ := m.Subscribe(sctx)
	await := func(kind watch.Kind) {
		t.Helper()
		for deadline := time.After(20 * time.Second); ; {
			select {
			case batch := <-evc:
				for _, ev := range batch {
					if ev.Ref() == c.Ref() && ev.Kind == kind {
						return
					}
				}
			case <-deadline:
				t.Fatalf("no %s event of %s", kind, c.Ref())
			}
		}
	}
	for _, step := range []struct {
		do   func() error
		kind watch.Kind
	}{{w.pause, watch.KindPause}, {w.resume, watch.KindResume}, {w.stop, watch.KindExit}} {
		if err := step.do(); err != nil {
			t.Fatal(err)
		}
		await(step.kind)
	}
}
