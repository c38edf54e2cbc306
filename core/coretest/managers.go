package coretest

// Real container managers for integration tests: a private dockerd, a
// private containerd and a private podman store, each started for one test
// and stopped, with what it left behind, when the test ends. berth finds
// their containers without flags through core.DefaultExternalRoots, so the
// runc roots here are the managers' defaults:
//
//   - docker 20.10 (exec-root /run/docker): runc root
//     /run/docker/runtime-runc/moby, one directory per 64-hex container id.
//     Its state.json config.labels hold only
//     "bundle=/run/docker/containerd/daemon/io.containerd.runtime.v2.task/moby/<id>",
//     and that bundle's config.json has no annotations: the name, image and
//     labels are in <data-root>/containers/<id>/config.v2.json (Name "/<name>",
//     Config.Image, Config.Labels, Config.Cmd, LogPath), the json-file log is
//     <data-root>/containers/<id>/<id>-json.log, one JSON object a line:
//     {"log":"line 0\n","stream":"stdout","time":"<RFC 3339 nano>"}. Nothing
//     in the runc state names the data root, but the bundle's config.json
//     mounts <data-root>/containers/<id>/{hostname,hosts,resolv.conf} and
//     its root.path is <data-root>/overlay2/<layer>/merged.
//   - containerd 1.6 with the runc v2 shim: runc root
//     /run/containerd/runc/<namespace> whatever --state says; the bundle is
//     <state>/io.containerd.runtime.v2.task/<namespace>/<id>. A container's
//     labels (ctr run --label k=v) are both state.json config.labels ("k=v"
//     besides "bundle=...") and the bundle's config.json annotations.
//   - podman 4.3 with runc: runc root /run/runc (runc's default). state.json
//     config.labels are the OCI annotations ("io.container.manager=libpod",
//     "io.kubernetes.cri-o.Created=...", "io.podman.annotations.*",
//     "org.opencontainers.image.stopSignal=15") plus
//     "bundle=<root>/overlay-containers/<id>/userdata"; the log is the
//     k8s-file <bundle>/ctr.log ("<RFC 3339 nano> stdout F line 0"). podman
//     run --label values are not among the annotations.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"berth/core"
	"berth/demo"
	"berth/host/procfs"
)

// Manager binaries: Debian's docker.io, containerd and podman packages.
const (
	DockerdBinary    = "/usr/sbin/dockerd"
	DockerBinary     = "/usr/bin/docker" // not /usr/local/bin's, which may be newer than the daemon
	ContainerdBinary = "/usr/bin/containerd"
	CtrBinary        = "/usr/bin/ctr"
	PodmanBinary     = "/usr/bin/podman"
	// PodmanRuntime is the runc podman drives: Debian's crun refuses a
	// cgroup v1 hybrid host.
	PodmanRuntime = "/usr/local/bin/runc"
)

// The runc roots the managers' containers appear in.
const (
	DockerRuntimeRoot     = "/run/docker/runtime-runc/moby"
	ContainerdRuntimeRoot = "/run/containerd/runc" // + "/<namespace>"
	PodmanRuntimeRoot     = "/run/runc"
)

// BusyboxImage is the tag the busybox image is imported under.
const BusyboxImage = "berth-busybox:test"

// skipManager skips (or, when required, fails) t where a manager cannot run.
func skipManager(t testing.TB, bins ...string) {
	t.Helper()
	Skip(t)
	if os.Getenv("BERTH_TEST_GUEST") != "" {
		t.Skip("container managers are not tested in make test-v2's guest")
	}
	for _, b := range bins {
		if _, err := os.Stat(b); err != nil {
			skipOrFail(t, fmt.Sprintf("%s is missing (make deps)", b))
		}
	}
}

func skipOrFail(t testing.TB, why string) {
	t.Helper()
	if Required() {
		t.Fatalf("BERTH_REQUIRE_INTEGRATION is set but %s", why)
	}
	t.Skip(why)
}

