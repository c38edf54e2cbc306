package containers

import (
	"slices"
	"testing"
	"time"

	"berth/core"
	"berth/ui/format"
	"berth/ui/uitest"
)

func shownIDs(m *Model) []string {
	var ids []string
	for _, r := range m.table.Shown() {
		ids = append(ids, r.c.ID)
	}
	return ids
}

// / filters as it is typed; enter keeps the filter, esc while typing puts
// back the one before, esc after clears it. Anchors match one field.
func TestFilter(t *testing.T) {
	all := shownIDs(New(uitest.NewCommon(t, uitest.New(), 120, 30, "dark", false)))
	tests := []struct {
		name      string
		typed     string
		enter     bool
		esc       bool
		want      []string
		capturing bool
	}{
		{"typing filters", "demo-(cpu|mem)$", false, false, []string{"demo-cpu", "demo-mem"}, true},
		{"enter keeps it", "^demo-mem$", true, false, []string{"demo-mem"}, false},
		{"status field on its own", "^paused$", true, false, []string{"demo-sleep"}, false},
		{"esc while typing undoes", "demo-cpu", false, true, all, false},
		{"bad regexp keeps the prompt open", "demo-(", true, false, []string{"demo-cpu", "demo-log", "demo-mem", "demo-sleep"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New(uitest.NewCommon(t, uitest.New(), 120, 30, "dark", false))
			uitest.Filter(m, tt.typed, tt.enter, tt.esc)
			if got := shownIDs(m); !slices.Equal(got, tt.want) {
				t.Errorf("shown %v, want %v", got, tt.want)
			}
			if m.Capturing() != tt.capturing {
				t.Errorf("capturing %v, want %v", m.Capturing(), tt.capturing)
			}
		})
	}
}

// The list draws at every width, filtered or not, without panicking.
func TestNarrowWidths(t *testing.T) {
	c := uitest.NewCommon(t, uitest.New(), 0, 10, "dark", false)
	m := New(c)
	uitest.EveryWidth(c, m, "demo")
}

// A bad regexp says why and changes nothing.
func TestBadFilter(t *testing.T) {
	uitest.BadFilter(t, New(uitest.NewCommon(t, uitest.New(), 120, 30, "dark", false)))
}

// With no containers the prompt still shows what is typed into it.
func TestPromptWithoutRows(t *testing.T) {
	f := uitest.New()
	f.Containers = nil
	uitest.PromptShown(t, New(uitest.NewCommon(t, f, 120, 30, "dark", false)))
}

// Uptime counts from the last start: a container started again shows how
// long this run has lasted, not how long ago it was first created.
func TestUptimeFromLastStart(t *testing.T) {
	now := uitest.Epoch
	c := core.Container{Status: core.StatusRunning, Created: now.Add(-26 * time.Hour)}
	if got, want := uptime(c, now), format.HumanDuration(26*time.Hour); got != want {
		t.Fatalf("uptime of a first run: %q", got)
	}
	c.Started = now.Add(-90 * time.Second)
	if got, want := uptime(c, now), format.HumanDuration(90*time.Second); got != want {
		t.Fatalf("uptime after a start: %q, want %q", got, want)
	}
	c.Status = core.StatusStopped
	if got := uptime(c, now); got != "-" {
		t.Fatalf("uptime of a stopped container: %q", got)
	}
}
