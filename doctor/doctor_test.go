package doctor

import (
	"berth/core"

	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeTree writes cgroup files under root: path -> content.
func writeTree(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for p, content := range files {
		full := filepath.Join(root, p)
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCheckCgroupParent(t *testing.T) {
	for _, tc := range []struct {
		name   string
		files  map[string]string
		status string
		want   string
	}{
		{"parent not made yet", map[string]string{
			"cgroup.subtree_control": "cpu io memory pids\n",
		}, CheckOK, "can be enabled"},
		{"root lacks some, enabled by the runtime", map[string]string{
			"cgroup.subtree_control": "memory\n",
		}, CheckOK, "can be enabled"},
		{"parent holds processes", map[string]string{
			"cgroup.subtree_control":       "cpu io memory pids\n",
			"berth/cgroup.subtree_control": "memory\n",
			"berth/cgroup.procs":           "1234\n",
		}, CheckWarn, "cpu pids io not enabled in /berth, which holds processes"},
		{"parent ready", map[string]string{
			"cgroup.subtree_control":       "cpu io memory pids\n",
			"berth/cgroup.subtree_control": "cpu io memory pids\n",
			"berth/cgroup.procs":           "",
		}, CheckOK, "can be enabled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			writeTree(t, root, tc.files)
			c := checkCgroupParent(root, "/berth", []string{"rw", "nsdelegate"})
			if c.Status != tc.status || !strings.Contains(c.Detail, tc.want) || !strings.Contains(c.Detail, "nsdelegate") {
				t.Fatalf("%+v, want %s with %q", c, tc.status, tc.want)
			}
			if c.Status != CheckOK && c.Fix == "" {
				t.Fatal("a warning without a fix")
			}
		})
	}
}

func TestMountOptions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mountinfo")
	os.WriteFile(path, []byte("22 1 0:21 / /proc rw,nosuid shared:5 - proc proc rw\n"+
		"30 22 0:26 / /sys/fs/cgroup rw,nosuid,nodev shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n"), 0o644)
	opts := mountOptions(path, "/sys/fs/cgroup")
	if !contains(opts, "nsdelegate") || !contains(opts, "nodev") {
		t.Fatalf("options %v", opts)
	}
	if mountOptions(path, "/nowhere") != nil {
		t.Fatal("options of a mount that is not there")
	}
}

func TestCheckOtherRuntime(t *testing.T) {
	debian := "crun version 1.8.1\ncommit: f8a096be\nspec: 1.0.0\n+SYSTEMD +SELINUX +APPARMOR +CAP +SECCOMP +EBPF +YAJL\n"
	c := checkOtherRuntime(Check{Name: "runtime", Detail: "/usr/bin/crun: crun version 1.8.1"}, "/usr/bin/crun", debian)
	if c.Status != CheckWarn || !strings.Contains(c.Detail, "built without CRIU") || strings.Contains(c.Detail, "libseccomp") || c.Fix == "" {
		t.Fatalf("%+v", c)
	}
}

func TestCheckExternalRoots(t *testing.T) {
	dir := t.TempDir()
	ns := filepath.Join(dir, "containerd", "k8s.io")
	os.MkdirAll(ns, 0o700)
	c := checkExternalRoots([]string{filepath.Join(dir, "containerd", "*"), filepath.Join(dir, "typo")}, "")
	if c.Status != CheckWarn || !strings.Contains(c.Detail, "reads "+ns) || !strings.Contains(c.Detail, "typo") || c.Fix == "" {
		t.Fatalf("%+v", c)
	}
	if c := checkExternalRoots([]string{filepath.Join(dir, "containerd", "*")}, ""); c.Status != CheckOK {
		t.Fatalf("%+v", c)
	}
}

// A manager's root without its CLI is a warning naming the CLI; no other
// manager's root is nothing to say.
func TestManagerCLIs(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "exec", "runtime-runc", "moby") // docker's
	if err := os.MkdirAll(root, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir) // no docker on it
	if c := checkManagerCLIs([]string{root}, ""); c.Status != CheckWarn || !strings.Contains(c.Detail, "not installed: docker") {
		t.Fatalf("docker's root without docker: %+v", c)
	}
	if c := checkManagerCLIs([]string{filepath.Join(dir, "nothing")}, ""); c.Status != CheckOK || !strings.Contains(c.Detail, "no other manager") {
		t.Fatalf("no manager's root: %+v", c)
	}
}

// A missing inspector is a warning naming it; so is a berth that runs
// itself as its shim.
func TestCompanions(t *testing.T) {
	t.Setenv("PATH", t.TempDir())              // no berth-inspect on it
	exe := filepath.Join(t.TempDir(), "berth") // nothing beside it
	if c := checkCompanions(core.Options{ShimBinary: "/opt/berth/berth-shim"}, exe); c.Status != CheckWarn || !strings.Contains(c.Detail, core.InspectName) || c.Fix == "" {
		t.Fatalf("no inspector: %+v", c)
	}
	if c := checkCompanions(core.Options{ShimBinary: exe, InspectBinary: "/opt/berth/berth-inspect"}, exe); c.Status != CheckWarn || !strings.Contains(c.Detail, "berth shim") {
		t.Fatalf("berth as its own shim: %+v", c)
	}
	if c := checkCompanions(core.Options{ShimBinary: "/opt/berth/berth-shim", InspectBinary: "/opt/berth/berth-inspect"}, exe); c.Status != CheckOK || !strings.Contains(c.Detail, "/opt/berth/berth-inspect") {
		t.Fatalf("both there: %+v", c)
	}
}
