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

// The filter meets the time as shown and the container's name too, as
// the list's does: an external container's events by its manager's name.
func TestFilterTimeAndName(t *testing.T) {
	c := uitest.NewCommon(t, uitest.New(), 160, 20, "dark", false)
	ext, _ := c.Store.Get("/run/docker/runtime-runc/moby/ext-redis")
	c.Store.AddEvents([]watch.Event{{Time: uitest.Epoch, Kind: watch.KindRestore, ID: ext.ID, Root: ext.RuntimeRoot}})
	m := New(c)
	m.Open("")
	uitest.Filter(m, "^cache", true, false)
	if got := shownKinds(m); !slices.Equal(got, []watch.Kind{watch.KindRestore}) {
		t.Errorf("by name: shown %v", got)
	}
	m.Back()
	oom := c.Store.Events[2]
	uitest.Filter(m, "^"+eventTime(&oom)+"$", true, false)
	if got := shownKinds(m); !slices.Equal(got, []watch.Kind{watch.KindOOM}) {
		t.Errorf("by time: shown %v", got)
	}
}

// A bad regexp says why and changes nothing.
func TestBadFilter(t *testing.T) {
	m := New(uitest.NewCommon(t, uitest.New(), 120, 20, "dark", false))
	m.Open("")
	uitest.BadFilter(t, m)
}

// The timeline draws at every width without panicking.
func TestNarrowWidths(t *testing.T) {
	c := uitest.NewCommon(t, uitest.New(), 0, 10, "dark", false)
	m := New(c)
	m.Open("")
	uitest.EveryWidth(c, m, "oom")
}

// A filter typed while following follows the newest event it shows; one
// typed while scrolled up leaves the timeline scrolled.
func TestFilterFollows(t *testing.T) {
	for _, scrolled := range []bool{false, true} {
		m := New(uitest.NewCommon(t, uitest.New(), 120, 20, "dark", false))
		m.Open("")
		if scrolled {
			m.Update(uitest.Key("home"))
		}
		uitest.Filter(m, "oom|start", true, false)
		r, _ := m.table.Selected()
		if m.follow == scrolled || !scrolled && r.ev.Kind != watch.KindOOM {
			t.Errorf("scrolled %v: follow %v, selected %s", scrolled, m.follow, r.ev.Kind)
		}
	}
}

// With no events the prompt still shows what is typed into it.
func TestPromptWithoutRows(t *testing.T) {
	f := uitest.New()
	f.Journal = nil
	m := New(uitest.NewCommon(t, f, 120, 20, "dark", false))
	m.Open("demo-cpu")
	uitest.PromptShown(t, m)
}
