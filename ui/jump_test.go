package ui

import (
	"regexp"
	"strings"
	"testing"

	"berth/ui/common"
	"berth/ui/uitest"
)

// Typing a container's id or name in the palette offers to go to it,
// first, and enter opens its view; with nothing typed no container is
// offered. A name finds another manager's container by its Ref.
func TestPaletteJump(t *testing.T) {
	tests := []struct {
		name   string
		keys   []string
		screen common.Screen
		id     string
	}{
		{"by id", append(append([]string{":"}, typed("demo-mem")...), "enter"), common.ScreenContainer, "demo-mem"},
		{"by part of an id, from a container", append(append([]string{"enter", "3", ":"}, typed("SLEEP")...), "enter"), common.ScreenContainer, "demo-sleep"},
		{"by name", append(append([]string{":"}, typed("cache")...), "enter"), common.ScreenContainer, "/run/docker/runtime-runc/moby/ext-redis"},
		{"as the label reads", append(append([]string{":"}, typed("go to web")...), "enter"), common.ScreenContainer, "web-old"},
		{"the second match", append(append([]string{":"}, typed("demo-")...), "down", "enter"), common.ScreenContainer, "demo-log"},
		{"esc goes nowhere", append(append([]string{":"}, typed("demo-mem")...), "esc"), common.ScreenList, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := app(t, 120, 30, "dark", false)
			press(m, tt.keys...)
			if m.modal != nil || m.screen != tt.screen || tt.id != "" && (m.id != tt.id || m.tab != common.TabOverview) {
				t.Fatalf("screen %v id %q tab %v modal %v, want screen %v id %q\n%s", m.screen, m.id, m.tab, m.modal != nil, tt.screen, tt.id, uitest.Strip(m.View()))
			}
		})
	}
	m, _ := app(t, 120, 30, "dark", false)
	press(m, ":")
	if v := uitest.Strip(m.View()); strings.Contains(v, "go to") {
		t.Fatalf("the palette offers containers before anything is typed:\n%s", v)
	}
	press(m, typed("demo-c")...)
	v := uitest.Strip(m.View())
	if !regexp.MustCompile(`> +go to demo-cpu`).MatchString(v) || strings.Contains(v, "go to demo-mem") {
		t.Fatalf("typed demo-c:\n%s", v)
	}
}

// The sort menu (>) lists the columns the table sorts by, the current
// one under the cursor; a digit or enter sorts by a column, in its
// natural order, and choosing the current one again reverses it. The
// palette offers the same as "sort by" commands. Both work in the list
// and the processes tab, and nowhere else.
func TestSortBy(t *testing.T) {
	list := func(m *Model) string {
		for _, c := range m.list.SortColumns() {
			if c.Current {
				return c.Title + common.Arrow(c.Desc)
			}
		}
		return ""
	}
	procs := func(m *Model) string {
		for _, c := range m.page().(common.Sorter).SortColumns() {
			if c.Current {
				return c.Title + common.Arrow(c.Desc)
			}
		}
		return ""
	}
	tests := []struct {
		name string
		keys []string
		got  func(*Model) string
		want string
	}{
		{"enter on the current reverses", []string{">", "enter"}, list, "ID▼"},
		{"a digit picks", []string{">", "3"}, list, "STATUS▲"},
		{"figures largest first", []string{">", "down", "down", "down", "down", "enter"}, list, "CPU%▼"},
		{"again reverses", []string{">", "5", ">", "5"}, list, "CPU%▲"},
		{"htop's other keys", []string{"<", "3", "f6", "3"}, list, "STATUS▼"},
		{"esc keeps the order", []string{">", "3", ">", "esc"}, list, "STATUS▲"},
		{"from the palette", append(append([]string{":"}, typed("sort by mem")...), "enter"), list, "MEM▼"},
		{"in processes", []string{"enter", "2", ">", "7"}, procs, "RSS▼"},
		{"in processes from the palette", append(append([]string{"enter", "2", ":"}, typed("sort by command")...), "enter"), procs, "COMMAND▲"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := app(t, 160, 30, "dark", false)
			press(m, tt.keys...)
			if got := tt.got(m); got != tt.want || m.modal != nil {
				t.Fatalf("sorted by %s (modal open %v), want %s\n%s", got, m.modal != nil, tt.want, uitest.Strip(m.View()))
			}
		})
	}
	// Where nothing sorts there is no menu, and no palette item.
	for _, keys := range [][]string{{"E"}, {"enter", "5"}, {"enter"}} {
		m, _ := app(t, 160, 30, "dark", false)
		press(m, append(keys, ">")...)
		if m.modal != nil {
			t.Errorf("%v: > opened a menu:\n%s", keys, uitest.Strip(m.View()))
		}
		press(m, append([]string{":"}, typed("sort by")...)...)
		if v := uitest.Strip(m.View()); strings.Contains(v, "sort by ID") || strings.Contains(v, "sort by PID") {
			t.Errorf("%v: the palette offers to sort:\n%s", keys, v)
		}
	}
}

// The sort menu's key is remapped like any other, and help shows it.
func TestSortByRemapped(t *testing.T) {
	m, _ := app(t, 160, 30, "dark", false)
	if err := m.c.Keys.Apply(map[string][]string{"sort-by": {"o"}}); err != nil {
		t.Fatal(err)
	}
	press(m, ">")
	if m.modal != nil {
		t.Fatal("> still opens the sort menu")
	}
	press(m, "o")
	if v := uitest.Strip(m.View()); m.modal == nil || !strings.Contains(v, "sort by") {
		t.Fatalf("o did not open the sort menu:\n%s", v)
	}
	press(m, "esc", "?")
	if v := uitest.Strip(m.View()); !regexp.MustCompile(` o +sort by `).MatchString(v) {
		t.Fatalf("help does not show o:\n%s", v)
	}
}
