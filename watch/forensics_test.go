package watch

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"berth/host/cgroupfs"
	"berth/shim/proto"
)

// A likely victim still running normally once the kill is counted was not
// the victim; one that is gone or a zombie was.
func TestConfirmVictim(t *testing.T) {
	f := &Forensics{LikelyVictim: os.Getpid()}
	f.ConfirmVictim()
	if f.LikelyVictim != 0 {
		t.Fatal("a live process was kept as the victim")
	}
	zombie := exec.Command("true")
	if err := zombie.Start(); err != nil {
		t.Fatal(err)
	}
	defer zombie.Wait()
	for i := 0; i < 100; i++ {
		if b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", zombie.Process.Pid)); strings.Contains(string(b), ") Z ") {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, pid := range []int{zombie.Process.Pid, 1 << 22} {
		f := &Forensics{LikelyVictim: pid}
		f.ConfirmVictim()
		if f.LikelyVictim != pid {
			t.Errorf("pid %d (zombie or gone) was forgotten", pid)
		}
	}
}

// A process on its way out reads as dying from its stat: a zombie, one
// exiting (PF_EXITING, after it took its SIGKILL), one with SIGKILL
// pending; one running normally, or with another signal pending, does not.
func TestDyingStat(t *testing.T) {
	stat := func(state string, flags, pending uint64) []byte {
		// Fields 3 to 52, as Linux writes them: state, then 8-31 with
		// flags at 9 and the pending signals at 31.
		f := make([]string, 50)
		for i := range f {
			f[i] = "0"
		}
		f[0], f[9-3], f[31-3] = state, fmt.Sprint(flags), fmt.Sprint(pending)
		return []byte("4242 (a (b) c) " + strings.Join(f, " ") + "\n")
	}
	for _, tt := range []struct {
		name string
		b    []byte
		want bool
	}{
		{"running", stat("R", 0x400100, 0), false},
		{"sleeping, SIGTERM pending", stat("S", 0x400100, 1<<(15-1)), false},
		{"SIGKILL pending", stat("S", 0x400100, 1<<(9-1)), true},
		{"exiting, SIGKILL taken", stat("D", 0x400104, 0), true},
		{"zombie", stat("Z", 0x400104, 0), true},
		{"malformed", []byte("4242 (a"), false},
	} {
		if got := dyingStat(tt.b); got != tt.want {
			t.Errorf("%s: dyingStat = %v, want %v", tt.name, got, tt.want)
		}
	}
	// This process, read for real, runs.
	if dying(os.Getpid()) {
		t.Error("the test process reads as dying")
	}
}

// Kills found only at an exit carry what the cgroup shows then, marked as
// taken late, with no victim named: the likeliest process left is one the
// kill spared.
func TestLateKillsAtExit(t *testing.T) {
	p, err := cgroupfs.ProcPaths(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if Snapshot(p).LikelyVictim == 0 {
		t.Fatal("this process's cgroup names no likely victim: nothing to test")
	}
	l := &Loop{}
	for _, proc := range []string{"", proto.ProcInit, "exec-1"} {
		c := &watched{Target: Target{ID: "late", Cgroup: p, Proc: proc}}
		evs := l.lateKills(c, 2, true)
		if len(evs) != 2 || evs[1].OOMCount != 2 || evs[1].Forensics == nil || evs[0].Forensics != nil {
			t.Fatalf("proc %q: %+v", proc, evs)
		}
		if f := evs[1].Forensics; !f.Late || f.LikelyVictim != 0 {
			t.Errorf("proc %q: %+v, want a late snapshot naming no victim", proc, f)
		}
	}
	// A journaled container's too: its journal, read first, did not
	// hold the kill.
	c := &watched{Target: Target{ID: "late", Cgroup: p, Journaled: true}}
	if evs := l.lateKills(c, 1, true); len(evs) != 1 || evs[0].Forensics == nil || !evs[0].Forensics.Late {
		t.Fatalf("journaled: %+v", evs)
	}
}
