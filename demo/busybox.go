package demo

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"berth/host/statefile"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// BusyboxPath is where Debian's busybox-static installs its binary.
var BusyboxPath = "/bin/busybox"

// MakeBusyboxRootfs builds a minimal root filesystem in dir: a static
// busybox, a symlink for each of its applets, and the empty directories the
// runtime mounts over. The demo and the tests run containers from it.
func MakeBusyboxRootfs(dir string) error {
	bb, err := exec.LookPath(BusyboxPath)
	if err != nil {
		return fmt.Errorf("busybox not found at %s: install busybox-static (make deps)", BusyboxPath)
	}
	out, err := exec.Command(bb, "--list").Output()
	if err != nil {
		return fmt.Errorf("busybox --list: %w", err)
	}
	for _, d := range []string{"bin", "proc", "sys", "dev", "tmp", "etc", "root"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return err
		}
	}
	data, err := os.ReadFile(bb)
	if err != nil {
		return err
	}
	if !isStatic(data) {
		return fmt.Errorf("%s is dynamically linked: install busybox-static", bb)
	}
	target := filepath.Join(dir, "bin", "busybox")
	if err := statefile.Write(target, data, 0o755); err != nil {
		return err
	}
	for _, applet := range strings.Fields(string(out)) {
		if applet == "busybox" || strings.ContainsRune(applet, '/') {
			continue
		}
		link := filepath.Join(dir, "bin", applet)
		if err := os.Symlink("busybox", link); err != nil && !errors.Is(err, os.ErrExist) {
			return err
		}
	}
	etc := map[string]string{
		"passwd": "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n",
		"group":  "root:x:0:\nnobody:x:65534:\n",
	}
	for name, content := range etc {
		if err := os.WriteFile(filepath.Join(dir, "etc", name), []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// CheckBusybox says whether BusyboxPath is a static busybox, which the
// demo's and the tests' root filesystems need.
func CheckBusybox() error {
	data, err := os.ReadFile(BusyboxPath)
	if err != nil {
		return fmt.Errorf("%s missing: install busybox-static (make deps)", BusyboxPath)
	}
	if !isStatic(data) {
		return fmt.Errorf("%s is dynamically linked: install busybox-static", BusyboxPath)
	}
	return nil
}

// isStatic reports whether an ELF binary has no program interpreter.
func isStatic(elf []byte) bool {
	return !strings.Contains(string(elf[:min(len(elf), 4096)]), "/lib64/ld-linux")
}

// WriteBundle writes an OCI bundle in dir whose config is the runtime's
// default spec (`runtime spec`) with the given rootfs (read-only) and args,
// no terminal, and edit applied last.
func WriteBundle(runtime, dir, rootfs string, args []string, edit func(*specs.Spec)) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	cfg := filepath.Join(dir, "config.json")
	os.Remove(cfg) // runtime spec refuses to overwrite
	if out, err := exec.Command(runtime, "spec", "--bundle", dir).CombinedOutput(); err != nil {
		return fmt.Errorf("%s spec: %v: %s", runtime, err, strings.TrimSpace(string(out)))
	}
	// The default spec has a terminal and no rootfs yet, which LoadSpec
	// would refuse: decode it as it is.
	b, err := os.ReadFile(cfg)
	if err != nil {
		return err
	}
	spec := new(specs.Spec)
	if err := json.Unmarshal(b, spec); err != nil {
		return fmt.Errorf("%s: %w", cfg, err)
	}
	spec.Root = &specs.Root{Path: rootfs, Readonly: true}
	spec.Process.Terminal = false
	spec.Process.Args = args
	spec.Hostname = "berth"
	if edit != nil {
		edit(spec)
	}
	return statefile.WriteJSON(cfg, spec, 0o644)
}
