package proto

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestLastLogError(t *testing.T) {
	for _, tc := range []struct {
		name, log, lastErr, last string
	}{
		{"empty", "", "", ""},
		{"json", `{"level":"info","msg":"a"}` + "\n" + `{"level":"error","msg":"b"}` + "\n" + `{"level":"info","msg":"c"}`, "b", "c"},
		{"fatal counts", `{"level":"fatal","msg":"boom"}`, "boom", "boom"},
		{"last error wins", `{"level":"error","msg":"one"}` + "\n" + `{"level":"error","msg":"two"}`, "two", "two"},
		{"plain lines", "not json\n\n  trailing  \n", "", "trailing"},
		{"json without msg is plain", `{"level":"error"}`, "", `{"level":"error"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lastErr, last := LastLogError([]byte(tc.log))
			if lastErr != tc.lastErr || last != tc.last {
				t.Errorf("LastLogError = %q, %q; want %q, %q", lastErr, last, tc.lastErr, tc.last)
			}
		})
	}
}

func TestRuntimeError(t *testing.T) {
	dir := t.TempDir()
	if got := RuntimeError(filepath.Join(dir, FileRuntimeLog)); got != "" {
		t.Errorf("missing log: %q", got)
	}
	os.WriteFile(filepath.Join(dir, FileRuntimeLog), []byte(`{"level":"error","msg":"no such file"}`+"\n"), 0o600)
	if got := RuntimeError(filepath.Join(dir, FileRuntimeLog)); got != "no such file" {
		t.Errorf("RuntimeError = %q", got)
	}
}

func TestReadExit(t *testing.T) {
	dir := t.TempDir()
	if _, err := ReadExit(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("no exit file: %v, want ErrNotExist", err)
	}
	os.WriteFile(filepath.Join(dir, FileExit), []byte(`{"status":137,"signal":9,"oomKilled":true}`), 0o600)
	e, err := ReadExit(dir)
	if err != nil || e.Status != 137 || e.Signal != 9 || !e.OOMKilled {
		t.Fatalf("ReadExit = %+v, %v", e, err)
	}
	os.WriteFile(filepath.Join(dir, FileExit), []byte(`{"status":`), 0o600)
	if _, err := ReadExit(dir); err == nil {
		t.Fatal("torn exit record read without error")
	}
}
