package ui

import (
	"strings"
	"testing"

	"berth/ui/common"
	"berth/ui/uitest"
)

// Marks and the logs key open the marked containers' logs merged; back
// returns to the list with the marks kept.
func TestMergedLogs(t *testing.T) {
	m, _ := app(t, 100, 20, "dark", false)
	rows := m.list.Visible()
	press(m, " ", " ", "l") // demo-cpu and demo-log
	if m.screen != common.ScreenLogs {
		t.Fatalf("screen %v after marks and l", m.screen)
	}
	if got := m.merged.IDs(); len(got) != 2 || got[0] != rows[0] || got[1] != rows[1] {
		t.Fatalf("merged %q, want the first two rows %q", got, rows[:2])
	}
	v := uitest.Strip(m.View())
	if !strings.Contains(v, "2 containers merged") || !strings.Contains(v, "demo-log │ ! warning: slow client") {
		t.Fatalf("merged view:\n%s", v)
	}
	uitest.Golden(t, "app-merged-logs-100x20", v)
	press(m, "esc")
	if m.screen != common.ScreenList || len(m.list.Targets()) != 2 {
		t.Fatalf("back: screen %v, targets %q", m.screen, m.list.Targets())
	}
	// One mark alone is that container's logs tab, the marked one (the
	// cursor moved on to the next).
	press(m, "esc", " ", "l")
	if m.screen != common.ScreenContainer || m.tab != common.TabLogs || m.id != rows[2] {
		t.Fatalf("one mark: screen %v tab %v id %q, want %q's logs", m.screen, m.tab, m.id, rows[2])
	}
}
