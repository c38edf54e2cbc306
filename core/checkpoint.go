package core

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"berth/host/statefile"
	"berth/shim/proto"
	"berth/watch"
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
	// Portable keeps a copy of what a restore needs beside the images (the
	// root filesystem, the bind-mounted files, the spec), so it restores
	// without the container's bundle: after another manager removed its
	// container (always, for theirs), or on another host (migrate).
	Portable bool `json:"portable,omitempty"`
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
	// Root, Owner and ContainerName are another manager's container's
	// runtime root, owner and name ("" for berth's own): what names it
	// once its manager removed it.
	Root          string `json:"root,omitempty"`
	Owner         string `json:"owner,omitempty"`
	ContainerName string `json:"containerName,omitempty"`
	// Imported marks a checkpoint that came from an archive: its options
	// and flags are shown, never acted on.
	Imported bool `json:"imported,omitempty"`
	// LazyPages marks the images of a post-copy migration: no memory
	// pages, which a page server serves while the migration lasts.
	LazyPages bool `json:"lazyPages,omitempty"`
}

const (
	checkpointsDir = "checkpoints"
	checkpointMeta = "config.json"
)

// ErrCheckpoint classifies checkpoint failures.
var ErrCheckpoint = errors.New("checkpoint failed")

// checkpointRoot is where a container's checkpoints live: in its bundle
// for berth's containers (they travel with it), under the state dir for
// containers another manager owns.
func (m *Manager) checkpointRoot(c Container) string {
	if c.Managed {
		return filepath.Join(c.Bundle, checkpointsDir)
	}
	return m.externalCheckpointRoot(c.RuntimeRoot, c.ID)
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
// runtime. The images are written to a staging directory, with the
// metadata already in it, that becomes the checkpoint by one rename once
// CRIU says the dump succeeded. Whoever outlives the dump commits it (see
// proto.Commit): this berth, or, for a dump that stops berth's container,
// its shim, so a berth killed during the dump loses nothing; a staging
// directory nobody is at work on is settled when the checkpoints are next
// listed. A checkpoint that failed never lists and leaves nothing behind.
func (m *Manager) CreateCheckpoint(ctx context.Context, id, name string, o CheckpointOptions) (Checkpoint, error) {
	t, err := m.target(ctx, id)
	if err != nil {
		return Checkpoint{}, err
	}
	if err := t.requireRunning("checkpoint", true); err != nil {
		return Checkpoint{}, err
	}
	if err := m.requireCheckpoint(ctx, id, t.runtime, "checkpoint"); err != nil {
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
	stops := !o.LeaveRunning && !o.PreDump
	if !t.Managed {
		o.Portable = true
	}
	if o.Portable && (o.PreDump || o.Parent != "") {
		return Checkpoint{}, idError(id, ErrInvalid, "a portable checkpoint (another manager's container's, or one to migrate) stands alone: no pre-dump or parent")
	}
	// A shim commits a stopping dump of berth's own container if berth
	// is gone by then; another manager's has no shim of berth's, and no
	// marker is written for it.
	marker := ""
	if t.Managed {
		marker = filepath.Join(m.procDir(id, proto.ProcInit), proto.FileCheckpointing)
		if err := clearMarker(id, marker); err != nil {
			return Checkpoint{}, err
		}
	}
	// A dump of the same name still at work would fail this one's commit
	// and hide whichever lost; one that is over is settled first.
	if err := m.settleName(id, root, name); err != nil {
		return Checkpoint{}, err
	}
	// The staging lock says a dump is at work here; the runtime inherits
	// it, so it is held until the dump ends even if this berth is killed.
	tmp, lock, err := stageCheckpoint(id, root, final, stagingPrefix+name+"-")
	if err != nil {
		return Checkpoint{}, err
	}
	defer lock.Close()
	meta := Checkpoint{
		Name: name, Container: t.ID, Root: t.eventRoot(), Owner: t.Owner, ContainerName: t.Name,
		Created: time.Now().UTC(), Valid: true, Options: o, Parent: o.Parent,
		LeftRunning: !stops, Paused: t.Status == StatusPaused,
		CriuVersion: m.toolVersion(ctx, "criu"), RuntimeVersion: m.toolVersion(ctx, t.runtime),
	}
	work := filepath.Join(tmp, proto.CheckpointWork)
	err = os.Mkdir(work, 0o700)
	if err == nil {
		err = statefile.WriteJSON(filepath.Join(tmp, checkpointMeta), meta, 0o600)
	}
	if err == nil && stops && marker != "" {
		err = statefile.WriteJSON(marker, proto.Checkpointing{Name: name, Staging: tmp, Final: final}, 0o600)
	}
	if err == nil && o.Portable {
		err = m.snapshotFrozen(ctx, t, tmp)
	}
	if err != nil {
		os.RemoveAll(tmp)
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
		// runc wants the parent relative to the image path; the staging
		// directory is a sibling of the final one, so the link stays valid.
		args = append(args, "--parent-path", filepath.Join("..", o.Parent))
	}
	args = append(args, t.ID)
	rio := runtimeIO{held: lock, stderrFile: filepath.Join(work, "runtime.log")}
	runErr := t.runWith(ctx, rio, args...)
	tail := criuLogTail(filepath.Join(work, proto.DumpLog))
	if runErr == nil {
		// Still under the lock: say the dump succeeded and complete the
		// metadata, so whoever commits (the shim, for a stopping dump)
		// finds it whole.
		statefile.Write(filepath.Join(work, proto.DumpOK), nil, 0o600)
		meta.SizeBytes = diskUsage(tmp)
		meta.Stats = dumpStats(work)
		statefile.WriteJSON(filepath.Join(tmp, checkpointMeta), meta, 0o600)
	}
	lock.Close()
	if o.Portable && t.Status == StatusRunning && (o.LeaveRunning || runErr != nil) {
		t.run(ctx, "resume", t.ID) // frozen for the snapshot (see snapshotFrozen)
	}
	if runErr == nil && stops && t.Managed {
		// The dump ended the container and its shim commits the
		// checkpoint before it records the exit: wait for that, so what
		// berth shows next is the truth. (A restore in place also waits
		// for the shim to let go of the state.)
		waitForFile(ctx, m.procDir(id, proto.ProcInit), proto.FileExit, 10*time.Second)
	}
	// Even after a runtime error the dump may have succeeded (CRIU logged
	// it, the container is gone): then the checkpoint is all that is left
	// of it, and it is kept. Only a dump that did not finish is removed,
	// under the lock, never while a committer looks at it.
	committed, err := proto.Commit(tmp, final, time.Minute)
	switch {
	case errors.Is(err, proto.ErrDumpIncomplete):
		if marker != "" {
			os.Remove(marker)
		}
		if runErr == nil {
			runErr = err
		}
		return Checkpoint{}, dumpError(id, runErr, tail)
	case err != nil:
		return Checkpoint{}, idError(id, ErrCheckpoint, "%v", err)
	}
	if committed {
		ev := t.event(watch.KindCheckpoint)
		ev.Detail = name
		m.journal(ev)
	}
	return readCheckpoint(final)
}

// clearMarker removes a container's checkpointing marker left by a dump
// that is over (its berth was killed before the runtime ran, or the dump
// failed), so a later exit is not taken for a checkpoint's; it refuses
// while that dump still runs.
func clearMarker(id, marker string) error {
	var ck proto.Checkpointing
	if err := statefile.ReadJSON(marker, &ck); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return os.Remove(marker)
	}
	if lock, err := statefile.LockDir(ck.Staging, 0); err == nil {
		lock.Close()
	} else if errors.Is(err, statefile.ErrLocked) {
		return idError(id, ErrBusy, "checkpoint %q is being taken", ck.Name)
	}
	return os.Remove(marker)
}

// stageCheckpoint makes the staging directory a new checkpoint is written
// in, beside final (which must not exist yet) so that one rename commits
// it, and returns it locked: while the lock is held, nobody settles it. The
// caller removes it unless it commits.
func stageCheckpoint(id, root, final, prefix string) (string, *os.File, error) {
	if _, err := os.Lstat(final); err == nil {
		return "", nil, idError(id, ErrExists, "checkpoint %q already exists", filepath.Base(final))
	}
	if err := checkCheckpointRoot(root, true); err != nil {
		return "", nil, fmt.Errorf("%s: %w", id, err)
	}
	tmp, err := os.MkdirTemp(root, prefix)
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", id, err)
	}
	lock, err := statefile.LockDir(tmp, 0)
	if err != nil {
		os.RemoveAll(tmp)
		return "", nil, fmt.Errorf("%s: %w", id, err)
	}
	return tmp, lock, nil
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
	if meta.SizeBytes == 0 && !meta.Imported {
		// Committed by a shim or a later berth after the berth that took
		// it was killed: its size and CRIU's statistics are read now,
		// never written back (a listing writes nothing into a bundle).
		meta.SizeBytes = diskUsage(dir)
		meta.Stats = dumpStats(filepath.Join(dir, proto.CheckpointWork))
	}
	return meta, nil
}

