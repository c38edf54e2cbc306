package statefile

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestWriteReadRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		perm os.FileMode
	}{
		{"small", []byte("hello\n"), 0o600},
		{"ident", []byte("1234 5678\n"), 0o644},
		{"empty", []byte{}, 0o600},
		{"binary", []byte{0, 1, 2, 0xff, '\n', 0x1b}, 0o640},
		{"exactly MaxSize", bytes.Repeat([]byte("x"), MaxSize), 0o600},
		{"read only", []byte("ro"), 0o400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "state")
			if err := Write(path, tt.data, tt.perm); err != nil {
				t.Fatalf("Write: %v", err)
			}
			got, err := Read(path)
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if !bytes.Equal(got, tt.data) {
				t.Errorf("Read = %d bytes, want %d bytes equal to what was written", len(got), len(tt.data))
			}
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm() != tt.perm {
				t.Errorf("mode = %v, want %v", st.Mode().Perm(), tt.perm)
			}
			assertOnlyEntries(t, dir, "state")
		})
	}
}

func TestWriteReplaces(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state")
	for i, data := range []string{"first, longer content\n", "second\n", ""} {
		perm := []os.FileMode{0o644, 0o600, 0o640}[i]
		if err := Write(path, []byte(data), perm); err != nil {
			t.Fatalf("Write %d: %v", i, err)
		}
		got, err := Read(path)
		if err != nil || string(got) != data {
			t.Fatalf("Read after write %d = %q, %v; want %q", i, got, err, data)
		}
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != perm {
			t.Errorf("write %d: mode = %v, want %v", i, st.Mode().Perm(), perm)
		}
	}
	assertOnlyEntries(t, dir, "state")
}

// TestWriteReplacesSymlink checks that Write replaces a symlink planted at
// path instead of writing through it.
func TestWriteReplacesSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	if err := os.WriteFile(target, []byte("untouched"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "state")
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
	if err := Write(path, []byte("new"), 0o600); err != nil {
		t.Fatalf("Write: %v", err)
	}
	if b, _ := os.ReadFile(target); string(b) != "untouched" {
		t.Errorf("symlink target was written: %q", b)
	}
	if got, err := Read(path); err != nil || string(got) != "new" {
		t.Errorf("Read = %q, %v; want %q", got, err, "new")
	}
	assertOnlyEntries(t, dir, "state", "target")
}

func TestWriteFailsCleanly(t *testing.T) {
	dir := t.TempDir()
	// A directory at path makes the final rename fail.
	path := filepath.Join(dir, "state")
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(path, "keep"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Write(path, []byte("x"), 0o600); err == nil {
		t.Fatal("Write over a non-empty directory succeeded")
	}
	assertOnlyEntries(t, dir, "state")

	// A missing directory fails before anything is created.
	if err := Write(filepath.Join(dir, "missing", "state"), []byte("x"), 0o600); err == nil {
		t.Error("Write into a missing directory succeeded")
	}
}

type record struct {
	ID     string            `json:"id"`
	Pid    int               `json:"pid"`
	Labels map[string]string `json:"labels,omitempty"`
	Raw    []byte            `json:"raw,omitempty"`
}

// A prepared file is nowhere under its name until committed; a discarded
// one leaves nothing behind.
func TestPending(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "pid")
	if err := Write(path, []byte("old\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := Prepare(path, 0o640)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := Read(path); err != nil || string(b) != "old\n" {
		t.Fatalf("before the commit: %q, %v; want the old contents", b, err)
	}
	if err := p.Commit([]byte("new\n")); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := Read(path); string(b) != "new\n" || st.Mode().Perm() != 0o640 {
		t.Fatalf("after the commit: %q, %v; want \"new\\n\", 0640", b, st.Mode().Perm())
	}
	d, err := Prepare(filepath.Join(dir, "never"), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	d.Discard()
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 || ents[0].Name() != "pid" {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Fatalf("dir holds %q, want only pid", names)
	}
}

func TestWriteJSONReadJSON(t *testing.T) {
	tests := []record{
		{ID: "web", Pid: 42},
		{ID: "x", Labels: map[string]string{"a": "b", "\x1b": "\n"}},
		{ID: "bytes", Raw: []byte{0, 0xff, 0x1b}},
	}
	for _, want := range tests {
		t.Run(want.ID, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "rec.json")
			if err := WriteJSON(path, want, 0o600); err != nil {
				t.Fatalf("WriteJSON: %v", err)
			}
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasSuffix(raw, []byte("}\n")) {
				t.Errorf("file %q does not end with a newline after the object", raw)
			}
			var got record
			if err := ReadJSON(path, &got); err != nil {
				t.Fatalf("ReadJSON: %v", err)
			}
			if got.ID != want.ID || got.Pid != want.Pid || !bytes.Equal(got.Raw, want.Raw) || len(got.Labels) != len(want.Labels) {
				t.Errorf("ReadJSON = %+v, want %+v", got, want)
			}
			for k, v := range want.Labels {
				if got.Labels[k] != v {
					t.Errorf("label %q = %q, want %q", k, got.Labels[k], v)
				}
			}
			assertOnlyEntries(t, dir, "rec.json")
		})
	}
}

func TestWriteJSONUnmarshalable(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "rec.json")
	if err := WriteJSON(path, map[string]any{"f": func() {}}, 0o600); err == nil {
		t.Error("WriteJSON of a func succeeded")
	}
	assertOnlyEntries(t, dir)
}

