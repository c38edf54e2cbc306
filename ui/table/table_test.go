package table_test

import (
	"fmt"
	"strings"
	"testing"

	"berth/ui/common"
	"berth/ui/table"
	"berth/ui/uitest"

	tea "github.com/charmbracelet/bubbletea"
)

type item struct {
	id   string
	rev  uint64
	text string
}

// counting is a table of items whose cell function counts its calls.
func counting(t *testing.T) (*table.Model[*item], []*item, *int) {
	c := uitest.NewCommon(t, uitest.New(), 40, 10, "dark", true)
	calls := 0
	cols := []table.Column[*item]{
		{Title: "ID", Width: 6, Cell: func(r *item, _ table.Cell) string { calls++; return r.id }},
		{Title: "TEXT", MinWidth: 4, Drop: 1, Cell: func(r *item, _ table.Cell) string { return r.text }, Paint: func(*item) common.Paint { return c.Styles.P.CPU }},
	}
	m := table.New(c.Keys, cols, func(r *item) string { return r.id })
	m.Rev = func(r *item) uint64 { return r.rev }
	rows := []*item{{id: "a", text: "one"}, {id: "b", text: "two"}, {id: "c", text: "three"}}
	m.SetRows(rows)
	m.SetHeight(5)
	return m, rows, &calls
}

// An unchanged row is drawn from the cache; a new revision draws it
// again; the row under the cursor is always drawn.
func TestCache(t *testing.T) {
	m, rows, calls := counting(t)
	st := uitest.NewCommon(t, uitest.New(), 40, 10, "dark", true).Styles
	first := m.View(40, 5, st)
	if *calls != 3 {
		t.Fatalf("first frame drew %d rows, want 3", *calls)
	}
	*calls = 0
	if again := m.View(40, 5, st); strings.Join(again, "\n") != strings.Join(first, "\n") {
		t.Fatalf("cached frame differs:\n%q\n%q", again, first)
	}
	if *calls != 1 {
		t.Fatalf("an unchanged frame drew %d rows, want 1 (the cursor's)", *calls)
	}
	*calls = 0
	rows[2].text, rows[2].rev = "changed", 1
	if v := m.View(40, 5, st); !strings.Contains(v[3], "changed") || *calls != 2 {
		t.Fatalf("a new revision drew %d rows (want 2), last line %q", *calls, v[3])
	}
	*calls = 0
	m.View(30, 5, st)
	if *calls != 3 {
		t.Fatalf("a new width drew %d rows, want 3", *calls)
	}
}

// Only the rows in the window are drawn.
func TestWindow(t *testing.T) {
	m, _, calls := counting(t)
	var rows []*item
	for i := range 100 {
		rows = append(rows, &item{id: fmt.Sprint(i)})
	}
	m.SetRows(rows)
	m.SetHeight(4)
	*calls = 0
	if v := m.View(40, 4, uitest.NewCommon(t, uitest.New(), 40, 10, "dark", false).Styles); len(v) != 5 || *calls != 4 {
		t.Fatalf("drew %d rows in %d lines, want 4 in 5", *calls, len(v))
	}
}

// Drop removes the highest drop first and never a column with drop 0;
// no width panics.
func TestNarrow(t *testing.T) {
	m, _, _ := counting(t)
	st := uitest.NewCommon(t, uitest.New(), 40, 10, "dark", false).Styles
	for w := 0; w <= 90; w++ {
		specs := table.Drop(m.Columns, w)
		if len(specs) == 0 || specs[0].Col != 0 {
			t.Fatalf("width %d dropped the id: %v", w, specs)
		}
		_ = m.View(w, 5, st)
	}
	if got := len(table.Drop(m.Columns, 8)); got != 1 {
		t.Fatalf("8 cells kept %d columns, want 1", got)
	}
}

// The cursor's row begins with '>', a marked row's with '*' beside it,
// in plain text: selection and marks never rest on colour alone.
func TestGutter(t *testing.T) {
	m, rows, _ := counting(t)
	st := uitest.NewCommon(t, uitest.New(), 40, 10, "no-color", false).Styles
	m.Move(1)
	if v := m.View(40, 5, st); !strings.HasPrefix(v[2], "> b") || !strings.HasPrefix(v[1], "  a") || !strings.HasPrefix(v[0], "  ID") {
		t.Fatalf("gutter without marks:\n%s", strings.Join(v, "\n"))
	}
	m.Marked = func(r *item) bool { return r == rows[2] }
	if v := m.View(40, 5, st); !strings.HasPrefix(v[2], ">  b") || !strings.HasPrefix(v[3], " * c") {
		t.Fatalf("gutter with marks:\n%s", strings.Join(v, "\n"))
	}
}

// Unselect leaves no row selected and none drawn as selected, whatever
// rows come, until the cursor moves or is set; Select finds a row by id.
func TestUnselect(t *testing.T) {
	m, rows, _ := counting(t)
	st := uitest.NewCommon(t, uitest.New(), 40, 10, "dark", true).Styles
	selected := m.View(40, 5, st)[1]
	m.Unselect()
	if r, ok := m.Selected(); ok {
		t.Fatalf("selected %q after Unselect", r.id)
	}
	if m.View(40, 5, st)[1] == selected {
		t.Fatal("the row is still drawn selected")
	}
	m.SetRows(rows[1:])
	if _, ok := m.Selected(); ok {
		t.Fatal("new rows selected one")
	}
	m.Move(1)
	if _, ok := m.Selected(); !ok {
		t.Fatal("a move selected nothing")
	}
	if !m.Select("b") || m.Cursor() != 0 || m.Select("gone") {
		t.Fatalf("Select: cursor %d", m.Cursor())
	}
}

func TestMouse(t *testing.T) {
	m, rows, _ := counting(t)
	press := func(b tea.MouseButton, y int) bool {
		return m.Mouse(tea.MouseMsg{Button: b, Action: tea.MouseActionPress, Y: y}, y)
	}
	selected := func() string { r, _ := m.Selected(); return r.id }
	if !press(tea.MouseButtonLeft, 2) || selected() != rows[2].id {
		t.Fatalf("a click on the third row selected %q", selected())
	}
	// Above the rows (the header's row is -1), below the last one, past
	// the height: nothing.
	for _, y := range []int{-1, 3, 5, 100} {
		if press(tea.MouseButtonLeft, y) || selected() != rows[2].id {
			t.Errorf("a click at %d moved to %q", y, selected())
		}
	}
	if !press(tea.MouseButtonWheelUp, 0) || selected() != rows[0].id {
		t.Errorf("wheel up selected %q", selected())
	}
	if !press(tea.MouseButtonWheelDown, 0) || selected() != rows[2].id {
		t.Errorf("wheel down selected %q", selected())
	}
	// A release, a drag and the right button do nothing.
	if m.Mouse(tea.MouseMsg{Button: tea.MouseButtonLeft, Action: tea.MouseActionRelease, Y: 0}, 0) ||
		m.Mouse(tea.MouseMsg{Button: tea.MouseButtonLeft, Action: tea.MouseActionMotion, Y: 0}, 0) ||
		press(tea.MouseButtonRight, 0) || selected() != rows[2].id {
		t.Errorf("a release, drag or right click moved to %q", selected())
	}
}
