// Package doctor checks what berth needs from the host it runs on: the
// runtime and its version, CRIU, the cgroup mode and controllers, the
// kernel's features, user namespaces, the state dir's permissions. Each
// finding comes with a fix an operator can run.
package doctor

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"berth/core"
	"berth/demo"
	"berth/host/cgroupfs"
	"berth/host/runcstate"

	"golang.org/x/sys/unix"
)

// Check is one finding of Doctor.
type Check struct {
	Name   string `json:"name"`
	Status string `json:"status"` // ok, warn or fail
	Detail string `json:"detail"`
	Fix    string `json:"fix,omitempty"`
}

// Check statuses.
const (
	CheckOK   = "ok"
	CheckWarn = "warn"
	CheckFail = "fail"
)

// Doctor checks what berth needs from this host, each finding with a fix.
func Doctor(ctx context.Context, opts core.Options) []Check {
	if opts.Runtime == "" {
		opts.Runtime = core.DefaultRuntime
	}
	var out []Check
	add := func(c Check) { out = append(out, c) }
	add(checkRoot())
	add(checkRuntime(ctx, opts.Runtime))
	add(checkStateDir(opts.StateDir))
	exe, _ := os.Executable()
	add(checkCompanions(opts, exe))
	add(checkExternalRoots(opts.ExternalRoots, opts.RuntimeRoot))
	add(checkManagerCLIs(opts.ExternalRoots, opts.RuntimeRoot))
	add(checkCgroups())
	if cgroupfs.Unified() {
		add(checkCgroupParent(cgroupfs.Root, opts.CgroupParent, mountOptions("/proc/self/mountinfo", cgroupfs.Root)))
	}
	add(checkOOMCounter())
	add(checkKernel())
	add(checkUserns())
	add(checkInotify())
	out = append(out, checkCriu(ctx)...)
	add(checkBinary("iptables", "iptables", "CRIU locks the container's network with it during a dump", "apt-get install iptables (or make deps)"))
	add(checkBusybox())
	add(checkBinary("tmux", "tmux", "the end-to-end tests drive the UI in it", "apt-get install tmux (or make deps)"))
	return out
}

func checkRoot() Check {
	c := Check{Name: "privileges"}
	if os.Geteuid() == 0 {
		c.Status, c.Detail = CheckOK, "running as root"
	} else {
		c.Status, c.Detail = CheckFail, fmt.Sprintf("running as uid %d; runc containers with cgroups need root", os.Geteuid())
		c.Fix = "run berth as root (sudo berth ...)"
	}
	return c
}

func checkRuntime(ctx context.Context, name string) Check {
	c := Check{Name: "runtime"}
	want := runcstate.RuncVersion
	fix := "make deps (builds runc " + want + " from the Go module proxy into /usr/local/bin)"
	path, err := exec.LookPath(name)
	if err != nil {
		c.Status, c.Detail, c.Fix = CheckFail, fmt.Sprintf("%s not found on PATH", name), fix
		return c
	}
	out, err := commandOutput(ctx, 5*time.Second, path, "--version")
	if err != nil {
		c.Status, c.Detail, c.Fix = CheckFail, fmt.Sprintf("%s --version failed: %v", path, err), fix
		return c
	}
	first, _, _ := strings.Cut(out, "\n")
	got, _ := core.Version(first)
	c.Detail = fmt.Sprintf("%s: %s", path, strings.TrimSpace(first))
	if filepath.Base(path) != "runc" {
		return checkOtherRuntime(c, path, out)
	}
	switch {
	case got != want:
		c.Status, c.Fix = CheckWarn, fix
		c.Detail += fmt.Sprintf(" (berth reads the state of runc %s; another release may keep it differently)", want)
	case !strings.Contains(out, "libseccomp"):
		c.Status, c.Fix = CheckWarn, fix
		c.Detail += " (built without seccomp: bundles with a seccomp profile will fail)"
	default:
		c.Status = CheckOK
	}
	return c
}

