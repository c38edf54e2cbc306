package core

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"berth/host/statefile"
	"berth/shim/proto"
)

// ExecOptions describe an extra process in a running container.
type ExecOptions struct {
	Args []string
	Env  []string // added to the container's environment
	Cwd  string
	Tty  bool
}

// Exec starts a detached process in a running managed container through a
// shim of its own, its output logged like init's. It returns the process's
// name (its directory under the container) and host pid.
func (m *Manager) Exec(ctx context.Context, id string, o ExecOptions) (string, int, error) {
	if len(o.Args) == 0 {
		return "", 0, idError(id, ErrInvalid, "exec needs a command")
	}
	if o.Tty {
		return "", 0, idError(id, ErrInvalid, "a detached exec cannot have a terminal")
	}
	t, err := m.target(ctx, id)
	if err != nil {
		return "", 0, err
	}
	if !t.Managed {
		return "", 0, idError(id, ErrUnmanaged, "detached exec needs a berth shim; use an attached exec")
	}
	if err := t.requireRunning("exec into", false); err != nil {
		return "", 0, err
	}
	rec, err := m.readRecord(id)
	if err != nil {
		return "", 0, fmt.Errorf("%s: %w", id, err)
	}
	spec, err := loadRuntimeSpec(rec.RuntimeBundle)
	if err != nil {
		return "", 0, fmt.Errorf("%s: %w", id, err)
	}
	p := *spec.Process
	p.Args = o.Args
	p.Terminal = false
	p.Env = append(append([]string(nil), p.Env...), o.Env...)
	if o.Cwd != "" {
		p.Cwd = o.Cwd
	}
	proc := "exec-" + randomHex(6)
	dir := m.procDir(id, proc)
	if err := os.Mkdir(dir, 0o700); err != nil {
		return "", 0, fmt.Errorf("%s: %w", id, err)
	}
	if err := statefile.WriteJSON(filepath.Join(dir, proto.FileProcess), &p, 0o600); err != nil {
		os.RemoveAll(dir)
		return "", 0, fmt.Errorf("%s: %w", id, err)
	}
	ready, err := m.launch(ctx, rec, proc, proto.Config{Mode: proto.ModeExec})
	if err != nil {
		os.RemoveAll(dir)
		// The runtime's failure to start the command reads as an
		// attached exec's does.
		var e *Error
		if errors.As(err, &e) && e.Class == ErrRuntime && strings.HasPrefix(e.Msg, "exec failed: ") {
			return "", 0, idError(id, ErrRuntime, "exec: %s", execFailure(e.Msg))
		}
		return "", 0, err
	}
	return proc, ready.Pid, nil
}

// ExecAttached runs a process in a running container on the caller's
// stdio (a terminal when o.Tty) through the runtime directly, and returns
// its exit status. This is what `berth exec` uses attached.
//
// The runtime's failure to start the command (no such executable, a bad
// cwd) is an error naming the container, not the runtime's log line on
// stderr and its 255, which a command may exit with too: the runtime is
// asked for JSON log lines and its stderr passes through a filter that
// keeps its error lines back (the command's own stderr is then a pipe,
// copied as it comes).
func (m *Manager) ExecAttached(ctx context.Context, id string, o ExecOptions, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	if len(o.Args) == 0 {
		return 0, idError(id, ErrInvalid, "exec needs a command")
	}
	cmd, err := m.ExecCommand(ctx, id, o)
	if err != nil {
		return 0, err
	}
	cmd.Args = slices.Insert(cmd.Args, 1, "--log-format", "json")
	if stderr == nil {
		stderr = io.Discard // as exec.Cmd's nil Stderr is the null device
	}
	filter := &runtimeStderr{w: stderr}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, filter
	// A child the command left running may hold stderr open.
	cmd.WaitDelay = time.Second
	err = cmd.Run()
	code := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case errors.Is(err, exec.ErrWaitDelay):
	case err != nil:
		return 0, fmt.Errorf("%s: exec: %w", id, err)
	}
	if msg, failed := filter.finish(code != 0); failed {
		return 0, idError(id, ErrRuntime, "exec: %s", execFailure(msg))
	}
	return code, nil
}

