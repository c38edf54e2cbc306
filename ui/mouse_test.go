package ui

import (
	"testing"

	"berth/ui/common"
	"berth/ui/uitest"

	tea "github.com/charmbracelet/bubbletea"
)

func click(x, y int) tea.MouseMsg {
	return tea.MouseMsg{X: x, Y: y, Button: tea.MouseButtonLeft, Action: tea.MouseActionPress}
}

func wheel(down bool, y int) tea.MouseMsg {
	b := tea.MouseButtonWheelUp
	if down {
		b = tea.MouseButtonWheelDown
	}
	return tea.MouseMsg{X: 3, Y: y, Button: b, Action: tea.MouseActionPress}
}

func TestMouseList(t *testing.T) {
	m, _ := appWith(t, 100, 30, func(o *Options) { o.Mouse = true })
	rows := m.list.Visible()
	if len(rows) < 4 {
		t.Fatalf("%d rows", len(rows))
	}
	// The list's title line and the table's header come first.
	m.Update(click(10, 2+3))
	if got := m.list.Selected(); got != rows[3] {
		t.Fatalf("click on the fourth row selected %q, want %q", got, rows[3])
	}
	uitest.Golden(t, "app-list-clicked-100x30", uitest.Strip(m.View()))
	for _, y := range []int{0, 1, 29, 28 + 100} {
		m.Update(click(10, y))
		if got := m.list.Selected(); got != rows[3] {
			t.Fatalf("click at row %d selected %q", y, got)
		}
	}
	m.Update(wheel(false, 10))
	if got := m.list.Selected(); got != rows[0] {
		t.Errorf("wheel up selected %q, want the first row", got)
	}
	m.Update(wheel(true, 10))
	if got := m.list.Selected(); got != rows[3] {
		t.Errorf("wheel down selected %q, want %q", got, rows[3])
	}
}

// Reports go nowhere as keys: not into an open prompt, and with the
// mouse off (a terminal may report unasked) not at all.
func TestMouseNeverKeys(t *testing.T) {
	m, _ := appWith(t, 100, 30, func(o *Options) { o.Mouse = true })
	press(m, "/")
	m.Update(click(10, 5))
	m.Update(wheel(true, 5))
	if !m.page().Capturing() {
		t.Fatal("a click closed the filter prompt")
	}
	press(m, "enter")
	if m.list.Selected() == "" || len(m.list.Visible()) < 4 {
		t.Fatal("the reports were typed into the filter")
	}

	off, _ := appWith(t, 100, 30, func(o *Options) {})
	first := off.list.Selected()
	off.Update(click(10, 5))
	off.Update(wheel(true, 5))
	if off.list.Selected() != first {
		t.Error("the mouse is off, but a report moved the list")
	}
}

func TestMouseContainerView(t *testing.T) {
	m, _ := appWith(t, 100, 30, func(o *Options) { o.Mouse = true })
	_, cmd := m.Update(common.NavigateMsg{Screen: common.ScreenContainer, ID: "demo-cpu", Tab: common.TabProcesses})
	feed(m, cmd)
	before := m.View()
	m.Update(click(40, 0)) // the tab bar
	if m.tab != common.TabProcesses || m.View() != before {
		t.Error("a click on the tab bar changed the view")
	}
	m.Update(click(40, 29)) // the footer
	if m.View() != before {
		t.Error("a click on the footer changed the view")
	}
}

// A modal takes no report: the page under it stays.
func TestMouseUnderModal(t *testing.T) {
	m, _ := appWith(t, 100, 30, func(o *Options) { o.Mouse = true })
	first := m.list.Selected()
	press(m, "?")
	m.Update(click(10, 6))
	if m.list.Selected() != first || m.modal == nil {
		t.Error("a click went through the help to the list")
	}
}