// BusyboxRootfs builds a busybox root filesystem in a new directory.
func BusyboxRootfs(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "rootfs")
	if err := demo.MakeBusyboxRootfs(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// BusyboxTar writes a tar of a busybox root filesystem, for docker import
// and podman import, and returns its path.
func BusyboxTar(t testing.TB) string {
	t.Helper()
	rootfs := BusyboxRootfs(t)
	path := filepath.Join(t.TempDir(), "busybox.tar")
	if err := writeTar(path, rootfs); err != nil {
		t.Fatal(err)
	}
	return path
}

func writeTar(path, dir string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	err = core.WriteTree(f, dir, nil)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// daemon is a manager process started for one test.
type daemon struct {
	t    testing.TB
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
}

func startDaemon(t testing.TB, name, log string, bin string, args ...string) *daemon {
	t.Helper()
	lf, err := os.Create(log)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = lf, lf
	// Its own process group: a ^C to the test does not reach it first.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		lf.Close()
		t.Fatalf("start %s: %v", name, err)
	}
	lf.Close()
	d := &daemon{t: t, name: name, cmd: cmd, log: log, done: make(chan struct{})}
	go func() { cmd.Wait(); close(d.done) }()
	return d
}

// waitReady polls ready until it succeeds, the daemon exits or 30 s pass.
func (d *daemon) waitReady(ready func() error) {
	d.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := ready()
		if err == nil {
			return
		}
		select {
		case <-d.done:
			d.t.Fatalf("%s exited while starting: %v\n%s", d.name, d.cmd.ProcessState, d.logTail())
		default:
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("%s not ready after 30 s: %v\n%s", d.name, err, d.logTail())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stop sends SIGTERM to the daemon, and SIGKILL when it is still there
// after grace.
func (d *daemon) stop(grace time.Duration) {
	select {
	case <-d.done:
		return
	default:
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
		return
	case <-time.After(grace):
	}
	d.t.Logf("%s ignored SIGTERM for %v: killing it", d.name, grace)
	d.cmd.Process.Kill()
	select {
	case <-d.done:
	case <-time.After(10 * time.Second):
		d.t.Errorf("%s (pid %d) still there after SIGKILL", d.name, d.cmd.Process.Pid)
	}
}

func (d *daemon) logTail() string {
	b, _ := os.ReadFile(d.log)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// run runs a client command with a deadline, returning its combined output.
func run(bin string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %w: %s", filepath.Base(bin), strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

// killPidfile kills the process a pidfile names when it is still alive and
// its command line contains want (a daemon's child that outlived it).
func killPidfile(t testing.TB, pidfile, want string) {
	b, err := os.ReadFile(pidfile)
	if err != nil {
		return
	}
	var pid int
	if _, err := fmt.Sscan(string(b), &pid); err != nil || pid <= 0 {
		return
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || !strings.Contains(string(cmdline), want) {
		return
	}
	t.Logf("%s (pid %d) outlived its parent: killing it", want, pid)
	syscall.Kill(pid, syscall.SIGKILL)
	for i := 0; i < 100; i++ {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err != nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// removeEmpty removes dirs in order, each only when it is empty: a
// directory someone else put something in stays.
func removeEmpty(dirs ...string) {
	for _, d := range dirs {
		os.Remove(d)
	}
}

// containerdRunDirs are what a containerd 1.6 (docker's own included)
// creates under /run/containerd whatever its --state: shim sockets, ctr's
// fifos and the runc v2 shim's runc roots.
var containerdRunDirs = []string{"/run/containerd/s", "/run/containerd/fifo", "/run/containerd/runc", "/run/containerd"}

// ------------------------------------------------------------------ docker

// Dockerd is a private dockerd: its own data root, socket and pidfile, and
// the default exec root /run/docker, so its containers' runc state is in
// DockerRuntimeRoot where berth looks without flags. dockerd starts its own
// containerd (state /run/docker/containerd).
type Dockerd struct {
	Dir          string // private: data root, socket, pidfile, log
	DataRoot     string
	Socket       string
	Pidfile      string
	RuntimeRoot  string
	CgroupParent string // every container's cgroup parent
	d            *daemon
}

// StartDockerd starts dockerd for t and stops it, with its containers,
// when t ends. It skips (fails when Required) when docker is missing or
// /run/docker exists: another docker's exec root is not the test's.
func StartDockerd(t testing.TB) *Dockerd {
	t.Helper()
	skipManager(t, DockerdBinary, DockerBinary, ContainerdBinary)
	if exists("/run/docker") {
		skipOrFail(t, "/run/docker exists: another dockerd is (or was) running here")
	}
	dir := t.TempDir()
	dk := &Dockerd{
		Dir: dir, DataRoot: filepath.Join(dir, "data"), Socket: filepath.Join(dir, "docker.sock"),
		Pidfile: filepath.Join(dir, "docker.pid"), RuntimeRoot: DockerRuntimeRoot,
		CgroupParent: "/berth-test-" + RandomID(),
	}
	config := filepath.Join(dir, "daemon.json")
	if err := os.WriteFile(config, []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	madeRunContainerd := !exists("/run/containerd")
	// dockerd writes its trust key to /etc/docker/key.json; there is no
	// flag to put it elsewhere.
	madeEtc := !exists("/etc/docker")
	dk.d = startDaemon(t, "dockerd", filepath.Join(dir, "dockerd.log"), DockerdBinary,
		"--iptables=false", "--ip6tables=false", "--bridge=none",
		"--config-file", config, "--data-root", dk.DataRoot,
		"--host", "unix://"+dk.Socket, "--pidfile", dk.Pidfile,
		"--cgroup-parent", dk.CgroupParent)
	t.Cleanup(func() {
		dk.stop()
		if err := procfs.UnmountUnder("/run/docker"); err != nil {
			t.Error(err)
		}
		if err := procfs.UnmountUnder(dir); err != nil {
			t.Error(err)
		}
		if err := os.RemoveAll("/run/docker"); err != nil {
			t.Error(err)
		}
		if madeRunContainerd {
			removeEmpty(containerdRunDirs...)
		}
		if madeEtc {
			os.Remove("/etc/docker/key.json")
			os.Remove("/etc/docker")
		}
		RemoveCgroupParent(dk.CgroupParent)
	})
	dk.d.waitReady(func() error {
		_, err := dk.Run("version")
		return err
	})
	return dk
}

// Run runs the docker CLI against this dockerd.
func (dk *Dockerd) Run(args ...string) (string, error) {
	return run(DockerBinary, append([]string{"-H", "unix://" + dk.Socket}, args...)...)
}

// ImportBusybox imports a busybox image as BusyboxImage.
func (dk *Dockerd) ImportBusybox(t testing.TB) string {
	t.Helper()
	if _, err := dk.Run("import", BusyboxTar(t), BusyboxImage); err != nil {
		t.Fatal(err)
	}
	return BusyboxImage
}

// RunDetached starts a container of image running cmd and returns its
// full id.
func (dk *Dockerd) RunDetached(t testing.TB, image string, cmd ...string) string {
	t.Helper()
	out, err := dk.Run(append([]string{"run", "-d", "--network", "none", image}, cmd...)...)
	if err != nil {
		t.Fatal(err)
	}
	return lastLine(out)
}

func (dk *Dockerd) stop() {
	if out, err := dk.Run("ps", "-aq", "--no-trunc"); err == nil {
		if ids := strings.Fields(out); len(ids) > 0 {
			if _, err := dk.Run(append([]string{"rm", "-f"}, ids...)...); err != nil {
				dk.d.t.Logf("cleanup: %v", err)
			}
		}
	}
	dk.d.stop(20 * time.Second)
	// dockerd stops its containerd; should it not have, this does.
	killPidfile(dk.d.t, "/run/docker/containerd/containerd.pid", "containerd")
}

// -------------------------------------------------------------- containerd

// Containerd is a private containerd (config, root, state and socket in
// Dir) and a namespace of its own. The runc v2 shim keeps runc state in
// /run/containerd/runc/<namespace> whatever --state says, so that is
// RuntimeRoot.
type Containerd struct {
	Dir          string
	Address      string
	Namespace    string
	Root, State  string
	RuntimeRoot  string
	CgroupParent string
	Rootfs       string // a busybox rootfs for RunDetached
	d            *daemon
}

// StartContainerd starts containerd for t and stops it, with the
// namespace's containers, when t ends.
func StartContainerd(t testing.TB) *Containerd {
	t.Helper()
	skipManager(t, ContainerdBinary, CtrBinary)
	dir := t.TempDir()
	c := &Containerd{
		Dir: dir, Address: filepath.Join(dir, "containerd.sock"), Namespace: "berth-test-" + RandomID(),
		Root: filepath.Join(dir, "root"), State: filepath.Join(dir, "state"),
		CgroupParent: "/berth-test-" + RandomID(), Rootfs: BusyboxRootfs(t),
	}
	c.RuntimeRoot = filepath.Join(ContainerdRuntimeRoot, c.Namespace)
	if exists(c.RuntimeRoot) {
		t.Fatalf("%s exists already", c.RuntimeRoot)
	}
	// CRI is off: it would want CNI and is not what the test is about.
	config := fmt.Sprintf(`version = 2
root = %q
state = %q
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = %q
[plugins."io.containerd.internal.v1.opt"]
  path = %q
`, c.Root, c.State, c.Address, filepath.Join(dir, "opt"))
	configPath := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(configPath, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	madeRunContainerd := !exists("/run/containerd")
	c.d = startDaemon(t, "containerd", filepath.Join(dir, "containerd.log"), ContainerdBinary,
		"--config", configPath, "--root", c.Root, "--state", c.State, "--address", c.Address)
	t.Cleanup(func() {
		c.stop()
		if err := procfs.UnmountUnder(dir); err != nil {
			t.Error(err)
		}
		if err := os.Remove(c.RuntimeRoot); err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Errorf("remove the namespace's runc root: %v", err)
		}
		if madeRunContainerd {
			removeEmpty(containerdRunDirs...)
		}
		RemoveCgroupParent(c.CgroupParent)
	})
	c.d.waitReady(func() error {
		_, err := c.Run("version")
		return err
	})
	return c
}

// Run runs ctr against this containerd in the test's namespace.
func (c *Containerd) Run(args ...string) (string, error) {
	return run(CtrBinary, append([]string{"-a", c.Address, "-n", c.Namespace}, args...)...)
}

// RunDetached starts container id over the busybox rootfs running cmd,
// its output in <Dir>/<id>.log (plain lines, as written).
func (c *Containerd) RunDetached(t testing.TB, id string, cmd ...string) {
	t.Helper()
	// ctr's own spec has no PATH; --rootfs is a switch and the first
	// argument after the flags the directory.
	args := []string{"run", "-d", "--env", "PATH=/bin", "--cgroup", c.CgroupParent + "/" + id,
		"--log-uri", "file://" + c.LogPath(id), "--rootfs", c.Rootfs, id}
	if _, err := c.Run(append(args, cmd...)...); err != nil {
		t.Fatal(err)
	}
}

// LogPath is where RunDetached puts container id's output.
func (c *Containerd) LogPath(id string) string { return filepath.Join(c.Dir, id+".log") }

func (c *Containerd) stop() {
	t := c.d.t
	if out, err := c.Run("task", "ls", "-q"); err == nil {
		for _, id := range strings.Fields(out) {
			c.Run("task", "kill", "-s", "SIGKILL", id)
			if _, err := c.Run("task", "rm", "-f", id); err != nil {
				t.Logf("cleanup: %v", err)
			}
		}
	}
	if out, err := c.Run("containers", "ls", "-q"); err == nil {
		for _, id := range strings.Fields(out) {
			if _, err := c.Run("containers", "rm", id); err != nil {
				t.Logf("cleanup: %v", err)
			}
		}
	}
	c.d.stop(15 * time.Second)
}

// ------------------------------------------------------------------ podman

// Podman is a private podman store (root, runroot, tmpdir in Dir) driving
// runc, whose containers are in runc's default root /run/runc.
type Podman struct {
	Dir          string
	Root         string
	RunRoot      string
	RuntimeRoot  string
	CgroupParent string
	t            testing.TB
}

// NewPodman prepares a podman store for t and removes it, with its
// containers, when t ends.
func NewPodman(t testing.TB) *Podman {
	t.Helper()
	skipManager(t, PodmanBinary, PodmanRuntime, "/usr/bin/conmon")
	// Not t.TempDir: podman refuses a runroot longer than 50 characters.
	dir, err := os.MkdirTemp("", "berth-podman-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := os.RemoveAll(dir); err != nil {
			t.Error(err)
		}
	})
	p := &Podman{
		Dir: dir, Root: filepath.Join(dir, "root"), RunRoot: filepath.Join(dir, "runroot"),
		RuntimeRoot: PodmanRuntimeRoot, CgroupParent: "/berth-test-" + RandomID(), t: t,
	}
	t.Cleanup(func() {
		if _, err := p.Run("rm", "-af", "-t", "0"); err != nil {
			t.Logf("cleanup: %v", err)
		}
		if err := procfs.UnmountUnder(dir); err != nil {
			t.Error(err)
		}
		RemoveCgroupParent(p.CgroupParent)
	})
	return p
}

// Run runs podman on this store.
func (p *Podman) Run(args ...string) (string, error) {
	// overlay works on this kind of host; the store is private.
	global := []string{
		"--root", p.Root, "--runroot", p.RunRoot, "--tmpdir", filepath.Join(p.Dir, "tmp"),
		"--storage-driver", "overlay", "--runtime", PodmanRuntime,
		"--cgroup-manager", "cgroupfs", "--events-backend", "file",
	}
	return run(PodmanBinary, append(global, args...)...)
}

// ImportBusybox imports a busybox image as BusyboxImage.
func (p *Podman) ImportBusybox(t testing.TB) string {
	t.Helper()
	if _, err := p.Run("import", BusyboxTar(t), BusyboxImage); err != nil {
		t.Fatal(err)
	}
	return BusyboxImage
}

// RunDetached starts a container of image running cmd and returns its
// full id. No network: podman's bridge would touch iptables.
func (p *Podman) RunDetached(t testing.TB, image string, cmd ...string) string {
	t.Helper()
	args := []string{"run", "-d", "--network", "none", "--cgroup-parent", p.CgroupParent,
		"--ulimit", "nofile=20000:20000", "--ulimit", "nproc=32768:32768", image}
	out, err := p.Run(append(args, cmd...)...)
	if err != nil {
		t.Fatal(err)
	}
	return lastLine(out)
}

func lastLine(out string) string {
	lines := strings.Fields(strings.TrimSpace(out))
	if len(lines) == 0 {
		return ""
	}
	return lines[len(lines)-1]
}
