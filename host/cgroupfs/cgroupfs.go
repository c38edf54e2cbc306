// Package cgroupfs reads the handful of cgroup files berth needs on every
// refresh, straight from the filesystem, for cgroup v1, hybrid and v2 hosts.
//
// Paths come from the runtime's state (runc's cgroup_paths: one directory
// per v1 controller, or the single v2 directory under the key ""), are
// resolved once per container and then reused: each read is an open, one
// read and a close, which is the whole cost the list view pays.
package cgroupfs

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Root is where cgroup hierarchies are mounted. Tests of v2 parsing point
// paths at fixture trees instead.
const Root = "/sys/fs/cgroup"

var (
	unifiedOnce sync.Once
	unified     bool
)

// Unified reports whether the host runs cgroup v2 only.
func Unified() bool {
	unifiedOnce.Do(func() {
		var st unix.Statfs_t
		if unix.Statfs(Root, &st) == nil {
			unified = st.Type == unix.CGROUP2_SUPER_MAGIC
		}
	})
	return unified
}

// Paths maps a v1 controller name ("memory", "cpuacct", "pids", "blkio",
// "freezer", ...) to its directory; a v2 container has the single key "".
// On a hybrid host a v1 container also has "" (the unified hierarchy, which
// holds no controllers berth reads) beside its v1 controllers.
type Paths map[string]string

// V2 reports whether the paths describe a cgroup v2 container: the
// unified directory is there and no v1 memory controller is.
func (p Paths) V2() bool {
	_, unified := p[""]
	_, v1 := p["memory"]
	return unified && !v1
}

// Dir returns the directory that holds the files of controller, or "".
func (p Paths) Dir(controller string) string {
	if p.V2() {
		return p[""]
	}
	return p[controller]
}

// maxFileSize bounds one cgroup file read.
const maxFileSize = 4 << 20

// File returns the path of a controller's file, or "" when the container
// has no such controller (a read of "" fails instead of resolving against
// the working directory).
func (p Paths) File(controller, name string) string {
	d := p.Dir(controller)
	if d == "" {
		return ""
	}
	return filepath.Join(d, name)
}

// bufPool holds read buffers: one read fills a cgroup file, and the pool
// keeps a sweep over hundreds of containers from allocating per file.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 4096); return &b }}

// ReadFile reads a small cgroup file into a pooled buffer and passes its
// content to fn; the slice is only valid during fn. With HoldFiles on, the
// file stays open for the next read (see held).
func ReadFile(path string, fn func([]byte) error) error {
	if path == "" {
		return &os.PathError{Op: "open", Path: path, Err: errors.New("controller not mounted for this container")}
	}
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	f, err := held.get(path)
	if err != nil {
		return &os.PathError{Op: "open", Path: path, Err: err}
	}
	n, err := readAll(f.fd, bp)
	held.put(f, err != nil)
	if err != nil && f.shared {
		// A held file of a cgroup removed since (ENODEV), or of one
		// made again at the same path: read it afresh.
		var fd int
		if fd, err = unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0); err != nil {
			return &os.PathError{Op: "open", Path: path, Err: err}
		}
		n, err = readAll(fd, bp)
		unix.Close(fd)
	}
	if err != nil {
		return &os.PathError{Op: "read", Path: path, Err: err}
	}
	return fn((*bp)[:n])
}

// readAll reads fd from its start (pread: a held file is read again and
// again, by several goroutines at once) into *bp, growing it as needed.
func readAll(fd int, bp *[]byte) (int, error) {
	buf := *bp
	n := 0
	for {
		if n == len(buf) {
			// A large file (io.stat of many devices): grow, never cut.
			if len(buf) >= maxFileSize {
				return 0, errors.New("file too large")
			}
			buf = append(buf, make([]byte, len(buf))...)
		}
		m, err := unix.Pread(fd, buf[n:], int64(n))
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return 0, err
		}
		if m == 0 {
			break
		}
		n += m
	}
	if cap(buf) <= 64<<10 {
		*bp = buf[:cap(buf)]
	}
	return n, nil
}

// HoldFiles keeps the cgroup files ReadFile reads open, for a process
// that reads the same few hundred files every second (the UI's samples
// of the rows on screen): a read is then a pread, without the path's
// walk, the open and the close. At most maxHeld are kept; past that all
// are closed and the set starts again.
func HoldFiles() {
	held.mu.Lock()
	held.on = true
	held.mu.Unlock()
}

