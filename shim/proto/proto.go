// Package proto is the protocol between berth and its shims: the files in
// a process directory, the configuration core writes before starting a
// shim, the readiness message on the inherited pipe, and the records the
// shim writes back (the exit record, the runtime's JSON log).
//
// It is a leaf: core and watch read and write a shim's files through it
// without importing the shim itself, which links the runtime.
package proto

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"berth/host/procfs"
	"berth/host/statefile"
)

// ProcInit is the process directory of a container's init; each exec has
// one of its own, named after the exec.
const ProcInit = "init"

// Files in a process directory (<state-root>/<id>/<proc>/).
const (
	FileConfig     = "shim.json"   // Config, kept by the shim as core sent it
	FileShimPid    = "shim.pid"    // "PID START" of the shim
	FilePid        = "pid"         // "PID START" of the container process
	FileExit       = "exit"        // Exit, written once by temp file + rename
	FileShimLog    = "shim.log"    // the shim's own JSON lines
	FileRuntimeLog = "runtime.log" // the runtime's --log, JSON lines
	FileOutput     = "output.log"  // container stdout/stderr, CRI log format
	FileProcess    = "process.json"
	// FileOOM holds the highest OOM-kill count the shim journaled, so a
	// watcher starting later knows which kills are already history.
	FileOOM = "oom"
	// FileCheckpointing names the checkpoint a stopping dump is taking, so
	// the exit it causes is recorded as a checkpoint, not a crash.
	FileCheckpointing = "checkpointing"
)

// Modes a shim runs in.
const (
	ModeRun     = "run"     // start a container's init
	ModeExec    = "exec"    // start an extra process in a running container
	ModeRestore = "restore" // restore a container from a checkpoint
)

// ReadyFd is the file descriptor on which a shim reports readiness: the
// first of the launcher's ExtraFiles.
const ReadyFd = 3

// GoFd is the file descriptor from which a shim reads its Config, as
// JSON up to end of file, before it starts work: the second of the
// launcher's ExtraFiles. core starts the shim first and writes the
// container's state while the shim boots, then the configuration, which
// is the go. End of file before a whole configuration means the launch
// was given up, and the shim exits having touched nothing. The shim
// keeps the configuration as FileConfig in the process dir.
const GoFd = 4

// MaxConfig bounds a Config on the go pipe.
const MaxConfig = 1 << 20

// ShimEnv is added to a shim's environment by its launcher: the Go
// runtime's GOMAXPROCS, one P from the start rather than one per CPU. The
// shim leaves it out of the runtime's environment.
const ShimEnv = "GOMAXPROCS=1"

// Config tells a shim what to run. core sends it on GoFd; the shim's only
// argument is the process directory.
type Config struct {
	ID          string   `json:"id"`
	Mode        string   `json:"mode"`
	Runtime     string   `json:"runtime"`     // absolute path of the runtime binary
	RuntimeRoot string   `json:"runtimeRoot"` // the runtime's --root
	RuntimeArgs []string `json:"runtimeArgs,omitempty"`
	Bundle      string   `json:"bundle,omitempty"` // runtime bundle (run, restore)
	// StartTimeout bounds the runtime's start command; on expiry the shim
	// kills the runtime and its hooks and removes what it created.
	StartTimeout time.Duration `json:"startTimeout"`
	// LogMaxBytes bounds output.log plus its one rotated generation.
	LogMaxBytes int64 `json:"logMaxBytes"`
	// Restore options for ModeRestore.
	Restore *RestoreConfig `json:"restore,omitempty"`
	// Path is the PATH the runtime runs with (runc finds criu through it).
	Path string `json:"path,omitempty"`
	// OwnCgroup is the cgroup path berth generated for this container (its
	// cgroupsPath), "" when the user's bundle named one: only berth's own
	// may be removed by force after a failed start.
	OwnCgroup string `json:"ownCgroup,omitempty"`
}

// RestoreConfig is what a restore passes to the runtime.
type RestoreConfig struct {
	ImagePath string   `json:"imagePath"`
	WorkPath  string   `json:"workPath"`
	Args      []string `json:"args,omitempty"` // extra runtime restore flags
}

// Ready is the one message a shim writes on the ready pipe: the container
// process's pid once the runtime succeeded, or the runtime's own error.
type Ready struct {
	Pid   int    `json:"pid,omitempty"`
	Start uint64 `json:"start,omitempty"`
	Error string `json:"error,omitempty"`
}

// Exit records how a container process ended.
type Exit struct {
	// Status is the exit code, or 128+signal for a process killed by a
	// signal; 255 when it could not be known.
	Status    int  `json:"status"`
	Signal    int  `json:"signal,omitempty"`
	OOMKilled bool `json:"oomKilled"`
	// OOMKills is the container's OOM-kill count when it ended (init only).
	OOMKills uint64    `json:"oomKills,omitempty"`
	ExitedAt time.Time `json:"exitedAt"`
	// Detail says why a status is what it is when berth had to infer it,
	// for example after the shim itself was killed.
	Detail string `json:"detail,omitempty"`
}

// StatusUnknown is the status recorded when a process's exit went unseen.
const StatusUnknown = 255

// InOwnGroup makes a runtime command (made with exec.CommandContext) run
// in a process group of its own, killed whole, hooks included, when its
// context ends; Wait then waits at most a second for output that a hook
// left open. core and the shim run the runtime this way.
func InOwnGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
}

// ReadExit reads the exit record of the process directory dir. A missing
// file (the process runs) reads as an error satisfying errors.Is(err,
// fs.ErrNotExist); a torn or planted one as a decoding error.
func ReadExit(dir string) (Exit, error) {
	var e Exit
	err := statefile.ReadJSON(filepath.Join(dir, FileExit), &e)
	return e, err
}

// ReadIdent reads a "PID START" file of the process directory dir
// (FileShimPid or FilePid).
func ReadIdent(dir, name string) (procfs.Ident, error) {
	path := filepath.Join(dir, name)
	b, err := statefile.Read(path)
	if err != nil {
		return procfs.Ident{}, err
	}
	id, err := procfs.ParseIdent(b)
	if err != nil {
		return id, fmt.Errorf("%s: %w", path, err)
	}
	return id, nil
}

// RuntimeError returns the last error message the runtime logged in its
// JSON log, which says why it failed far better than its exit status.
func RuntimeError(path string) string {
	b, err := statefile.Read(path)
	if err != nil {
		return ""
	}
	msg, _ := LastLogError(b)
	return msg
}

// LastLogError scans JSON log lines ({"level","msg"}, as runc and the shim
// write them) and returns the last error or fatal message, and the last
// line of any kind (a plain one when the output was not JSON).
func LastLogError(b []byte) (lastErr, last string) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var m struct {
			Level string `json:"level"`
			Msg   string `json:"msg"`
		}
		if json.Unmarshal([]byte(line), &m) == nil && m.Msg != "" {
			if m.Level == "error" || m.Level == "fatal" {
				lastErr = m.Msg
			}
			last = m.Msg
			continue
		}
		last = line
	}
	return lastErr, last
}
