package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"berth/themes"
	"berth/ui/common"
	"berth/ui/uitest"
	"berth/watch"
)

// oom is a live OOM kill of id, its kill counter at n.
func oom(m *Model, id string, n uint64, at time.Time) {
	m.Update(common.EventsMsg{Events: []watch.Event{{Time: at, Kind: watch.KindOOM, ID: id, Pid: 4102, OOMCount: n}}})
}

// A container in a kill loop has one toast, counting its kills, which
// expires on time however often it is killed again.
func TestOOMToastMerges(t *testing.T) {
	now := uitest.Epoch
	m, _ := app(t, 120, 30, "dark", false)
	m.opts.Now = func() time.Time { return now }
	for i := range 5 {
		oom(m, "demo-mem", uint64(10+i), now)
		now = now.Add(2 * time.Second)
	}
	v := uitest.Strip(m.View())
	if strings.Count(v, "OOM-killed") != 1 || !strings.Contains(v, "demo-mem OOM-killed ×5") {
		t.Fatalf("want one toast counting five kills:\n%s", v)
	}
	m.Update(tickMsg{})
	if v := uitest.Strip(m.View()); strings.Contains(v, "OOM-killed") {
		t.Fatalf("the toast outlived its %v while the kills went on:\n%s", toastLife, v)
	}
	// The next kill raises it again, the count going on.
	oom(m, "demo-mem", 15, now)
	if v := uitest.Strip(m.View()); !strings.Contains(v, "demo-mem OOM-killed ×6") {
		t.Fatalf("the next kill's toast:\n%s", v)
	}
}

// The mute key silences the toasts of the newest toast's container for
// the session; its kills still reach the timeline and the count column,
// and other containers still toast. With no toast up it toggles the
// container selected.
func TestOOMToastMute(t *testing.T) {
	now := uitest.Epoch
	m, _ := app(t, 120, 30, "dark", false)
	m.opts.Now = func() time.Time { return now }
	before, _ := m.c.Store.Get("demo-mem")
	oom(m, "demo-mem", before.OOMKills+1, now)
	press(m, m.c.Keys.MuteOOM.Keys()[0])
	if v := uitest.Strip(m.View()); strings.Contains(v, "OOM-killed") || !strings.Contains(v, "demo-mem") {
		t.Fatalf("the mute key left the toast up:\n%s", v)
	}
	events := len(m.c.Store.Events)
	oom(m, "demo-mem", before.OOMKills+2, now)
	if v := uitest.Strip(m.View()); strings.Contains(v, "OOM-killed") {
		t.Fatalf("a muted container toasted:\n%s", v)
	}
	if after, _ := m.c.Store.Get("demo-mem"); len(m.c.Store.Events) != events+1 || after.OOMKills != before.OOMKills+2 {
		t.Fatalf("a muted kill is missing from the events (%d, want %d) or the count (%d, want %d)",
			len(m.c.Store.Events), events+1, after.OOMKills, before.OOMKills+2)
	}
	oom(m, "demo-cpu", 1, now)
	if v := uitest.Strip(m.View()); !strings.Contains(v, "demo-cpu OOM-killed ×1") {
		t.Fatalf("another container's toast was muted too:\n%s", v)
	}
	// From the palette: the selected container (demo-cpu) muted, then not.
	now = now.Add(toastLife)
	m.Update(tickMsg{})
	press(m, ":", "m", "u", "t", "e", "enter")
	oom(m, "demo-cpu", 2, now)
	if v := uitest.Strip(m.View()); strings.Contains(v, "OOM-killed") {
		t.Fatalf("the palette did not mute demo-cpu:\n%s", v)
	}
	press(m, ":", "u", "n", "m", "u", "t", "e", "enter")
	oom(m, "demo-cpu", 3, now)
	if v := uitest.Strip(m.View()); !strings.Contains(v, "demo-cpu OOM-killed ×3") {
		t.Fatalf("unmuted from the palette, demo-cpu does not toast:\n%s", v)
	}
}

// The toasts' box, its border drawn once and kept, is the box lipgloss
// draws around the same lines, in every theme, coloured or not, with the
// hint or without.
func TestToastFrameIsLipgloss(t *testing.T) {
	for _, theme := range themes.BuiltinNames {
		for _, color := range []bool{false, true} {
			m, _ := app(t, 120, 30, theme, color)
			for i := range 3 {
				oom(m, fmt.Sprintf("demo-%d", i), 3, uitest.Epoch)
				for _, budget := range []int{4, 5, 6, 14} {
					m.toastMemo.frame = toastFrame{}
					got := m.drawToastBox(60, budget)
					if !m.toastMemo.frame.ok {
						t.Fatalf("%s: lipgloss's toast box not taken apart", theme)
					}
					m.toastMemo.frame = toastFrame{styles: m.c.Styles, width: 60, bang: m.c.Styles.Error.Render("! ")} // not ok: lipgloss draws
					if want := m.drawToastBox(60, budget); strings.Join(got, "\n") != strings.Join(want, "\n") {
						t.Errorf("%s (colour %v), %d toasts in %d rows:\n%q\nlipgloss draws\n%q", theme, color, i+1, budget, got, want)
					}
				}
			}
		}
	}
}
