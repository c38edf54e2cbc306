package core

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"time"

	"berth/host/statefile"
	"berth/shim/proto"
	"berth/watch"

	"github.com/checkpoint-restore/go-criu/v8/stats"
)

// CheckpointOptions are the choices of `berth checkpoint create`.
type CheckpointOptions struct {
	LeaveRunning   bool   `json:"leaveRunning,omitempty"`
	TCPEstablished bool   `json:"tcpEstablished,omitempty"`
	ExtUnixSk      bool   `json:"extUnixSk,omitempty"`
	ShellJob       bool   `json:"shellJob,omitempty"`
	FileLocks      bool   `json:"fileLocks,omitempty"`
	PreDump        bool   `json:"preDump,omitempty"`
	Parent         string `json:"parent,omitempty"`
}

// DumpStats are CRIU's dump statistics (times in microseconds).
type DumpStats struct {
	FreezingTimeUs     uint32 `json:"freezingTimeUs"`
	FrozenTimeUs       uint32 `json:"frozenTimeUs"`
	MemdumpTimeUs      uint32 `json:"memdumpTimeUs"`
	MemwriteTimeUs     uint32 `json:"memwriteTimeUs"`
	PagesScanned       uint64 `json:"pagesScanned"`
	PagesSkippedParent uint64 `json:"pagesSkippedParent"`
	PagesWritten       uint64 `json:"pagesWritten"`
}

// Checkpoint is a checkpoint's metadata (its config.json, written last) and,
// when listed, whether it is usable.
type Checkpoint struct {
	Name           string            `json:"name"`
	Container      string            `json:"container"`
	Created        time.Time         `json:"created"`
	Valid          bool              `json:"valid"`
	Reason         string            `json:"reason,omitempty"`
	Options        CheckpointOptions `json:"options"`
	Parent         string            `json:"parent,omitempty"`
	CriuVersion    string            `json:"criuVersion,omitempty"`
	RuntimeVersion string            `json:"runtimeVersion,omitempty"`
	Stats          *DumpStats        `json:"stats,omitempty"`
	SizeBytes      int64             `json:"sizeBytes"`
	LeftRunning    bool              `json:"leftRunning"`
	// Paused records that the container was paused when checkpointed.
	Paused bool `json:"paused,omitempty"`
	// Imported marks a checkpoint that came from an archive: its options
	// and flags are shown, never acted on.
	Imported bool `json:"imported,omitempty"`
}

const (
	checkpointsDir = "checkpoints"
	checkpointMeta = "config.json"
	checkpointWork = "work"
)

// versionRe finds a version number in a program's --version output.
var versionRe = regexp.MustCompile(`(\d+)\.(\d+)(?:\.(\d+))?`)

// ErrCheckpoint classifies checkpoint failures.
var ErrCheckpoint = errors.New("checkpoint failed")

// dumpError classifies the runtime's failure to dump as a checkpoint
// failure, keeping it as the cause, with what an operator needs to act:
// the end of CRIU's log, and the fix when the kernel lacks dirty tracking.
func dumpError(id string, err error, log string) error {
	if strings.Contains(err.Error(), "MemTrack") {
		err = fmt.Errorf("%w: pre-dumps and parents need memory dirty tracking, which this kernel lacks (CONFIG_MEM_SOFT_DIRTY); take full checkpoints", err)
	}
	if log != "" {
		err = fmt.Errorf("%w (dump.log: %s)", err, log)
	}
	return &Error{ID: id, Class: ErrCheckpoint, Err: err}
}

// checkpointRoot is where a container's checkpoints live: in its bundle
// for berth's containers (they travel with it), under the state dir for
// containers another manager owns.
func (m *Manager) checkpointRoot(c Container) string {
	if c.Managed {
		return filepath.Join(c.Bundle, checkpointsDir)
	}
	return filepath.Join(m.opts.StateDir, "external", c.ID, checkpointsDir)
}

