package proto

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"berth/host/procfs"
	"berth/host/statefile"
)

// A checkpoint is taken into a staging directory beside its final place
// and becomes the checkpoint by one rename. A dump that stops the container
// ends it before the runtime returns, so the berth that asked may be gone
// (killed) when the dump succeeds: whoever outlives the dump commits it.
// For a stopping dump of berth's container that is the shim, which the
// container's exit wakes; for anything else it is the berth that took it,
// or the next one to list the container's checkpoints.
//
// Who is still at work on a staging directory is said by a flock on it,
// taken before the dump and inherited by the runtime, never by a pid.

// Checkpointing is the content of FileCheckpointing: which checkpoint a
// stopping dump is taking, and where.
type Checkpointing struct {
	Name    string `json:"name"`
	Staging string `json:"staging"`
	Final   string `json:"final"`
}

// CheckpointWork is the CRIU work directory inside a checkpoint (logs and
// statistics), and DumpLog CRIU's log in it.
const (
	CheckpointWork = "work"
	DumpLog        = "dump.log"
)

// dumpDone ends the last line CRIU logs after a dump ("Dumping finished
// successfully") or a pre-dump ("Pre-dumping ...") that succeeded; it is
// written after the dumped tasks were killed, so it is looked for only
// once the dump's lock is free.
var dumpDone = []byte("umping finished successfully")

// DumpOK, in a checkpoint's work directory, says the runtime's dump exited
// successfully: the berth that took it writes it, still holding the
// staging lock, so a committer need not trust CRIU's log alone (whose last
// line a CRIU config can change).
const DumpOK = "dump-ok"

// ErrDumpIncomplete is returned by Commit for a staging
// directory whose dump did not finish successfully.
var ErrDumpIncomplete = errors.New("the dump did not finish")

// DumpSucceeded reports whether the dump into a staging directory
// succeeded: the runtime said so (DumpOK), or CRIU's log ends with its
// success line (the berth that asked was killed before it could write
// DumpOK).
func DumpSucceeded(staging string) bool {
	if _, err := os.Lstat(filepath.Join(staging, CheckpointWork, DumpOK)); err == nil {
		return true
	}
	f, err := statefile.Open(filepath.Join(staging, CheckpointWork, DumpLog))
	if err != nil {
		return false
	}
	defer f.Close()
	const tail = 4 << 10
	if st, err := f.Stat(); err == nil && st.Size() > tail {
		f.Seek(st.Size()-tail, io.SeekStart)
	}
	b, _ := io.ReadAll(io.LimitReader(f, tail))
	b = bytes.TrimRight(b, "\n")
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		b = b[i+1:]
	}
	return bytes.Contains(b, dumpDone)
}

// Commit renames the staging directory of a checkpoint to final once
// nobody is at work on it any more (waiting up to wait for the lock) and
// reports whether this call committed it. Whoever commits journals the
// checkpoint. A staging directory that another committed first is no error
// when final exists; one whose dump failed is removed (ErrDumpIncomplete).
// The metadata, written into the staging directory before the dump, is
// completed (size, CRIU's statistics) by core when it is first read.
func Commit(staging, final string, wait time.Duration) (bool, error) {
	lock, err := statefile.LockDir(staging, wait)
	if errors.Is(err, os.ErrNotExist) {
		return false, committedElsewhere(final)
	}
	if err != nil {
		return false, err
	}
	defer lock.Close()
	// The lock may have been taken on a directory renamed meanwhile.
	if _, err := os.Lstat(staging); errors.Is(err, os.ErrNotExist) {
		return false, committedElsewhere(final)
	}
	if !DumpSucceeded(staging) {
		os.RemoveAll(staging)
		return false, ErrDumpIncomplete
	}
	if err := os.Rename(staging, final); err != nil {
		return false, fmt.Errorf("commit checkpoint %s: %w", filepath.Base(final), err)
	}
	return true, nil
}

func committedElsewhere(final string) error {
	if _, err := os.Lstat(final); err == nil {
		return nil
	}
	return ErrDumpIncomplete
}

// restoreRoot is where runc binds the container's root filesystem for
// CRIU during a restore, inside its state dir.
const restoreRoot = "criu-root"

// DetachRestoreMounts detaches what a restore killed mid-way left bound
// in the runtime's state dir of container id (the root filesystem at
// criu-root). The runtime's delete removes that dir recursively, and
// through the mount it would empty the container's root filesystem.
func DetachRestoreMounts(runtimeRoot, id string) {
	if id == "" || strings.ContainsRune(id, '/') || id == "." || id == ".." {
		return
	}
	dir := filepath.Join(runtimeRoot, id, restoreRoot)
	if _, err := os.Lstat(dir); err != nil {
		return
	}
	procfs.UnmountUnder(dir)
}
