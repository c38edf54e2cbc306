// Package runcstate reads what runc keeps of a container, its state.json
// under the runtime root, and tells the container's status as runc does
// (libcontainer v1.5.3, Container.refreshState). berth and its shims read
// it for every listing, start and exit; linking libcontainer for that cost
// each berth command its packages' initialisation (netlink, dbus, SELinux,
// the cgroup managers) and a third of the binary.
package runcstate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"berth/host/cgroupfs"
	"berth/host/procfs"
	"berth/host/statefile"
)

// RuncVersion is the runc release whose state files this package reads
// (and scripts/deps.sh installs).
const RuncVersion = "1.5.3"

// Status is a runc container's status, named as runc names it.
type Status string

const (
	Created Status = "created"
	Running Status = "running"
	Paused  Status = "paused"
	Stopped Status = "stopped"
)

// StateFile is runc's state file in a container's directory.
const StateFile = "state.json"

// execFifo exists in the state dir from create until start.
const execFifo = "exec.fifo"

// IDMap is one user-namespace id mapping.
type IDMap struct {
	ContainerID int64 `json:"container_id"`
	HostID      int64 `json:"host_id"`
	Size        int64 `json:"size"`
}

// Mount is what berth reads of a mount of the container's config.
type Mount struct {
	Source      string `json:"source"`
	Destination string `json:"destination"`
}

// Namespace is one namespace of the config; Path set means joined, not new.
type Namespace struct {
	Type string `json:"type"`
	Path string `json:"path"`
}

// Config is what berth reads of the libcontainer config runc saved.
type Config struct {
	Labels      []string    `json:"labels"`
	Mounts      []Mount     `json:"mounts"`
	UIDMappings []IDMap     `json:"uid_mappings"`
	GIDMappings []IDMap     `json:"gid_mappings"`
	Namespaces  []Namespace `json:"namespaces"`
	Cgroups     *struct {
		Systemd  bool `json:"Systemd"`
		Rootless bool `json:"Rootless"`
	} `json:"cgroups"`
	Hooks           map[string][]json.RawMessage `json:"Hooks"`
	IntelRdt        json.RawMessage              `json:"intel_rdt"`
	RootlessCgroups bool                         `json:"rootless_cgroups"`
}

// State is a container's state.json.
type State struct {
	ID          string            `json:"id"`
	InitPid     int               `json:"init_process_pid"`
	InitStart   uint64            `json:"init_process_start"`
	Created     time.Time         `json:"created"`
	CgroupPaths map[string]string `json:"cgroup_paths"`
	Config      Config            `json:"config"`
	// Dir is the container's state directory.
	Dir string `json:"-"`
}

// Load reads the state of container id under root. A container runc does
// not know is an error satisfying errors.Is(err, os.ErrNotExist).
func Load(root, id string) (*State, error) {
	path, err := stateFile(root, id)
	if err != nil {
		return nil, err
	}
	st := &State{Dir: filepath.Dir(path)}
	if err := statefile.ReadJSON(path, st); err != nil {
		return nil, err
	}
	if st.InitPid <= 0 {
		return nil, errNoInit
	}
	return st, nil
}

// LoadInit reads only the init process of container id under root, as
// Load would: decoding the whole state (the config's mounts, namespaces,
// hooks) in a fresh process costs a start a few tenths of a millisecond
// more, all of it reflection.
func LoadInit(root, id string) (procfs.Ident, error) {
	path, err := stateFile(root, id)
	if err != nil {
		return procfs.Ident{}, err
	}
	var st struct {
		InitPid   int    `json:"init_process_pid"`
		InitStart uint64 `json:"init_process_start"`
	}
	if err := statefile.ReadJSON(path, &st); err != nil {
		return procfs.Ident{}, err
	}
	if st.InitPid <= 0 {
		return procfs.Ident{}, errNoInit
	}
	return procfs.Ident{Pid: st.InitPid, Start: st.InitStart}, nil
}

var errNoInit = errors.New("runc state: no init pid")

// stateFile is the state file of container id under root.
func stateFile(root, id string) (string, error) {
	if id == "" || id == "." || id == ".." || strings.ContainsRune(id, '/') {
		return "", fmt.Errorf("invalid container id %q", id)
	}
	return filepath.Join(root, id, StateFile), nil
}

// Init is the container's init process.
func (st *State) Init() procfs.Ident { return procfs.Ident{Pid: st.InitPid, Start: st.InitStart} }

// Status is the container's status now, derived as runc derives it:
// paused while its freezer holds it, stopped once its init is gone (or a
// zombie, or its pid reused), created until runc start removes the exec
// fifo, running after.
func (st *State) Status() Status {
	switch {
	case Frozen(cgroupfs.Paths(st.CgroupPaths)):
		return Paused
	case !procfs.Alive(st.InitPid, st.InitStart):
		return Stopped
	}
	if _, err := os.Lstat(filepath.Join(st.Dir, execFifo)); err == nil {
		return Created
	}
	return Running
}

// Bundle is the bundle runc was started with (its "bundle" label).
func (st *State) Bundle() string {
	for _, l := range st.Config.Labels {
		if v, ok := strings.CutPrefix(l, "bundle="); ok {
			return v
		}
	}
	return ""
}

// Frozen reports whether a container's own freezer holds it, as
// libcontainer's isPaused reads it: on cgroup v1 freezer.state FROZEN (or
// FREEZING, which runc waits out) unless freezer.self_freezing says an
// ancestor froze it; on v2 cgroup.freeze 1. A freezer that is gone or
// unreadable is not frozen.
func Frozen(p cgroupfs.Paths) bool {
	state, _ := freezer(p)
	switch state {
	case "1", "FREEZING":
		return true
	case "FROZEN":
		self, _ := readTrimmed(p.File("freezer", "freezer.self_freezing"))
		return self != "0"
	}
	return false
}

// Thawed reports whether the container's freezer is certainly thawed, as
// runc's destroy wants it before removing the cgroups: THAWED (v1) or 0
// (v2), or gone. One it cannot read is not.
func Thawed(p cgroupfs.Paths) bool {
	state, err := freezer(p)
	return errors.Is(err, os.ErrNotExist) || state == "THAWED" || state == "0"
}

// freezer reads the container's freezer state: freezer.state on cgroup
// v1, cgroup.freeze on v2. No freezer at all reads as not existing.
func freezer(p cgroupfs.Paths) (string, error) {
	if p.V2() {
		return readTrimmed(p.File("", "cgroup.freeze"))
	}
	return readTrimmed(p.File("freezer", "freezer.state"))
}

func readTrimmed(path string) (string, error) {
	if path == "" {
		return "", os.ErrNotExist
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	return string(bytes.TrimSpace(b)), nil
}
