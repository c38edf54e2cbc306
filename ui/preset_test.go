package ui

import (
	"strings"
	"testing"

	"berth/ui/uitest"
)

// Under the vim preset j and k move the list and the processes tab, and
// K (not k) opens the signal menu, in the list and in the container view.
func TestVimPresetKeys(t *testing.T) {
	m, _ := app(t, 80, 24, "dark", false)
	if err := m.c.Keys.ApplyPreset("vim"); err != nil {
		t.Fatal(err)
	}
	press(m, "j", "j")
	if got := m.list.Selected(); got != "demo-mem" {
		t.Fatalf("j j selected %s", got)
	}
	press(m, "k")
	if got := m.list.Selected(); got != "demo-log" || m.modal != nil {
		t.Fatalf("k: selected %s, modal %v", got, m.modal)
	}
	press(m, "K")
	if v := uitest.Strip(m.View()); m.modal == nil || !strings.Contains(v, "SIGTERM") {
		t.Fatalf("K opened no signal menu:\n%s", v)
	}
	press(m, "esc", "g", "enter", "2", "j")
	if m.modal != nil || m.tab != 1 {
		t.Fatalf("processes tab: modal %v, tab %d", m.modal, m.tab)
	}
	press(m, "K")
	if m.modal == nil {
		t.Fatal("K in the processes tab opened nothing")
	}
}

// The spec key opens the config.json from any tab, over the overview;
// esc goes back to the summary, then to the list.
func TestSpecKeyFromAnyTab(t *testing.T) {
	m, _ := app(t, 120, 30, "dark", false)
	press(m, "enter", "2", "v")
	if v := uitest.Strip(m.View()); m.tab != 0 || !strings.Contains(v, "config.json of demo-cpu") || !strings.Contains(v, `"ociVersion": "1.2.0"`) {
		t.Fatalf("v from processes: tab %d\n%s", m.tab, v)
	}
	press(m, "esc")
	if v := uitest.Strip(m.View()); m.screen != 1 || strings.Contains(v, "ociVersion") {
		t.Fatalf("esc: screen %d\n%s", m.screen, v)
	}
	press(m, "esc")
	if m.screen != 0 {
		t.Fatalf("esc esc: screen %d", m.screen)
	}
	// In the logs tab v is not taken while the search prompt is open.
	press(m, "enter", "4", "/", "v")
	if m.tab != 3 {
		t.Fatalf("v typed into the logs search switched to tab %d", m.tab)
	}
}
