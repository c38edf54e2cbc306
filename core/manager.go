package core

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"berth/host/cgroupfs"
	"berth/host/procfs"
	"berth/host/statefile"
	"berth/shim/proto"
	"berth/watch"

	"golang.org/x/sys/unix"
)

// Defaults for Options.
const (
	DefaultStateDir     = "/run/berth"
	DefaultRuntime      = "runc"
	DefaultCgroupParent = "/berth"
	DefaultStartTimeout = 30 * time.Second
	DefaultLogMaxBytes  = 20 << 20
	// runtimeRootName is berth's runtime root inside the state dir; ids
	// cannot start with a dot, so it never collides with a container.
	runtimeRootName = ".runc"
	recordFile      = "container.json"
)

// DefaultExternalRoots are the runtime roots scanned for containers berth
// did not start when none are given: runc's own (also podman's with runc),
// crun's (podman's default runtime where crun is installed), docker's,
// and every containerd namespace's (Kubernetes' is k8s.io). A pattern is
// expanded at every look, so a root that appears after berth started (a
// daemon started later, a new namespace) is found.
var DefaultExternalRoots = []string{"/run/runc", "/run/crun", "/run/docker/runtime-runc/moby", "/run/containerd/runc/*"}

// Options configure a Manager. Zero values take the defaults above.
type Options struct {
	StateDir string
	// Runtime is the OCI runtime, a name looked up on PATH or a path.
	Runtime string
	// RuntimeRoot is the runtime's --root for containers berth starts.
	RuntimeRoot string
	// ExternalRoots are runtime roots (or glob patterns of them) scanned
	// for containers berth did not start. nil means DefaultExternalRoots;
	// an empty slice means none.
	ExternalRoots []string
	CgroupParent  string
	StartTimeout  time.Duration
	LogMaxBytes   int64
	// ShimBinary is the binary run as "BINARY shim DIR" for each container
	// process: by default berth-shim beside the running executable when it
	// is installed there (the shim alone, which starts faster and stays
	// smaller than berth), else the running executable itself.
	ShimBinary string
	// InspectBinary is the checkpoint inspector (InspectName): by default
	// the one beside the running executable, else on PATH.
	InspectBinary string
	// HandOffAtExit is for a process that exits once the start it asks
	// for is done (berth run -d): each shim it starts is handed off by
	// this process's exit, not as soon as its readiness report is read.
	// A shim does its own work after the hand-off (about a millisecond of
	// CPU), which on a small host otherwise takes the core this process
	// needs to finish.
	HandOffAtExit bool
}

// Manager is the API over berth's containers. It holds no container state
// in memory beyond caches: the state dir is the truth, so any number of
// berth processes can use one state dir at once.
type Manager struct {
	opts Options
	// givenRoots: the external roots were the operator's choice, so one
	// that does not exist is worth a warning (a default one is not).
	givenRoots bool

	// Caches of other managers' records, safe for concurrent use.
	idents  idents
	storage storageNames

	// handOffs are the readiness pipes HandOffAtExit keeps open.
	handOffs struct {
		sync.Mutex
		files []*os.File
	}
}

// Record is container.json: what berth knows about a container it started.
type Record struct {
	ID            string    `json:"id"`
	Bundle        string    `json:"bundle"`
	RuntimeBundle string    `json:"runtimeBundle"`
	Runtime       string    `json:"runtime"`
	RuntimeRoot   string    `json:"runtimeRoot"`
	RuntimeArgs   []string  `json:"runtimeArgs,omitempty"`
	Created       time.Time `json:"created"`
	// Started is when Start last started it again; zero until then
	// (docker's StartedAt beside Created, which stays the first creation).
	Started time.Time         `json:"started,omitzero"`
	Labels  map[string]string `json:"labels,omitempty"`
	// RestoredFrom names the checkpoint a container was restored from.
	RestoredFrom string `json:"restoredFrom,omitempty"`
}

