package core

import (
	"bytes"
	"context"
	"os/exec"
	"strings"

	"berth/shim/proto"
)

// runtimeRun runs one runtime command for a managed container.
func (m *Manager) runtimeRun(ctx context.Context, rec Record, args ...string) error {
	return runRuntime(ctx, rec.Runtime, rec.RuntimeRoot, rec.RuntimeArgs, args...)
}

// deleteRuntime removes the runtime's state of a container whose init is
// gone: a plain delete first, as the forced one sleeps 100 ms after a
// SIGKILL; forced only when the plain one refuses.
func (m *Manager) deleteRuntime(ctx context.Context, rec Record) error {
	if err := m.runtimeRun(ctx, rec, "delete", rec.ID); err == nil {
		return nil
	}
	return m.runtimeRun(ctx, rec, "delete", "--force", rec.ID)
}

// runRuntime runs `runtime --root root [globals] args...` and returns the
// runtime's own error message when it fails. With --log-format json and no
// --log, runc writes its log lines to stderr as JSON.
func runRuntime(ctx context.Context, runtime, root string, globals []string, args ...string) error {
	full := append([]string{"--root", root, "--log-format", "json"}, globals...)
	full = append(full, args...)
	cmd := exec.CommandContext(ctx, runtime, full...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return &RuntimeError{Runtime: runtimeName(runtime), Op: args[0], Msg: runtimeMessage(stderr.Bytes()), Err: err}
	}
	return nil
}

// runtimeMessage extracts the last error message from runtime output that
// is JSON log lines, or else its last non-empty line.
func runtimeMessage(out []byte) string {
	lastErr, last := proto.LastLogError(out)
	if lastErr != "" {
		return lastErr
	}
	return last
}

func runtimeName(path string) string {
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		return path[i+1:]
	}
	return path
}