// checkpointDir joins a validated name under root; nothing outside root is
// ever named. root itself must be a real directory: a bundle owner who
// swaps checkpoints/ for a symlink does not get root to write or delete
// elsewhere.
func checkpointDir(root, name string) (string, error) {
	if err := ValidateName(name); err != nil {
		return "", err
	}
	if err := checkCheckpointRoot(root, false); err != nil {
		return "", err
	}
	return filepath.Join(root, name), nil
}

// checkCheckpointRoot refuses a checkpoints directory that is a symlink or
// not a directory, and with create makes it (0700) when missing.
func checkCheckpointRoot(root string, create bool) error {
	st, err := os.Lstat(root)
	switch {
	case errors.Is(err, os.ErrNotExist) && create:
		if err := os.MkdirAll(filepath.Dir(root), 0o700); err != nil {
			return err
		}
		if err := os.Mkdir(root, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
			return err
		}
		return checkCheckpointRoot(root, false)
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return err
	case !st.IsDir():
		return invalidf("%s is not a directory (a symlink?): refusing to use it for checkpoints", root)
	}
	return nil
}

// CreateCheckpoint checkpoints a running container with CRIU through the
// runtime. The images are written to a temporary directory that becomes the
// checkpoint by one rename once its metadata is in place, so a checkpoint
// that failed half way never lists and leaves nothing behind.
func (m *Manager) CreateCheckpoint(ctx context.Context, id, name string, o CheckpointOptions) (Checkpoint, error) {
	t, err := m.target(ctx, id)
	if err != nil {
		return Checkpoint{}, err
	}
	if err := t.requireRunning("checkpoint", true); err != nil {
		return Checkpoint{}, err
	}
	if name == "" {
		name = time.Now().UTC().Format("20060102-150405.000")
		name = strings.ReplaceAll(name, ".", "-")
	}
	root := m.checkpointRoot(t.Container)
	final, err := checkpointDir(root, name)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("%s: %w", id, err)
	}
	if o.Parent != "" {
		pdir, err := checkpointDir(root, o.Parent)
		if err != nil {
			return Checkpoint{}, fmt.Errorf("%s: parent: %w", id, err)
		}
		if meta, err := readCheckpoint(pdir); err != nil || !meta.Valid {
			return Checkpoint{}, idError(id, ErrNotFound, "parent checkpoint %q is not a valid checkpoint", o.Parent)
		}
	}
	tmp, err := stageCheckpoint(id, root, final, ".tmp-"+name+"-")
	if err != nil {
		return Checkpoint{}, err
	}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(tmp)
		}
	}()
	work := filepath.Join(tmp, checkpointWork)
	if err := os.Mkdir(work, 0o700); err != nil {
		return Checkpoint{}, fmt.Errorf("%s: %w", id, err)
	}
	args := []string{"checkpoint", "--image-path", tmp, "--work-path", work}
	args = append(args, criuFlags(o)...)
	if o.LeaveRunning {
		args = append(args, "--leave-running")
	}
	if o.PreDump {
		args = append(args, "--pre-dump")
	}
	if o.Parent != "" {
		// runc wants the parent relative to the image path; the temporary
		// directory is a sibling of the final one, so the link stays valid.
		args = append(args, "--parent-path", filepath.Join("..", o.Parent))
	}
	args = append(args, id)
	stops := !o.LeaveRunning && !o.PreDump
	marker := ""
	if stops && t.Managed {
		marker = filepath.Join(m.procDir(id, proto.ProcInit), proto.FileCheckpointing)
		statefile.Write(marker, []byte(name), 0o600)
		defer func() {
			if !ok {
				os.Remove(marker)
			}
		}()
	}
	if err := t.run(ctx, args...); err != nil {
		return Checkpoint{}, dumpError(id, err, criuLogTail(filepath.Join(work, "dump.log")))
	}
	meta := Checkpoint{
		Name: name, Container: id, Created: time.Now().UTC(), Valid: true, Options: o, Parent: o.Parent,
		LeftRunning: !stops, Paused: t.Status == StatusPaused,
		CriuVersion: m.toolVersion(ctx, "criu"), RuntimeVersion: m.toolVersion(ctx, t.runtime),
		Stats: dumpStats(work),
	}
	if err := commitCheckpoint(tmp, final, &meta); err != nil {
		return Checkpoint{}, fmt.Errorf("%s: %w", id, err)
	}
	ok = true
	m.journal(watch.Event{Kind: watch.KindCheckpoint, ID: id, Pid: t.Pid, Detail: name})
	if stops && t.Managed {
		// The dump ended the container: return once its shim recorded the
		// exit, so what berth shows next is the truth. (A restore in place
		// also waits for the shim to let go of the state.)
		waitForFile(ctx, m.procDir(id, proto.ProcInit), proto.FileExit, 10*time.Second)
	}
	return meta, nil
}