// checkOtherRuntime reports what a runtime other than runc (crun) lacks
// of what berth uses: checkpoint and restore need it built with CRIU,
// seccomp profiles with libseccomp, and berth drives crun on cgroup v2.
func checkOtherRuntime(c Check, path, out string) Check {
	f := core.ParseRuntimeVersion(out)
	var missing []string
	if !f.Checkpoint {
		missing = append(missing, "checkpoint and restore (built without CRIU)")
	}
	if !f.Seccomp {
		missing = append(missing, "seccomp profiles (built without libseccomp)")
	}
	if !cgroupfs.Unified() {
		missing = append(missing, "cgroup v1: berth tests "+filepath.Base(path)+" on cgroup v2 only")
	}
	if len(missing) == 0 {
		c.Status = CheckOK
		return c
	}
	c.Status, c.Detail = CheckWarn, c.Detail+"; missing: "+strings.Join(missing, "; ")
	c.Fix = "use runc for what is missing (--runtime runc; make deps builds it), or a " + filepath.Base(path) + " built with it"
	return c
}

// checkExternalRoots lists the runtime roots berth reads for containers
// it did not start, and warns about a given one that does not exist.
// roots nil means the defaults, which may well be absent.
func checkExternalRoots(roots []string, own string) Check {
	c := Check{Name: "external roots"}
	given := roots != nil
	if !given {
		roots = core.DefaultExternalRoots
	}
	var patterns []string
	for _, r := range roots {
		if r != "" {
			patterns = append(patterns, r)
		}
	}
	read, missing := core.ExpandRoots(patterns, own)
	switch {
	case len(read) > 0:
		c.Detail = "reads " + strings.Join(read, ", ")
	case len(patterns) == 0:
		c.Detail = "none (--external-root \"\")"
	default:
		c.Detail = "none of " + strings.Join(patterns, ", ") + " exists: no other manager's containers here"
	}
	if given && len(missing) > 0 {
		c.Status = CheckWarn
		c.Detail += "; given but missing: " + strings.Join(missing, ", ")
		c.Fix = "check the --external-root paths (docker: /run/docker/runtime-runc/moby, containerd: /run/containerd/runc/NAMESPACE)"
		return c
	}
	c.Status = CheckOK
	return c
}

// checkManagerCLIs says, for each manager whose runtime root is here,
// whether its CLI is installed: berth pauses, resumes, kills and updates
// that manager's containers through it, and without it only after a
// warning that the manager goes out of step.
func checkManagerCLIs(roots []string, own string) Check {
	c := Check{Name: "manager CLIs", Status: CheckOK}
	if roots == nil {
		roots = core.DefaultExternalRoots
	}
	read, _ := core.ExpandRoots(roots, own)
	need := map[string]bool{}
	for _, r := range read {
		if tool := core.ManagerCLI(core.RootOwner(r)); tool != "" {
			need[tool] = true
		}
	}
	var found, missing []string
	for _, tool := range []string{"docker", "ctr", "podman"} {
		if !need[tool] {
			continue
		}
		if p, err := exec.LookPath(tool); err == nil {
			found = append(found, p)
		} else {
			missing = append(missing, tool)
		}
	}
	switch {
	case len(found) == 0 && len(missing) == 0:
		c.Detail = "no other manager's runtime root here"
	case len(missing) == 0:
		c.Detail = "acts through " + strings.Join(found, ", ")
	default:
		c.Status = CheckWarn
		c.Detail = "not installed: " + strings.Join(missing, ", ") + "; berth acts on their containers through the runtime, after a warning"
		if len(found) > 0 {
			c.Detail = "acts through " + strings.Join(found, ", ") + "; " + c.Detail
		}
		c.Fix = "install the manager's CLI (docker.io, containerd's ctr), or accept that pauses and updates go behind its back"
	}
	return c
}

func checkStateDir(dir string) Check {
	if dir == "" {
		dir = core.DefaultStateDir
	}
	c := Check{Name: "state dir"}
	if err := core.EnsurePrivateDir(dir); err != nil {
		c.Status, c.Detail, c.Fix = CheckFail, err.Error(), "chown root "+dir+" && chmod 700 "+dir
		return c
	}
	c.Status, c.Detail = CheckOK, dir+" is private (0700, ours)"
	return c
}