// Staging directories are hidden beside the checkpoints: a dump's is
// named after its checkpoint, an import's is not (what an archive says is
// never committed without the import's checks).
const (
	stagingPrefix = ".tmp-"
	importPrefix  = ".import-"
)

// settleStaging commits or removes the staging directories in root that
// nobody is at work on any more: those of a berth killed after a dump that
// left the container running, or before the dump ran, or during an import.
// It reports whether there were any.
func (m *Manager) settleStaging(root string, entries []fs.DirEntry) (found bool) {
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() || !strings.HasPrefix(name, stagingPrefix) && !strings.HasPrefix(name, importPrefix) {
			continue
		}
		found = true
		staging := filepath.Join(root, name)
		var meta Checkpoint
		statefile.ReadJSON(filepath.Join(staging, checkpointMeta), &meta)
		if ValidateName(meta.Name) != nil || !strings.HasPrefix(name, stagingPrefix+meta.Name+"-") {
			if lock, err := statefile.LockDir(staging, 0); err == nil {
				os.RemoveAll(staging)
				lock.Close()
			}
			continue
		}
		if ok, _ := proto.Commit(staging, filepath.Join(root, meta.Name), 0); ok {
			m.journal(watch.Event{Kind: watch.KindCheckpoint, ID: meta.Container, Detail: meta.Name})
		}
	}
	return found
}

// settleName settles the staging directories of earlier dumps named name
// and refuses while one of them is still at work.
func (m *Manager) settleName(id, root, name string) error {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil // no checkpoints yet
	}
	m.settleStaging(root, entries)
	matches, _ := filepath.Glob(filepath.Join(root, stagingPrefix+name+"-*"))
	for _, dir := range matches {
		if !strings.Contains(strings.TrimPrefix(filepath.Base(dir), stagingPrefix+name+"-"), "-") {
			return idError(id, ErrBusy, "checkpoint %q is being taken", name)
		}
	}
	return nil
}

// Checkpoints lists a container's checkpoints, newest first; unreadable
// ones are listed invalid with the reason, and never hide the others.
func (m *Manager) Checkpoints(ctx context.Context, id string) ([]Checkpoint, error) {
	c, err := m.checkpointContainer(ctx, id)
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
	// Read again only when there was something to settle: a listing is
	// usually one directory read.
	if m.settleStaging(root, entries) {
		if entries, err = os.ReadDir(root); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s: %w", id, err)
		}
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
		if cp.Valid && cp.Container != "" && cp.Container != c.ID {
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
	c, err := m.checkpointContainer(ctx, id)
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