// stageCheckpoint makes the temporary directory a new checkpoint is
// written in, beside final (which must not exist yet) so that one rename
// commits it. The caller removes it unless it commits.
func stageCheckpoint(id, root, final, prefix string) (string, error) {
	if _, err := os.Lstat(final); err == nil {
		return "", idError(id, ErrExists, "checkpoint %q already exists", filepath.Base(final))
	}
	if err := checkCheckpointRoot(root, true); err != nil {
		return "", fmt.Errorf("%s: %w", id, err)
	}
	tmp, err := os.MkdirTemp(root, prefix)
	if err != nil {
		return "", fmt.Errorf("%s: %w", id, err)
	}
	return tmp, nil
}

// criuFlags are the runtime flags a dump and its restore share.
func criuFlags(o CheckpointOptions) []string {
	var args []string
	for _, f := range []struct {
		on   bool
		flag string
	}{{o.TCPEstablished, "--tcp-established"}, {o.ExtUnixSk, "--ext-unix-sk"}, {o.ShellJob, "--shell-job"}, {o.FileLocks, "--file-locks"}} {
		if f.on {
			args = append(args, f.flag)
		}
	}
	return args
}

// commitCheckpoint makes a staged checkpoint real: its size, then its
// metadata, then one rename of the directory into place. Atomic by that
// rename, not fsynced: the images CRIU wrote are not either, and a sync
// here would wait for all of them.
func commitCheckpoint(tmp, final string, meta *Checkpoint) error {
	meta.SizeBytes = diskUsage(tmp)
	if err := statefile.WriteJSON(filepath.Join(tmp, checkpointMeta), meta, 0o600); err != nil {
		return fmt.Errorf("checkpoint metadata: %w", err)
	}
	return os.Rename(tmp, final)
}

// dumpStats reads CRIU's stats-dump from the work dir, nil when absent or
// malformed (go-criu does not check lengths, so a short file is refused
// here first).
func dumpStats(work string) *DumpStats {
	path := filepath.Join(work, stats.StatsDump)
	st, err := os.Stat(path)
	if err != nil || st.Size() < stats.PayloadOffset || st.Size() > 1<<20 {
		return nil
	}
	b, err := os.ReadFile(path)
	if err != nil || len(b) < stats.PayloadOffset {
		return nil
	}
	size := uint32(b[stats.SizeOffset]) | uint32(b[stats.SizeOffset+1])<<8 | uint32(b[stats.SizeOffset+2])<<16 | uint32(b[stats.SizeOffset+3])<<24
	if int64(stats.PayloadOffset)+int64(size) > int64(len(b)) {
		return nil
	}
	d, err := os.Open(work)
	if err != nil {
		return nil
	}
	defer d.Close()
	ds, err := stats.CriuGetDumpStats(d)
	if err != nil || ds == nil {
		return nil
	}
	return &DumpStats{
		FreezingTimeUs: ds.GetFreezingTime(), FrozenTimeUs: ds.GetFrozenTime(),
		MemdumpTimeUs: ds.GetMemdumpTime(), MemwriteTimeUs: ds.GetMemwriteTime(),
		PagesScanned: ds.GetPagesScanned(), PagesSkippedParent: ds.GetPagesSkippedParent(),
		PagesWritten: ds.GetPagesWritten(),
	}
}