// Open prepares the state dir (creating it 0700, refusing one that others
// can write). Reattaching costs nothing up front: the state dir is the
// truth, and the first look at a container (List, Get, any operation)
// settles it if its shim died while no berth was watching, so a command
// that touches one container never pays for reading all of them.
func Open(ctx context.Context, opts Options) (*Manager, error) {
	if opts.StateDir == "" {
		opts.StateDir = DefaultStateDir
	}
	abs, err := filepath.Abs(opts.StateDir)
	if err != nil {
		return nil, err
	}
	opts.StateDir = abs
	if opts.Runtime == "" {
		opts.Runtime = DefaultRuntime
	}
	if opts.RuntimeRoot == "" {
		opts.RuntimeRoot = filepath.Join(opts.StateDir, runtimeRootName)
	}
	given := opts.ExternalRoots != nil
	if !given {
		opts.ExternalRoots = DefaultExternalRoots
	}
	roots := []string{}
	for _, r := range opts.ExternalRoots {
		if r != "" { // --external-root "" lists none
			roots = append(roots, r)
		}
	}
	opts.ExternalRoots = roots
	if opts.CgroupParent == "" {
		opts.CgroupParent = DefaultCgroupParent
	}
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = DefaultStartTimeout
	}
	if opts.LogMaxBytes <= 0 {
		opts.LogMaxBytes = DefaultLogMaxBytes
	}
	if opts.ShimBinary == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("find berth binary for shims: %w", err)
		}
		opts.ShimBinary = DefaultShimBinary(exe)
	}
	if err := EnsurePrivateDir(opts.StateDir); err != nil {
		return nil, err
	}
	return &Manager{opts: opts, givenRoots: given}, nil
}

// ShimName is the shim's own binary, installed beside berth.
const ShimName = "berth-shim"

// DefaultShimBinary is the shim a berth at exe starts: ShimName in exe's
// directory when it is a regular executable file there, else exe.
func DefaultShimBinary(exe string) string {
	if shim := besideExe(exe, ShimName); shim != "" {
		return shim
	}
	return exe
}

// besideExe is the binary name in exe's directory when it is a regular
// executable file there, else "".
func besideExe(exe, name string) string {
	p := filepath.Join(filepath.Dir(exe), name)
	if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
		return p
	}
	return ""
}

// Options returns the options in effect, defaults filled in.
func (m *Manager) Options() Options { return m.opts }

// EnsurePrivateDir creates dir 0700 if missing and refuses a dir that is a
// symlink, not owned by us, or writable by group or others: the rule for
// the state dir, which doctor checks too.
func EnsurePrivateDir(dir string) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return fmt.Errorf("state dir %s: %w", dir, err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("state dir %s: %w", dir, err)
	}
	var st unix.Stat_t
	if err := unix.Lstat(dir, &st); err != nil {
		return fmt.Errorf("state dir %s: %w", dir, err)
	}
	switch {
	case st.Mode&unix.S_IFMT != unix.S_IFDIR:
		return invalidf("state dir %s is not a directory", dir)
	case int(st.Uid) != os.Geteuid():
		return invalidf("state dir %s is owned by uid %d, not by us (uid %d)", dir, st.Uid, os.Geteuid())
	case st.Mode&0o022 != 0:
		return invalidf("state dir %s is writable by group or others (mode %#o): fix with chmod 700", dir, st.Mode&0o777)
	}
	return nil
}

// runtimePath resolves the runtime binary, failing before anything is
// created when it is missing.
func (m *Manager) runtimePath() (string, error) {
	p, err := exec.LookPath(m.opts.Runtime)
	if err != nil {
		return "", invalidf("runtime %q not found: install it or pass --runtime", m.opts.Runtime)
	}
	return filepath.Abs(p)
}

func (m *Manager) containerDir(id string) string { return filepath.Join(m.opts.StateDir, id) }

func (m *Manager) procDir(id, proc string) string {
	return filepath.Join(m.opts.StateDir, id, proc)
}

// managedIDs lists the container directories in the state dir.
func (m *Manager) managedIDs() ([]string, error) {
	entries, err := os.ReadDir(m.opts.StateDir)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, e := range entries {
		if !e.IsDir() || ValidateID(e.Name()) != nil {
			continue
		}
		ids = append(ids, e.Name())
	}
	return ids, nil
}

// List returns every container, managed and external, sorted by id (and
// root: the same id in two roots is listed twice, as the two containers
// it is).
// A container whose state cannot be read is listed as unknown with the
// reason, never dropped and never an error for the whole list.
func (m *Manager) List(ctx context.Context) ([]Container, error) {
	ids, err := m.managedIDs()
	if err != nil {
		return nil, fmt.Errorf("state dir %s: %w", m.opts.StateDir, err)
	}
	out := make([]Container, 0, len(ids))
	for _, id := range ids {
		if c, ok := m.managed(id); ok {
			out = append(out, c)
		}
	}
	out = append(out, m.externals()...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].ID != out[j].ID {
			return out[i].ID < out[j].ID
		}
		return out[i].RuntimeRoot < out[j].RuntimeRoot
	})
	return out, nil
}

// readRecord reads container.json of a managed container.
func (m *Manager) readRecord(id string) (Record, error) {
	var r Record
	err := statefile.ReadJSON(filepath.Join(m.containerDir(id), recordFile), &r)
	if err == nil && r.ID != id {
		err = fmt.Errorf("%s names container %q", recordFile, r.ID)
	}
	return r, err
}

