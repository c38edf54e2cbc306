package core

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
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
