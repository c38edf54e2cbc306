package shim

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"berth/host/procfs"
)

func TestRuncInit(t *testing.T) {
	root := t.TempDir()
	write := func(id, body string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Join(root, id), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, id, "state.json"), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("ok", `{"id":"ok","init_process_pid":4242,"init_process_start":987654,"config":{"rootfs":"/x"}}`)
	write("nopid", `{"id":"nopid","init_process_start":1}`)
	write("torn", `{"id":"torn","init_proc`)

	got, err := runcInit(root, "ok")
	if err != nil || got != (procfs.Ident{Pid: 4242, Start: 987654}) {
		t.Fatalf("runcInit(ok) = %v, %v", got, err)
	}
	for _, id := range []string{"nopid", "torn", "missing"} {
		if _, err := runcInit(root, id); err == nil || !strings.HasPrefix(err.Error(), "runtime state: ") {
			t.Errorf("runcInit(%s): error %v, want one naming the runtime state", id, err)
		}
	}
}