// execFailure trims runc's layers of context off why it could not start
// a command: `exec failed: unable to start container process: exec:
// "nosuch": executable file not found in $PATH` says `"nosuch":
// executable file not found in $PATH`.
func execFailure(msg string) string {
	for _, p := range []string{"exec failed: ", "unable to start container process: ", "exec: "} {
		msg = strings.TrimPrefix(msg, p)
	}
	return msg
}

// maxHeldLine bounds a line the filter holds back to see whether it is a
// log line; longer ones are the command's and pass through.
const maxHeldLine = 64 << 10

// runtimeStderr passes an attached runtime's stderr through to w, except
// the runtime's own error log lines (JSON objects with a level of error
// or fatal, a msg and a time), which it keeps back. A line starting with
// "{" is held until its newline to be told apart; anything else passes
// at once.
type runtimeStderr struct {
	w       io.Writer
	held    []byte   // the start of a line that may be a log line
	midLine bool     // the last byte passed was not a newline
	kept    [][]byte // error log lines kept back
}

func (r *runtimeStderr) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if r.held == nil && (r.midLine || p[0] != '{') {
			if i < 0 {
				r.midLine = true
				return n, r.pass(p)
			}
			r.midLine = false
			if err := r.pass(p[:i+1]); err != nil {
				return n, err
			}
			p = p[i+1:]
			continue
		}
		if i < 0 {
			r.held = append(r.held, p...)
			if len(r.held) > maxHeldLine {
				held := r.held
				r.held, r.midLine = nil, true
				return n, r.pass(held)
			}
			return n, nil
		}
		line := append(r.held, p[:i+1]...)
		r.held, p = nil, p[i+1:]
		if _, ok := runtimeError(line); ok {
			r.kept = append(r.kept, line)
			continue
		}
		if err := r.pass(line); err != nil {
			return n, err
		}
	}
	return n, nil
}

func (r *runtimeStderr) pass(b []byte) error {
	_, err := r.w.Write(b)
	return err
}

// finish is called once the runtime has exited. When it failed and had
// logged an error, that error is the exec's failure and its lines are
// dropped; otherwise they were the command's own, written out now (after
// what came later: this is the one reordering). An unfinished line is
// written out either way.
func (r *runtimeStderr) finish(failed bool) (string, bool) {
	var msg string
	if failed && len(r.kept) > 0 {
		msg, _ = runtimeError(r.kept[len(r.kept)-1])
	} else {
		for _, l := range r.kept {
			r.pass(l)
		}
	}
	if r.held != nil {
		r.pass(r.held)
	}
	r.kept, r.held = nil, nil
	return msg, msg != ""
}

// runtimeError reports whether line is one of the runtime's JSON log
// lines at error level or worse, and its message.
func runtimeError(line []byte) (string, bool) {
	var l struct {
		Level string `json:"level"`
		Msg   string `json:"msg"`
		Time  string `json:"time"`
	}
	if json.Unmarshal(line, &l) != nil || l.Msg == "" || l.Time == "" {
		return "", false
	}
	return l.Msg, l.Level == "error" || l.Level == "fatal" || l.Level == "panic"
}

// ExecCommand builds the runtime command for an attached exec without
// running it, so a UI can hand the terminal over to it.
func (m *Manager) ExecCommand(ctx context.Context, id string, o ExecOptions) (*exec.Cmd, error) {
	t, err := m.target(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := t.requireRunning("exec into", false); err != nil {
		return nil, err
	}
	args := append([]string{"--root", t.RuntimeRoot}, t.globals...)
	args = append(args, "exec")
	if o.Tty {
		args = append(args, "--tty")
	}
	if o.Cwd != "" {
		args = append(args, "--cwd", o.Cwd)
	}
	for _, e := range o.Env {
		args = append(args, "--env", e)
	}
	args = append(args, t.ID)
	args = append(args, o.Args...)
	return exec.CommandContext(ctx, t.runtime, args...), nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