// procState is what the files of one process dir say.
type procState struct {
	shim    procfs.Ident
	shimErr error
	pid     procfs.Ident
	pidErr  error
	exit    *proto.Exit
	exitErr error
}

func readProc(dir string) procState {
	var ps procState
	ps.shim, ps.shimErr = proto.ReadIdent(dir, proto.FileShimPid)
	ps.pid, ps.pidErr = proto.ReadIdent(dir, proto.FilePid)
	if e, err := proto.ReadExit(dir); err == nil {
		ps.exit = &e
	} else if !errors.Is(err, os.ErrNotExist) {
		ps.exitErr = err
	}
	return ps
}

// settle writes the exit record of a container whose shim died before it
// could: if the container's init still runs (identified by pid and start
// time, never by pid alone) it is killed, as nobody reaps it or drains its
// output any more, and recorded as 137; if it is gone, its status is
// unknown. It does nothing for containers that are fine or already settled.
func (m *Manager) settle(id string) {
	// Never while another berth removes or settles it: a settle writing
	// into a directory being removed leaves a ghost and a wrong exit.
	lock, err := m.lockContainer(id, 0)
	if err != nil {
		return
	}
	defer lock.Close()
	m.settleLocked(id)
}

// lockContainer takes a container's lock (a flock on its state directory),
// which Delete holds while it removes the container and settle while it
// writes the exit of one whose shim died, waiting up to wait.
func (m *Manager) lockContainer(id string, wait time.Duration) (*os.File, error) {
	return statefile.LockDir(m.containerDir(id), wait)
}

// settleLocked is settle under the container's lock.
func (m *Manager) settleLocked(id string) {
	dir := m.procDir(id, proto.ProcInit)
	ps := readProc(dir)
	if ps.exit != nil || ps.exitErr != nil {
		return
	}
	if ps.shimErr != nil || ps.shim.Alive() {
		return // being created, unreadable (see status), or fine
	}
	rec, err := m.readRecord(id)
	if err != nil {
		return
	}
	e := proto.Exit{Status: proto.StatusUnknown, ExitedAt: time.Now().UTC(),
		Detail: "shim died; exit status unknown"}
	// The cgroup paths first, while the init (checked by its start time,
	// never a reused pid) still names them for a runtime without runc's
	// state files.
	alive := ps.pidErr == nil && ps.pid.Alive()
	initPid := 0
	if alive {
		initPid = ps.pid.Pid
	}
	paths, pathsErr := m.runtimeCgroups(rec, initPid)
	if alive {
		if err := signalProcess(ps.pid, unix.SIGKILL); err == nil {
			e.Status, e.Signal = 128+int(unix.SIGKILL), int(unix.SIGKILL)
			e.Detail = "shim died; container killed"
		}
	}
	// The cgroup still exists until the runtime deletes it: count the kills
	// and journal those the dead shim had not, before the exit.
	var kills []watch.Event
	if pathsErr == nil {
		e.OOMKills, _ = cgroupfs.OOMKillCount(paths)
		journaled := readOOMCount(dir)
		for v := journaled + 1; v <= e.OOMKills; v++ {
			kills = append(kills, watch.Event{Kind: watch.KindOOM, ID: id, Pid: ps.pid.Pid, OOMCount: v, Missed: true,
				Detail: "found after its shim died"})
		}
	}
	m.journal(kills...)
	st := e.Status
	m.journal(watch.Event{Time: e.ExitedAt, Kind: watch.KindExit, ID: id, Pid: ps.pid.Pid, Proc: proto.ProcInit,
		ExitStatus: &st, Detail: e.Detail})
	// The exit record before the runtime's delete: a watcher that sees the
	// cgroup go already finds the exit.
	statefile.WriteJSON(filepath.Join(dir, proto.FileExit), e, 0o600)
	m.deleteRuntime(context.Background(), rec, true)
}

// readOOMCount reads the OOM-kill count a shim recorded as journaled.
func readOOMCount(procDir string) uint64 {
	b, err := statefile.Read(filepath.Join(procDir, proto.FileOOM))
	if err != nil {
		return 0
	}
	n, _ := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	return n
}

// journal appends events to the state root's journal. The journal is
// history, not truth (the state files are), so a failure to write it never
// fails the operation it describes.
func (m *Manager) journal(evs ...watch.Event) {
	now := time.Now().UTC()
	for i := range evs {
		if evs[i].Time.IsZero() {
			evs[i].Time = now
		}
	}
	watch.Append(m.opts.StateDir, evs...)
}

// runtimeCgroups reads a managed container's cgroup paths from the
// runtime's state.
func (m *Manager) runtimeCgroups(rec Record, pid int) (cgroupfs.Paths, error) {
	return cgroupfs.RuntimePaths(rec.RuntimeRoot, rec.ID, pid, statefile.ReadJSON)
}
