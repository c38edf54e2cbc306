package core

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"berth/host/statefile"
	"berth/shim/proto"
	"berth/watch"
)

// RunOptions describe a container to start.
type RunOptions struct {
	// Bundle is the user's OCI bundle directory; berth never writes to it.
	Bundle string
	Labels map[string]string
	// Quick returns the container as its start left it (running, with its
	// init's pid) instead of reading it back: for a caller that only
	// needs to know the start succeeded (berth run -d).
	Quick bool
}

// Run starts a container from a bundle through a new shim and returns once
// its init runs, or with the runtime's own error. On any failure nothing is
// left behind: no state dir, no runtime state, no cgroup, no process.
func (m *Manager) Run(ctx context.Context, id string, o RunOptions) (Container, error) {
	if err := ValidateID(id); err != nil {
		return Container{}, err
	}
	runtime, err := m.runtimePath()
	if err != nil {
		return Container{}, fmt.Errorf("%s: %w", id, err)
	}
	bundle, err := filepath.Abs(o.Bundle)
	if err != nil {
		return Container{}, fmt.Errorf("%s: bundle: %w", id, err)
	}
	// The shim boots while the bundle is checked and the state written:
	// its process start is most of what berth adds to the runtime's own.
	shim, err := m.spawnShim(id, proto.ProcInit)
	if err != nil {
		return Container{}, err
	}
	launched := false
	defer func() {
		if !launched {
			shim.abandon()
		}
	}()
	config, head, err := loadBundleHead(bundle)
	if err != nil {
		return Container{}, fmt.Errorf("%s: %w", id, err)
	}
	if err := m.idFree(id); err != nil {
		return Container{}, err
	}
	rec := Record{ID: id, Bundle: bundle, Runtime: runtime, RuntimeRoot: m.opts.RuntimeRoot,
		Created: time.Now().UTC(), Labels: o.Labels}
	config, cgroups := runtimeConfig(bundle, config, head, m.opts.CgroupParent, id)
	if err := m.createState(&rec, config); err != nil {
		return Container{}, err
	}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(m.containerDir(id))
		}
	}()
	cfg := proto.Config{Mode: proto.ModeRun, Bundle: rec.RuntimeBundle}
	if head.Linux.CgroupsPath == "" {
		cfg.OwnCgroup = cgroups
	}
	// create is journaled before the shim is told to go and journals
	// start, so history never shows an exit before its start.
	m.journal(watch.Event{Kind: watch.KindCreate, ID: id, Detail: bundle})
	launched = true
	ready, err := m.launchSpawned(ctx, shim, rec, proto.ProcInit, cfg)
	if err != nil {
		m.journal(watch.Event{Kind: watch.KindDelete, ID: id, Detail: "start failed"})
		return Container{}, err
	}
	ok = true
	if !o.Quick {
		if c, err := m.Get(ctx, id); err == nil {
			return c, nil
		}
	}
	return Container{
		ID: id, Status: StatusRunning, Pid: ready.Pid, InitStart: ready.Start, Bundle: bundle,
		Runtime: runtime, RuntimeRoot: rec.RuntimeRoot, Managed: true, Owner: OwnerBerth, Created: rec.Created,
		Labels: o.Labels,
	}, nil
}

// idFree refuses an id the runtime or another manager's container already
// uses: berth's container would hide the other one in every list.
func (m *Manager) idFree(id string) error {
	if _, err := os.Lstat(filepath.Join(m.opts.RuntimeRoot, id)); err == nil {
		return idError(id, ErrExists, "the runtime already has a container with this id")
	}
	for _, root := range m.externalRoots() {
		if _, err := os.Lstat(filepath.Join(root, id)); err == nil {
			return idError(id, ErrExists, "a container berth did not start uses this id (in %s): choose another", root)
		}
	}
	return nil
}

// createState makes a new container's state dir: the runtime bundle berth
// hands the runtime (its config.json, config) and the record, filling in
// rec.RuntimeBundle. The directory's creation is what claims the id; on
// failure nothing is left.
func (m *Manager) createState(rec *Record, config []byte) error {
	dir := m.containerDir(rec.ID)
	if err := os.Mkdir(dir, 0o700); err != nil {
		if errors.Is(err, os.ErrExist) {
			return idError(rec.ID, ErrExists, "a container with this id already exists")
		}
		return fmt.Errorf("%s: %w", rec.ID, err)
	}
	rec.RuntimeBundle = filepath.Join(dir, "bundle")
	err := os.Mkdir(rec.RuntimeBundle, 0o700)
	if err == nil {
		err = statefile.Write(filepath.Join(rec.RuntimeBundle, "config.json"), config, 0o600)
	}
	if err == nil {
		err = statefile.WriteJSON(filepath.Join(dir, recordFile), rec, 0o600)
	}
	if err != nil {
		os.RemoveAll(dir)
		return fmt.Errorf("%s: %w", rec.ID, err)
	}
	return nil
}
