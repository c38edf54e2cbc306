package format

import (
	"path/filepath"
	"strings"

	"berth/core"
)

// Owner names the manager that owns a container, as far as its record
// says: berth for its own; for an external one, the manager whose
// runtime root (or bundle) it was found in (docker, containerd and its
// namespace, kubernetes, podman), else plain runc.
func Owner(c core.Container) string {
	if c.Managed {
		return "berth"
	}
	root := filepath.ToSlash(filepath.Clean(c.RuntimeRoot))
	switch {
	case strings.Contains(root+"/", "/docker/"):
		return "docker"
	case strings.Contains(root, "/containerd/runc/"):
		switch ns := filepath.Base(root); ns {
		case "moby":
			return "docker"
		case "k8s.io":
			return "kubernetes (containerd namespace k8s.io)"
		default:
			return "containerd (namespace " + ns + ")"
		}
	case strings.Contains(root, "/libpod/") || strings.Contains(root, "/podman/") ||
		strings.Contains(c.Bundle, "/containers/storage/"):
		return "podman"
	}
	return "runc"
}
