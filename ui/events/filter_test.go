package events

import (
	"slices"
	"testing"

	"berth/ui/uitest"
	"berth/watch"
)

func shownKinds(m *Model) []watch.Kind {
	var out []watch.Kind
	for _, r := range m.table.Shown() {
		out = append(out, r.ev.Kind)
	}
	return out
}

// / filters the timeline by kind, id or detail, on the global screen and
// in a container's tab; esc while typing puts back the filter before.
func TestFilter(t *testing.T) {
	tests := []struct {
		name, id   string
		typed      string
		enter, esc bool
		want       []watch.Kind
		capturing  bool
	}{
		{"kind", "", "^oom$", true, false, []watch.Kind{watch.KindOOM}, false},
		{"id while typing", "", "demo-cpu", false, false, []watch.Kind{watch.KindStart}, true},
		{"detail in a container's tab", "demo-mem", "kill #7", true, false, []watch.Kind{watch.KindOOM}, false},
		{"esc while typing undoes", "demo-mem", "oom", false, true, []watch.Kind{watch.KindStart, watch.KindOOM}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New(uitest.NewCommon(t, uitest.New(), 120, 20, "dark", false))
			m.Open(tt.id)
			uitest.Filter(m, tt.typed, tt.enter, tt.esc)
			if got := shownKinds(m); !slices.Equal(got, tt.want) {
				t.Errorf("shown %v, want %v", got, tt.want)
			}
			if m.Capturing() != tt.capturing {
				t.Errorf("capturing %v, want %v", m.Capturing(), tt.capturing)
			}
			if m.detail != nil {
				t.Error("enter in the prompt opened an event")
			}
		})
	}
}

// The timeline draws at every width without panicking.
func TestNarrowWidths(t *testing.T) {
	c := uitest.NewCommon(t, uitest.New(), 0, 10, "dark", false)
	m := New(c)
	m.Open("")
	uitest.EveryWidth(c, m, "oom")
}
