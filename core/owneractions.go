package core

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"berth/host/procfs"

	"golang.org/x/sys/unix"
)

// Ops on another manager's container that berth sends through that
// manager's own CLI when it is installed (see Via).
const (
	OpPause  = "pause"
	OpResume = "resume"
	OpKill   = "kill"
	OpUpdate = "update"
)

// Via says how berth does an op to a container.
type Via struct {
	// Tool is the owner's CLI berth acts through ("docker", "podman",
	// "ctr"); empty when berth acts through the runtime.
	Tool string `json:"tool,omitempty"`
	// Warning says what goes out of step when berth acts through the
	// runtime behind a manager's back; empty when nothing does. The UI
	// and the CLI ask before such an op.
	Warning string `json:"warning,omitempty"`
}

// Via says how op on c would go: through its owner's CLI when that is
// installed and does op, else through the runtime, with what the owner
// will not know.
func (m *Manager) Via(c Container, op string) Via {
	if c.Managed {
		return Via{}
	}
	if tool, ok := ownerToolFor(c); ok && tool.argv(op, c, nil) != nil {
		return Via{Tool: tool.name}
	}
	return Via{Warning: bypassWarning(c, op)}
}

// bypassWarning is what goes out of step when berth does op to c through
// the runtime alone.
func bypassWarning(c Container, op string) string {
	owner := c.Owner
	switch {
	case owner == OwnerKubernetes:
		switch op {
		case OpPause:
			return "Kubernetes will not know it is paused: the kubelet and containerd show it running, and its probes fail until it is resumed"
		case OpResume:
			return "Kubernetes did not pause it and will not know it was resumed"
		case OpKill:
			return "the kubelet will restart it, as its pod's restartPolicy says"
		case OpUpdate:
			return "the kubelet will not know the new limits and may set the pod's back"
		}
	case owner == OwnerBerth || owner == OwnerRunc || owner == OwnerCrun:
		return ""
	case op == OpPause:
		return owner + " will not know it is paused: its own pause, resume and stop then fail until berth resumes it"
	case op == OpResume:
		return owner + " may think it is paused: its own resume then fails"
	case op == OpUpdate:
		return owner + " will not know the new limits: its inspect shows the old ones, and a restart brings them back"
	}
	return "" // a kill's exit is seen by every manager
}

// ownerTool is a manager's CLI and the global arguments that point it at
// the container's store or namespace.
type ownerTool struct {
	name, path string
	globals    []string
}

// ownerToolFor finds the CLI of c's owner, when it is installed. docker
// and ctr take their daemon's address from DOCKER_HOST and
// CONTAINERD_ADDRESS as their users set them; podman has no daemon, and
// is pointed at the container's own store.
func ownerToolFor(c Container) (ownerTool, bool) {
	t := ownerTool{name: ManagerCLI(c.Owner)}
	switch t.name {
	case "":
		return t, false
	case "podman":
		t.globals = podmanStore(c)
	case "ctr":
		t.globals = []string{"--namespace", strings.TrimPrefix(c.Owner, OwnerContainerd+"/")}
	}
	p, err := exec.LookPath(t.name)
	if err != nil {
		return t, false
	}
	t.path = p
	return t, true
}

// argv is the tool's command line for op on c (sig for a kill, flags for
// an update), nil when the tool cannot do it.
func (t ownerTool) argv(op string, c Container, extra []string) []string {
	var args []string
	switch t.name {
	case "docker", "podman":
		switch op {
		case OpPause:
			args = []string{"pause"}
		case OpResume:
			args = []string{"unpause"}
		case OpKill:
			args = []string{"kill"}
		case OpUpdate:
			args = []string{"update"}
		}
	case "ctr":
		switch op {
		case OpPause:
			args = []string{"task", "pause"}
		case OpResume:
			args = []string{"task", "resume"}
		case OpKill:
			args = []string{"task", "kill"}
		}
	}
	if args == nil {
		return nil
	}
	args = append(append(append(append([]string{}, t.globals...), args...), extra...), c.ID)
	return args
}