const maxHeld = 512

// held is the set of open cgroup files, shared by the goroutines that
// read them; a file dropped while another reads it is closed by the last
// reader, so its descriptor is never reused under a read.
var held heldFiles

type heldFiles struct {
	mu    sync.Mutex
	on    bool
	files map[string]*heldFile
}

type heldFile struct {
	path    string
	fd      int
	shared  bool // in the set (else opened for one read)
	users   int
	dropped bool
}

// get returns path's file, opened now if it is not held; each get is
// followed by one put.
func (h *heldFiles) get(path string) (*heldFile, error) {
	h.mu.Lock()
	if !h.on {
		h.mu.Unlock()
		fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		return &heldFile{fd: fd, users: 1}, err
	}
	if f, ok := h.files[path]; ok {
		f.users++
		h.mu.Unlock()
		return f, nil
	}
	h.mu.Unlock()
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if f, ok := h.files[path]; ok { // opened meanwhile by another reader
		unix.Close(fd)
		f.users++
		return f, nil
	}
	if h.files == nil || len(h.files) >= maxHeld {
		for _, f := range h.files {
			h.drop(f)
		}
		h.files = make(map[string]*heldFile)
	}
	f := &heldFile{path: path, fd: fd, shared: true, users: 1}
	h.files[path] = f
	return f, nil
}

// put ends a read of f; failed drops it from the set.
func (h *heldFiles) put(f *heldFile, failed bool) {
	if !f.shared {
		unix.Close(f.fd)
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	f.users--
	if failed && !f.dropped {
		h.drop(f)
	}
	if f.dropped && f.users == 0 {
		unix.Close(f.fd)
		f.fd = -1
	}
}

// drop takes f out of the set; it is closed now if nobody reads it.
func (h *heldFiles) drop(f *heldFile) {
	delete(h.files, f.path)
	f.dropped = true
	if f.users == 0 {
		unix.Close(f.fd)
		f.fd = -1
	}
}

// ReadUint reads a file holding one unsigned number. "max" (v2's unlimited)
// reads as 0 with unlimited set.
func ReadUint(path string) (v uint64, unlimited bool, err error) {
	err = ReadFile(path, func(b []byte) error {
		b = bytes.TrimSpace(b)
		if string(b) == "max" {
			unlimited = true
			return nil
		}
		var perr error
		v, perr = strconv.ParseUint(string(b), 10, 64)
		return perr
	})
	return v, unlimited, err
}

// KeyValue returns the value of key in a flat "key value" file such as
// memory.stat, memory.events or memory.oom_control.
func KeyValue(b []byte, key string) (uint64, bool) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Bytes()
		k, v, ok := bytes.Cut(line, []byte{' '})
		if !ok || string(k) != key {
			continue
		}
		n, err := strconv.ParseUint(string(bytes.TrimSpace(v)), 10, 64)
		if err != nil {
			return 0, false
		}
		return n, true
	}
	return 0, false
}

// unlimitedMemory: v1 reports "no limit" as a page-rounded huge number.
const unlimitedMemory = 1 << 62

// MemoryUsage reads the memory cgroup's usage in bytes: v1
// memory.usage_in_bytes, v2 memory.current.
func MemoryUsage(p Paths) (uint64, error) {
	return memoryUint(p, "memory.usage_in_bytes", "memory.current")
}

// MemoryPeak reads the most the memory cgroup has used in its life: v1
// memory.max_usage_in_bytes, v2 memory.peak (kernel 5.19 on; an older
// kernel's missing file is an error wrapping os.ErrNotExist).
func MemoryPeak(p Paths) (uint64, error) {
	return memoryUint(p, "memory.max_usage_in_bytes", "memory.peak")
}

// memoryUint reads one number from the memory cgroup: file v1 on cgroup
// v1, file v2 on v2.
func memoryUint(p Paths, v1, v2 string) (uint64, error) {
	file := v1
	if p.V2() {
		file = v2
	}
	v, _, err := ReadUint(p.File("memory", file))
	return v, err
}

