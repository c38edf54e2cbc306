package ui

import (
	"strings"
	"testing"

	"berth/ui/uitest"
)

// The cgroup's limits are read when the overview shows and when the
// update form opens, whatever samples came before: a container with a
// memory limit only (no quota, no pids limit) shows it, and the form is
// filled with every limit as it is now.
func TestLimitsRead(t *testing.T) {
	m, f := app(t, 120, 40, "dark", false)
	// demo-log's limits were set after its history was taken.
	st := f.Stats["demo-log"]
	st.MemoryLimit = 16 << 20
	f.Stats["demo-log"] = st
	press(m, "down", "enter")
	v := uitest.Strip(m.View())
	if !strings.Contains(v, "Limits now") || !strings.Contains(v, "16.0MiB") {
		t.Fatalf("the overview misses the memory limit:\n%s", v)
	}

	st.PidsLimit, st.CPUQuota = 20, 0.25
	f.Stats["demo-log"] = st
	press(m, "u")
	fm, ok := m.modal.(*formModal)
	if !ok {
		t.Fatalf("no form:\n%s", m.View())
	}
	for name, want := range map[string]string{"memory": "16m", "pids": "20", "cpus": "0.25"} {
		if got := fm.f.Text(name); got != want {
			t.Errorf("%s prefilled %q, want %q", name, got, want)
		}
	}
	// Submitted as it is, nothing changes; one field changed is all
	// that is sent.
	press(m, "enter")
	if len(f.Calls) != 0 {
		t.Fatalf("an untouched form updated: %v", f.Calls)
	}
	press(m, "u", "tab", "backspace", "backspace", "3", "0", "enter")
	if got := f.Calls[len(f.Calls)-1]; got != "update demo-log pids=30" {
		t.Fatalf("call %q, want only the pids", got)
	}
}
