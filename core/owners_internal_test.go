package core

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func TestRootOwner(t *testing.T) {
	tests := []struct{ root, bundle, want string }{
		{"/run/docker/runtime-runc/moby", "/run/containerd/io.containerd.runtime.v1.linux/moby/abc", OwnerDocker},
		{"/run/user/1000/docker/runtime-runc/moby", "", OwnerDocker},
		{"/srv/exec/runtime-runc/moby", "", OwnerDocker},
		{"/run/containerd/runc/moby", "", OwnerDocker},
		{"/run/containerd/runc/k8s.io", "", OwnerKubernetes},
		{"/run/containerd/runc/default", "", "containerd/default"},
		{"/run/runc", "/var/lib/containers/storage/overlay-containers/abc/userdata", OwnerPodman},
		{"/run/user/1000/libpod/tmp/runc", "", OwnerPodman},
		{"/run/crun", "", OwnerCrun},
		{"/run/runc", "/srv/bundles/web", OwnerRunc},
	}
	for _, tt := range tests {
		if got := rootOwner(tt.root, tt.bundle); got != tt.want {
			t.Errorf("rootOwner(%q, %q) = %q, want %q", tt.root, tt.bundle, got, tt.want)
		}
	}
}

func TestMatchRef(t *testing.T) {
	docker := Container{ID: "4f1c2a9e0b7d", Owner: OwnerDocker, Name: "cache"}
	ctrd := Container{ID: "redis", Owner: "containerd/default"}
	tests := []struct {
		c    Container
		ref  string
		want refMatch
	}{
		{docker, "cache", matchExact},
		{docker, "docker/cache", matchExact},
		{docker, "docker/4f1c2a9e0b7d", matchExact},
		{docker, "4f1c", matchPrefix},
		{docker, "docker/4f", matchPrefix},
		{docker, "docker/", matchNone},
		{docker, "podman/cache", matchNone},
		{docker, "cach", matchNone}, // names match whole, ids by prefix
		{ctrd, "containerd/default/redis", matchExact},
		{ctrd, "containerd/default/re", matchPrefix},
		{ctrd, "containerd/redis", matchNone},
	}
	for _, tt := range tests {
		if got := matchRef(tt.c, tt.ref); got != tt.want {
			t.Errorf("matchRef(%s %q, %q) = %d, want %d", tt.c.Owner, tt.c.ID, tt.ref, got, tt.want)
		}
	}
}