// MemoryUse is a memory cgroup's use as docker and cAdvisor show it.
type MemoryUse struct {
	// Usage is the kernel's charge: v1 memory.usage_in_bytes, v2
	// memory.current. It counts the page cache.
	Usage uint64
	// WorkingSet is Usage less the inactive file cache (v1
	// total_inactive_file, v2 inactive_file), never below zero: what
	// `docker stats` shows as usage and cAdvisor as the working set.
	WorkingSet uint64
	// Cache is the page cache: v1 total_cache, v2 file.
	Cache uint64
}

// ReadMemory reads the memory cgroup's usage and its memory.stat, once,
// for the working set and the cache. Only a failed usage read is an
// error: without memory.stat (or its keys) the working set is the usage
// and the cache 0.
func ReadMemory(p Paths) (MemoryUse, error) {
	var m MemoryUse
	var err error
	m.Usage, err = MemoryUsage(p)
	if err != nil {
		return m, err
	}
	var inactive uint64
	ReadFile(p.File("memory", "memory.stat"), func(b []byte) error {
		inactive, m.Cache = ParseMemoryStat(b, p.V2())
		return nil
	})
	m.WorkingSet = WorkingSet(m.Usage, inactive)
	return m, nil
}

// WorkingSet is usage less the inactive file cache, 0 rather than below.
func WorkingSet(usage, inactiveFile uint64) uint64 {
	if inactiveFile >= usage {
		return 0
	}
	return usage - inactiveFile
}

// ParseMemoryStat reads the inactive file cache and the whole page cache
// from a memory.stat in one pass: v2's inactive_file and file, v1's
// hierarchical total_inactive_file and total_cache (v1's inactive_file
// and cache leave out child cgroups). A missing or malformed value reads
// as 0.
func ParseMemoryStat(b []byte, v2 bool) (inactiveFile, cache uint64) {
	inactiveKey, cacheKey := "total_inactive_file", "total_cache"
	if v2 {
		inactiveKey, cacheKey = "inactive_file", "file"
	}
	var haveInactive, haveCache bool
	for len(b) > 0 && !(haveInactive && haveCache) {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		k, v, ok := bytes.Cut(line, []byte{' '})
		if !ok {
			continue
		}
		// The first line of a key counts, as in KeyValue.
		var dst *uint64
		switch {
		case !haveInactive && string(k) == inactiveKey:
			dst, haveInactive = &inactiveFile, true
		case !haveCache && string(k) == cacheKey:
			dst, haveCache = &cache, true
		default:
			continue
		}
		if n, err := strconv.ParseUint(string(bytes.TrimSpace(v)), 10, 64); err == nil {
			*dst = n
		}
	}
	return inactiveFile, cache
}

// MemoryLimit reads the memory cgroup's limit in bytes, 0 for none (v1's
// huge number and v2's "max" alike): v1 memory.limit_in_bytes, v2
// memory.max.
func MemoryLimit(p Paths) (uint64, error) {
	v, err := memoryUint(p, "memory.limit_in_bytes", "memory.max")
	if v >= unlimitedMemory {
		v = 0
	}
	return v, err
}

// ErrNoCounter means the kernel does not expose an oom_kill counter here.
var ErrNoCounter = errors.New("no oom_kill counter")

// OOMKillCount reads the kernel's count of processes the OOM killer killed in
// the container's memory cgroup: memory.oom_control on v1 (kernel 4.13+),
// memory.events on v2.
func OOMKillCount(p Paths) (uint64, error) {
	dir := p.Dir("memory")
	if dir == "" {
		return 0, ErrNoCounter
	}
	file := "memory.oom_control"
	if p.V2() {
		file = "memory.events"
	}
	var n uint64
	err := ReadFile(filepath.Join(dir, file), func(b []byte) (err error) {
		n, err = ParseOOMKill(b)
		return err
	})
	return n, err
}

// ParseOOMKill reads the oom_kill counter from the content of
// memory.oom_control (v1) or memory.events (v2).
func ParseOOMKill(b []byte) (uint64, error) {
	v, ok := KeyValue(b, "oom_kill")
	if !ok {
		return 0, ErrNoCounter
	}
	return v, nil
}

// RuncStatePaths reads the cgroup paths from a runc state.json (at
// <runtime-root>/<id>/state.json). It decodes only that field, so it also
// works on state written by other runc versions.
func RuncStatePaths(stateFile string, read func(string, any) error) (Paths, error) {
	var st struct {
		CgroupPaths map[string]string `json:"cgroup_paths"`
	}
	if err := read(stateFile, &st); err != nil {
		return nil, err
	}
	return Paths(st.CgroupPaths), nil
}