// v1Controllers are the controllers berth reads on cgroup v1.
var v1Controllers = []string{"memory", "cpu", "cpuacct", "pids", "freezer", "blkio"}

func checkCgroups() Check {
	c := Check{Name: "cgroups"}
	if cgroupfs.Unified() {
		b, err := os.ReadFile(filepath.Join(cgroupfs.Root, "cgroup.controllers"))
		if err != nil {
			c.Status, c.Detail = CheckFail, "cgroup v2: "+err.Error()
			return c
		}
		have := strings.Fields(string(b))
		var missing []string
		for _, want := range []string{"memory", "cpu", "pids", "io"} {
			if !contains(have, want) {
				missing = append(missing, want)
			}
		}
		c.Detail = "cgroup v2 (unified): " + strings.Join(have, " ")
		if len(missing) > 0 {
			c.Status, c.Detail = CheckWarn, c.Detail+"; missing "+strings.Join(missing, " ")
			c.Fix = "enable the controllers in the kernel (cgroup_enable=...) or the parent's cgroup.subtree_control"
			return c
		}
		c.Status = CheckOK
		return c
	}
	var missing []string
	for _, ctl := range v1Controllers {
		if _, err := os.Stat(filepath.Join(cgroupfs.Root, ctl)); err != nil {
			missing = append(missing, ctl)
		}
	}
	mode := "cgroup v1"
	if _, err := os.Stat(filepath.Join(cgroupfs.Root, "unified")); err == nil {
		mode = "cgroup v1 (hybrid, v2 at " + filepath.Join(cgroupfs.Root, "unified") + ")"
	}
	c.Detail = mode + ": " + strings.Join(v1Controllers, " ")
	if len(missing) > 0 {
		c.Status, c.Detail = CheckFail, mode+": missing "+strings.Join(missing, " ")
		c.Fix = "mount the missing controllers under " + cgroupfs.Root
		return c
	}
	c.Status = CheckOK
	return c
}

// wantControllers are the v2 controllers berth's stats and limits use.
var wantControllers = []string{"memory", "cpu", "pids", "io"}

// checkCgroupParent checks, on cgroup v2, that containers under berth's
// cgroup parent can get the controllers berth needs. The runtime enables
// them in cgroup.subtree_control of every cgroup on the way down; that
// works only in a cgroup this user may write (delegated) and, below the
// root, one with no processes of its own (v2's no-internal-process rule).
// Ancestors that do not exist yet are the runtime's to create. mountOpts
// are the cgroup2 mount's options.
func checkCgroupParent(root, parent string, mountOpts []string) Check {
	c := Check{Name: "cgroup parent"}
	if parent == "" {
		parent = core.DefaultCgroupParent
	}
	rel := filepath.Clean("/" + parent)
	c.Detail = "containers go under " + rel
	if contains(mountOpts, "nsdelegate") {
		c.Detail += " (cgroup2 mounted with nsdelegate)"
	}
	name := func(d string) string { return "/" + strings.TrimPrefix(strings.TrimPrefix(d, root), "/") }
	var problems []string
	d := root
	for _, part := range append([]string{""}, strings.Split(strings.TrimPrefix(rel, "/"), "/")...) {
		if part != "" {
			d = filepath.Join(d, part)
		}
		if st, err := os.Stat(d); err != nil || !st.IsDir() {
			break // created by the runtime, with what its parent allows
		}
		b, err := os.ReadFile(filepath.Join(d, "cgroup.subtree_control"))
		if err != nil {
			problems = append(problems, err.Error())
			break
		}
		var missing []string
		for _, ctl := range wantControllers {
			if !contains(strings.Fields(string(b)), ctl) {
				missing = append(missing, ctl)
			}
		}
		if len(missing) == 0 {
			continue
		}
		what := strings.Join(missing, " ") + " not enabled in " + name(d)
		if unix.Access(filepath.Join(d, "cgroup.subtree_control"), unix.W_OK) != nil {
			problems = append(problems, what+", which this user may not write (not delegated)")
		} else if procs, err := os.ReadFile(filepath.Join(d, "cgroup.procs")); d != root && err == nil && len(bytes.TrimSpace(procs)) > 0 {
			problems = append(problems, what+", which holds processes of its own, so they cannot be enabled")
		}
	}
	if len(problems) > 0 {
		c.Status, c.Detail = CheckWarn, c.Detail+": "+strings.Join(problems, "; ")
		c.Fix = "move the processes out of that cgroup or delegate it (echo +memory +cpu +pids +io > its cgroup.subtree_control), or choose another --cgroup-parent"
		return c
	}
	c.Status = CheckOK
	c.Detail += "; " + strings.Join(wantControllers, " ") + " can be enabled on the way"
	return c
}

