package core

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

const minimalConfig = `{
	"ociVersion": "1.0.2",
	"process": {"args": ["sh"], "cwd": "/"},
	"root": {"path": "rootfs"},
	"linux": {}
}`

var positionRE = regexp.MustCompile(`line (\d+), column (\d+)`)

func TestJSONErrorPosition(t *testing.T) {
	tests := []struct {
		name     string
		json     string
		wantLine string
		wantMsg  string
	}{
		{"syntax error on line 3", "{\n  \"ociVersion\": \"1.0.2\",\n  x\n}", "3", "invalid character 'x'"},
		{"syntax error on line 1", `{"a" 1}`, "1", "invalid character '1'"},
		{"missing comma on line 4", "{\n\"a\": 1,\n\"b\": 2\n\"c\": 3\n}", "4", "invalid character '\"'"},
		{"type error on line 2", "{\n\"ociVersion\": 5\n}", "2", "cannot unmarshal number"},
		{"type error on line 5", "{\n\"ociVersion\": \"1\",\n\"process\": {\n\"args\":\n\"sh\"}}", "5", "cannot unmarshal string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := []byte(tt.json)
			var spec specs.Spec
			err := json.NewDecoder(strings.NewReader(tt.json)).Decode(&spec)
			if err == nil {
				t.Fatal("decode succeeded")
			}
			got := jsonErrorPosition(b, err)
			m := positionRE.FindStringSubmatch(got)
			if m == nil {
				t.Fatalf("jsonErrorPosition = %q, want \"line L, column C: ...\"", got)
			}
			if m[1] != tt.wantLine {
				t.Errorf("jsonErrorPosition = %q, want line %s", got, tt.wantLine)
			}
			if !strings.Contains(got, tt.wantMsg) {
				t.Errorf("jsonErrorPosition = %q, want it to contain %q", got, tt.wantMsg)
			}
		})
	}
}

// TestJSONErrorPositionColumn checks that the column of a syntax error is
// the 1-based column of the offending character.
func TestJSONErrorPositionColumn(t *testing.T) {
	tests := []struct {
		json     string
		bad      byte
		wantLine int
		wantCol  int
	}{
		{"{\n  \"ociVersion\": \"1.0.2\",\n  x\n}", 'x', 3, 3},
		{"{\nx}", 'x', 2, 1},
		{`{"a" 1}`, '1', 1, 6},
	}
	for _, tt := range tests {
		var spec specs.Spec
		err := json.NewDecoder(strings.NewReader(tt.json)).Decode(&spec)
		got := jsonErrorPosition([]byte(tt.json), err)
		want := fmt.Sprintf("line %d, column %d:", tt.wantLine, tt.wantCol)
		if !strings.HasPrefix(got, want) {
			t.Errorf("jsonErrorPosition(%q) = %q, want it to start with %q (the %q is at line %d, column %d)",
				tt.json, got, want, tt.bad, tt.wantLine, tt.wantCol)
		}
	}
}

func TestJSONErrorPositionOther(t *testing.T) {
	tests := []struct {
		name string
		b    string
		err  error
		want string
	}{
		{"EOF", "", io.EOF, "empty or truncated JSON"},
		{"unexpected EOF", `{"a":`, io.ErrUnexpectedEOF, "empty or truncated JSON"},
		{"wrapped EOF", `{`, fmt.Errorf("read: %w", io.ErrUnexpectedEOF), "empty or truncated JSON"},
		{"other error", "{}", errors.New("boom"), "boom"},
		{"offset past the end", "{\n}", &json.SyntaxError{Offset: 99}, "line 2, column "},
		{"offset zero", "{\n}", &json.SyntaxError{Offset: 0}, "line 1, column "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := jsonErrorPosition([]byte(tt.b), tt.err)
			if !strings.Contains(got, tt.want) {
				t.Errorf("jsonErrorPosition = %q, want it to contain %q", got, tt.want)
			}
		})
	}
}

