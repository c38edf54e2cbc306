package core

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"time"

	"berth/host/statefile"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// A checkpoint of another manager's container keeps a copy of what its
// restore needs once that manager has removed the container: the spec,
// the root filesystem as it was when frozen, and the files bind-mounted
// from the manager's directories (docker's hosts, hostname, resolv.conf).
// It lives under the state dir by runtime root and id, so the same id in
// two roots never mixes, and it outlives the container: listed, removed,
// exported and restored as a new berth container (restore --as).
const (
	externalDir  = "external"
	snapshotDir  = "bundle" // in the checkpoint's directory
	snapshotRoot = "rootfs"
	snapshotMnts = "mounts"
)

// copyTimeout bounds the copy of a root filesystem.
const copyTimeout = 30 * time.Minute

// externalCheckpointRoot is where the checkpoints of another manager's
// container live: <state>/external/<root, escaped>/<id>/checkpoints.
func (m *Manager) externalCheckpointRoot(root, id string) string {
	return filepath.Join(m.opts.StateDir, externalDir, url.PathEscape(root), id, checkpointsDir)
}

// checkpointContainer is the container a checkpoint command is about:
// the one ref names, or, once another manager removed it, what its
// checkpoints say of it (stopped, its owner told from its root).
func (m *Manager) checkpointContainer(ctx context.Context, ref string) (Container, error) {
	c, err := m.Get(ctx, ref)
	if err == nil || !errors.Is(err, ErrNotFound) {
		return c, err
	}
	root, id, serr := splitRef(ref)
	if serr != nil {
		return c, err
	}
	roots := []string{root}
	if root == "" {
		roots = m.checkpointedRoots(id)
	}
	var found []Container
	for _, r := range roots {
		if st, err := os.Lstat(m.externalCheckpointRoot(r, id)); err == nil && st.IsDir() {
			found = append(found, Container{ID: id, RuntimeRoot: r, Owner: rootOwner(r, ""), Status: StatusStopped,
				Reason: "removed by its manager; its checkpoints remain"})
		}
	}
	return one(ref, found)
}

// checkpointedRoots are the runtime roots under which some container id
// has checkpoints.
func (m *Manager) checkpointedRoots(id string) []string {
	entries, _ := os.ReadDir(filepath.Join(m.opts.StateDir, externalDir))
	var out []string
	for _, e := range entries {
		root, err := url.PathUnescape(e.Name())
		if err != nil || !filepath.IsAbs(root) {
			continue
		}
		if st, err := os.Lstat(filepath.Join(m.opts.StateDir, externalDir, e.Name(), id)); err == nil && st.IsDir() {
			out = append(out, root)
		}
	}
	return out
}

// ResolveCheckpoints is Resolve for the commands about checkpoints: a
// container another manager removed is still named by its checkpoints.
func (m *Manager) ResolveCheckpoints(ctx context.Context, ref string) (Container, error) {
	c, err := m.Resolve(ctx, ref)
	if !errors.Is(err, ErrNotFound) {
		return c, err
	}
	return m.checkpointContainer(ctx, ref)
}

// snapshotBundle copies into dir what restoring a container needs
// without the bundle it runs from (from: another manager's, or berth's
// runtime bundle), while the container is frozen, so
// the files match the memory CRIU dumps: the root filesystem (its own
// file system only: mounts inside it are the spec's), the regular files
// bind-mounted into it, and its spec made to stand alone (no hooks, no
// namespaces of the manager's to join, no cgroup of its own).
func snapshotBundle(ctx context.Context, from, dir string) error {
	spec, err := loadSpec(from, readUserFile)
	if err != nil {
		return err
	}
	bundle := filepath.Join(dir, snapshotDir)
	rootfs := filepath.Join(bundle, snapshotRoot)
	if err := os.MkdirAll(filepath.Join(bundle, snapshotMnts), 0o700); err != nil {
		return err
	}
	src := rootfsPath(from, spec.Root.Path)
	if err := copyTree(ctx, src, rootfs); err != nil {
		return fmt.Errorf("copy root filesystem %s: %w", src, err)
	}
	for i, mnt := range spec.Mounts {
		st, err := os.Stat(mnt.Source)
		if mnt.Type != "bind" && !slices.Contains(mnt.Options, "bind") && !slices.Contains(mnt.Options, "rbind") || err != nil || !st.Mode().IsRegular() {
			continue
		}
		// Relative to the bundle, as the runtime takes them: the
		// checkpoint's directory is renamed when it is committed.
		rel := filepath.Join(snapshotMnts, fmt.Sprintf("%d-%s", i, filepath.Base(mnt.Source)))
		if err := copyTree(ctx, mnt.Source, filepath.Join(bundle, rel)); err != nil {
			return fmt.Errorf("copy mount source %s: %w", mnt.Source, err)
		}
		spec.Mounts[i].Source = rel
	}
	spec.Root = &specs.Root{Path: snapshotRoot, Readonly: spec.Root.Readonly}
	spec.Hooks = nil
	spec.Linux.CgroupsPath = ""
	for i := range spec.Linux.Namespaces {
		spec.Linux.Namespaces[i].Path = ""
	}
	return statefile.WriteJSON(filepath.Join(bundle, "config.json"), spec, 0o600)
}