// diskUsage is the bytes a directory tree occupies on disk.
func diskUsage(dir string) int64 {
	var total int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.Type()&fs.ModeSymlink != 0 {
			return nil
		}
		if info, err := d.Info(); err == nil {
			if st, ok := info.Sys().(*syscall.Stat_t); ok {
				total += st.Blocks * 512
			}
		}
		return nil
	})
	return total
}

// versionCache remembers tools' versions in the state dir, keyed by the
// binary's path, size and modification time: asking criu and runc for their
// versions costs two process starts, which every checkpoint would pay.
const versionCache = ".tool-versions.json"

// toolVersion returns a tool's version (the first version number its
// --version prints), from the cache when the binary has not changed.
func (m *Manager) toolVersion(ctx context.Context, tool string) string {
	path, err := exec.LookPath(tool)
	if err != nil {
		return ""
	}
	st, err := os.Stat(path)
	if err != nil {
		return ""
	}
	key := fmt.Sprintf("%s|%d|%d", path, st.Size(), st.ModTime().UnixNano())
	cachePath := filepath.Join(m.opts.StateDir, versionCache)
	cache := map[string]string{}
	statefile.ReadJSON(cachePath, &cache)
	if v, ok := cache[key]; ok {
		return v
	}
	out, err := exec.CommandContext(ctx, path, "--version").Output()
	if err != nil {
		return ""
	}
	v := versionRe.FindString(string(out))
	if v != "" {
		if len(cache) > 32 { // binaries replaced many times: start afresh
			cache = map[string]string{}
		}
		cache[key] = v
		statefile.WriteJSON(cachePath, cache, 0o600)
	}
	return v
}

// criuLogTail returns the last error lines of a CRIU log.
func criuLogTail(path string) string {
	b, err := statefile.Read(path)
	if err != nil {
		return ""
	}
	var errs []string
	for _, line := range strings.Split(string(b), "\n") {
		if strings.Contains(line, "Error") && !strings.Contains(line, "RLIMIT_NOFILE") {
			errs = append(errs, strings.TrimSpace(line))
		}
	}
	if len(errs) > 3 {
		errs = errs[len(errs)-3:]
	}
	return strings.Join(errs, "; ")
}

// readCheckpoint reads one checkpoint's metadata. A checkpoint whose
// metadata is missing, corrupt or not a regular file is returned invalid
// with the reason.
func readCheckpoint(dir string) (Checkpoint, error) {
	c := Checkpoint{Name: filepath.Base(dir)}
	st, err := os.Lstat(dir)
	if err != nil {
		return c, err
	}
	if !st.IsDir() {
		c.Reason = "not a directory"
		return c, nil
	}
	var meta Checkpoint
	if err := statefile.ReadJSON(filepath.Join(dir, checkpointMeta), &meta); err != nil {
		c.Reason = "metadata unreadable: " + err.Error()
		if errors.Is(err, os.ErrNotExist) {
			c.Reason = "no metadata (an incomplete or foreign checkpoint)"
		}
		return c, nil
	}
	meta.Name = c.Name // the directory's name is the truth, not the file's
	meta.Valid = true
	meta.Reason = ""
	return meta, nil
}

// Checkpoints lists a container's checkpoints, newest first; unreadable
// ones are listed invalid with the reason, and never hide the others.
func (m *Manager) Checkpoints(ctx context.Context, id string) ([]Checkpoint, error) {
	c, err := m.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	root := m.checkpointRoot(c)
	entries, err := os.ReadDir(root)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", id, err)
	}
	if err := checkCheckpointRoot(root, false); err != nil {
		return nil, fmt.Errorf("%s: %w", id, err)
	}
	out := []Checkpoint{}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") || ValidateName(e.Name()) != nil {
			continue
		}
		cp, err := readCheckpoint(filepath.Join(root, e.Name()))
		if err != nil {
			continue
		}
		// Containers started from one bundle share its checkpoints
		// directory; each lists its own (and the unreadable ones).
		if cp.Valid && cp.Container != "" && cp.Container != id {
			continue
		}
		if cp.Created.IsZero() {
			if info, err := e.Info(); err == nil {
				cp.Created = info.ModTime().UTC()
			}
		}
		out = append(out, cp)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Created.After(out[j].Created) })
	return out, nil
}

