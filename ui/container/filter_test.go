package container

import (
	"slices"
	"strings"
	"testing"

	"berth/core"
	"berth/ui/uitest"
)

// / filters the processes by pid, user, state or command, each on its
// own; esc while typing puts back the filter before.
func TestProcessesFilter(t *testing.T) {
	tests := []struct {
		name      string
		typed     string
		enter     bool
		esc       bool
		want      []int
		capturing bool
	}{
		{"command", "work", false, false, []int{20}, true},
		{"anchored state", "^[DS]$", true, false, []int{10, 30}, false},
		{"pid", "^30$", true, false, []int{30}, false},
		{"esc while typing undoes", "init", false, true, []int{10, 20, 30}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, p := newProcesses(t, threeProcs())
			uitest.Filter(p, tt.typed, tt.enter, tt.esc)
			var got []int
			for _, r := range p.table.Shown() {
				got = append(got, r.HostPid)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("shown %v, want %v", got, tt.want)
			}
			if p.Capturing() != tt.capturing {
				t.Errorf("capturing %v, want %v", p.Capturing(), tt.capturing)
			}
			if v := p.View(); strings.Count(v, "\n") != p.c.Height-1 {
				t.Errorf("view is not %d lines:\n%s", p.c.Height, v)
			}
		})
	}
}

// The processes tab draws at every width without panicking.
func TestProcessesNarrow(t *testing.T) {
	c, p := newProcesses(t, threeProcs())
	uitest.EveryWidth(c, p, "x")
}

// A bad regexp says why and changes nothing.
func TestProcessesBadFilter(t *testing.T) {
	_, p := newProcesses(t, threeProcs())
	uitest.BadFilter(t, p)
}

// With no processes the prompt still shows what is typed into it.
func TestProcessesPromptWithoutRows(t *testing.T) {
	_, p := newProcesses(t, []core.Process{})
	uitest.PromptShown(t, p)
}
