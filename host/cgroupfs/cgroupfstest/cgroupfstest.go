// Package cgroupfstest writes fixture cgroup trees for tests that read
// cgroup files without root (v2 trees, hostile contents). Only tests
// import it.
package cgroupfstest

import (
	"os"
	"path/filepath"
	"testing"
)

// WriteFiles creates files (relative path -> content) under dir.
func WriteFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
