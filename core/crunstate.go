package core

import (
	"os"
	"path/filepath"
	"time"

	"berth/host/cgroupfs"
	"berth/host/procfs"
	"berth/host/statefile"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// crunStatus is the part of crun's per-container state file (<root>/<id>/
// status) berth reads: crun's state is not runc's, and asking `crun state`
// for every container of a listing would cost a process each.
type crunStatus struct {
	Pid       int    `json:"pid"`
	StartTime uint64 `json:"process-start-time"` // clock ticks since boot, as /proc's
	Bundle    string `json:"bundle"`
	Created   string `json:"created"`
}

// loadCrunExternal reads a container crun keeps: its status file, and the
// copy of the spec crun keeps beside it for the annotations. The init
// runs while its pid still names the process crun started (its start
// time); created until crun's exec fifo is gone; paused while frozen.
func (m *Manager) loadCrunExternal(root, id string) (Container, bool) {
	dir := filepath.Join(root, id)
	var st crunStatus
	if err := statefile.ReadJSON(filepath.Join(dir, "status"), &st); err != nil {
		return Container{}, false
	}
	c := Container{ID: id, Runtime: "crun", RuntimeRoot: root, Bundle: st.Bundle, Status: StatusStopped}
	c.Created, _ = time.Parse(time.RFC3339Nano, st.Created)
	if st.Pid > 0 && procfs.Alive(st.Pid, st.StartTime) {
		c.Pid, c.InitStart, c.Status = st.Pid, st.StartTime, StatusRunning
		if paths, err := cgroupfs.ProcPaths(st.Pid); err == nil {
			c.CgroupPaths = paths
		}
		if _, err := os.Lstat(filepath.Join(dir, "exec.fifo")); err == nil {
			c.Status = StatusCreated
		} else if frozen, _ := cgroupfs.Frozen(c.CgroupPaths); frozen {
			c.Status = StatusPaused
		}
		if c.Running() {
			c.OOMKills, _ = cgroupfs.OOMKillCount(c.CgroupPaths)
		}
	}
	x := extInfo{root: root, id: id, bundle: st.Bundle}
	var spec specs.Spec
	if statefile.ReadJSON(filepath.Join(dir, "config.json"), &spec) == nil {
		x.annotations = spec.Annotations
		for _, mnt := range spec.Mounts {
			if mnt.Destination == "/etc/hostname" {
				x.hostnameSrc = mnt.Source
			}
		}
	}
	m.applyIdent(&c, x)
	return c, true
}