// bundleSetup prepares a bundle directory: it is given the bundle dir and
// writes config.json and rootfs as it likes.
type bundleSetup func(t *testing.T, dir string)

func writeConfig(content string) bundleSetup {
	return func(t *testing.T, dir string) {
		if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func withRootfsDir(t *testing.T, dir string) {
	if err := os.Mkdir(filepath.Join(dir, "rootfs"), 0o755); err != nil {
		t.Fatal(err)
	}
}

func steps(s ...bundleSetup) bundleSetup {
	return func(t *testing.T, dir string) {
		for _, f := range s {
			f(t, dir)
		}
	}
}

// configWith returns the minimal config with its JSON changed by edit.
func configWith(t *testing.T, edit func(m map[string]any)) string {
	var m map[string]any
	if err := json.Unmarshal([]byte(minimalConfig), &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestLoadSpecInvalid(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T) bundleSetup
		want  []string // in the message
	}{
		{"missing config.json", func(t *testing.T) bundleSetup { return withRootfsDir },
			[]string{"config.json does not exist"}},
		{"empty config.json", func(t *testing.T) bundleSetup { return steps(withRootfsDir, writeConfig("")) },
			[]string{"config.json", "empty or truncated JSON"}},
		{"whitespace only", func(t *testing.T) bundleSetup { return steps(withRootfsDir, writeConfig(" \n\t\n")) },
			[]string{"config.json", "empty or truncated JSON"}},
		{"truncated JSON", func(t *testing.T) bundleSetup {
			return steps(withRootfsDir, writeConfig(minimalConfig[:len(minimalConfig)/2]))
		}, []string{"config.json", "empty or truncated JSON"}},
		{"syntax error", func(t *testing.T) bundleSetup {
			return steps(withRootfsDir, writeConfig("{\n\"ociVersion\": \"1.0.2\",\n,\n}"))
		}, []string{"config.json", "line 3, column", "invalid character"}},
		{"wrong type", func(t *testing.T) bundleSetup {
			return steps(withRootfsDir, writeConfig(`{"ociVersion": "1.0.2", "process": {"args": "sh"}}`))
		}, []string{"config.json", "line 1, column", "cannot unmarshal"}},
		{"not an object", func(t *testing.T) bundleSetup { return steps(withRootfsDir, writeConfig(`["sh"]`)) },
			[]string{"config.json", "cannot unmarshal array"}},
		{"FIFO as config.json", func(t *testing.T) bundleSetup {
			return steps(withRootfsDir, func(t *testing.T, dir string) {
				if err := syscall.Mkfifo(filepath.Join(dir, "config.json"), 0o644); err != nil {
					t.Fatal(err)
				}
			})
		}, []string{"config.json is not a regular file"}},
		{"directory as config.json", func(t *testing.T) bundleSetup {
			return steps(withRootfsDir, func(t *testing.T, dir string) {
				if err := os.Mkdir(filepath.Join(dir, "config.json"), 0o755); err != nil {
					t.Fatal(err)
				}
			})
		}, []string{"config.json is not a regular file"}},
		{"dangling symlink as config.json", func(t *testing.T) bundleSetup {
			return steps(withRootfsDir, func(t *testing.T, dir string) {
				if err := os.Symlink(filepath.Join(dir, "nowhere.json"), filepath.Join(dir, "config.json")); err != nil {
					t.Fatal(err)
				}
			})
		}, []string{"config.json does not exist"}},
		{"config.json too large", func(t *testing.T) bundleSetup {
			big := `{"ociVersion": "1.0.2", "hostname": "` + strings.Repeat("h", maxConfigSize) + `"}`
			return steps(withRootfsDir, writeConfig(big))
		}, []string{"config.json is larger than"}},
		{"missing ociVersion", func(t *testing.T) bundleSetup {
			return steps(withRootfsDir, writeConfig(configWith(t, func(m map[string]any) { delete(m, "ociVersion") })))
		}, []string{"config.json", "ociVersion is missing"}},
		{"missing process", func(t *testing.T) bundleSetup {
			return steps(withRootfsDir, writeConfig(configWith(t, func(m map[string]any) { delete(m, "process") })))
		}, []string{"config.json", "process.args is missing"}},
		{"missing process.args", func(t *testing.T) bundleSetup {
			return steps(withRootfsDir, writeConfig(configWith(t, func(m map[string]any) {
				m["process"] = map[string]any{"cwd": "/"}
			})))
		}, []string{"config.json", "process.args is missing"}},
		{"empty process.args", func(t *testing.T) bundleSetup {
			return steps(withRootfsDir, writeConfig(configWith(t, func(m map[string]any) {
				m["process"] = map[string]any{"args": []string{}, "cwd": "/"}
			})))
		}, []string{"config.json", "process.args is missing"}},
		{"terminal true", func(t *testing.T) bundleSetup {
			return steps(withRootfsDir, writeConfig(configWith(t, func(m map[string]any) {
				m["process"] = map[string]any{"args": []string{"sh"}, "cwd": "/", "terminal": true}
			})))
		}, []string{"config.json", "process.terminal is true", "set it to false"}},
		{"missing root", func(t *testing.T) bundleSetup {
			return steps(withRootfsDir, writeConfig(configWith(t, func(m map[string]any) { delete(m, "root") })))
		}, []string{"config.json", "root.path is missing"}},
		{"empty root.path", func(t *testing.T) bundleSetup {
			return steps(withRootfsDir, writeConfig(configWith(t, func(m map[string]any) {
				m["root"] = map[string]any{"path": ""}
			})))
		}, []string{"config.json", "root.path is missing"}},
		{"missing linux", func(t *testing.T) bundleSetup {
			return steps(withRootfsDir, writeConfig(configWith(t, func(m map[string]any) { delete(m, "linux") })))
		}, []string{"config.json", "linux section is missing"}},
		{"missing rootfs", func(t *testing.T) bundleSetup { return writeConfig(minimalConfig) },
			[]string{"config.json", "invalid rootfs", "rootfs does not exist"}},
		{"missing absolute rootfs", func(t *testing.T) bundleSetup {
			return writeConfig(configWith(t, func(m map[string]any) {
				m["root"] = map[string]any{"path": "/nonexistent/berth/rootfs"}
			}))
		}, []string{"config.json", "invalid rootfs", "/nonexistent/berth/rootfs does not exist"}},
		{"rootfs is a symlink", func(t *testing.T) bundleSetup {
			return steps(writeConfig(minimalConfig), func(t *testing.T, dir string) {
				real := filepath.Join(dir, "real-rootfs")
				if err := os.Mkdir(real, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(real, filepath.Join(dir, "rootfs")); err != nil {
					t.Fatal(err)
				}
			})
		}, []string{"config.json", "invalid rootfs", "rootfs is a symlink"}},
		{"rootfs is a file", func(t *testing.T) bundleSetup {
			return steps(writeConfig(minimalConfig), func(t *testing.T, dir string) {
				if err := os.WriteFile(filepath.Join(dir, "rootfs"), nil, 0o644); err != nil {
					t.Fatal(err)
				}
			})
		}, []string{"config.json", "invalid rootfs", "rootfs is not a directory"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			tt.setup(t)(t, dir)
			var spec *specs.Spec
			var err error
			done := make(chan struct{})
			go func() {
				defer close(done)
				spec, err = LoadSpec(dir)
			}()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("LoadSpec did not return within 5s")
			}
			if err == nil {
				t.Fatalf("LoadSpec succeeded: %+v", spec)
			}
			if spec != nil {
				t.Errorf("LoadSpec returned a spec with error %v", err)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %q does not match ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), dir) {
				t.Errorf("error %q does not name the bundle %s", err, dir)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			// Run reads only the head, and refuses the same configs.
			if _, _, herr := loadBundleHead(dir); herr == nil || !errors.Is(herr, ErrInvalid) {
				t.Errorf("loadBundleHead: %v, want an ErrInvalid", herr)
			} else {
				for _, w := range tt.want {
					if !strings.Contains(herr.Error(), w) {
						t.Errorf("loadBundleHead's error %q does not contain %q", herr, w)
					}
				}
			}
		})
	}
}

func TestLoadSpecValid(t *testing.T) {
	absRootfs := t.TempDir()
	tests := []struct {
		name  string
		setup bundleSetup
		check func(t *testing.T, s *specs.Spec)
	}{
		{"minimal", steps(withRootfsDir, writeConfig(minimalConfig)), func(t *testing.T, s *specs.Spec) {
			if s.Version != "1.0.2" || len(s.Process.Args) != 1 || s.Process.Args[0] != "sh" ||
				s.Root.Path != "rootfs" || s.Linux == nil || s.Process.Terminal {
				t.Errorf("spec = %+v", s)
			}
		}},
		{"absolute rootfs", writeConfig(fmt.Sprintf(
			`{"ociVersion":"1.2.0","process":{"args":["sleep","1"]},"root":{"path":%q,"readonly":true},"linux":{"cgroupsPath":"/x/y"}}`,
			absRootfs)), func(t *testing.T, s *specs.Spec) {
			if s.Root.Path != absRootfs || !s.Root.Readonly || s.Linux.CgroupsPath != "/x/y" {
				t.Errorf("spec root %+v linux %+v", s.Root, s.Linux)
			}
		}},
		{"config.json is a symlink", steps(withRootfsDir, func(t *testing.T, dir string) {
			real := filepath.Join(dir, "real.json")
			if err := os.WriteFile(real, []byte(minimalConfig), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(real, filepath.Join(dir, "config.json")); err != nil {
				t.Fatal(err)
			}
		}), func(t *testing.T, s *specs.Spec) {
			if s.Version != "1.0.2" {
				t.Errorf("spec = %+v", s)
			}
		}},
		{"unknown fields ignored", steps(withRootfsDir, writeConfig(
			`{"ociVersion":"1.0.2","x-custom":{"a":1},"process":{"args":["sh"]},"root":{"path":"rootfs"},"linux":{}}`)),
			func(t *testing.T, s *specs.Spec) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			tt.setup(t, dir)
			s, err := LoadSpec(dir)
			if err != nil {
				t.Fatalf("LoadSpec: %v", err)
			}
			tt.check(t, s)
		})
	}
}

func testSpec() *specs.Spec {
	return &specs.Spec{
		Version:     "1.0.2",
		Hostname:    "web",
		Process:     &specs.Process{Args: []string{"sh"}, Cwd: "/", Env: []string{"A=1"}},
		Root:        &specs.Root{Path: "rootfs", Readonly: true},
		Annotations: map[string]string{"k": "v"},
		Linux: &specs.Linux{
			Namespaces: []specs.LinuxNamespace{{Type: specs.PIDNamespace}},
			Resources:  &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: ptrInt64(10)}},
		},
	}
}

