// Package coretest starts real containers for berth's integration tests:
// it builds the berth binary (the shim is that binary re-executed), builds a
// busybox root filesystem, and gives each test a private state dir and
// cgroup parent that it removes afterwards, by name.
package coretest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"berth/core"
	"berth/demo"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Required reports whether integration tests must run: CI sets
// BERTH_REQUIRE_INTEGRATION so a missing dependency fails instead of
// skipping.
func Required() bool { return os.Getenv("BERTH_REQUIRE_INTEGRATION") != "" }

// Missing returns why integration tests cannot run here, or "".
func Missing() string {
	if os.Geteuid() != 0 {
		return "integration tests need root"
	}
	if _, err := exec.LookPath(Runtime()); err != nil {
		return "integration tests need " + Runtime() + " on PATH (make deps)"
	}
	if _, err := os.Stat(demo.BusyboxPath); err != nil {
		return "integration tests need busybox-static (make deps)"
	}
	return ""
}

// Runtime is the OCI runtime the tests drive: BERTH_TEST_RUNTIME (make
// test-v2 runs core's suite again with crun), runc by default.
func Runtime() string {
	if rt := os.Getenv("BERTH_TEST_RUNTIME"); rt != "" {
		return rt
	}
	return "runc"
}

// Skip skips or fails t when integration tests cannot run.
func Skip(t testing.TB) {
	t.Helper()
	if why := Missing(); why != "" {
		if Required() {
			t.Fatalf("BERTH_REQUIRE_INTEGRATION is set but %s", why)
		}
		t.Skip(why)
	}
	if testing.Short() {
		t.Skip("integration test skipped in -short mode")
	}
}

// SkipWithoutCriu skips or fails t when CRIU cannot checkpoint here.
func SkipWithoutCriu(t testing.TB) {
	t.Helper()
	Skip(t)
	if out, err := exec.Command(Runtime(), "--version").Output(); err == nil && !core.ParseRuntimeVersion(string(out)).Checkpoint {
		// Debian's crun: berth refuses up front (TestCheckpointNeedsCRIU).
		t.Skipf("%s was built without CRIU: it cannot checkpoint", Runtime())
	}
	if err := exec.Command("criu", "check").Run(); err != nil {
		if Required() {
			t.Fatalf("BERTH_REQUIRE_INTEGRATION is set but criu check fails: %v (make deps)", err)
		}
		t.Skipf("criu check fails: %v", err)
	}
}

// Fixture is what a package's TestMain prepares once: the berth binary and a
// busybox rootfs, in a temporary directory removed by Close.
type Fixture struct {
	Dir   string
	Berth string
	// Shim is the binary berth starts as its shim: berth-shim beside
	// Berth, as it is installed, or Berth itself when there is none.
	Shim string
	// Inspect is the checkpoint inspector beside Berth.
	Inspect string
	Rootfs  string
}

