package cgroupfs

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// With HoldFiles, a cgroup file is read again through the descriptor it
// was first read with: a write shows at the next read; once the cgroup is
// removed the read fails (never a stale value); a cgroup made again at the
// same path reads afresh.
func TestHoldFiles(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	root := "/sys/fs/cgroup/pids"
	if _, err := os.Stat(filepath.Join(root, "cgroup.procs")); err != nil {
		root = "/sys/fs/cgroup" // v2
	}
	dir := filepath.Join(root, "berth-held-"+strconv.Itoa(os.Getpid()))
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Skip(err)
	}
	defer os.Remove(dir)
	HoldFiles()
	defer func() {
		held.mu.Lock()
		held.on = false
		for _, f := range held.files {
			held.drop(f)
		}
		held.mu.Unlock()
	}()
	file := filepath.Join(dir, "pids.max")
	set := func(v string) {
		if err := os.WriteFile(file, []byte(v), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	read := func() (uint64, bool, error) { return ReadUint(file) }
	if _, unlimited, err := read(); err != nil || !unlimited {
		t.Fatalf("first read: %v %v", unlimited, err)
	}
	set("7")
	if v, _, err := read(); err != nil || v != 7 {
		t.Fatalf("after a write: %d %v", v, err)
	}
	held.mu.Lock()
	n := len(held.files)
	held.mu.Unlock()
	if n != 1 {
		t.Fatalf("%d files held", n)
	}
	if err := os.Remove(dir); err != nil {
		t.Fatal(err)
	}
	if _, _, err := read(); err == nil {
		t.Fatal("a removed cgroup's file read")
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	set("9")
	if v, _, err := read(); err != nil || v != 9 {
		t.Fatalf("the cgroup made again: %d %v", v, err)
	}
}
