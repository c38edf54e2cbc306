package core

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"berth/shim/proto"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// runFiles are the files of init's process dir that belong to one run
// of the container, removed before another (a start, a restore in place):
// the new run has a new cgroup, whose OOM counter starts again from zero,
// so the journaled count goes too.
var runFiles = []string{proto.FileExit, proto.FilePid, proto.FileShimPid, proto.FileConfig, proto.FileCheckpointing, proto.FileOOM}

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
	// lazyWork is the work dir of the lazy-pages daemon that serves a
	// post-copy migration's pages: the restore runs with --lazy-pages there.
	lazyWork string
}

// Restore starts a container from a checkpoint through a new shim, with
// fresh pipes as stdio so its output keeps flowing into the container's
// log. In place needs the original stopped; with As, a new container is made
// from the original's bundle (never from the checkpoint's metadata) with a
// cgroup of its own. Another manager's container restores only as a new
// berth container, from the copy of its bundle its checkpoint keeps, and
// after that manager removed it too.
func (m *Manager) Restore(ctx context.Context, id, name string, o RestoreOptions) (Container, error) {
	c, err := m.checkpointContainer(ctx, id)
	if err != nil {
		return Container{}, err
	}
	if !c.Managed && o.As == "" {
		return Container{}, idError(id, ErrInvalid, "berth restores another manager's container only as a new berth container: give --as NEWID")
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
	if meta.Container != "" && meta.Container != c.ID {
		return Container{}, idError(id, ErrNotFound, "checkpoint %q belongs to container %q", name, meta.Container)
	}
	if meta.Options.PreDump {
		return Container{}, idError(id, ErrInvalid, "checkpoint %q is a pre-dump: restore the final checkpoint that names it as parent", name)
	}
	var rec Record
	if c.Managed {
		if rec, err = m.readRecord(id); err != nil {
			return Container{}, fmt.Errorf("%s: %w", id, err)
		}
	} else if rec.Runtime, err = m.runtimePath(); err != nil {
		return Container{}, err
	}
	if err := m.requireCheckpoint(ctx, id, rec.Runtime, "restore"); err != nil {
		return Container{}, err
	}
	target := id
	if o.As != "" {
		if err := ValidateID(o.As); err != nil {
			return Container{}, err
		}
		if err := m.idFree(o.As); err != nil {
			return Container{}, err
		}
		target = o.As
	}
	switch {
	case !c.Managed:
		if rec, err = m.adoptRecord(ctx, dir, o.As, c.Ref()+"/"+name, false); err != nil {
			return Container{}, err
		}
	case o.As == "":
		if c.Running() || c.Status == StatusCreated {
			return Container{}, idError(id, ErrInvalid, "is %s: restore in place needs it stopped (or restore --as a new id)", c.Status)
		}
		// The shim of the run that ended may still be recording it.
		m.stopShims(id, 10*time.Second)
		if _, err := os.Lstat(filepath.Join(rec.RuntimeRoot, id)); err == nil {
			m.deleteRuntime(ctx, rec, true)
		}
		// The previous run's process dir gives way; its output log stays,
		// so the restored process's output continues it.
		proc := m.procDir(id, proto.ProcInit)
		for _, f := range runFiles {
			os.Remove(filepath.Join(proc, f))
		}
	default:
		if rec, err = m.cloneRecord(rec, o.As, name); err != nil {
			return Container{}, err
		}
	}
	return m.restoreInto(ctx, rec, dir, meta, o, target, o.As != "")
}

// restoreInto starts target from the checkpoint in dir through a new
// shim, with rec its state; fresh is a new container (a clone, an
// adopted or migrated one): its cgroup is its own, and a failed restore
// removes it.
func (m *Manager) restoreInto(ctx context.Context, rec Record, dir string, meta Checkpoint, o RestoreOptions, target string, fresh bool) (Container, error) {
	if meta.Imported {
		// What an archive says is not berth's to act on: only the options
		// given to this restore apply.
		meta.Options, meta.Paused = CheckpointOptions{}, false
	}
	args := criuFlags(CheckpointOptions{
		TCPEstablished: o.TCPEstablished || meta.Options.TCPEstablished, ExtUnixSk: o.ExtUnixSk || meta.Options.ExtUnixSk,
		ShellJob: o.ShellJob || meta.Options.ShellJob, FileLocks: o.FileLocks || meta.Options.FileLocks,
	})
	if meta.LazyPages != (o.lazyWork != "") {
		return Container{}, idError(target, ErrInvalid, "checkpoint %s holds no memory pages (a post-copy migration's): it restores only with the page server of that migration", meta.Name)
	}
	work := o.lazyWork
	if work != "" {
		args = append(args, "--lazy-pages")
	} else {
		var err error
		if work, err = os.MkdirTemp(m.containerDir(target), "restore-"); err != nil {
			return Container{}, fmt.Errorf("%s: %w", target, err)
		}
		defer removeUnmounted(work)
	}
	cfg := proto.Config{Mode: proto.ModeRestore, Bundle: rec.RuntimeBundle,
		Restore: &proto.RestoreConfig{ImagePath: dir, WorkPath: work, Args: args}}
	if fresh {
		cfg.OwnCgroup = filepath.Join("/", m.opts.CgroupParent, target)
	}
	if _, err := m.launch(ctx, rec, proto.ProcInit, cfg); err != nil {
		if fresh {
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

// createCloneState creates the state of a container made from another's
// spec: its runtime bundle, with the cgroup path always its own.
func (m *Manager) createCloneState(rec *Record, bundle string, spec *specs.Spec) error {
	rs := runtimeSpec(bundle, spec, m.opts.CgroupParent, rec.ID)
	rs.Linux.CgroupsPath = filepath.Join("/", m.opts.CgroupParent, rec.ID)
	config, err := json.Marshal(rs)
	if err != nil {
		return fmt.Errorf("%s: %w", rec.ID, err)
	}
	return m.createState(rec, config)
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
	if err := m.createCloneState(&rec, orig.RuntimeBundle, spec); err != nil {
		return Record{}, err
	}
	return rec, nil
}
