package core

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"berth/host/cgroupfs"
	"berth/host/procfs"
	"berth/host/runcstate"
	"berth/shim/proto"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Status of a container, as `berth ps` reports it.
type Status string

// The statuses runc knows are named as runc names them, so its status
// is berth's as it stands.
const (
	StatusCreated        = Status(runcstate.Created)
	StatusRunning        = Status(runcstate.Running)
	StatusPaused         = Status(runcstate.Paused)
	StatusStopped        = Status(runcstate.Stopped)
	StatusUnknown Status = "unknown"
)

// Container is a snapshot of one container, managed or external.
type Container struct {
	ID     string `json:"id"`
	Status Status `json:"status"`
	// Reason explains an unknown status or an inferred exit.
	Reason      string `json:"reason,omitempty"`
	Pid         int    `json:"pid"`
	Bundle      string `json:"bundle"`
	Runtime     string `json:"runtime"`
	RuntimeRoot string `json:"runtimeRoot"`
	Managed     bool   `json:"managed"`
	// Owner is who started it: berth, docker, podman, kubernetes,
	// containerd/NAMESPACE, or runc and crun for containers started with
	// the runtime alone. Name and Image are the owner's for it, when it
	// keeps them.
	Owner   string    `json:"owner"`
	Name    string    `json:"name,omitempty"`
	Image   string    `json:"image,omitempty"`
	Created time.Time `json:"created"`
	// Started is when `berth start` (or restart) last started a stopped
	// container again; zero when it runs from its first start.
	Started time.Time `json:"started,omitzero"`
	// ExitStatus is nil until the container has stopped and its status is
	// known.
	ExitStatus *int              `json:"exitStatus"`
	ExitSignal int               `json:"exitSignal,omitempty"`
	OOMKilled  bool              `json:"oomKilled"`
	ExitedAt   *time.Time        `json:"exitedAt,omitempty"`
	OOMKills   uint64            `json:"oomKills"`
	Labels     map[string]string `json:"labels,omitempty"`
	// LogPath and LogFormat locate the log another manager keeps for an
	// external container ("json-file" or "cri"); empty when none is known.
	LogPath     string  `json:"logPath,omitempty"`
	LogFormat   string  `json:"logFormat,omitempty"`
	UIDMappings []IDMap `json:"uidMappings,omitempty"`
	GIDMappings []IDMap `json:"gidMappings,omitempty"`

	// CgroupPaths locate the container's cgroup files while it exists.
	CgroupPaths cgroupfs.Paths `json:"-"`
	// InitStart is the init process's start time, against pid reuse.
	InitStart uint64 `json:"-"`
}

// IDMap is one user-namespace mapping: container ids [ContainerID,
// ContainerID+Size) are host ids [HostID, HostID+Size).
type IDMap struct {
	ContainerID int64 `json:"containerID"`
	HostID      int64 `json:"hostID"`
	Size        int64 `json:"size"`
}

// LastStart is when the container's current (or last) run began: its
// Started time once it was started again, else its creation.
func (c Container) LastStart() time.Time {
	if c.Started.After(c.Created) {
		return c.Started
	}
	return c.Created
}

// Running reports whether the container has a live init (running or paused).
func (c Container) Running() bool { return c.Status == StatusRunning || c.Status == StatusPaused }

