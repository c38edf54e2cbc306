package core

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// A runtime's failure keeps its process's exit as the cause, and a
// re-classification (a dump failing is a checkpoint failure) keeps both.
func TestErrorsKeepTheirCause(t *testing.T) {
	rt := filepath.Join(t.TempDir(), "fakerunc")
	script := "#!/bin/sh\necho '{\"level\":\"error\",\"msg\":\"container not running\"}' >&2\nexit 3\n"
	if err := os.WriteFile(rt, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	err := runRuntime(context.Background(), rt, t.TempDir(), nil, "pause", "c1")
	if got, want := err.Error(), "fakerunc pause: container not running"; got != want {
		t.Errorf("message %q, want %q", got, want)
	}
	var exit *exec.ExitError
	if !errors.Is(err, ErrRuntime) || !errors.As(err, &exit) || exit.ExitCode() != 3 {
		t.Fatalf("runtime error %v: Is(ErrRuntime) %v, exit %v", err, errors.Is(err, ErrRuntime), exit)
	}

	dump := dumpError("c1", err, "Error (criu/cr-dump.c:1): MemTrack")
	for _, class := range []error{ErrCheckpoint, ErrRuntime} {
		if !errors.Is(dump, class) {
			t.Errorf("%v: not %v", dump, class)
		}
	}
	if !errors.As(dump, &exit) || exit.ExitCode() != 3 {
		t.Errorf("%v: the runtime's exit is lost", dump)
	}
	if errors.Is(dump, ErrInvalid) {
		t.Errorf("%v: matches a class it is not", dump)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = runRuntime(ctx, rt, t.TempDir(), nil, "kill", "c1")
	if !errors.Is(err, ErrRuntime) || !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled runtime: %v, want ErrRuntime and context.Canceled", err)
	}

	wrapped := wrapError("c1", ErrInvalid, os.ErrNotExist, "import refused")
	if wrapped.Error() != "c1: import refused: file does not exist" || !errors.Is(wrapped, ErrInvalid) || !errors.Is(wrapped, os.ErrNotExist) {
		t.Errorf("wrapError: %v", wrapped)
	}
}

// A runtime that hangs is killed with its process group at the deadline;
// one that floods stderr costs a bounded buffer and still names its error.
func TestRuntimeDeadlineAndFlood(t *testing.T) {
	dir := t.TempDir()
	child := filepath.Join(dir, "child.pid")
	hang := filepath.Join(dir, "hang")
	os.WriteFile(hang, []byte("#!/bin/sh\nsleep 1000 &\necho $! > "+child+"\nwait\n"), 0o755)
	old := runtimeTimeout
	runtimeTimeout = 300 * time.Millisecond
	defer func() { runtimeTimeout = old }()
	start := time.Now()
	err := runRuntime(context.Background(), hang, dir, nil, "pause", "c1")
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, ErrRuntime) {
		t.Fatalf("hanging runtime: %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("returned after %v", d)
	}
	b, _ := os.ReadFile(child)
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if pid <= 0 {
		t.Fatalf("no child pid: %q", b)
	}
	for i := 0; unix.Kill(pid, 0) == nil; i++ {
		if i > 200 {
			unix.Kill(pid, unix.SIGKILL)
			t.Fatalf("the runtime's child %d outlived the deadline", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}

	runtimeTimeout = old // a flood takes its time on a slow machine
	flood := filepath.Join(dir, "flood")
	os.WriteFile(flood, []byte("#!/bin/sh\nhead -c 20000000 /dev/zero | tr '\\0' x >&2\necho >&2\necho '{\"level\":\"error\",\"msg\":\"the real error\"}' >&2\nexit 1\n"), 0o755)
	err = runRuntime(context.Background(), flood, dir, nil, "kill", "c1")
	var re *RuntimeError
	if !errors.As(err, &re) || re.Msg != "the real error" {
		t.Fatalf("flooding runtime: %v", err)
	}
}

func TestTailBuffer(t *testing.T) {
	tb := &tailBuffer{max: 8}
	for _, s := range []string{"abc", "defgh", "ij\nklm"} {
		tb.Write([]byte(s))
		if len(tb.b) > tb.max {
			t.Fatalf("kept %d bytes of %d", len(tb.b), tb.max)
		}
	}
	if got := string(tb.Bytes()); got != "klm" {
		t.Fatalf("tail %q, want the last whole line", got)
	}
	tb = &tailBuffer{max: 4}
	tb.Write([]byte("0123456789"))
	if string(tb.b) != "6789" {
		t.Fatalf("one big write kept %q", tb.b)
	}
	tb = &tailBuffer{max: 64}
	tb.Write([]byte("short\n"))
	if string(tb.Bytes()) != "short\n" {
		t.Fatalf("uncut buffer %q", tb.Bytes())
	}
}

func TestParseRuntimeVersion(t *testing.T) {
	for _, tc := range []struct {
		name, out           string
		version             string
		checkpoint, seccomp bool
	}{
		{"runc", "runc version 1.5.3\ncommit: v1.5.3-0-g\nspec: 1.3.0\ngo: go1.24.1\nlibseccomp: 2.5.4\n", "1.5.3", true, true},
		{"runc without seccomp", "runc version 1.1.5\nspec: 1.0.2-dev\ngo: go1.19.8\n", "1.1.5", true, false},
		{"Debian's crun", "crun version 1.8.1\ncommit: f8a096be\nrundir: /run/crun\nspec: 1.0.0\n+SYSTEMD +SELINUX +APPARMOR +CAP +SECCOMP +EBPF +YAJL\n", "1.8.1", false, true},
		{"crun with CRIU", "crun version 1.14\nspec: 1.0.0\n+SYSTEMD +CAP +SECCOMP +EBPF +CRIU +YAJL\n", "1.14", true, true},
	} {
		f := ParseRuntimeVersion(tc.out)
		if f.Version != tc.version || f.Checkpoint != tc.checkpoint || f.Seccomp != tc.seccomp {
			t.Errorf("%s: %+v", tc.name, f)
		}
	}
}