// ProcPaths reads a process's cgroup paths from /proc/PID/cgroup, for a
// runtime whose state berth cannot read (crun): on v2 the one unified
// path, on v1 each controller's hierarchy.
func ProcPaths(pid int) (Paths, error) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cgroup"))
	if err != nil {
		return nil, err
	}
	return parseProcCgroup(b, Unified()), nil
}

func parseProcCgroup(b []byte, unified bool) Paths {
	p := Paths{}
	for _, line := range strings.Split(string(b), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		switch {
		case parts[0] == "0" && parts[1] == "":
			if unified {
				p[""] = filepath.Join(Root, parts[2])
			} else {
				p[""] = filepath.Join(Root, "unified", parts[2])
			}
		case !unified:
			for _, ctl := range strings.Split(parts[1], ",") {
				ctl = strings.TrimPrefix(ctl, "name=")
				dir := filepath.Join(Root, parts[1], parts[2])
				if strings.HasPrefix(parts[1], "name=") {
					dir = filepath.Join(Root, ctl, parts[2])
				}
				p[ctl] = dir
			}
		}
	}
	return p
}

// RuntimePaths reads a container's cgroup paths from the runtime's state
// (runc's state.json in root/id), or else from its init's /proc entry.
func RuntimePaths(root, id string, pid int, read func(string, any) error) (Paths, error) {
	p, err := RuncStatePaths(filepath.Join(root, id, "state.json"), read)
	if err == nil && len(p) > 0 {
		return p, nil
	}
	if pid > 0 {
		if pp, perr := ProcPaths(pid); perr == nil && len(pp) > 0 {
			return pp, nil
		}
	}
	return p, err
}

// RemoveCgroup removes a container's own cgroup, given as the OCI
// cgroupsPath (for example /berth/web), from every hierarchy: it kills
// what is left in it and removes the directory. It is for a start that
// failed before the runtime recorded the container, when the runtime's
// delete no longer knows the cgroup. systemd-style paths are left alone.
func RemoveCgroup(cgroupsPath string) {
	if cgroupsPath == "" || strings.Contains(cgroupsPath, ":") {
		return
	}
	rel := filepath.Clean("/" + cgroupsPath)
	if rel == "/" {
		return
	}
	dirs := []string{filepath.Join(Root, rel)}
	if !Unified() {
		hs, _ := os.ReadDir(Root)
		dirs = dirs[:0]
		for _, h := range hs {
			dirs = append(dirs, filepath.Join(Root, h.Name(), rel))
		}
	}
	for _, dir := range dirs {
		for i := 0; i < 50; i++ {
			if err := os.Remove(dir); err == nil || errors.Is(err, os.ErrNotExist) {
				break
			}
			b, _ := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
			for _, f := range strings.Fields(string(b)) {
				if pid, err := strconv.Atoi(f); err == nil && pid > 1 {
					unix.Kill(pid, unix.SIGKILL)
				}
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// RemovePath removes a cgroup directory and the sub-cgroups under it, as
// the opencontainers/cgroups RemovePath that runc's delete uses: a first
// rmdir, then the children, then the directory again with retries while
// the kernel still counts a process that is exiting (EBUSY, up to about a
// second). A path already gone is not an error.
func RemovePath(path string) error {
	if err := rmdir(path, false); err == nil {
		return nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return err
	}
	for _, e := range entries {
		if e.IsDir() {
			if err := RemovePath(filepath.Join(path, e.Name())); err != nil {
				return err
			}
		}
	}
	return rmdir(path, true)
}

// rmdir removes one cgroup directory; with retry, an EBUSY is tried again
// ten times, the wait doubling from a millisecond.
func rmdir(path string, retry bool) error {
	delay, tries := time.Millisecond, 10
	for {
		err := unix.Rmdir(path)
		switch {
		case err == nil || errors.Is(err, unix.ENOENT):
			return nil
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.EBUSY) && retry && tries > 0:
			time.Sleep(delay)
			delay *= 2
			tries--
			continue
		}
		return &os.PathError{Op: "rmdir", Path: path, Err: err}
	}
}
