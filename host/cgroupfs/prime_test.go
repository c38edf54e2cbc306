package cgroupfs

import (
	"os"
	"reflect"
	"testing"
)

func TestOwnCgroupDirs(t *testing.T) {
	hybrid := []byte("12:pids:/user.slice\n4:cpu,cpuacct:/\n1:name=systemd:/user.slice/session-3.scope\n0::/user.slice/session-3.scope\n")
	if got, want := ownCgroupDirs(hybrid, false), []string{
		Root + "/unified/user.slice/session-3.scope",
		Root + "/pids/user.slice",
		Root + "/cpu,cpuacct",
		Root + "/systemd/user.slice/session-3.scope",
	}; !reflect.DeepEqual(got, want) {
		t.Errorf("hybrid: %q, want %q", got, want)
	}
	if got, want := ownCgroupDirs([]byte("0::/berth/x\n"), true), []string{Root + "/berth/x"}; !reflect.DeepEqual(got, want) {
		t.Errorf("v2: %q, want %q", got, want)
	}
	// Torn, relative or empty paths name nothing to write.
	if got := ownCgroupDirs([]byte("0::\n3:pids\n2:memory:rel\n\n:::\n"), false); len(got) != 0 {
		t.Errorf("hostile: %q", got)
	}
}

// The write moves this process nowhere: it is where it was.
func TestPrimeAttachMovesNothing(t *testing.T) {
	before, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	if err := PrimeAttach(); err != nil {
		t.Fatalf("no write: %v", err)
	}
	after, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	if string(before) != string(after) {
		t.Fatalf("cgroups changed:\n%s\nto\n%s", before, after)
	}
}
