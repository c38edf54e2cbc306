package container

import (
	"strings"
	"testing"

	"berth/core"
	"berth/ui/common"
	"berth/ui/uitest"
)

func TestStatsTitles(t *testing.T) {
	c := uitest.NewCommon(t, uitest.New(), 160, 48, "dark", false)
	v := open(NewStats(c), "demo-mem").View()
	for _, want := range []string{"memory 28.0MiB / 32.0MiB (87%) · cache 12.0MiB", "pids 3 / 64 (4%)", "io read", "net rx", "summary"} {
		if !strings.Contains(v, want) {
			t.Errorf("no %q in:\n%s", want, v)
		}
	}
	c = uitest.NewCommon(t, uitest.New(), 160, 48, "dark", false)
	if v := open(NewStats(c), "demo-cpu").View(); !strings.Contains(v, " / 50.0% (") {
		t.Errorf("the cpu quota is not in the title:\n%s", v)
	}
}

// A container on the host's network has "net host" for a title, not
// rates of the host's traffic; one of its own network has rates.
func TestStatsHostNetwork(t *testing.T) {
	c := uitest.NewCommon(t, uitest.New(), 160, 48, "dark", false)
	v := open(NewStats(c), uitest.ExtRedis).View()
	if !strings.Contains(v, "net host (the host's network") || strings.Contains(v, "net rx") {
		t.Errorf("ext-redis is on the host's network:\n%s", v)
	}
	if !strings.Contains(v, "memory 9.0MiB / 256.0MiB (3%) · cache 40.0MiB") {
		t.Errorf("no memory with its cache in:\n%s", v)
	}
	c = uitest.NewCommon(t, uitest.New(), 160, 48, "dark", false)
	if v := open(NewStats(c), "demo-mem").View(); strings.Contains(v, "net host") || !strings.Contains(v, "net rx") {
		t.Errorf("demo-mem has a network of its own:\n%s", v)
	}
}

func TestStatsWaiting(t *testing.T) {
	tests := []struct {
		name, id string
		want     string
	}{
		{"no samples yet", "fresh", "waiting for samples"},
		{"stopped", "web-old", "web-old is not running: no samples"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := uitest.New()
			f.Containers = append(f.Containers, core.Container{ID: "fresh", Status: core.StatusRunning, Managed: true})
			c := uitest.NewCommon(t, f, 80, 24, "dark", false)
			v := open(NewStats(c), tt.id).View()
			checkSize(t, tt.name, v, 80, 24)
			if got := strings.TrimSpace(strings.SplitN(v, "\n", 2)[0]); got != tt.want {
				t.Errorf("first line %q, want %q", got, tt.want)
			}
		})
	}
}

// TestStatsDrawnInUpdate checks View shows what Update drew: new samples
// show only once a message says so.
func TestStatsDrawnInUpdate(t *testing.T) {
	f := uitest.New()
	f.Containers = append(f.Containers, core.Container{ID: "fresh", Status: core.StatusRunning, Managed: true})
	c := uitest.NewCommon(t, f, 80, 24, "dark", false)
	s := open(NewStats(c), "fresh")
	before := s.View()
	st := core.Stats{ID: "fresh", Time: uitest.Epoch, MemoryUsage: 1 << 20}
	c.Store.AddStats([]core.Stats{st})
	st.Time = st.Time.Add(1e9)
	c.Store.AddStats([]core.Stats{st})
	if s.View() != before {
		t.Error("View changed without an Update")
	}
	s.Update(common.StatsMsg{})
	if v := s.View(); !strings.Contains(v, "memory 1.0MiB") {
		t.Errorf("new samples not drawn:\n%s", v)
	}
}

func TestStatsLayouts(t *testing.T) {
	tests := []struct {
		w, h  int
		mode  layoutMode
		shown int
	}{
		{160, 48, layoutGrid, 5},
		{80, 24, layoutStacked, 3},
		{80, 40, layoutStacked, 5},
		{30, 8, layoutStacked, 1},
		{30, 6, layoutCompact, 0},
		{10, 40, layoutCompact, 0},
	}
	for _, tt := range tests {
		if l := layoutFor(tt.w, tt.h, len(metrics), common.Scroll{}); l.mode != tt.mode || l.shown != tt.shown {
			t.Errorf("%dx%d: layout %v showing %d, want %v showing %d", tt.w, tt.h, l.mode, l.shown, tt.mode, tt.shown)
		}
	}
}

func TestStatsScroll(t *testing.T) {
	c := uitest.NewCommon(t, uitest.New(), 80, 24, "dark", false)
	s := open(NewStats(c), "demo-mem")
	if !strings.Contains(lastLine(s.View()), "graphs 1-3 of 5") {
		t.Fatalf("no note on the graphs out of view:\n%s", s.View())
	}
	s.Update(keyMsg("end"))
	v := s.View()
	if !strings.Contains(lastLine(v), "graphs 3-5 of 5") || !strings.Contains(v, "net rx") || strings.Contains(v, "memory") {
		t.Errorf("scrolled to the end:\n%s", v)
	}
}

// A panel too narrow for the whole memory title cuts the cache, which
// comes last, before the limit.
func TestStatsNarrowMemoryTitle(t *testing.T) {
	c := uitest.NewCommon(t, uitest.New(), 32, 6, "dark", false)
	v := open(NewStats(c), "demo-mem").View()
	checkSize(t, "32x6", v, 32, 6)
	if !strings.Contains(v, "memory 28.0MiB / 32.0MiB (87%)") {
		t.Errorf("the memory limit was cut from a 32-wide title:\n%s", v)
	}
}