// DeleteCheckpoint removes a checkpoint, confined to the container's
// checkpoints directory whatever the name says. A checkpoint that a later
// one names as its parent is kept unless force is set.
func (m *Manager) DeleteCheckpoint(ctx context.Context, id, name string, force bool) error {
	c, err := m.Get(ctx, id)
	if err != nil {
		return err
	}
	root := m.checkpointRoot(c)
	dir, err := checkpointDir(root, name)
	if err != nil {
		return fmt.Errorf("%s: %w", id, err)
	}
	if st, err := os.Lstat(dir); err != nil || !st.IsDir() {
		return idError(id, ErrNotFound, "no checkpoint %q", name)
	}
	if !force {
		all, _ := m.Checkpoints(ctx, id)
		for _, cp := range all {
			if cp.Valid && cp.Parent == name {
				return idError(id, ErrInvalid, "checkpoint %q is the parent of %q: remove that first or use --force", name, cp.Name)
			}
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("%s: remove checkpoint: %w", id, err)
	}
	return nil
}

// RestoreOptions are the choices of `berth restore`.
type RestoreOptions struct {
	// As restores into a new container with this id (a clone), while the
	// original may still run; empty restores in place.
	As string
	// Paused keeps a checkpoint taken while paused paused; otherwise a
	// restored container runs.
	Paused         bool
	TCPEstablished bool
	ExtUnixSk      bool
	ShellJob       bool
	FileLocks      bool
}

// Restore starts a container from a checkpoint through a new shim, with
// fresh pipes as stdio so its output keeps flowing into the container's
// log. In place needs the original stopped; with As, a new container is made
// from the original's bundle (never from the checkpoint's metadata) with a
// cgroup of its own.
func (m *Manager) Restore(ctx context.Context, id, name string, o RestoreOptions) (Container, error) {
	c, err := m.Get(ctx, id)
	if err != nil {
		return Container{}, err
	}
	if !c.Managed {
		return Container{}, idError(id, ErrUnmanaged, "restore needs a berth container's bundle")
	}
	dir, err := checkpointDir(m.checkpointRoot(c), name)
	if err != nil {
		return Container{}, fmt.Errorf("%s: %w", id, err)
	}
	meta, err := readCheckpoint(dir)
	if err != nil {
		return Container{}, idError(id, ErrNotFound, "no checkpoint %q", name)
	}
	if !meta.Valid {
		return Container{}, idError(id, ErrInvalid, "checkpoint %q cannot be restored: %s", name, meta.Reason)
	}
	if meta.Container != "" && meta.Container != id {
		return Container{}, idError(id, ErrNotFound, "checkpoint %q belongs to container %q", name, meta.Container)
	}
	if meta.Options.PreDump {
		return Container{}, idError(id, ErrInvalid, "checkpoint %q is a pre-dump: restore the final checkpoint that names it as parent", name)
	}
	rec, err := m.readRecord(id)
	if err != nil {
		return Container{}, fmt.Errorf("%s: %w", id, err)
	}
	target := id
	if o.As == "" {
		if c.Running() || c.Status == StatusCreated {
			return Container{}, idError(id, ErrInvalid, "is %s: restore in place needs it stopped (or restore --as a new id)", c.Status)
		}
		// The shim of the run that ended may still be recording it.
		m.stopShims(id, 10*time.Second)
		if _, err := os.Lstat(filepath.Join(rec.RuntimeRoot, id)); err == nil {
			m.deleteRuntime(ctx, rec)
		}
		// The previous run's process dir gives way; its output log stays,
		// so the restored process's output continues it.
		proc := m.procDir(id, proto.ProcInit)
		for _, f := range []string{proto.FileExit, proto.FilePid, proto.FileShimPid, proto.FileConfig, proto.FileCheckpointing} {
			os.Remove(filepath.Join(proc, f))
		}
	} else {
		if err := ValidateID(o.As); err != nil {
			return Container{}, err
		}
		target = o.As
		rec, err = m.cloneRecord(rec, o.As, name)
		if err != nil {
			return Container{}, err
		}
	}
	if meta.Imported {
		// What an archive says is not berth's to act on: only the options
		// given to this restore apply.
		meta.Options, meta.Paused = CheckpointOptions{}, false
	}
	args := criuFlags(CheckpointOptions{
		TCPEstablished: o.TCPEstablished || meta.Options.TCPEstablished, ExtUnixSk: o.ExtUnixSk || meta.Options.ExtUnixSk,
		ShellJob: o.ShellJob || meta.Options.ShellJob, FileLocks: o.FileLocks || meta.Options.FileLocks,
	})
	work, err := os.MkdirTemp(filepath.Join(m.containerDir(target)), "restore-")
	if err != nil {
		return Container{}, fmt.Errorf("%s: %w", target, err)
	}
	defer os.RemoveAll(work)
	cfg := proto.Config{Mode: proto.ModeRestore, Bundle: rec.RuntimeBundle,
		Restore: &proto.RestoreConfig{ImagePath: dir, WorkPath: work, Args: args}}
	if o.As != "" {
		cfg.OwnCgroup = filepath.Join("/", m.opts.CgroupParent, o.As)
	}
	_, err = m.launch(ctx, rec, proto.ProcInit, cfg)
	if err != nil {
		if o.As != "" {
			os.RemoveAll(m.containerDir(target))
		}
		return Container{}, err
	}
	// The shim journals the restore.
	got, err := m.Get(ctx, target)
	if err != nil {
		return Container{}, err
	}
	switch {
	case got.Status == StatusPaused && !o.Paused:
		if err := m.Resume(ctx, target); err != nil {
			return got, err
		}
	case got.Status == StatusRunning && o.Paused && meta.Paused:
		if err := m.Pause(ctx, target); err != nil {
			return got, err
		}
	}
	return m.Get(ctx, target)
}

// cloneRecord makes the state of a new container restored from another's
// checkpoint: the spec the original runs with (what was checkpointed, not
// the bundle's config as edited since), a cgroup path that is always its
// own, and a fresh record.
func (m *Manager) cloneRecord(orig Record, newID, from string) (Record, error) {
	spec, err := loadRuntimeSpec(orig.RuntimeBundle)
	if err != nil {
		return Record{}, fmt.Errorf("%s: %w", newID, err)
	}
	rec := Record{ID: newID, Bundle: orig.Bundle, Runtime: orig.Runtime, RuntimeRoot: orig.RuntimeRoot,
		RuntimeArgs: orig.RuntimeArgs, Created: time.Now().UTC(), RestoredFrom: orig.ID + "/" + from}
	rs := runtimeSpec(orig.RuntimeBundle, spec, m.opts.CgroupParent, newID)
	rs.Linux.CgroupsPath = filepath.Join("/", m.opts.CgroupParent, newID)
	if err := m.createState(&rec, rs); err != nil {
		return Record{}, err
	}
	return rec, nil
}

// maxDumpLog bounds how much of a dump log CheckpointLog returns: its end,
// where CRIU writes what went wrong.
const maxDumpLog = 256 << 10

// CheckpointLog returns the end of a checkpoint's CRIU dump log (raw: it
// must be escaped before display), or "" when the checkpoint kept none
// (an imported one).
func (m *Manager) CheckpointLog(ctx context.Context, id, name string) (string, error) {
	c, err := m.Get(ctx, id)
	if err != nil {
		return "", err
	}
	dir, err := checkpointDir(m.checkpointRoot(c), name)
	if err != nil {
		return "", fmt.Errorf("%s: %w", id, err)
	}
	if st, err := os.Lstat(dir); err != nil || !st.IsDir() {
		return "", idError(id, ErrNotFound, "no checkpoint %q", name)
	}
	f, err := statefile.Open(filepath.Join(dir, checkpointWork, "dump.log"))
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("%s: checkpoint %s: %w", id, name, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", err
	}
	off := max(st.Size()-maxDumpLog, 0)
	b := make([]byte, st.Size()-off)
	n, err := f.ReadAt(b, off)
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("%s: checkpoint %s: %w", id, name, err)
	}
	return string(b[:n]), nil
}