// copyTree copies a file or a directory tree with everything it holds
// (owners, modes, links, devices, extended attributes), staying on its
// file system: coreutils' cp -a, bounded by copyTimeout.
func copyTree(ctx context.Context, src, dst string) error {
	st, err := os.Lstat(src)
	if err != nil {
		return err
	}
	argv := []string{"-a", "--one-file-system", "--", src, dst}
	if st.IsDir() {
		argv = []string{"-a", "--one-file-system", "--", src + "/.", dst}
		if err := os.MkdirAll(dst, st.Mode().Perm()); err != nil {
			return err
		}
	}
	return runCommand(ctx, "cp", argv, "copy", runtimeIO{}, copyTimeout)
}

// snapshotFrozen freezes a running container through the runtime, for
// the moments of the copy, and copies its bundle (another manager's, or
// the runtime bundle berth runs its own from) into the checkpoint's
// staging directory dir. It is left frozen for the dump; a dump that
// leaves it running, or fails, thaws it.
func (m *Manager) snapshotFrozen(ctx context.Context, t target, dir string) error {
	from := t.Bundle
	if t.Managed {
		rec, err := m.readRecord(t.ID)
		if err != nil {
			return err
		}
		from = rec.RuntimeBundle
	}
	if t.Status == StatusRunning {
		if err := t.run(ctx, "pause", t.ID); err != nil {
			return err
		}
	}
	err := snapshotBundle(ctx, from, dir)
	if err != nil && t.Status == StatusRunning {
		t.run(ctx, "resume", t.ID)
	}
	return err
}

// adoptRecord makes the state of a berth container restored from a
// portable checkpoint: its own copy of the snapshot's root filesystem (a
// restore must not change the checkpoint's; with move, when the
// checkpoint is only passing through, the snapshot's is taken), berth's
// runtime, and the container's state dir as its bundle, so its
// checkpoints live there.
func (m *Manager) adoptRecord(ctx context.Context, cpDir, newID, from string, move bool) (Record, error) {
	snap := filepath.Join(cpDir, snapshotDir)
	spec, err := loadRuntimeSpec(snap)
	if err != nil {
		return Record{}, idError(newID, ErrInvalid, "the checkpoint has no usable copy of its container's bundle: %v", err)
	}
	runtime, err := m.runtimePath()
	if err != nil {
		return Record{}, err
	}
	dir := m.containerDir(newID)
	rec := Record{ID: newID, Bundle: dir, Runtime: runtime, RuntimeRoot: m.opts.RuntimeRoot,
		Created: time.Now().UTC(), RestoredFrom: from}
	spec.Root = &specs.Root{Path: filepath.Join(dir, snapshotRoot), Readonly: spec.Root.Readonly}
	for i, mnt := range spec.Mounts {
		if filepath.Dir(mnt.Source) == snapshotMnts {
			spec.Mounts[i].Source = filepath.Join(dir, mnt.Source)
		}
	}
	if err := m.createCloneState(&rec, dir, spec); err != nil {
		return Record{}, err
	}
	for _, part := range []string{snapshotRoot, snapshotMnts} {
		src, dst := filepath.Join(snap, part), filepath.Join(dir, part)
		if move {
			if err := os.Rename(src, dst); err == nil {
				continue
			}
		}
		if err := copyTree(ctx, src, dst); err != nil {
			os.RemoveAll(dir)
			return Record{}, fmt.Errorf("%s: copy the checkpoint's %s: %w", newID, part, err)
		}
	}
	return rec, nil
}
