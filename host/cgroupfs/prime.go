package cgroupfs

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// PrimeAttach starts now the wait that the next move of a process into a
// cgroup has in the kernel, so that a runtime placing a container's init
// a few milliseconds later finds it over.
//
// Every such move (a write to cgroup.procs or tasks, v1 and v2 alike)
// takes the kernel's one cgroup_threadgroup_rwsem for writing, and a
// writer that finds the lock's fast path in use waits out an RCU grace
// period first (rcu_sync_enter); the writers that come within about a
// grace period after it pass at once. On this project's VM that wait was
// 2-15 ms (median 8.6) of every runc start, both CPUs idle meanwhile,
// the largest single step of a start. Moving this process into the
// cgroup it is already in changes nothing for it and takes the lock the
// same way: done as a start begins, the grace period runs while berth
// and its shim boot rather than after them.
//
// It blocks for that grace period, holding the kernel's cgroup mutex as
// any move does: run it on a goroutine of its own (it is one write, which
// ends by itself and cannot be called back). While one is waiting another
// returns at once. A kernel whose cgroups are mounted with favordynmods
// never waits, and this costs a write. The error is only for tests: a
// failure costs nothing but the time it would have saved.
func PrimeAttach() error {
	if !priming.CompareAndSwap(false, true) {
		return nil
	}
	defer priming.Store(false)
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return err
	}
	pid := strconv.Itoa(os.Getpid())
	err = errors.New("no cgroup of this process can be written")
	for _, dir := range ownCgroupDirs(b, Unified()) {
		procs := filepath.Join(dir, "cgroup.procs")
		if !lists(procs, pid) {
			// Not the cgroup this process is in (a cgroup mounted
			// from elsewhere, without a namespace of its own): a
			// write there would move it.
			continue
		}
		fd, oerr := unix.Open(procs, unix.O_WRONLY|unix.O_CLOEXEC, 0)
		if oerr != nil {
			continue
		}
		_, err = unix.Write(fd, []byte(pid))
		unix.Close(fd)
		if err == nil {
			return nil
		}
	}
	return err
}

// priming is set while a PrimeAttach waits.
var priming atomic.Bool

// lists reports whether the cgroup.procs file at path names pid.
func lists(path, pid string) bool {
	b, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	for _, f := range bytes.Fields(b) {
		if string(f) == pid {
			return true
		}
	}
	return false
}

// ownCgroupDirs are the distinct directories of the cgroups /proc/self/
// cgroup (b) names, the unified hierarchy's first: on a hybrid host it is
// mounted beside the v1 controllers and holds none of them. A path that
// climbs (a cgroup outside this process's namespace) or was removed names
// no directory to write.
func ownCgroupDirs(b []byte, unified bool) []string {
	var kept [][]byte
	for _, line := range bytes.Split(b, []byte{'\n'}) {
		_, path, _ := bytes.Cut(line[bytes.IndexByte(line, ':')+1:], []byte{':'})
		if bytes.HasPrefix(path, []byte{'/'}) && !bytes.Contains(path, []byte("..")) && !bytes.HasSuffix(path, []byte(" (deleted)")) {
			kept = append(kept, line)
		}
	}
	p := parseProcCgroup(bytes.Join(kept, []byte{'\n'}), unified)
	var dirs []string
	seen := map[string]bool{}
	add := func(dir string) {
		if dir == "" || seen[dir] {
			return
		}
		seen[dir] = true
		dirs = append(dirs, dir)
	}
	add(p[""])
	ctls := make([]string, 0, len(p))
	for ctl := range p {
		ctls = append(ctls, ctl)
	}
	sort.Strings(ctls)
	for _, ctl := range ctls {
		add(p[ctl])
	}
	return dirs
}
