package cgroupfs

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"berth/host/cgroupfs/cgroupfstest"
)

func TestPathsV2AndDir(t *testing.T) {
	tests := []struct {
		name  string
		paths Paths
		v2    bool
		dirs  map[string]string // controller -> expected Dir
	}{
		{
			"v2",
			Paths{"": "/sys/fs/cgroup/berth/web"},
			true,
			map[string]string{"memory": "/sys/fs/cgroup/berth/web", "pids": "/sys/fs/cgroup/berth/web", "": "/sys/fs/cgroup/berth/web"},
		},
		{
			"hybrid v1",
			Paths{"": "/sys/fs/cgroup/unified/berth/web", "memory": "/sys/fs/cgroup/memory/berth/web", "pids": "/sys/fs/cgroup/pids/berth/web"},
			false,
			map[string]string{"memory": "/sys/fs/cgroup/memory/berth/web", "pids": "/sys/fs/cgroup/pids/berth/web", "freezer": ""},
		},
		{
			"pure v1",
			Paths{"memory": "/m", "cpuacct": "/c", "freezer": "/f"},
			false,
			map[string]string{"memory": "/m", "cpuacct": "/c", "freezer": "/f", "blkio": ""},
		},
		{"nil", nil, false, map[string]string{"memory": "", "": ""}},
		{"empty", Paths{}, false, map[string]string{"memory": ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.paths.V2(); got != tt.v2 {
				t.Errorf("V2() = %v, want %v", got, tt.v2)
			}
			for ctl, want := range tt.dirs {
				if got := tt.paths.Dir(ctl); got != want {
					t.Errorf("Dir(%q) = %q, want %q", ctl, got, want)
				}
			}
		})
	}
}

func TestPathsV2Fixture(t *testing.T) {
	dir := t.TempDir()
	p := Paths{"": dir}
	if !p.V2() {
		t.Error("Paths{\"\": dir}.V2() = false")
	}
	if got := p.Dir("memory"); got != dir {
		t.Errorf("Dir(memory) = %q, want %q", got, dir)
	}
}

func TestOOMKillCountV2(t *testing.T) {
	tests := []struct {
		name    string
		events  *string // nil: no memory.events file
		want    uint64
		wantErr error // nil: no error; errAny: any error
	}{
		{"counter", str("low 0\nhigh 0\nmax 3\noom 2\noom_kill 2\noom_group_kill 0\n"), 2, nil},
		{"zero", str("low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n"), 0, nil},
		{"large", str("oom_kill 18446744073709551615\n"), 18446744073709551615, nil},
		{"no trailing newline", str("oom 1\noom_kill 7"), 7, nil},
		{"first line", str("oom_kill 9\noom 9\n"), 9, nil},
		{"no oom_kill line", str("low 0\nhigh 0\nmax 3\noom 2\noom_group_kill 0\n"), 0, ErrNoCounter},
		{"oom_kill abc", str("oom 1\noom_kill abc\n"), 0, ErrNoCounter},
		{"oom_kill negative", str("oom_kill -1\n"), 0, ErrNoCounter},
		{"oom_kill without value", str("oom_kill\n"), 0, ErrNoCounter},
		{"oom_kill empty value", str("oom_kill \n"), 0, ErrNoCounter},
		{"only oom_group_kill", str("oom_group_kill 3\n"), 0, ErrNoCounter},
		{"empty file", str(""), 0, ErrNoCounter},
		{"binary junk", str("\x00\xff\n\n\x1b"), 0, ErrNoCounter},
		{"missing file", nil, 0, os.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.events != nil {
				cgroupfstest.WriteFiles(t, dir, map[string]string{"memory.events": *tt.events})
			}
			got, err := OOMKillCount(Paths{"": dir})
			checkOOMCount(t, got, err, tt.want, tt.wantErr)
		})
	}
}