// mountOptions returns the options of the mount at target in a mountinfo
// file (the per-mount and the superblock options), nil if not found.
func mountOptions(mountinfo, target string) []string {
	b, err := os.ReadFile(mountinfo)
	if err != nil {
		return nil
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 10 || f[4] != target {
			continue
		}
		opts := strings.Split(f[5], ",")
		for i, x := range f {
			if x == "-" && i+3 < len(f) {
				opts = append(opts, strings.Split(f[i+3], ",")...)
			}
		}
		return opts
	}
	return nil
}

func checkOOMCounter() Check {
	c := Check{Name: "oom counter"}
	file := filepath.Join(cgroupfs.Root, "memory", "memory.oom_control")
	if cgroupfs.Unified() {
		file = filepath.Join(cgroupfs.Root, "memory.events")
		if _, err := os.Stat(file); err != nil {
			// The root cgroup has no memory.events; any child has.
			c.Status, c.Detail = CheckOK, "cgroup v2 memory.events (oom_kill)"
			return c
		}
	}
	b, err := os.ReadFile(file)
	if err != nil {
		c.Status, c.Detail = CheckWarn, err.Error()
		return c
	}
	if _, ok := cgroupfs.KeyValue(b, "oom_kill"); !ok {
		c.Status, c.Detail, c.Fix = CheckWarn, file+" has no oom_kill counter (kernel older than 4.13)", "upgrade the kernel"
		return c
	}
	c.Status, c.Detail = CheckOK, file+" counts oom_kill"
	return c
}

func checkKernel() Check {
	c := Check{Name: "kernel"}
	var u unix.Utsname
	unix.Uname(&u)
	rel := unix.ByteSliceToString(u.Release[:])
	var missing []string
	if fd, err := unix.PidfdOpen(os.Getpid(), 0); err != nil {
		missing = append(missing, "pidfd_open")
	} else {
		unix.Close(fd)
	}
	if fd, err := unix.InotifyInit1(unix.IN_CLOEXEC); err != nil {
		missing = append(missing, "inotify")
	} else {
		unix.Close(fd)
	}
	if fd, err := unix.Eventfd(0, unix.EFD_CLOEXEC); err != nil {
		missing = append(missing, "eventfd")
	} else {
		unix.Close(fd)
	}
	if len(missing) > 0 {
		c.Status, c.Detail = CheckFail, "kernel "+rel+" lacks "+strings.Join(missing, ", ")
		c.Fix = "use Linux 5.3 or later"
		return c
	}
	c.Status, c.Detail = CheckOK, "kernel "+rel+": pidfd, inotify, eventfd"
	return c
}

func checkUserns() Check {
	c := Check{Name: "user namespaces"}
	b, err := os.ReadFile("/proc/sys/user/max_user_namespaces")
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || n == 0 {
		c.Status, c.Detail = CheckWarn, "disabled: bundles with a user namespace will fail"
		c.Fix = "sysctl user.max_user_namespaces=15000"
		return c
	}
	c.Status, c.Detail = CheckOK, fmt.Sprintf("enabled (max %d)", n)
	return c
}

