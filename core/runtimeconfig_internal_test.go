package core

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// runtimeConfigCases are configs with a root and a linux section, each
// read differently by a naive editor than by encoding/json.
var runtimeConfigCases = []struct{ name, config string }{
	{"plain", `{"ociVersion":"1.2.0","process":{"args":["sh"]},"root":{"path":"rootfs"},"linux":{}}`},
	{"spaces and order", "{ \"linux\" : { \"namespaces\" : [ {\"type\":\"pid\"} ] } ,\n\t\"root\" :{\"readonly\":true, \"path\" : \"./a/../rootfs/\"}, \"ociVersion\":\"1.2.0\" }\n"},
	{"absolute clean root", `{"root":{"path":"/srv/rootfs"},"linux":{"namespaces":[]}}`},
	{"absolute root to clean", `{"root":{"path":"/srv//rootfs/."},"linux":{}}`},
	{"cgroupsPath chosen", `{"root":{"path":"rootfs"},"linux":{"cgroupsPath":"/custom/web"}}`},
	{"systemd cgroupsPath chosen", `{"root":{"path":"/r"},"linux":{"cgroupsPath":"system.slice:berth:web"}}`},
	{"cgroupsPath empty", `{"root":{"path":"rootfs"},"linux":{"cgroupsPath":"","sysctl":{"a":"b"}}}`},
	{"cgroupsPath null", `{"root":{"path":"rootfs"},"linux":{"sysctl":{"a":"b"},"cgroupsPath":null}}`},
	{"keys in another case", `{"ROOT":{"Path":"rootfs"},"Linux":{"CGROUPSPATH":""}}`},
	{"escaped keys", `{"\u0072oot":{"p\u0061th":"rootfs"},"linu\u0078":{"cgroups\u0050ath":""}}`},
	{"long s folds to s", `{"root":{"path":"rootfs"},"linux":{"cgroupſPath":"/chosen"}}`},
	{"long s empty", `{"root":{"path":"rootfs"},"linux":{"cgroupſPath":""}}`},
	{"repeated sections merge", `{"root":{"path":"x"},"linux":{"cgroupsPath":"/a"},"root":{"readonly":true},"linux":{"sysctl":{"k":"v"}}}`},
	{"repeated keys, the last null", `{"root":{"path":"x","path":null},"linux":{"cgroupsPath":"","cgroupsPath":null}}`},
	{"section null then set", `{"root":null,"root":{"path":"rootfs"},"linux":null,"linux":{}}`},
	{"strings with brackets", `{"hostname":"a}\"{[","annotations":{"k]":"}\\\"]"},"root":{"path":"r\"o}ot"},"linux":{"maskedPaths":["{","]"]}}`},
	{"unknown fields kept", `{"x-future":{"a":[1,2.5e3,{"b":null,"c":true}]},"root":{"path":"rootfs"},"linux":{"x-new":false}}`},
	{"html in the path", `{"root":{"path":"<a&b>"},"linux":{}}`},
}

// checkRuntimeConfig holds runtimeConfig to runtimeSpec: the runtime reads
// from the edited bytes exactly the spec berth would have re-encoded. It
// reports false for a config Run would not edit (no root path or linux
// section, or not a spec).
func checkRuntimeConfig(t *testing.T, b []byte) bool {
	t.Helper()
	var h specHead
	if err := json.Unmarshal(b, &h); err != nil || h.Root == nil || h.Linux == nil || h.Root.Path == "" {
		return false
	}
	var spec specs.Spec
	if err := json.Unmarshal(b, &spec); err != nil {
		return false
	}
	const bundle = "/srv/bundles/web"
	out, cgroups := runtimeConfig(bundle, b, h, "berth", "web")
	want := runtimeSpec(bundle, &spec, "berth", "web")
	var got specs.Spec
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("edited config does not decode: %v\nin  %s\nout %s", err, b, out)
	}
	if !reflect.DeepEqual(&got, want) {
		t.Fatalf("edited config reads differently:\nin   %s\nout  %s\ngot  %+v %+v\nwant %+v %+v", b, out, got.Root, got.Linux, want.Root, want.Linux)
	}
	if cgroups != want.Linux.CgroupsPath {
		t.Fatalf("cgroup path %q, want %q", cgroups, want.Linux.CgroupsPath)
	}
	return true
}

func TestRuntimeConfig(t *testing.T) {
	for _, tt := range runtimeConfigCases {
		t.Run(tt.name, func(t *testing.T) {
			if !checkRuntimeConfig(t, []byte(tt.config)) {
				t.Fatal("not a config Run edits")
			}
		})
	}
	// What berth does not change stays as the user wrote it.
	b := []byte(runtimeConfigCases[len(runtimeConfigCases)-2].config)
	var h specHead
	json.Unmarshal(b, &h)
	out, _ := runtimeConfig("/b", b, h, "berth", "web")
	for _, kept := range []string{`"x-future":{"a":[1,2.5e3,{"b":null,"c":true}]}`, `"x-new":false`} {
		if !bytes.Contains(out, []byte(kept)) {
			t.Errorf("%s lost from %s", kept, out)
		}
	}
}

func FuzzRuntimeConfig(f *testing.F) {
	for _, tt := range runtimeConfigCases {
		f.Add([]byte(tt.config))
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkRuntimeConfig(t, b) })
}
