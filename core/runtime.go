package core

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"berth/host/statefile"
	"berth/shim/proto"

	"golang.org/x/sys/unix"
)

// runtimeTimeout bounds one runtime command: runc's own work for a pause,
// kill, update or delete takes milliseconds, and a runtime stuck longer (a
// hook that hangs, a broken binary) must not hang berth with it. A dump
// writes the container's whole memory, so a checkpoint gets longer.
var (
	runtimeTimeout    = 30 * time.Second
	checkpointTimeout = 10 * time.Minute
)

// maxRuntimeStderr bounds what berth keeps of a runtime's stderr: its end,
// where the error is; a runtime flooding stderr cannot grow berth.
const maxRuntimeStderr = 64 << 10

// runtimeRun runs one runtime command for a managed container.
func (m *Manager) runtimeRun(ctx context.Context, rec Record, args ...string) error {
	return runRuntime(ctx, rec.Runtime, rec.RuntimeRoot, rec.RuntimeArgs, args...)
}

// deleteRuntime removes the runtime's state of a container whose init is
// gone: a plain delete first, as the forced one sleeps 100 ms after a
// SIGKILL; with force, forced when the plain one refuses.
func (m *Manager) deleteRuntime(ctx context.Context, rec Record, force bool) error {
	proto.DetachRestoreMounts(rec.RuntimeRoot, rec.ID)
	err := m.runtimeRun(ctx, rec, "delete", rec.ID)
	if err != nil && force {
		err = m.runtimeRun(ctx, rec, "delete", "--force", rec.ID)
	}
	return err
}

// runRuntime runs `runtime --root root [globals] args...` and returns the
// runtime's own error message when it fails. With --log-format json and no
// --log, runc writes its log lines to stderr as JSON. The runtime runs in a
// process group of its own, killed whole (hooks included) when the command
// outlives its deadline or ctx.
func runRuntime(ctx context.Context, runtime, root string, globals []string, args ...string) error {
	return execRuntime(ctx, runtime, root, globals, runtimeIO{}, args...)
}

// runtimeOutput is runRuntime returning what the runtime printed (at most
// maxRuntimeStdout), for the commands that answer (state).
func runtimeOutput(ctx context.Context, runtime, root string, globals []string, args ...string) ([]byte, error) {
	out := &limitedBuffer{max: maxRuntimeStdout}
	err := execRuntime(ctx, runtime, root, globals, runtimeIO{stdout: out}, args...)
	return out.b, err
}

// maxRuntimeStdout bounds an answer read from a runtime.
const maxRuntimeStdout = 1 << 20

// limitedBuffer keeps the first max bytes written to it.
type limitedBuffer struct {
	max int
	b   []byte
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.max - len(l.b); room > 0 {
		l.b = append(l.b, p[:min(len(p), room)]...)
	}
	return len(p), nil
}

// runtimeIO is what a runtime command gets besides its arguments.
type runtimeIO struct {
	// held is a lock the runtime inherits, so it is held as long as the
	// runtime lives even if berth is killed (berth keeps its own copy).
	held *os.File
	// stdout receives the runtime's answer; nil discards it.
	stdout io.Writer
	// stderrFile, when set, takes the runtime's stderr instead of a pipe:
	// a runtime that must outlive berth (a dump) cannot then die of a
	// broken pipe when berth does.
	stderrFile string
}

func execRuntime(ctx context.Context, runtime, root string, globals []string, rio runtimeIO, args ...string) error {
	timeout := runtimeTimeout
	if args[0] == "checkpoint" {
		timeout = checkpointTimeout
	}
	full := append([]string{"--root", root, "--log-format", "json"}, globals...)
	full = append(full, args...)
	return runCommand(ctx, runtime, full, args[0], rio, timeout)
}

// runCommand runs a runtime's (or a manager's) command in its own process
// group, killed with it after timeout, keeping the tail of its stderr for
// the error, which names the command's op.
func runCommand(ctx context.Context, path string, argv []string, op string, rio runtimeIO, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, argv...)
	proto.InOwnGroup(cmd)
	stderr := &tailBuffer{max: maxRuntimeStderr}
	cmd.Stderr, cmd.Stdout = stderr, rio.stdout
	if rio.stderrFile != "" {
		f, err := os.OpenFile(rio.stderrFile, os.O_WRONLY|os.O_CREATE|os.O_APPEND|unix.O_NOFOLLOW, 0o600)
		if err != nil {
			return &RuntimeError{Runtime: runtimeName(path), Op: op, Err: err}
		}
		defer f.Close()
		cmd.Stderr = f
	}
	if rio.held != nil {
		cmd.ExtraFiles = []*os.File{rio.held}
	}
	err := cmd.Run()
	if err != nil {
		if cerr := ctx.Err(); errors.Is(cerr, context.DeadlineExceeded) {
			err = fmt.Errorf("no answer within %v, its process group killed: %w", timeout, cerr)
		} else if cerr != nil {
			err = fmt.Errorf("%w (%w)", cerr, err)
		}
		if rio.stderrFile != "" {
			stderr.Write(fileTail(rio.stderrFile, maxRuntimeStderr))
		}
		return &RuntimeError{Runtime: runtimeName(path), Op: op, Msg: runtimeMessage(stderr.Bytes()), Err: err}
	}
	return nil
}

// fileTail returns the last max bytes of a file.
func fileTail(path string, max int64) []byte {
	f, err := statefile.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > max {
		f.Seek(st.Size()-max, io.SeekStart)
	}
	b, _ := io.ReadAll(io.LimitReader(f, max))
	return b
}

// lastLine is the last line of what a process wrote, the whole trimmed of
// spaces first.
func lastLine(b []byte) string {
	s := strings.TrimSpace(string(b))
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return s
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	max int
	b   []byte
	cut bool // something was dropped from the start
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	n := len(p)
	if len(p) >= t.max {
		t.b, t.cut = append(t.b[:0], p[len(p)-t.max:]...), true
		return n, nil
	}
	if over := len(t.b) + len(p) - t.max; over > 0 {
		t.b, t.cut = append(t.b[:0], t.b[over:]...), true
	}
	t.b = append(t.b, p...)
	return n, nil
}

// Bytes is what was kept, from the first whole line when the start was
// cut.
func (t *tailBuffer) Bytes() []byte {
	if t.cut {
		if i := strings.IndexByte(string(t.b), '\n'); i >= 0 {
			return t.b[i+1:]
		}
	}
	return t.b
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
