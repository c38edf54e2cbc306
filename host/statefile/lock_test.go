package statefile

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

func TestLockDir(t *testing.T) {
	dir := t.TempDir()
	first, err := LockDir(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := LockDir(dir, 50*time.Millisecond); !errors.Is(err, ErrLocked) {
		t.Fatalf("second lock while held: %v, want ErrLocked", err)
	}
	// A child that inherited the lock holds it after the parent let go,
	// until it exits.
	child := exec.Command("sleep", "0.3")
	child.ExtraFiles = []*os.File{first}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	first.Close()
	if _, err := LockDir(dir, 0); !errors.Is(err, ErrLocked) {
		t.Fatalf("lock while a child holds it: %v, want ErrLocked", err)
	}
	child.Wait()
	again, err := LockDir(dir, 0)
	if err != nil {
		t.Fatalf("lock after every holder is gone: %v", err)
	}
	again.Close()

	link := filepath.Join(t.TempDir(), "link")
	os.Symlink(dir, link)
	if f, err := LockDir(link, 0); err == nil {
		f.Close()
		t.Fatal("locked through a symlink")
	}
	file := filepath.Join(dir, "f")
	os.WriteFile(file, nil, 0o600)
	if f, err := LockDir(file, 0); err == nil {
		f.Close()
		t.Fatal("locked a regular file as a directory")
	}
}
