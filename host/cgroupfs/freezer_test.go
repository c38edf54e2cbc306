package cgroupfs

import (
	"os"
	"path/filepath"
	"testing"
)

func TestFrozen(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	v2, v1 := Paths{"": dir}, Paths{"freezer": dir}
	for _, tt := range []struct {
		p          Paths
		file, body string
		want       bool
	}{
		{v2, "cgroup.events", "populated 1\nfrozen 1\n", true},
		{v2, "cgroup.events", "populated 1\nfrozen 0\n", false},
		{v1, "freezer.state", "FROZEN\n", true},
		{v1, "freezer.state", "FREEZING\n", false},
		{v1, "freezer.state", "THAWED\n", false},
	} {
		write(tt.file, tt.body)
		if got, err := Frozen(tt.p); err != nil || got != tt.want {
			t.Errorf("%s %q: Frozen = %v, %v; want %v", tt.file, tt.body, got, err, tt.want)
		}
	}
	write("cgroup.events", "populated 1\n")
	if _, err := Frozen(v2); err == nil {
		t.Error("a cgroup.events without frozen read as a state")
	}
	if _, err := Frozen(Paths{"freezer": filepath.Join(dir, "gone")}); err == nil {
		t.Error("a removed cgroup read as a state")
	}
}