// managed builds the snapshot of a container in berth's state dir. It
// reports false for a directory that is not a container at all.
func (m *Manager) managed(id string) (Container, bool) {
	dir := m.containerDir(id)
	st, err := os.Lstat(dir)
	if err != nil {
		return Container{}, false
	}
	c := Container{ID: id, Managed: true, Owner: OwnerBerth, Status: StatusUnknown}
	rec, err := m.readRecord(id)
	switch {
	case errors.Is(err, os.ErrNotExist) && time.Since(st.ModTime()) < m.launchWait():
		// The run that made the directory is writing its state.
		c.Status, c.Reason = StatusCreated, "starting"
		return c, true
	case err != nil:
		c.Reason = "container record unreadable: " + err.Error()
		return c, true
	}
	c.Bundle, c.Runtime, c.RuntimeRoot, c.Created, c.Labels = rec.Bundle, rec.Runtime, rec.RuntimeRoot, rec.Created, rec.Labels
	c.Started = rec.Started

	ps := readProc(m.procDir(id, proto.ProcInit))
	if ps.exit == nil && ps.exitErr == nil && ps.shimErr == nil && !ps.shim.Alive() {
		// The shim died without recording the exit: settle it now.
		m.settle(id)
		ps = readProc(m.procDir(id, proto.ProcInit))
	}
	switch {
	case ps.exitErr != nil:
		c.Reason = "exit record unreadable: " + ps.exitErr.Error()
		return c, true
	case ps.exit != nil:
		applyExit(&c, ps.exit)
		return c, true
	case errors.Is(ps.shimErr, os.ErrNotExist):
		if time.Since(c.LastStart()) < m.launchWait() {
			c.Status = StatusCreated
		} else {
			c.Reason = "start never completed (berth was killed while starting it); remove it with berth rm"
		}
		return c, true
	case ps.shimErr != nil:
		c.Reason = "shim record unreadable: " + ps.shimErr.Error()
		return c, true
	}
	switch {
	case errors.Is(ps.pidErr, os.ErrNotExist):
		// The shim runs and has not recorded a pid: the runtime is still
		// creating the container (its state may not exist yet).
		c.Status, c.Reason = StatusCreated, "starting"
		return c, true
	case ps.pidErr != nil:
		c.Reason = "pid record unreadable: " + ps.pidErr.Error()
		return c, true
	}
	rs, err := runcstate.Load(rec.RuntimeRoot, id)
	if err != nil && filepath.Base(rec.Runtime) != "runc" {
		// Another runtime's state is its own business: ask it.
		if m.fillFromOCIState(&c, rec, ps.pid) {
			return c, true
		}
	}
	if err != nil {
		// The runtime forgot the container: its init exited and the shim
		// is recording that right now, or settle will.
		c.Status = StatusStopped
		c.Reason = "exiting"
		return c, true
	}
	fillFromRuntime(&c, rs)
	if ps.pid.Pid != 0 && c.Pid == 0 {
		c.Pid = ps.pid.Pid
	}
	return c, true
}

// applyExit fills the exit fields of a stopped container.
func applyExit(c *Container, e *proto.Exit) {
	c.Status = StatusStopped
	st := e.Status
	c.ExitStatus = &st
	c.ExitSignal = e.Signal
	c.OOMKilled = e.OOMKilled
	at := e.ExitedAt
	c.ExitedAt = &at
	c.OOMKills = e.OOMKills
	c.Reason = e.Detail
}

// fillFromRuntime takes status, pid, cgroups and id mappings from the
// runtime's own state, as runc derives them.
func fillFromRuntime(c *Container, state *runcstate.State) {
	c.Status = Status(state.Status())
	if c.Running() || c.Status == StatusCreated {
		c.Pid = state.InitPid
		c.InitStart = state.InitStart
	}
	if c.Created.IsZero() {
		c.Created = state.Created
	}
	c.CgroupPaths = cgroupfs.Paths(state.CgroupPaths)
	for _, m := range state.Config.UIDMappings {
		c.UIDMappings = append(c.UIDMappings, IDMap{m.ContainerID, m.HostID, m.Size})
	}
	for _, m := range state.Config.GIDMappings {
		c.GIDMappings = append(c.GIDMappings, IDMap{m.ContainerID, m.HostID, m.Size})
	}
	if c.Running() {
		c.OOMKills, _ = cgroupfs.OOMKillCount(c.CgroupPaths)
	}
}

// stateTimeout bounds a runtime's answer to `state`.
const stateTimeout = 5 * time.Second

// fillFromOCIState fills a container's status from the OCI `state` of a
// runtime other than runc (crun), whose state files are not runc's; the
// cgroup is its init's. It reports false when the runtime does not know
// the container.
func (m *Manager) fillFromOCIState(c *Container, rec Record, init procfs.Ident) bool {
	// A listing must not hang on one runtime: its state is a quick answer.
	ctx, cancel := context.WithTimeout(context.Background(), stateTimeout)
	defer cancel()
	out, err := runtimeOutput(ctx, rec.Runtime, rec.RuntimeRoot, rec.RuntimeArgs, "state", rec.ID)
	if err != nil {
		return false
	}
	var st specs.State
	if err := json.Unmarshal(out, &st); err != nil {
		return false
	}
	switch specs.ContainerState(st.Status) {
	case specs.StateCreating, specs.StateCreated:
		c.Status = StatusCreated
	case specs.StateRunning:
		c.Status = StatusRunning
	case "paused":
		c.Status = StatusPaused
	default:
		c.Status = StatusStopped
		c.Reason = "exiting"
		return true
	}
	c.Pid = st.Pid
	if init.Pid == st.Pid {
		c.InitStart = init.Start
	}
	if paths, err := cgroupfs.ProcPaths(st.Pid); err == nil {
		c.CgroupPaths = paths
	}
	if c.Running() {
		c.OOMKills, _ = cgroupfs.OOMKillCount(c.CgroupPaths)
	}
	return true
}