func TestReadJSONErrors(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    string // in the message besides the path
	}{
		{"empty", "", "empty"},
		{"truncated", `{"id": "web", "pid": 4`, ""},
		{"truncated string", `{"id": "we`, ""},
		{"just a brace", `{`, ""},
		{"syntax error", `{"id": web}`, ""},
		{"wrong type", `{"id": 5}`, ""},
		{"not JSON", "\x00\x01\x02", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "rec.json")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			var r record
			err := ReadJSON(path, &r)
			if err == nil {
				t.Fatalf("ReadJSON(%q) = nil, want an error", tt.content)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file %s", err, path)
			}
			if tt.want != "" && !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
		})
	}
}

// withTimeout runs fn in a goroutine and fails the test if it does not
// return within 5 seconds (a blocking open or read of a FIFO).
func withTimeout(t *testing.T, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatalf("%s did not return within 5s (blocked?)", what)
	}
}

func TestNotRegular(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	if err := os.WriteFile(target, []byte(`{"id":"x"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	symlink := filepath.Join(dir, "symlink")
	if err := os.Symlink(target, symlink); err != nil {
		t.Fatal(err)
	}
	dangling := filepath.Join(dir, "dangling")
	if err := os.Symlink(filepath.Join(dir, "nowhere"), dangling); err != nil {
		t.Fatal(err)
	}
	dirLink := filepath.Join(dir, "dirlink")
	if err := os.Symlink(dir, dirLink); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	subdir := filepath.Join(dir, "subdir")
	if err := os.Mkdir(subdir, 0o700); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		path string
	}{
		{"symlink to a regular file", symlink},
		{"dangling symlink", dangling},
		{"symlink to a directory", dirLink},
		{"FIFO", fifo},
		{"directory", subdir},
		{"device", "/dev/null"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := os.Lstat(tt.path); err != nil {
				t.Skipf("%s: %v", tt.path, err)
			}
			withTimeout(t, "Open("+tt.path+")", func() {
				f, err := Open(tt.path)
				if err == nil {
					f.Close()
				}
				if !errors.Is(err, ErrNotRegular) {
					t.Errorf("Open(%s) error = %v, want ErrNotRegular", tt.path, err)
				}
			})
			withTimeout(t, "Read("+tt.path+")", func() {
				if _, err := Read(tt.path); !errors.Is(err, ErrNotRegular) {
					t.Errorf("Read(%s) error = %v, want ErrNotRegular", tt.path, err)
				}
			})
			withTimeout(t, "ReadJSON("+tt.path+")", func() {
				var r record
				err := ReadJSON(tt.path, &r)
				if !errors.Is(err, ErrNotRegular) {
					t.Errorf("ReadJSON(%s) error = %v, want ErrNotRegular", tt.path, err)
				}
				if err != nil && !strings.Contains(err.Error(), tt.path) {
					t.Errorf("error %q does not name %s", err, tt.path)
				}
			})
		})
	}
}

// TestFIFOWithWriter checks that a FIFO is refused even while a writer
// holds it open and has data in it.
func TestFIFOWithWriter(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	// O_RDWR on a FIFO does not block on Linux and keeps a writer present.
	w, err := os.OpenFile(fifo, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.Write([]byte(`{"id":"x"}`)); err != nil {
		t.Fatal(err)
	}
	withTimeout(t, "Read(fifo)", func() {
		if _, err := Read(fifo); !errors.Is(err, ErrNotRegular) {
			t.Errorf("Read(fifo) error = %v, want ErrNotRegular", err)
		}
	})
}

func TestOpenRegular(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, []byte("abc"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer f.Close()
	if f.Name() != path {
		t.Errorf("Name() = %q, want %q", f.Name(), path)
	}
	b := make([]byte, 8)
	n, err := f.Read(b)
	if err != nil || string(b[:n]) != "abc" {
		t.Errorf("Read = %q, %v", b[:n], err)
	}
}

func TestOpenMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing")
	if _, err := Open(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open(missing) error = %v, want os.ErrNotExist", err)
	}
	if _, err := Read(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Read(missing) error = %v, want os.ErrNotExist", err)
	}
	var r record
	if err := ReadJSON(path, &r); !errors.Is(err, os.ErrNotExist) || errors.Is(err, ErrNotRegular) {
		t.Errorf("ReadJSON(missing) error = %v, want os.ErrNotExist", err)
	}
}

func TestReadTooLarge(t *testing.T) {
	for _, size := range []int{MaxSize + 1, 2 * MaxSize} {
		path := filepath.Join(t.TempDir(), "big")
		if err := os.WriteFile(path, bytes.Repeat([]byte("y"), size), 0o600); err != nil {
			t.Fatal(err)
		}
		b, err := Read(path)
		if err == nil {
			t.Errorf("Read of %d bytes = %d bytes, nil; want an error", size, len(b))
			continue
		}
		if !strings.Contains(err.Error(), path) {
			t.Errorf("error %q does not name the file", err)
		}
		var r record
		if err := ReadJSON(path, &r); err == nil {
			t.Errorf("ReadJSON of %d bytes succeeded", size)
		}
	}
}

// assertOnlyEntries fails when dir holds anything but names (a temporary
// file left behind by Write).
func assertOnlyEntries(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
		if !want[e.Name()] {
			t.Errorf("unexpected entry %q left in %s", e.Name(), dir)
		}
	}
	if len(got) != len(names) {
		t.Errorf("entries %q, want %q", got, names)
	}
}
