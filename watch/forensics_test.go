package watch

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
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
