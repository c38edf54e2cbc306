package core_test

import (
	"os"
	"path/filepath"
	"testing"

	"berth/core/coretest"
	"berth/demo"
	"berth/host/procfs"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// A restore killed mid-way (a start timeout) leaves CRIU's bind of the
// root filesystem at criu-root in the runtime's state dir. Removing the
// container then must detach it, not delete through it: the root
// filesystem is untouched afterwards.
func TestRemoveKeepsRootfsUnderLeftMount(t *testing.T) {
	e := coretest.NewEnv(t, fixture, nil)
	rootfs := filepath.Join(t.TempDir(), "rootfs")
	if err := demo.MakeBusyboxRootfs(rootfs); err != nil {
		t.Fatal(err)
	}
	c := e.Run("leftmount", []string{"sleep", "1000"}, func(s *specs.Spec) { s.Root.Path = rootfs })
	bind := filepath.Join(c.RuntimeRoot, c.ID, "criu-root")
	if err := os.Mkdir(bind, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount(rootfs, bind, "", unix.MS_BIND, ""); err != nil {
		t.Skip(err)
	}
	t.Cleanup(func() { unix.Unmount(bind, unix.MNT_DETACH) })
	if err := e.M.Delete(ctx, c.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(rootfs, "bin", "busybox")); err != nil {
		t.Fatalf("the root filesystem was emptied through the left mount: %v", err)
	}
	if left, _ := procfs.MountsUnder(nil, bind); len(left) != 0 {
		t.Fatalf("still mounted: %v", left)
	}
	if _, err := e.M.Get(ctx, c.ID); err == nil {
		t.Fatal("the container is still there")
	}
}