// checkOOMCount checks what OOMKillCount returned: want, or an error
// matching wantErr when that is set.
func checkOOMCount(t *testing.T, got uint64, err error, want uint64, wantErr error) {
	t.Helper()
	if wantErr == nil {
		if err != nil || got != want {
			t.Errorf("OOMKillCount = %d, %v; want %d", got, err, want)
		}
		return
	}
	if !errors.Is(err, wantErr) {
		t.Errorf("OOMKillCount = %d, %v; want error %v", got, err, wantErr)
	}
}

func TestOOMKillCountRises(t *testing.T) {
	dir := t.TempDir()
	p := Paths{"": dir}
	for _, n := range []string{"0", "1", "1", "5", "1000"} {
		cgroupfstest.WriteFiles(t, dir, map[string]string{"memory.events": "low 0\nhigh 0\nmax 0\noom " + n + "\noom_kill " + n + "\n"})
		got, err := OOMKillCount(p)
		if err != nil || got != mustUint(n) {
			t.Errorf("OOMKillCount = %d, %v; want %s", got, err, n)
		}
	}
}

func TestOOMKillCountV1(t *testing.T) {
	tests := []struct {
		name    string
		paths   func(root string) Paths
		files   map[string]string
		want    uint64
		wantErr error
	}{
		{
			"v1 oom_control",
			func(root string) Paths { return Paths{"memory": filepath.Join(root, "memory")} },
			map[string]string{"memory/memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 4\n"},
			4, nil,
		},
		{
			"hybrid reads v1 memory, not the unified dir",
			func(root string) Paths {
				return Paths{"": filepath.Join(root, "unified"), "memory": filepath.Join(root, "memory")}
			},
			map[string]string{
				"memory/memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 4\n",
				"unified/memory.events":     "oom_kill 99\n",
			},
			4, nil,
		},
		{
			"old kernel without oom_kill",
			func(root string) Paths { return Paths{"memory": filepath.Join(root, "memory")} },
			map[string]string{"memory/memory.oom_control": "oom_kill_disable 0\nunder_oom 0\n"},
			0, ErrNoCounter,
		},
		{
			"oom_kill_disable is not oom_kill",
			func(root string) Paths { return Paths{"memory": filepath.Join(root, "memory")} },
			map[string]string{"memory/memory.oom_control": "oom_kill_disable 1\n"},
			0, ErrNoCounter,
		},
		{
			"missing file",
			func(root string) Paths { return Paths{"memory": filepath.Join(root, "memory")} },
			nil,
			0, os.ErrNotExist,
		},
		{
			"no memory controller",
			func(root string) Paths { return Paths{"pids": filepath.Join(root, "pids")} },
			nil,
			0, ErrNoCounter,
		},
		{
			"no paths",
			func(string) Paths { return nil },
			nil,
			0, ErrNoCounter,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			cgroupfstest.WriteFiles(t, root, tt.files)
			got, err := OOMKillCount(tt.paths(root))
			checkOOMCount(t, got, err, tt.want, tt.wantErr)
		})
	}
}

func TestReadUint(t *testing.T) {
	tests := []struct {
		content       string
		want          uint64
		wantUnlimited bool
		wantErr       bool
	}{
		{"123\n", 123, false, false},
		{"123", 123, false, false},
		{"  42  \n", 42, false, false},
		{"0\n", 0, false, false},
		{"18446744073709551615\n", 18446744073709551615, false, false},
		{"max\n", 0, true, false},
		{"max", 0, true, false},

		{"garbage\n", 0, false, true},
		{"", 0, false, true},
		{"\n", 0, false, true},
		{"-1\n", 0, false, true},
		{"18446744073709551616\n", 0, false, true},
		{"12 34\n", 0, false, true},
		{"MAX\n", 0, false, true},
		{"1.5\n", 0, false, true},
		{"\x00\xff", 0, false, true},
	}
	for _, tt := range tests {
		t.Run(strings.TrimSpace(tt.content), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "f")
			cgroupfstest.WriteFiles(t, filepath.Dir(path), map[string]string{"f": tt.content})
			v, unlimited, err := ReadUint(path)
			if tt.wantErr {
				if err == nil {
					t.Errorf("ReadUint(%q) = %d, %v, nil; want an error", tt.content, v, unlimited)
				}
				return
			}
			if err != nil || v != tt.want || unlimited != tt.wantUnlimited {
				t.Errorf("ReadUint(%q) = %d, %v, %v; want %d, %v", tt.content, v, unlimited, err, tt.want, tt.wantUnlimited)
			}
		})
	}
}

func TestReadUintMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing")
	_, _, err := ReadUint(path)
	var pe *os.PathError
	if !errors.As(err, &pe) || !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), path) {
		t.Errorf("ReadUint(missing) error = %v, want a PathError naming the file", err)
	}
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	exact := strings.Repeat("x", 4096)
	cgroupfstest.WriteFiles(t, dir, map[string]string{"small": "abc\n", "empty": "", "exact": exact})

	for name, want := range map[string]string{"small": "abc\n", "empty": "", "exact": exact} {
		var got string
		if err := ReadFile(filepath.Join(dir, name), func(b []byte) error { got = string(b); return nil }); err != nil {
			t.Errorf("ReadFile(%s): %v", name, err)
		}
		if got != want {
			t.Errorf("ReadFile(%s) passed %d bytes, want %d", name, len(got), len(want))
		}
	}

	stop := errors.New("stop")
	if err := ReadFile(filepath.Join(dir, "small"), func([]byte) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("ReadFile error = %v, want the callback's", err)
	}
	called := false
	err := ReadFile(filepath.Join(dir, "missing"), func([]byte) error { called = true; return nil })
	if !errors.Is(err, os.ErrNotExist) || called {
		t.Errorf("ReadFile(missing) = %v (callback called: %v), want ErrNotExist and no call", err, called)
	}
	if err := ReadFile(dir, func([]byte) error { return nil }); err == nil {
		t.Error("ReadFile(directory) succeeded")
	}
}