func TestValidateRef(t *testing.T) {
	for _, ok := range []string{"web", "docker/4f1c", "containerd/default/redis", "default/web/app", "/run/runc/web"} {
		if err := ValidateRef(ok); err != nil {
			t.Errorf("ValidateRef(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", "a//b", "docker/", "/", "/run/../x/web", "run/\x1b[31m", "/run/runc/.hidden", string(make([]byte, 5000))} {
		if err := ValidateRef(bad); err == nil {
			t.Errorf("ValidateRef(%q) accepted it", bad)
		}
	}
}

// docker's config.v2.json gives the name, image and json-file log; one
// larger than recordLimit is refused rather than read.
func TestDockerIdent(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "containers", "abc")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := `{"Name":"/cache","Config":{"Image":"redis:7.2"},"LogPath":"` + dir + `/abc-json.log"}`
	if err := os.WriteFile(filepath.Join(dir, "config.v2.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	m := &Manager{}
	x := extInfo{root: "/run/docker/runtime-runc/moby", id: "abc", hostnameSrc: filepath.Join(dir, "hostname")}
	got := m.identify(x)
	want := ident{owner: OwnerDocker, name: "cache", image: "redis:7.2", logPath: dir + "/abc-json.log", logFormat: LogFormatJSONFile}
	if got != want {
		t.Fatalf("identify = %+v, want %+v", got, want)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.v2.json"), make([]byte, recordLimit+1), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := m.identify(x); got.owner != OwnerDocker || got.name != "" {
		t.Fatalf("an oversized record gave %+v", got)
	}
	// A hostname from elsewhere is no docker directory.
	x.hostnameSrc = "/etc/hostname"
	if got := m.identify(x); got.name != "" {
		t.Fatalf("identify without docker's directory = %+v", got)
	}
}

// podman's containers.json is read once while it is unchanged, and again
// when it changes.
func TestPodmanIdent(t *testing.T) {
	store := filepath.Join(t.TempDir(), "overlay-containers")
	bundle := filepath.Join(store, "abc", "userdata")
	if err := os.MkdirAll(bundle, 0o700); err != nil {
		t.Fatal(err)
	}
	write := func(name string) {
		recs := `[{"id":"abc","names":["` + name + `"],"metadata":"{\"image-name\":\"localhost/bb:1\",\"name\":\"` + name + `\"}"}]`
		if err := os.WriteFile(filepath.Join(store, "containers.json"), []byte(recs), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("pm1")
	os.WriteFile(filepath.Join(bundle, "ctr.log"), nil, 0o600)
	m := &Manager{}
	x := extInfo{root: "/run/runc", id: "abc", bundle: bundle, annotations: map[string]string{annoManager: "libpod"}}
	got := m.identify(x)
	if got.owner != OwnerPodman || got.name != "pm1" || got.image != "localhost/bb:1" || got.logPath != filepath.Join(bundle, "ctr.log") || got.logFormat != LogFormatCRI {
		t.Fatalf("identify = %+v", got)
	}
	write("renamed-longer")
	if got := m.identify(x); got.name != "renamed-longer" {
		t.Fatalf("a changed containers.json was not read again: %+v", got)
	}
}

func TestOwnerToolArgs(t *testing.T) {
	c := Container{ID: "abc"}
	docker := ownerTool{name: "docker"}
	ctr := ownerTool{name: "ctr", globals: []string{"--namespace", "default"}}
	tests := []struct {
		tool  ownerTool
		op    string
		extra []string
		want  string
	}{
		{docker, OpPause, nil, "[pause abc]"},
		{docker, OpResume, nil, "[unpause abc]"},
		{docker, OpKill, killFlags("docker", 9), "[kill --signal 9 abc]"},
		{ctr, OpPause, nil, "[--namespace default task pause abc]"},
		{ctr, OpKill, killFlags("ctr", 15), "[--namespace default task kill --signal SIGTERM abc]"},
		{ctr, OpUpdate, nil, "[]"},
	}
	for _, tt := range tests {
		if got := fmt.Sprint(tt.tool.argv(tt.op, c, tt.extra)); got != tt.want {
			t.Errorf("%s %s: %s, want %s", tt.tool.name, tt.op, got, tt.want)
		}
	}
	mem := int64(64 << 20)
	if f, err := updateFlags(Resources{MemoryBytes: &mem}); err != nil || fmt.Sprint(f) != "[--memory 67108864 --memory-swap -1]" {
		t.Errorf("update flags %v %v", f, err)
	}
	lift := int64(-1)
	if _, err := updateFlags(Resources{MemoryBytes: &lift}); err == nil {
		t.Error("docker was asked to lift a memory limit")
	}
}

// Behind a manager's back berth says what goes out of step; for berth's
// own and the runtime's alone nothing does, and a kill's exit every
// manager sees (but the kubelet restarts the container).
func TestBypassWarning(t *testing.T) {
	m := &Manager{}
	for _, tt := range []struct {
		owner, op string
		warns     bool
	}{
		{OwnerKubernetes, OpPause, true}, {OwnerKubernetes, OpKill, true},
		{OwnerRunc, OpPause, false}, {OwnerBerth, OpUpdate, false},
		{"containerd/default", OpKill, false}, {"containerd/nosuchtool", OpUpdate, true},
	} {
		c := Container{ID: "abc", Owner: tt.owner, Managed: tt.owner == OwnerBerth}
		if v := m.Via(c, tt.op); (v.Warning != "") != tt.warns || v.Warning != "" && v.Tool != "" {
			t.Errorf("%s %s: %+v", tt.owner, tt.op, v)
		}
	}
}