// Setup builds the berth binary and the rootfs. It returns nil, nil when
// integration tests cannot run here (and are not required).
func Setup() (*Fixture, error) {
	if Missing() != "" {
		return nil, nil
	}
	dir, err := os.MkdirTemp("", "berth-it-")
	if err != nil {
		return nil, err
	}
	// The rootfs must be reachable by a user-namespaced container's root.
	os.Chmod(dir, 0o755)
	f := &Fixture{Dir: dir, Berth: filepath.Join(dir, "berth"), Rootfs: filepath.Join(dir, "rootfs")}
	if prebuilt := os.Getenv("BERTH_TEST_BINARY"); prebuilt != "" {
		// make test-v2 builds berth once on the host: compiling it again
		// in each package of an emulated guest would cost minutes.
		f.Berth = prebuilt
	} else {
		_, file, _, _ := runtime.Caller(0)
		module := filepath.Join(filepath.Dir(file), "..", "..")
		// Built as make build builds them (the shim stripped), so what the
		// tests and benchmarks run is what is installed.
		for _, b := range [][]string{{f.Berth, "."}, {filepath.Join(dir, core.ShimName), "./shim/berth-shim", "-ldflags=-s -w"},
			{filepath.Join(dir, core.InspectName), "./inspect/berth-inspect"}} {
			cmd := exec.Command("go", append([]string{"build", "-trimpath", "-o", b[0]}, append(b[2:], b[1])...)...)
			cmd.Dir = module
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
			if out, err := cmd.CombinedOutput(); err != nil {
				f.Close()
				return nil, fmt.Errorf("build %s: %v: %s", b[1], err, out)
			}
		}
	}
	f.Shim = core.DefaultShimBinary(f.Berth)
	f.Inspect = core.DefaultInspectBinary(f.Berth)
	if err := demo.MakeBusyboxRootfs(f.Rootfs); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// Close removes the fixture's directory.
func (f *Fixture) Close() {
	if f != nil {
		os.RemoveAll(f.Dir)
	}
}

// Env is one test's private world: a state dir, a cgroup parent, and a
// manager over them.
type Env struct {
	T            testing.TB
	F            *Fixture
	StateDir     string
	CgroupParent string
	M            *core.Manager
	Opts         core.Options
}

// NewEnv makes a private state dir and cgroup parent for t and removes
// every container, shim and cgroup in them when t ends.
func NewEnv(t testing.TB, f *Fixture, edit func(*core.Options)) *Env {
	t.Helper()
	Skip(t)
	if f == nil {
		t.Fatal("fixture not set up")
	}
	e := &Env{T: t, F: f, StateDir: t.TempDir(), CgroupParent: "/berth-test-" + RandomID()}
	e.Opts = core.Options{
		StateDir: e.StateDir, CgroupParent: e.CgroupParent, ShimBinary: f.Shim, InspectBinary: f.Inspect,
		ExternalRoots: []string{}, StartTimeout: 20 * time.Second,
		Runtime: Runtime(),
	}
	if edit != nil {
		edit(&e.Opts)
	}
	m, err := core.Open(context.Background(), e.Opts)
	if err != nil {
		t.Fatal(err)
	}
	e.M = m
	t.Cleanup(e.cleanup)
	return e
}

func (e *Env) cleanup() {
	ctx := context.Background()
	cs, _ := e.M.List(ctx)
	for _, c := range cs {
		if c.Managed {
			if err := e.M.Delete(ctx, c.ID, true); err != nil {
				e.T.Logf("cleanup %s: %v", c.ID, err)
			}
		}
	}
	RemoveCgroupParent(e.CgroupParent)
}

// RemoveCgroupParent removes a test's cgroup parent in every hierarchy,
// children first. It only ever touches that one name.
func RemoveCgroupParent(parent string) {
	roots, _ := filepath.Glob("/sys/fs/cgroup/*")
	roots = append(roots, "/sys/fs/cgroup")
	for _, r := range roots {
		dir := filepath.Join(r, parent)
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, en := range entries {
			if en.IsDir() {
				os.Remove(filepath.Join(dir, en.Name()))
			}
		}
		os.Remove(dir)
	}
}

// RandomID returns a short random hex string.
func RandomID() string {
	b := make([]byte, 4)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Bundle writes a bundle running args in a new directory and returns it.
func (e *Env) Bundle(args []string, edit func(*specs.Spec)) string {
	e.T.Helper()
	dir := filepath.Join(e.T.TempDir(), "bundle")
	if err := demo.WriteBundle(Runtime(), dir, e.F.Rootfs, args, edit); err != nil {
		e.T.Fatal(err)
	}
	return dir
}

// Run starts a container running args and fails the test on error.
func (e *Env) Run(id string, args []string, edit func(*specs.Spec)) core.Container {
	e.T.Helper()
	c, err := e.M.Run(context.Background(), id, core.RunOptions{Bundle: e.Bundle(args, edit)})
	if err != nil {
		e.T.Fatalf("run %s: %v", id, err)
	}
	return c
}

// WaitStatus waits until the container reaches status, or fails after d.
func (e *Env) WaitStatus(id string, want core.Status, d time.Duration) core.Container {
	e.T.Helper()
	deadline := time.Now().Add(d)
	var c core.Container
	var err error
	for time.Now().Before(deadline) {
		c, err = e.M.Get(context.Background(), id)
		if err == nil && c.Status == want && (want != core.StatusStopped || c.ExitStatus != nil) {
			return c
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.T.Fatalf("%s: wanted %s within %v, have %+v (err %v)", id, want, d, c, err)
	return c
}

// ErrIs fails the test unless err matches target.
func ErrIs(t testing.TB, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error %v, want %v", err, target)
	}
}

// Main runs a test package with the fixture: it sets it up, hands it to
// set, runs the tests, and removes it. A TestMain is then one line.
func Main(m *testing.M, set func(*Fixture)) int {
	f, err := Setup()
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration fixture:", err)
		return 1
	}
	set(f)
	defer f.Close()
	return m.Run()
}