func TestKeyValue(t *testing.T) {
	const memStat = "anon 4096\nfile 8192\nkernel_stack 16384\nfile_mapped 0\npgfault 12\n"
	tests := []struct {
		name   string
		b      string
		key    string
		want   uint64
		wantOK bool
	}{
		{"first", memStat, "anon", 4096, true},
		{"middle", memStat, "kernel_stack", 16384, true},
		{"last", memStat, "pgfault", 12, true},
		{"zero", memStat, "file_mapped", 0, true},
		{"prefix of a longer key", memStat, "file", 8192, true},
		{"key that is a prefix of a real key", memStat, "kernel", 0, false},
		{"missing", memStat, "shmem", 0, false},
		{"no trailing newline", "a 1\nb 2", "b", 2, true},
		{"trailing spaces", "a 1  \n", "a", 1, true},
		{"CRLF", "a 1\r\n", "a", 1, true},
		{"not a number", "a x\n", "a", 0, false},
		{"negative", "a -3\n", "a", 0, false},
		{"key only", "a\n", "a", 0, false},
		{"empty", "", "a", 0, false},
		{"tab separated", "a\t1\n", "a", 0, false},
		{"junk", "\x00\xff\x1b", "a", 0, false},
		{"value of first match wins", "a 1\na 2\n", "a", 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := KeyValue([]byte(tt.b), tt.key)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("KeyValue(%q, %q) = %d, %v; want %d, %v", tt.b, tt.key, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestRuncStatePaths(t *testing.T) {
	readJSON := func(path string, v any) error {
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return json.Unmarshal(b, v)
	}
	dir := t.TempDir()
	cgroupfstest.WriteFiles(t, dir, map[string]string{
		"v2.json":    `{"id":"web","init_process_pid":42,"cgroup_paths":{"":"/sys/fs/cgroup/berth/web"},"config":{"x":1}}`,
		"v1.json":    `{"cgroup_paths":{"memory":"/sys/fs/cgroup/memory/berth/web","pids":"/sys/fs/cgroup/pids/berth/web"}}`,
		"none.json":  `{"id":"web"}`,
		"wrong.json": `{"cgroup_paths":["a"]}`,
	})
	tests := []struct {
		file    string
		want    Paths
		wantErr bool
	}{
		{"v2.json", Paths{"": "/sys/fs/cgroup/berth/web"}, false},
		{"v1.json", Paths{"memory": "/sys/fs/cgroup/memory/berth/web", "pids": "/sys/fs/cgroup/pids/berth/web"}, false},
		{"none.json", nil, false},
		{"wrong.json", nil, true},
		{"missing.json", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := RuncStatePaths(filepath.Join(dir, tt.file), readJSON)
			if (err != nil) != tt.wantErr {
				t.Fatalf("RuncStatePaths error = %v, want error %v", err, tt.wantErr)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("RuncStatePaths = %v, want %v", got, tt.want)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("path %q = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}

func str(s string) *string { return &s }

func mustUint(s string) uint64 {
	var n uint64
	for _, c := range s {
		n = n*10 + uint64(c-'0')
	}
	return n
}

func TestParseProcCgroup(t *testing.T) {
	v2 := parseProcCgroup([]byte("0::/berth/web\n"), true)
	if len(v2) != 1 || v2[""] != "/sys/fs/cgroup/berth/web" || v2.Dir("memory") != "/sys/fs/cgroup/berth/web" {
		t.Fatalf("v2: %v", v2)
	}
	v1 := parseProcCgroup([]byte("12:memory:/berth/web\n4:cpu,cpuacct:/berth/web\n1:name=systemd:/berth/web\n0::/berth/web\n"), false)
	want := map[string]string{"memory": "/sys/fs/cgroup/memory/berth/web", "cpu": "/sys/fs/cgroup/cpu,cpuacct/berth/web",
		"cpuacct": "/sys/fs/cgroup/cpu,cpuacct/berth/web", "systemd": "/sys/fs/cgroup/systemd/berth/web", "": "/sys/fs/cgroup/unified/berth/web"}
	for k, v := range want {
		if v1[k] != v {
			t.Errorf("v1 %s: %q, want %q", k, v1[k], v)
		}
	}
}

// memStatV2 and memStatV1 are trimmed memory.stat files as the kernel
// writes them: a container that wrote a 100 MiB file and reads little.
const memStatV2 = "anon 5242880\nfile 104857600\nkernel 1048576\nshmem 0\nfile_mapped 0\n" +
	"active_anon 5242880\ninactive_anon 0\nactive_file 1048576\ninactive_file 103809024\npgfault 12\n"

const memStatV1 = "cache 1000\nrss 5242880\nshmem 0\nmapped_file 0\ninactive_anon 0\nactive_anon 5242880\n" +
	"inactive_file 2000\nactive_file 0\nhierarchical_memory_limit 9223372036854771712\n" +
	"total_cache 104857600\ntotal_rss 5242880\ntotal_shmem 0\ntotal_inactive_anon 0\ntotal_active_anon 5242880\n" +
	"total_inactive_file 103809024\ntotal_active_file 1048576\n"

func TestParseMemoryStat(t *testing.T) {
	tests := []struct {
		name            string
		b               string
		v2              bool
		inactive, cache uint64
	}{
		{"v2", memStatV2, true, 103809024, 104857600},
		{"v1 takes the hierarchical totals", memStatV1, false, 103809024, 104857600},
		{"v1 keys in a v2 file", memStatV1, true, 2000, 0},
		{"v2 keys in a v1 file", memStatV2, false, 0, 0},
		{"empty", "", true, 0, 0},
		{"no trailing newline", "file 7\ninactive_file 3", true, 3, 7},
		{"first line wins", "file 7\nfile 9\ninactive_file 3\ninactive_file 4\n", true, 3, 7},
		{"malformed values", "file x\ninactive_file -1\n", true, 0, 0},
		{"prefix keys do not match", "file_mapped 5\ninactive_file_x 6\n", true, 0, 0},
		{"junk", "\x00\xff\n\x1b[2J\n", false, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			i, c := ParseMemoryStat([]byte(tt.b), tt.v2)
			if i != tt.inactive || c != tt.cache {
				t.Errorf("ParseMemoryStat = %d, %d; want %d, %d", i, c, tt.inactive, tt.cache)
			}
		})
	}
}

func TestReadMemory(t *testing.T) {
	v1 := func(root string) Paths {
		return Paths{"": filepath.Join(root, "unified"), "memory": filepath.Join(root, "memory")}
	}
	v2 := func(root string) Paths { return Paths{"": root} }
	tests := []struct {
		name    string
		paths   func(root string) Paths
		files   map[string]string
		want    MemoryUse
		wantErr bool
	}{
		{
			"v2", v2,
			map[string]string{"memory.current": "110100480\n", "memory.stat": memStatV2},
			MemoryUse{Usage: 110100480, WorkingSet: 110100480 - 103809024, Cache: 104857600}, false,
		},
		{
			"v1 (hybrid)", v1,
			map[string]string{"memory/memory.usage_in_bytes": "110100480\n", "memory/memory.stat": memStatV1,
				"unified/memory.stat": "file 1\ninactive_file 1\n"},
			MemoryUse{Usage: 110100480, WorkingSet: 110100480 - 103809024, Cache: 104857600}, false,
		},
		{
			// The counters are not read atomically: inactive_file can
			// pass a usage read a moment before.
			"v2 inactive_file above usage", v2,
			map[string]string{"memory.current": "1000\n", "memory.stat": "file 5000\ninactive_file 4096\n"},
			MemoryUse{Usage: 1000, WorkingSet: 0, Cache: 5000}, false,
		},
		{
			"v1 total_inactive_file above usage", v1,
			map[string]string{"memory/memory.usage_in_bytes": "4096\n", "memory/memory.stat": "total_cache 8192\ntotal_inactive_file 8192\n"},
			MemoryUse{Usage: 4096, WorkingSet: 0, Cache: 8192}, false,
		},
		{
			"equal", v2,
			map[string]string{"memory.current": "4096\n", "memory.stat": "inactive_file 4096\n"},
			MemoryUse{Usage: 4096}, false,
		},
		{
			"no memory.stat: the working set is the usage", v2,
			map[string]string{"memory.current": "4096\n"},
			MemoryUse{Usage: 4096, WorkingSet: 4096}, false,
		},
		{
			"no usage", v2,
			map[string]string{"memory.stat": memStatV2},
			MemoryUse{}, true,
		},
		{
			"garbage usage", v1,
			map[string]string{"memory/memory.usage_in_bytes": "lots\n", "memory/memory.stat": memStatV1},
			MemoryUse{}, true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			cgroupfstest.WriteFiles(t, root, tt.files)
			got, err := ReadMemory(tt.paths(root))
			if (err != nil) != tt.wantErr {
				t.Fatalf("ReadMemory error = %v, want error %v", err, tt.wantErr)
			}
			if err == nil && got != tt.want {
				t.Errorf("ReadMemory = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestWorkingSet(t *testing.T) {
	for _, tt := range []struct{ usage, inactive, want uint64 }{
		{100, 40, 60}, {100, 0, 100}, {100, 100, 0}, {100, 101, 0}, {0, 0, 0}, {0, 5, 0},
	} {
		if got := WorkingSet(tt.usage, tt.inactive); got != tt.want {
			t.Errorf("WorkingSet(%d, %d) = %d, want %d", tt.usage, tt.inactive, got, tt.want)
		}
	}
}
