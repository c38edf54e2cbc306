package format

import (
	"testing"

	"berth/core"
)

func TestOwner(t *testing.T) {
	tests := []struct {
		root, bundle, want string
	}{
		{"/run/docker/runtime-runc/moby", "/run/containerd/io.containerd.runtime.v1.linux/moby/abc", "docker"},
		{"/run/user/1000/docker/runtime-runc/moby", "", "docker"},
		{"/run/containerd/runc/moby", "/run/containerd/io.containerd.runtime.v2.task/moby/abc", "docker"},
		{"/run/containerd/runc/k8s.io", "", "kubernetes (containerd namespace k8s.io)"},
		{"/run/containerd/runc/default", "", "containerd (namespace default)"},
		{"/run/runc", "/var/lib/containers/storage/overlay-containers/abc/userdata", "podman"},
		{"/run/user/1000/libpod/tmp/runc", "", "podman"},
		{"/run/runc", "/srv/bundles/web", "runc"},
		{"", "", "runc"},
	}
	for _, tt := range tests {
		if got := Owner(core.Container{RuntimeRoot: tt.root, Bundle: tt.bundle}); got != tt.want {
			t.Errorf("Owner(root %q, bundle %q) = %q, want %q", tt.root, tt.bundle, got, tt.want)
		}
	}
	if got := Owner(core.Container{Managed: true, RuntimeRoot: "/run/containerd/runc/moby"}); got != "berth" {
		t.Errorf("a managed container is owned by %q", got)
	}
}
