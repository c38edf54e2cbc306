package cgroupfs

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"

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
// ends by itself and cannot be called back). A kernel whose cgroups are
// mounted with favordynmods never waits, and this costs a write. The
// error is only for tests: a failure can cost nothing but the time it
// would have saved.
func PrimeAttach() error {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return err
	}
	err = errors.New("no cgroup of this process can be written")
	pid := []byte(strconv.Itoa(os.Getpid()))
	for _, dir := range ownCgroupDirs(b, Unified()) {
		fd, oerr := unix.Open(filepath.Join(dir, "cgroup.procs"), unix.O_WRONLY|unix.O_CLOEXEC, 0)
		if oerr != nil {
			continue
		}
		_, err = unix.Write(fd, pid)
		unix.Close(fd)
		return err
	}
	return err
}

// ownCgroupDirs are the directories of the cgroups /proc/self/cgroup (b)
// names, the unified hierarchy's first: on a hybrid host it is mounted
// beside the v1 controllers and holds none of them.
func ownCgroupDirs(b []byte, unified bool) []string {
	var v2, v1 []string
	for _, line := range bytes.Split(b, []byte{'\n'}) {
		parts := bytes.SplitN(line, []byte{':'}, 3)
		if len(parts) != 3 || len(parts[2]) == 0 || parts[2][0] != '/' {
			continue
		}
		path := string(parts[2])
		switch {
		case string(parts[0]) == "0" && len(parts[1]) == 0:
			if unified {
				v2 = append(v2, filepath.Join(Root, path))
			} else {
				v2 = append(v2, filepath.Join(Root, "unified", path))
			}
		case !unified:
			name := string(bytes.TrimPrefix(parts[1], []byte("name=")))
			v1 = append(v1, filepath.Join(Root, name, path))
		}
	}
	return append(v2, v1...)
}
