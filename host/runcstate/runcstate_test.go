package runcstate

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"berth/host/cgroupfs"
	"berth/host/procfs"
)

// writeState writes a state.json for id under root and returns its dir.
func writeState(t *testing.T, root, id string, st map[string]any) string {
	t.Helper()
	dir := filepath.Join(root, id)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(st)
	if err := os.WriteFile(filepath.Join(dir, StateFile), b, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestLoadAndStatus(t *testing.T) {
	root, cg := t.TempDir(), t.TempDir()
	self := os.Getpid()
	start, err := procfs.StartTime(self)
	if err != nil {
		t.Fatal(err)
	}
	v1 := map[string]string{"memory": filepath.Join(cg, "v1", "memory"), "freezer": filepath.Join(cg, "v1", "freezer")}
	v2 := map[string]string{"": filepath.Join(cg, "v2")}
	state := func(pid int, start uint64, paths map[string]string) map[string]any {
		return map[string]any{"id": "c", "init_process_pid": pid, "init_process_start": start, "created": "2026-12-03T10:00:00Z",
			"cgroup_paths": paths, "config": map[string]any{"labels": []string{"x=y", "bundle=/b/one"},
				"uid_mappings": []map[string]int{{"container_id": 0, "host_id": 100000, "size": 65536}}}}
	}

	writeState(t, root, "run", state(self, start, v1))
	st, err := Load(root, "run")
	if err != nil {
		t.Fatal(err)
	}
	if init, err := LoadInit(root, "run"); err != nil || init != st.Init() {
		t.Errorf("LoadInit = %v, %v; want %v as Load reads it", init, err, st.Init())
	}
	if st.Status() != Running || st.Bundle() != "/b/one" || st.Init() != (procfs.Ident{Pid: self, Start: start}) ||
		st.Created.IsZero() || len(st.Config.UIDMappings) != 1 || st.Config.UIDMappings[0].HostID != 100000 {
		t.Fatalf("running container: %+v status %s", st, st.Status())
	}
	// Frozen by itself: paused; frozen through an ancestor: not.
	writeFile(t, filepath.Join(v1["freezer"], "freezer.state"), "FROZEN\n")
	writeFile(t, filepath.Join(v1["freezer"], "freezer.self_freezing"), "1\n")
	if s := st.Status(); s != Paused {
		t.Errorf("own freezer FROZEN: %s", s)
	}
	writeFile(t, filepath.Join(v1["freezer"], "freezer.self_freezing"), "0\n")
	if s := st.Status(); s != Running {
		t.Errorf("frozen through an ancestor: %s", s)
	}
	writeFile(t, filepath.Join(v1["freezer"], "freezer.state"), "FREEZING\n")
	if s := st.Status(); s != Paused {
		t.Errorf("FREEZING: %s", s)
	}

	dir := writeState(t, root, "v2", state(self, start, v2))
	writeFile(t, filepath.Join(v2[""], "cgroup.freeze"), "1\n")
	if st, _ := Load(root, "v2"); st.Status() != Paused {
		t.Errorf("v2 cgroup.freeze 1: %s", st.Status())
	}
	writeFile(t, filepath.Join(v2[""], "cgroup.freeze"), "0\n")
	writeFile(t, filepath.Join(dir, "exec.fifo"), "")
	if st, _ := Load(root, "v2"); st.Status() != Created {
		t.Errorf("exec fifo present: %s", st.Status())
	}

	// Thawed, as runc's destroy wants the freezer: certainly thawed or gone.
	if Thawed(cgroupfs.Paths(v1)) {
		t.Error("FREEZING counted as thawed")
	}
	if !Thawed(cgroupfs.Paths(v2)) || !Thawed(cgroupfs.Paths{"": filepath.Join(cg, "gone")}) {
		t.Error("v2 cgroup.freeze 0, or a freezer gone, not thawed")
	}
	writeFile(t, filepath.Join(v1["freezer"], "freezer.state"), "THAWED\n")
	if !Thawed(cgroupfs.Paths(v1)) {
		t.Error("v1 THAWED not thawed")
	}

	// An init whose start time is not the recorded one is a reused pid.
	writeState(t, root, "reused", state(self, start+1, v1))
	if st, _ := Load(root, "reused"); st.Status() != Stopped {
		t.Errorf("reused pid: %s", st.Status())
	}

	writeState(t, root, "nopid", map[string]any{"id": "nopid"})
	for _, id := range []string{"nopid", "missing", "..", "a/b", ""} {
		if _, err := Load(root, id); err == nil {
			t.Errorf("Load(%q) succeeded", id)
		}
	}
	if _, err := Load(root, "missing"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a container runc does not know: %v", err)
	}
}

// make deps installs the runc whose state this package reads.
func TestDepsInstallsRuncVersion(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "scripts", "deps.sh"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "DEFAULT_RUNC_VERSION=v" + RuncVersion + "\n"; !strings.Contains(string(b), want) {
		t.Fatalf("scripts/deps.sh does not set %q", strings.TrimSpace(want))
	}
}
