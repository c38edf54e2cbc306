package cgroupfs

import (
	"errors"
	"os"
	"reflect"
	"testing"

	"golang.org/x/sys/unix"
)

func TestOwnCgroupDirs(t *testing.T) {
	hybrid := []byte("12:pids:/user.slice\n4:cpu,cpuacct:/\n1:name=systemd:/user.slice/session-3.scope\n0::/user.slice/session-3.scope\n")
	if got, want := ownCgroupDirs(hybrid, false), []string{
		Root + "/unified/user.slice/session-3.scope",
		Root + "/cpu,cpuacct",
		Root + "/pids/user.slice",
		Root + "/systemd/user.slice/session-3.scope",
	}; !reflect.DeepEqual(got, want) {
		t.Errorf("hybrid: %q, want %q", got, want)
	}
	if got, want := ownCgroupDirs([]byte("0::/berth/x\n"), true), []string{Root + "/berth/x"}; !reflect.DeepEqual(got, want) {
		t.Errorf("v2: %q, want %q", got, want)
	}
	// Torn, relative, climbing (a cgroup outside this namespace) and
	// removed paths name nothing to write.
	if got := ownCgroupDirs([]byte("0::\n3:pids\n2:memory:rel\n\n:::\n5:freezer:/../../x\n0::/a/b (deleted)\n"), false); len(got) != 0 {
		t.Errorf("hostile: %q", got)
	}
}

// The write moves this process nowhere: it is where it was.
func TestPrimeAttachMovesNothing(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("moving a process between cgroups needs root")
	}
	before, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	if err := PrimeAttach(); errors.Is(err, unix.EROFS) {
		t.Skip("cgroups mounted read-only")
	} else if err != nil {
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

// A directory that does not list this process is never written: a cgroup
// mounted from elsewhere would move it.
func TestPrimeAttachOnlyWhereListed(t *testing.T) {
	dir := t.TempDir()
	procs := dir + "/cgroup.procs"
	if err := os.WriteFile(procs, []byte("1\n2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if lists(procs, "3") || !lists(procs, "2") || lists(dir+"/none", "1") {
		t.Fatal("lists misread cgroup.procs")
	}
}
