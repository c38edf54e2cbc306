package shim

import (
	"bytes"
	"errors"
	"fmt"
	"os"

	"berth/host/cgroupfs"
	"berth/host/procfs"
	"berth/host/runcstate"
)

// errNotExact means destroyStopped cannot do exactly what runc's delete
// would for this container; the shim runs the runtime's delete instead.
var errNotExact = errors.New("needs the runtime's delete")

// runcInit returns the init of the container runc has just started or
// restored, from its state: the pid and the start time runc read from
// /proc itself.
func runcInit(root, id string) (procfs.Ident, error) {
	init, err := runcstate.LoadInit(root, id)
	if err != nil {
		return procfs.Ident{}, fmt.Errorf("runtime state: %w", err)
	}
	return init, nil
}

// destroyStopped removes a stopped runc container's state the way
// libcontainer's Destroy does (runc v1.5.3, state_linux.go destroy): its
// cgroup directories (cgroup_paths, sub-cgroups first), then its state
// directory. Linking libcontainer for that cost every shim its packages'
// init and pages, for one call at exit. Whatever Destroy would do besides
// is left to the runtime's delete, reported by errNotExact: poststop hooks
// to run, a pid namespace not the container's own (processes left to
// kill), systemd or rootless cgroups, Intel RDT, a frozen cgroup (Destroy
// refuses or thaws first), an init still alive.
func destroyStopped(root, id string) error {
	st, err := runcstate.Load(root, id)
	if err != nil {
		return fmt.Errorf("%w: %v", errNotExact, err)
	}
	if why := inexact(st); why != "" {
		return fmt.Errorf("%w: %s", errNotExact, why)
	}
	if procfs.Alive(st.InitPid, st.InitStart) {
		return fmt.Errorf("%w: init %d still runs", errNotExact, st.InitPid)
	}
	if !runcstate.Thawed(cgroupfs.Paths(st.CgroupPaths)) {
		return fmt.Errorf("%w: cgroup frozen", errNotExact)
	}
	for _, p := range st.CgroupPaths {
		if err := cgroupfs.RemovePath(p); err != nil {
			return fmt.Errorf("remove cgroup: %w", err)
		}
	}
	if err := os.RemoveAll(st.Dir); err != nil {
		return fmt.Errorf("remove state dir: %w", err)
	}
	return nil
}

// inexact names what in the state makes Destroy do more than remove the
// cgroups and the state dir, or "" when nothing does.
func inexact(st *runcstate.State) string {
	c := &st.Config
	switch {
	case len(c.Hooks["poststop"]) > 0:
		return "poststop hooks"
	case c.Cgroups == nil:
		return "no cgroup config"
	case c.Cgroups.Systemd:
		return "systemd cgroups"
	case c.Cgroups.Rootless || c.RootlessCgroups:
		return "rootless cgroups"
	case len(c.IntelRdt) > 0 && !bytes.Equal(c.IntelRdt, []byte("null")):
		return "intel RDT"
	}
	for _, ns := range c.Namespaces {
		if ns.Type == "NEWPID" {
			if ns.Path != "" {
				return "a shared pid namespace"
			}
			return ""
		}
	}
	return "the host's pid namespace"
}
