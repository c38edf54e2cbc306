package core_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"berth/core"
	"berth/core/coretest"
)

// chatty prints a line every 100 ms.
var chatty = []string{"sh", "-c", "i=0; while true; do echo line $i; i=$((i+1)); sleep 0.1; done"}

// openDefault opens a manager over a private state dir with the default
// external roots: what berth finds without flags.
func openDefault(t *testing.T) *core.Manager {
	t.Helper()
	m, err := core.Open(ctx, core.Options{StateDir: t.TempDir(), Runtime: coretest.Runtime(), ShimBinary: fixture.Berth})
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
	if _, err := dk.Run("stop", "-t", "1", id); err != nil {
		t.Fatal(err)
	}
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
	if _, err := cd.Run("task", "kill", "-s", "SIGKILL", id); err != nil {
		t.Fatal(err)
	}
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
	if _, err := p.Run("stop", "-t", "1", id); err != nil {
		t.Fatal(err)
	}
	assertGone(t, m, id)
}