// externalRoots are the roots scanned for containers berth did not start,
// its patterns expanded now.
func (m *Manager) externalRoots() []string {
	roots, _ := ExpandRoots(m.opts.ExternalRoots, m.opts.RuntimeRoot)
	return roots
}

// ExternalRoots returns the external roots berth reads now (those that
// exist) and, when the roots were given rather than the defaults, the
// given ones that do not exist: a typo there would hide containers
// without a word.
func (m *Manager) ExternalRoots() (read, missing []string) {
	read, missing = ExpandRoots(m.opts.ExternalRoots, m.opts.RuntimeRoot)
	if !m.givenRoots {
		missing = nil
	}
	return read, missing
}

// ExpandRoots expands root patterns (a path, or a glob such as
// /run/containerd/runc/*) into the directories that exist now, leaving
// out own (berth's runtime root); missing are the plain paths that do not
// exist.
func ExpandRoots(patterns []string, own string) (read, missing []string) {
	seen := map[string]bool{filepath.Clean(own): true}
	for _, p := range patterns {
		matches := []string{p}
		if strings.ContainsAny(p, "*?[") {
			matches, _ = filepath.Glob(p)
		} else if st, err := os.Stat(p); err != nil || !st.IsDir() {
			missing = append(missing, p)
			continue
		}
		for _, r := range matches {
			r = filepath.Clean(r)
			if st, err := os.Stat(r); err != nil || !st.IsDir() || seen[r] {
				continue
			}
			seen[r] = true
			read = append(read, r)
		}
	}
	return read, missing
}

// externals lists the containers in the external runtime roots.
func (m *Manager) externals() []Container {
	var out []Container
	for _, root := range m.externalRoots() {
		entries, err := os.ReadDir(root)
		if err != nil {
			continue
		}
		for _, e := range entries {
			if !e.IsDir() {
				continue
			}
			if c, ok := m.loadExternal(root, e.Name()); ok {
				out = append(out, c)
			}
		}
	}
	return out
}

// loadExternal reads a container another manager started from its runtime
// state, and who that manager is and what it calls the container from the
// manager's records. Exit statuses of such containers are not berth's to
// know.
func (m *Manager) loadExternal(root, id string) (Container, bool) {
	if ValidateID(id) != nil {
		return Container{}, false
	}
	rs, err := runcstate.Load(root, id)
	if err != nil {
		return m.loadCrunExternal(root, id)
	}
	c := Container{ID: id, Runtime: "runc", RuntimeRoot: root, Status: StatusUnknown, Bundle: rs.Bundle()}
	fillFromRuntime(&c, rs)
	x := extInfo{root: root, id: id, bundle: c.Bundle}
	if cfg := rs.Config; cfg.Labels != nil || cfg.Mounts != nil {
		x.annotations = labelMap(cfg.Labels)
		for _, mnt := range cfg.Mounts {
			if mnt.Destination == "/etc/hostname" {
				x.hostnameSrc = mnt.Source
			}
		}
	}
	m.applyIdent(&c, x)
	return c, true
}

// applyIdent fills an external container's owner, name, image and log.
func (m *Manager) applyIdent(c *Container, x extInfo) {
	id := m.idents.get(c.Ref(), c.Created, func() ident { return m.identify(x) })
	c.Owner, c.Name, c.Image, c.LogPath, c.LogFormat = id.owner, id.name, id.image, id.logPath, id.logFormat
}

// Spec returns the OCI spec a managed container runs with (its runtime
// bundle's config.json), for the overview screen.
func (m *Manager) Spec(id string) (*specs.Spec, error) {
	if err := ValidateID(id); err != nil {
		return nil, err
	}
	rec, err := m.readRecord(id)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", id, err)
	}
	return loadRuntimeSpec(rec.RuntimeBundle)
}