// checkCriu says whether checkpoint/restore will work here, and why not.
func checkCriu(ctx context.Context) []Check {
	fix := "make deps (installs CRIU 4.x privately, see scripts/install-criu.sh)"
	c := Check{Name: "criu"}
	path, err := exec.LookPath("criu")
	if err != nil {
		c.Status, c.Detail, c.Fix = CheckFail, "criu not found on PATH: checkpoint and restore are unavailable", fix
		return []Check{c}
	}
	out, err := commandOutput(ctx, 10*time.Second, path, "--version")
	if err != nil {
		c.Status, c.Detail, c.Fix = CheckFail, fmt.Sprintf("%s --version failed: %v", path, err), fix
		return []Check{c}
	}
	version, major := core.Version(out)
	if version == "" {
		c.Status, c.Detail, c.Fix = CheckFail, fmt.Sprintf("%s: unrecognised version %q", path, strings.TrimSpace(out)), fix
		return []Check{c}
	}
	c.Detail = path + ": CRIU " + version
	switch {
	case major < 3:
		c.Status, c.Fix = CheckFail, fix
		c.Detail += " is too old: runc needs 3.0 or later"
		return []Check{c}
	case major < 4:
		c.Status, c.Fix = CheckWarn, fix
		c.Detail += " (3.x fails criu check on recent kernels: Unexpected rt vDSO area bounds)"
	default:
		c.Status = CheckOK
	}
	chk := Check{Name: "criu check"}
	cout, err := commandOutput(ctx, 30*time.Second, path, "check")
	if err != nil {
		chk.Status, chk.Fix = CheckFail, fix
		chk.Detail = "criu check failed: " + lastLine(cout, err)
		return []Check{c, chk}
	}
	chk.Status, chk.Detail = CheckOK, "checkpoint/restore works here ("+lastLine(cout, nil)+")"
	pre := Check{Name: "criu pre-dump"}
	if _, err := commandOutput(ctx, 30*time.Second, path, "check", "--feature", "mem_dirty_track"); err != nil {
		pre.Status = CheckWarn
		pre.Detail = "no memory dirty tracking in this kernel (CONFIG_MEM_SOFT_DIRTY): full checkpoints work, pre-dumps and --parent do not"
		pre.Fix = "a kernel built with CONFIG_MEM_SOFT_DIRTY=y"
	} else {
		pre.Status, pre.Detail = CheckOK, "memory dirty tracking: pre-dumps and --parent work"
	}
	return []Check{c, chk, pre, checkLazyPages(ctx, path)}
}

// checkLazyPages says whether post-copy migration (migrate --lazy) works
// from and to this host: receiving needs userfaultfd, sending CRIU's page
// server's 4 MiB pipes.
func checkLazyPages(ctx context.Context, criu string) Check {
	c := Check{Name: "post-copy"}
	_, uffd := commandOutput(ctx, 30*time.Second, criu, "check", "--feature", "uffd-noncoop")
	pipes := core.CheckLazyPages()
	switch {
	case uffd != nil:
		c.Status, c.Detail = CheckWarn, "no userfaultfd for CRIU here: migrate --lazy cannot restore on this host (full copies work)"
		c.Fix = "a kernel with CONFIG_USERFAULTFD (5.x or later)"
	case pipes != nil:
		c.Status, c.Detail = CheckWarn, fmt.Sprintf("this host receives post-copy migrations, but cannot send them: fs.pipe-max-size is under %d and berth has no CAP_SYS_RESOURCE", core.LazyPipeSize)
		c.Fix = fmt.Sprintf("sysctl -w fs.pipe-max-size=%d", core.LazyPipeSize)
	default:
		c.Status, c.Detail = CheckOK, "userfaultfd and page-server pipes: migrate --lazy works from and to this host"
	}
	return c
}

// checkInotify warns when this uid's inotify instances are near the
// kernel's limit: the UI, berth events and berth logs -f each need one.
func checkInotify() Check {
	c := Check{Name: "inotify"}
	max, _, err := cgroupfs.ReadUint("/proc/sys/fs/inotify/max_user_instances")
	if err != nil {
		c.Status, c.Detail = CheckWarn, "max_user_instances unreadable: "+err.Error()
		return c
	}
	used := inotifyInstances(os.Geteuid())
	c.Detail = fmt.Sprintf("%d of %d instances in use by uid %d", used, max, os.Geteuid())
	if max > 0 && uint64(used)*4 >= max*3 {
		c.Status, c.Fix = CheckWarn, fmt.Sprintf("sysctl -w fs.inotify.max_user_instances=%d (berth's shims use none; something else holds them)", max*4)
		return c
	}
	c.Status = CheckOK
	return c
}