// ownerTool is the CLI berth acts through for the container: its owner's,
// when it is another manager's and that CLI is installed. Looked up once
// per operation (it searches PATH, and podman's reads conmon's arguments).
func (t target) ownerTool() (ownerTool, bool) {
	if t.Managed {
		return ownerTool{}, false
	}
	return ownerToolFor(t.Container)
}

// run does op to c through the tool; false when the tool cannot do op
// and berth is to use the runtime.
func (tool ownerTool) run(ctx context.Context, c Container, op string, extra ...string) (bool, error) {
	argv := tool.argv(op, c, extra)
	if argv == nil {
		return false, nil
	}
	if err := runCommand(ctx, tool.path, argv, op, runtimeIO{}, runtimeTimeout); err != nil {
		return true, fmt.Errorf("%s: %w", c.ID, err)
	}
	return true, nil
}

// killFlags are a kill's arguments for an owner's CLI.
func killFlags(tool string, sig unix.Signal) []string {
	if tool == "ctr" {
		return []string{"--signal", unix.SignalName(sig)}
	}
	return []string{"--signal", strconv.Itoa(int(sig))}
}

// updateFlags are an update's arguments for docker's and podman's update,
// which take the same flags; an error for what they cannot do.
func updateFlags(r Resources) ([]string, error) {
	var args []string
	if r.MemoryBytes != nil {
		if *r.MemoryBytes < 0 {
			return nil, invalidf("docker and podman cannot lift a memory limit: give a larger one")
		}
		// Swap follows memory, or a limit below the old swap limit fails.
		args = append(args, "--memory", strconv.FormatInt(*r.MemoryBytes, 10), "--memory-swap", "-1")
	}
	if r.Pids != nil {
		args = append(args, "--pids-limit", strconv.FormatInt(*r.Pids, 10))
	}
	if r.CPUs != nil {
		args = append(args, "--cpus", strconv.FormatFloat(*r.CPUs, 'f', -1, 64))
	}
	return args, nil
}

// podmanStore is the global arguments that point podman at the store and
// runtime of a container, as the container's conmon (the init's parent)
// was given them: the graph root from the bundle
// (<graph-root>/<driver>-containers/<id>/userdata), the run root from the
// pid file (<run-root>/<driver>-containers/<id>/userdata/pidfile), the
// tmp dir from the exit dir (<tmpdir>/exits: a podman pointed at another
// tmp dir would take the host for rebooted and reset its containers), the
// runtime from -r. Defaults are left to podman.
func podmanStore(c Container) []string {
	containers := filepath.Dir(filepath.Dir(c.Bundle))
	driver, ok := strings.CutSuffix(filepath.Base(containers), "-containers")
	if !ok || c.Pid <= 0 {
		return nil
	}
	st, err := procfs.ReadStat(c.Pid)
	if err != nil {
		return nil
	}
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(st.PPid) + "/cmdline")
	if err != nil {
		return nil
	}
	conmon := map[string]string{}
	args := bytes.Split(bytes.TrimRight(cmdline, "\x00"), []byte{0})
	for i := 0; i+1 < len(args); i++ {
		conmon[string(args[i])] = string(args[i+1])
	}
	var out []string
	if r := conmon["-r"]; r != "" {
		out = append(out, "--runtime", r)
	}
	graph := filepath.Dir(containers)
	run := filepath.Dir(filepath.Dir(filepath.Dir(filepath.Dir(conmon["-p"]))))
	if conmon["-p"] != "" && !(graph == "/var/lib/containers/storage" && run == "/run/containers/storage") {
		out = append(out, "--root", graph, "--runroot", run, "--storage-driver", driver)
	}
	if exits := conmon["--exit-dir"]; exits != "" && filepath.Dir(exits) != "/run/libpod" {
		out = append(out, "--tmpdir", filepath.Dir(exits))
	}
	return out
}
