package core

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"

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
		return "", 0, err
	}
	return proc, ready.Pid, nil
}

// ExecAttached runs a process in a running container on the caller's
// stdio (a terminal when o.Tty) through the runtime directly, and returns
// its exit status. This is what `berth exec -t` and the UI's shell use.
func (m *Manager) ExecAttached(ctx context.Context, id string, o ExecOptions, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	if len(o.Args) == 0 {
		return 0, idError(id, ErrInvalid, "exec needs a command")
	}
	cmd, err := m.ExecCommand(ctx, id, o)
	if err != nil {
		return 0, err
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr
	err = cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), nil
	}
	if err != nil {
		return 0, fmt.Errorf("%s: exec: %w", id, err)
	}
	return 0, nil
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
	args = append(args, id)
	args = append(args, o.Args...)
	return exec.CommandContext(ctx, t.runtime, args...), nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