// inotifyInstances counts the inotify instances processes of uid hold.
func inotifyInstances(uid int) int {
	procs, _ := os.ReadDir("/proc")
	n := 0
	for _, p := range procs {
		if _, err := strconv.Atoi(p.Name()); err != nil {
			continue
		}
		var st unix.Stat_t
		if unix.Stat(filepath.Join("/proc", p.Name()), &st) != nil || int(st.Uid) != uid {
			continue
		}
		fdDir := filepath.Join("/proc", p.Name(), "fd")
		fds, _ := os.ReadDir(fdDir)
		for _, fd := range fds {
			if l, _ := os.Readlink(filepath.Join(fdDir, fd.Name())); l == "anon_inode:inotify" {
				n++
			}
		}
	}
	return n
}

// checkCompanions checks the binaries berth runs from beside itself: the
// shim (without it, berth runs itself as the shim: slower to start and
// larger for each container's life) and the checkpoint inspector. exe is
// berth's own binary.
func checkCompanions(opts core.Options, exe string) Check {
	c := Check{Name: "berth binaries"}
	shim, insp := opts.ShimBinary, opts.InspectBinary
	if shim == "" {
		shim = core.DefaultShimBinary(exe)
	}
	if insp == "" {
		insp = core.DefaultInspectBinary(exe)
	}
	switch {
	case insp == "":
		c.Status, c.Detail = CheckWarn, core.InspectName+" is neither beside berth nor on PATH: checkpoint inspect and diff fail"
		c.Fix = "copy bin/" + core.InspectName + " (make build) beside berth"
	case shim == exe:
		c.Status, c.Detail = CheckWarn, "no "+core.ShimName+" beside berth: each shim runs as `berth shim`, slower to start and larger while it lives"
		c.Fix = "copy bin/" + core.ShimName + " (make build) beside berth"
	default:
		c.Status, c.Detail = CheckOK, "shim "+shim+", checkpoint inspector "+insp
	}
	return c
}

func checkBusybox() Check {
	c := Check{Name: "busybox"}
	if err := demo.CheckBusybox(); err != nil {
		c.Status, c.Detail, c.Fix = CheckWarn, err.Error()+"; berth demo and the tests need it", "apt-get install busybox-static (or make deps)"
		return c
	}
	c.Status, c.Detail = CheckOK, demo.BusyboxPath+" (static) for demo bundles"
	return c
}

func checkBinary(name, bin, why, fix string) Check {
	c := Check{Name: name}
	if p, err := exec.LookPath(bin); err == nil {
		c.Status, c.Detail = CheckOK, p
	} else {
		c.Status, c.Detail, c.Fix = CheckWarn, bin+" not found: "+why, fix
	}
	return c
}

func commandOutput(ctx context.Context, d time.Duration, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var b bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = &b, &b
	err := cmd.Run()
	return b.String(), err
}

func lastLine(s string, err error) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	last := strings.TrimSpace(lines[len(lines)-1])
	if last == "" && err != nil {
		return err.Error()
	}
	return last
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Remote runs doctor on the host a migration would go to, over the same
// ssh and remote berth migrate uses: first whether that berth answers at
// all (non-interactive ssh sessions often have a shorter PATH), then its
// own checks, named as it names them.
func Remote(ctx context.Context, o core.MigrateOptions) []Check {
	c := Check{Name: "remote berth"}
	out, err := core.RunRemote(ctx, o, nil, nil, "--json", "doctor")
	var checks []Check
	if jerr := json.Unmarshal(out, &checks); len(out) > 0 && jerr != nil {
		err = fmt.Errorf("its doctor answered what berth cannot read: %v", jerr)
	}
	if err != nil && len(checks) == 0 {
		c.Status, c.Detail = CheckFail, fmt.Sprintf("%s: %v", o.Host, err)
		c.Fix = "put berth (and berth-shim beside it) on the PATH ssh sessions get there, or give --remote-berth"
		return []Check{c}
	}
	c.Status, c.Detail = CheckOK, o.Host+" answers: migrate can reach berth there"
	return append([]Check{c}, checks...)
}
