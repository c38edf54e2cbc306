package core

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"berth/host/procfs"
)

// A container in crun's root is read from crun's own state files: running
// while its pid names the process crun started, created while crun's exec
// fifo is there, stopped once the process is gone; owner and name from
// the spec's annotations and podman's records.
func TestCrunExternal(t *testing.T) {
	sleep := exec.Command("sleep", "100")
	if err := sleep.Start(); err != nil {
		t.Fatal(err)
	}
	defer sleep.Process.Kill()
	st, err := procfs.ReadStat(sleep.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	store := filepath.Join(t.TempDir(), "overlay-containers")
	bundle := filepath.Join(store, "abc", "userdata")
	dir := filepath.Join(root, "abc")
	for _, d := range []string{dir, bundle} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	write := func(path, body string) {
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(dir, "status"), `{"pid":`+strconv.Itoa(sleep.Process.Pid)+`,"process-start-time":`+strconv.FormatUint(st.StartTime, 10)+
		`,"cgroup-path":"/x","bundle":"`+bundle+`","created":"2026-12-03T06:00:00.5Z","owner":"root","detached":true}`)
	write(filepath.Join(dir, "config.json"), `{"ociVersion":"1.0.0","annotations":{"io.container.manager":"libpod"}}`)
	write(filepath.Join(store, "containers.json"), `[{"id":"abc","names":["web"],"metadata":"{\"image-name\":\"localhost/bb:1\"}"}]`)

	m := &Manager{}
	c, ok := m.loadCrunExternal(root, "abc")
	want := time.Date(2026, 12, 3, 6, 0, 0, 5e8, time.UTC)
	if !ok || c.Status != StatusRunning || c.Pid != sleep.Process.Pid || c.Runtime != "crun" || !c.Created.Equal(want) ||
		len(c.CgroupPaths) == 0 || c.Owner != OwnerPodman || c.Name != "web" || c.Image != "localhost/bb:1" {
		t.Fatalf("loaded %+v %v", c, ok)
	}
	write(filepath.Join(dir, "exec.fifo"), "")
	if c, _ := m.loadCrunExternal(root, "abc"); c.Status != StatusCreated {
		t.Fatalf("with crun's exec fifo it is %s", c.Status)
	}
	sleep.Process.Kill()
	sleep.Wait()
	if c, _ := m.loadCrunExternal(root, "abc"); c.Status != StatusStopped || c.Pid != 0 {
		t.Fatalf("once its process is gone it is %s (pid %d)", c.Status, c.Pid)
	}
	if _, ok := m.loadCrunExternal(root, "nosuch"); ok {
		t.Fatal("a container crun does not have was loaded")
	}
}
