package ui

import (
	"strings"
	"testing"

	"berth/ui/uitest"
)

// A checkpoint just made is the one selected, so r restores it, not the
// one the cursor was on before.
func TestCheckpointSelectsNew(t *testing.T) {
	m, f := app(t, 120, 40, "dark", false)
	press(m, "enter", "5", "c", "enter")
	if len(f.Calls) == 0 || f.Calls[len(f.Calls)-1] != "checkpoint demo-cpu cp-20261129-120000 leave-running=true" {
		t.Fatalf("calls %v", f.Calls)
	}
	press(m, "r")
	if v := uitest.Strip(m.View()); !strings.Contains(v, "Restore cp-20261129-120000 of demo-cpu") {
		t.Fatalf("r does not restore the new checkpoint:\n%s", v)
	}
}

// The signal menu and its confirmation name the process by its command,
// not by a pid alone.
func TestSignalProcessNamesCommand(t *testing.T) {
	m, _ := app(t, 120, 40, "dark", false)
	press(m, "enter", "2", "down", "k")
	if v := uitest.Strip(m.View()); !strings.Contains(v, "signal process 4120 (sh -c while :; do :; done)") {
		t.Fatalf("the menu does not name the command:\n%s", v)
	}
	press(m, "2")
	if v := uitest.Strip(m.View()); !strings.Contains(v, "Send SIGKILL to process 4120 (sh -c while :; do :; done)") {
		t.Fatalf("the confirmation does not name the command:\n%s", v)
	}
}

// A checkpoint made from another tab is the one selected when the
// checkpoints tab shows again.
func TestCheckpointSelectedFromAnotherTab(t *testing.T) {
	m, _ := app(t, 120, 40, "dark", false)
	press(m, "enter", "5", "1", "c", "enter", "5", "r")
	if v := uitest.Strip(m.View()); !strings.Contains(v, "Restore cp-20261129-120000 of demo-cpu") {
		t.Fatalf("r does not restore the new checkpoint:\n%s", v)
	}
}
