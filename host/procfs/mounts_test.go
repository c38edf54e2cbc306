package procfs

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"golang.org/x/sys/unix"
)

func TestMountsUnder(t *testing.T) {
	info := []byte(`22 1 0:21 / / rw - ext4 /dev/vda rw
30 22 0:30 / /run/runc/x/criu-root rw - ext4 /dev/vda rw
31 30 0:31 / /run/runc/x/criu-root/proc rw - proc proc rw
32 22 0:32 / /run/runc/xy rw - tmpfs none rw
33 22 0:33 / /run/runc/x/a\040b rw - tmpfs none rw
`)
	got, err := MountsUnder(info, "/run/runc/x/")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/run/runc/x/criu-root/proc", "/run/runc/x/criu-root", "/run/runc/x/a b"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// A tmpfs mounted in a directory (as CRIU's cgroup yard is in its work
// dir) is detached, and what was under it is untouched.
func TestUnmountUnder(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	dir := t.TempDir()
	yard := filepath.Join(dir, "yard")
	os.Mkdir(yard, 0o700)
	os.WriteFile(filepath.Join(yard, "under"), []byte("x"), 0o600)
	if err := unix.Mount("none", yard, "tmpfs", 0, ""); err != nil {
		t.Skip(err)
	}
	os.WriteFile(filepath.Join(yard, "on-top"), []byte("x"), 0o600)
	if err := UnmountUnder(dir); err != nil {
		unix.Unmount(yard, unix.MNT_DETACH)
		t.Fatal(err)
	}
	if left, _ := MountsUnder(nil, dir); len(left) != 0 {
		t.Fatalf("still mounted: %v", left)
	}
	if _, err := os.Stat(filepath.Join(yard, "under")); err != nil {
		t.Fatalf("what was under the mount: %v", err)
	}
}
