package events

import (
	"fmt"
	"strings"
	"testing"

	"berth/ui/common"
	"berth/ui/format"
	"berth/ui/uitest"
	"berth/watch"

	tea "github.com/charmbracelet/bubbletea"
)

func TestGolden(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {160, 48}} {
		for _, id := range []string{"", "demo-mem"} {
			c := uitest.NewCommon(t, uitest.New(), size[0], size[1], "dark", false)
			m := New(c)
			m.Open(id)
			name := "events"
			if id != "" {
				name = "container-events"
			}
			uitest.Golden(t, fmt.Sprintf("%s-%dx%d", name, size[0], size[1]), m.View())
		}
	}
}

// New events scroll into view while following; scrolling up stops it.
func TestFollow(t *testing.T) {
	c := uitest.NewCommon(t, uitest.New(), 80, 6, "dark", false)
	m := New(c)
	m.Open("")
	add := func(n int) {
		var evs []watch.Event
		for i := range n {
			evs = append(evs, watch.Event{Time: uitest.Epoch, Kind: watch.KindStart, ID: fmt.Sprintf("c%d", i)})
		}
		c.Store.AddEvents(evs)
		m.Update(common.EventsMsg{Events: evs})
	}
	add(10)
	if !strings.Contains(m.View(), "c9") {
		t.Fatalf("newest event not shown:\n%s", m.View())
	}
	m.Update(uitest.Key("up"))
	m.Update(uitest.Key("up"))
	add(1)
	if strings.Contains(m.View(), "c0 ") || m.follow {
		t.Fatalf("scrolled view moved or still follows:\n%s", m.View())
	}
}

func TestHostile(t *testing.T) {
	c := uitest.NewCommon(t, uitest.New(), 120, 10, "dark", false)
	c.Store.AddEvents([]watch.Event{{Time: uitest.Epoch, Kind: watch.KindOOM, ID: "x\x1b]52;c;aGk=\x07",
		Forensics: &watch.Forensics{Processes: []watch.ProcessMem{{Pid: 1, Command: "evil\r\x9b2J\xff"}}}}})
	m := New(c)
	m.Open("")
	v := m.View()
	if strings.ContainsAny(v, "\x1b\r\x9b") || strings.Contains(v, "\xff") {
		t.Fatalf("raw control bytes in view: %q", v)
	}
}

// enter opens an event with everything it holds; esc closes it.
func TestDetail(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {160, 48}} {
		c := uitest.NewCommon(t, uitest.New(), size[0], size[1], "dark", false)
		m := New(c)
		m.Open("demo-mem")
		m.Update(uitest.Key("enter"))
		v := m.View()
		for _, want := range []string{"kill number", "grower 64m (pid 4130", "usage"} {
			if !strings.Contains(v, want) {
				t.Fatalf("detail lacks %q:\n%s", want, v)
			}
		}
		uitest.Golden(t, fmt.Sprintf("event-detail-%dx%d", size[0], size[1]), v)
		if !m.Back() || m.detail != nil {
			t.Fatal("esc did not close the detail")
		}
	}
}

// The wheel scrolls the timeline, and at the newest event it follows
// again; a click selects the event under it.
func TestMouse(t *testing.T) {
	c := uitest.NewCommon(t, uitest.New(), 80, 8, "dark", false)
	m := New(c)
	m.Open("")
	var evs []watch.Event
	for i := range 10 {
		evs = append(evs, watch.Event{Time: uitest.Epoch, Kind: watch.KindStart, ID: fmt.Sprintf("c%d", i)})
	}
	c.Store.AddEvents(evs)
	m.Update(common.EventsMsg{Events: evs})
	wheel := func(b tea.MouseButton) { m.Update(tea.MouseMsg{Button: b, Action: tea.MouseActionPress, Y: 3}) }
	wheel(tea.MouseButtonWheelUp)
	if m.follow {
		t.Fatal("wheel up still follows")
	}
	wheel(tea.MouseButtonWheelDown)
	if !m.follow {
		t.Fatal("wheel down to the newest does not follow")
	}
	m.Update(tea.MouseMsg{Button: tea.MouseButtonLeft, Action: tea.MouseActionPress, Y: 2}) // the first row shown
	if r, ok := m.table.Selected(); !ok || m.follow || r.ev.ID != m.table.Window()[0].ev.ID {
		t.Fatalf("a click on the first row: follow %v", m.follow)
	}
}

func TestCopyText(t *testing.T) {
	c := uitest.NewCommon(t, uitest.New(), 80, 8, "dark", false)
	m := New(c)
	m.Open("")
	// Following, the newest event is selected.
	evs := []watch.Event{{Time: uitest.Epoch, Kind: watch.KindStart, ID: "web\x1b[2J"}}
	c.Store.AddEvents(evs)
	m.Update(common.EventsMsg{Events: evs})
	if text, what, ok := m.CopyText(); !ok || text != `web\x1b[2J` || what != text {
		t.Fatalf("copy %q %q %v", text, what, ok)
	}
}

// A kill seen only after it landed says so, and
// shows the peak the kill was about rather than the usage left.
func TestDetailLate(t *testing.T) {
	ev := watch.Event{Time: uitest.Epoch, Kind: watch.KindOOM, ID: "m", OOMCount: 1,
		Forensics: &watch.Forensics{LimitBytes: 32 << 20, UsageBytes: 40 << 10, PeakBytes: 32 << 20, Late: true}}
	detail := strings.Join(detailLines(ev), "\n")
	for _, want := range []string{"after the kill", "peak", "32.0MiB", "the snapshot came after the kill"} {
		if !strings.Contains(detail, want) {
			t.Fatalf("detail lacks %q:\n%s", want, detail)
		}
	}
	if s := format.EventDetail(ev); !strings.Contains(s, "peak 32.0MiB of 32.0MiB") {
		t.Fatalf("summary %q does not give the peak", s)
	}
}
