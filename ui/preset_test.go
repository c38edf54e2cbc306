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