func ptrInt64(v int64) *int64 { return &v }

func TestRuntimeSpec(t *testing.T) {
	tests := []struct {
		name         string
		bundle       string
		rootPath     string
		cgroupsPath  string
		parent       string
		wantRoot     string
		wantCgroups  string
		wantReadonly bool
	}{
		{"relative root", "/srv/bundles/web", "rootfs", "", "/berth", "/srv/bundles/web/rootfs", "/berth/web", true},
		{"relative root with dots", "/srv/bundles/web", "./a/../rootfs/", "", "/berth", "/srv/bundles/web/rootfs", "/berth/web", true},
		{"absolute root", "/srv/bundles/web", "/var/lib/rootfs/", "", "/berth", "/var/lib/rootfs", "/berth/web", true},
		{"parent without a slash", "/b", "rootfs", "", "berth", "/b/rootfs", "/berth/web", true},
		{"nested parent", "/b", "rootfs", "", "/berth-test-abc/sub", "/b/rootfs", "/berth-test-abc/sub/web", true},
		{"cgroupsPath kept", "/b", "rootfs", "/custom/web", "/berth", "/b/rootfs", "/custom/web", true},
		{"systemd cgroupsPath kept", "/b", "rootfs", "system.slice:berth:web", "/berth", "/b/rootfs", "system.slice:berth:web", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := testSpec()
			in.Root.Path = tt.rootPath
			in.Linux.CgroupsPath = tt.cgroupsPath
			before, err := json.Marshal(in)
			if err != nil {
				t.Fatal(err)
			}
			inRoot, inLinux := in.Root, in.Linux

			out := runtimeSpec(tt.bundle, in, tt.parent, "web")

			if out.Root.Path != tt.wantRoot {
				t.Errorf("root.path = %q, want %q", out.Root.Path, tt.wantRoot)
			}
			if !filepath.IsAbs(out.Root.Path) {
				t.Errorf("root.path %q is not absolute", out.Root.Path)
			}
			if out.Root.Readonly != tt.wantReadonly {
				t.Errorf("root.readonly = %v", out.Root.Readonly)
			}
			if out.Linux.CgroupsPath != tt.wantCgroups {
				t.Errorf("cgroupsPath = %q, want %q", out.Linux.CgroupsPath, tt.wantCgroups)
			}
			// Everything else is carried over.
			if out.Version != in.Version || out.Hostname != "web" || out.Process != in.Process ||
				out.Annotations["k"] != "v" || len(out.Linux.Namespaces) != 1 ||
				out.Linux.Resources == nil || *out.Linux.Resources.Pids.Limit != 10 {
				t.Errorf("runtimeSpec lost fields: %+v", out)
			}
			// The input is untouched.
			if in.Root != inRoot || in.Linux != inLinux {
				t.Error("runtimeSpec replaced the input's Root or Linux")
			}
			if out.Root == in.Root || out.Linux == in.Linux {
				t.Error("runtimeSpec shares Root or Linux with its input")
			}
			after, err := json.Marshal(in)
			if err != nil {
				t.Fatal(err)
			}
			if string(before) != string(after) {
				t.Errorf("runtimeSpec modified its input:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

// TestRuntimeSpecFromLoadSpec runs the two together as Start does.
func TestRuntimeSpecFromLoadSpec(t *testing.T) {
	dir := t.TempDir()
	steps(withRootfsDir, writeConfig(minimalConfig))(t, dir)
	spec, err := LoadSpec(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := runtimeSpec(dir, spec, DefaultCgroupParent, "web")
	if out.Root.Path != filepath.Join(dir, "rootfs") {
		t.Errorf("root.path = %q", out.Root.Path)
	}
	if out.Linux.CgroupsPath != "/berth/web" {
		t.Errorf("cgroupsPath = %q, want /berth/web", out.Linux.CgroupsPath)
	}
	if spec.Root.Path != "rootfs" || spec.Linux.CgroupsPath != "" {
		t.Errorf("input spec modified: root %q cgroups %q", spec.Root.Path, spec.Linux.CgroupsPath)
	}
}

func TestIndentSpec(t *testing.T) {
	got, err := IndentSpec([]byte(`{"ociVersion":"1.2.0","process":{"args":["sh","-c","x"]},"x-unknown":true}`))
	want := "{\n  \"ociVersion\": \"1.2.0\",\n  \"process\": {\n    \"args\": [\n      \"sh\",\n      \"-c\",\n      \"x\"\n    ]\n  },\n  \"x-unknown\": true\n}"
	if err != nil || string(got) != want {
		t.Fatalf("got %q, %v", got, err)
	}
	for _, bad := range []string{"", "{", "{}\n{}", "{\n  \"a\": ,\n}"} {
		_, err := IndentSpec([]byte(bad))
		if err == nil || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: %v; want one line", bad, err)
		}
	}
	if _, err := IndentSpec([]byte("{\n  \"a\": ,\n}")); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("no line: %v", err)
	}
}
