package containers

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"berth/core"
	"berth/ui/common"
	"berth/ui/uitest"
	"berth/watch"

	tea "github.com/charmbracelet/bubbletea"
)

var press = uitest.Key

func TestGolden(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {160, 48}} {
		c := uitest.NewCommon(t, uitest.New(), size[0], size[1], "dark", false)
		m := New(c)
		uitest.Golden(t, fmt.Sprintf("list-%dx%d", size[0], size[1]), m.View())
	}
}

// Actions go to the marked containers, or else the selected one.
func TestKeys(t *testing.T) {
	tests := []struct {
		name string
		keys []string
		want tea.Msg
	}{
		{"open", []string{"enter"}, common.NavigateMsg{Screen: common.ScreenContainer, ID: "demo-cpu", Tab: common.TabOverview}},
		{"logs of the second", []string{"down", "l"}, common.NavigateMsg{Screen: common.ScreenContainer, ID: "demo-log", Tab: common.TabLogs}},
		{"pause selected", []string{"p"}, common.ActionMsg{Action: common.ActPause, IDs: []string{"demo-cpu"}}},
		{"kill marked", []string{" ", " ", "k"}, common.ActionMsg{Action: common.ActKill, IDs: []string{"demo-cpu", "demo-log"}}},
		{"unmark", []string{" ", "up", " ", "d"}, common.ActionMsg{Action: common.ActDelete, IDs: []string{"demo-log"}}},
		{"filter then delete", []string{"/", "w", "e", "b", "enter", "d"}, common.ActionMsg{Action: common.ActDelete, IDs: []string{"web-old"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New(uitest.NewCommon(t, uitest.New(), 80, 24, "dark", false))
			var msgs []tea.Msg
			for _, k := range tt.keys {
				cmd := m.Update(press(k))
				msgs = uitest.Run(cmd)
			}
			if len(msgs) != 1 || fmt.Sprint(msgs[0]) != fmt.Sprint(tt.want) {
				t.Fatalf("got %v, want %v", msgs, tt.want)
			}
		})
	}
}

func TestSortAndFilter(t *testing.T) {
	m := New(uitest.NewCommon(t, uitest.New(), 120, 30, "dark", false))
	m.Update(press("s")) // name
	m.Update(press("s")) // status
	if got := m.table.Shown()[len(m.table.Shown())-1].c.Status; got != core.StatusStopped {
		t.Fatalf("sorted by status, last is %s", got)
	}
	m.Update(press("s")) // pid, largest first
	if m.Selected() != "demo-cpu" {
		t.Fatalf("selection moved with the sort: %s", m.Selected())
	}
	m.Update(press("/"))
	for _, r := range "[" {
		m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
	m.Update(press("enter"))
	if !strings.Contains(m.View(), "bad regexp") {
		t.Fatalf("a bad regexp is not reported:\n%s", m.View())
	}
	m.Update(press("esc"))
	m.Back()
	if len(m.table.Shown()) != len(m.rows) {
		t.Fatalf("esc left a filter: %d of %d", len(m.table.Shown()), len(m.rows))
	}
}

// Every size renders exactly its cells and nothing panics.
func TestSizes(t *testing.T) {
	c := uitest.NewCommon(t, uitest.New(), 80, 24, "dark", false)
	m := New(c)
	for w := 0; w <= 200; w += 7 {
		for h := 0; h <= 50; h += 3 {
			c.Width, c.Height = w, h
			m.Update(tea.WindowSizeMsg{Width: w, Height: h})
			v := m.View()
			if h > 0 && strings.Count(v, "\n") != h-1 {
				t.Fatalf("%dx%d: %d lines", w, h, strings.Count(v, "\n")+1)
			}
		}
	}
}

func BenchmarkView1000(b *testing.B) {
	m := thousand(b)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		_ = m.View()
	}
}

// BenchmarkViewFresh1000 is a frame after new stats: every row's
// revision has moved, so no line comes from the cache.
func BenchmarkViewFresh1000(b *testing.B) {
	m := thousand(b)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, r := range m.rows {
			r.rev++
		}
		_ = m.View()
	}
}

// BenchmarkRemoveBatch1000 is what the store and the list cost a batch
// of events under a removal of many: ten of a thousand of berth's own
// containers deleted (the top rows) and the rows brought up to the
// store, with the caches cold, as the rest of the UI's work between two
// batches leaves them (the frame aside: BenchmarkView1000).
func BenchmarkRemoveBatch1000(b *testing.B) {
	m := removing(b)
	cold := make([]byte, 8<<20)
	for b.Loop() {
		b.StopTimer()
		if len(m.c.Store.Containers) < 500 {
			m = removing(b)
		}
		for i := 0; i < len(cold); i += 64 {
			cold[i]++
		}
		var evs []watch.Event
		for _, c := range m.c.Store.Containers[:10] {
			evs = append(evs, watch.Event{Kind: watch.KindDelete, ID: c.ID})
		}
		b.StartTimer()
		m.c.Store.Apply(evs)
		m.Refresh()
	}
}

// removing is the list over 1000 of berth's own containers, as the
// removal benchmark of the UI runs them.
func removing(b *testing.B) *Model {
	f := uitest.New()
	base := f.Containers[0]
	f.Containers = nil
	for i := range 1000 {
		c := base
		c.Managed, c.RuntimeRoot, c.ID = true, "", fmt.Sprintf("rm-%04d", i)
		f.Containers = append(f.Containers, c)
	}
	return New(uitest.NewCommon(b, f, 160, 48, "dark", true))
}

// thousand is the list over 1000 containers at 160x48.
func thousand(b *testing.B) *Model {
	f := uitest.New()
	base := f.Containers
	f.Containers = nil
	for i := range 1000 {
		c := base[i%len(base)]
		c.ID = fmt.Sprintf("%s-%04d", c.ID, i)
		f.Containers = append(f.Containers, c)
		if s, ok := f.Stats[base[i%len(base)].ID]; ok {
			f.Stats[c.ID] = s
		}
	}
	return New(uitest.NewCommon(b, f, 160, 48, "dark", true))
}

// The memory column speaks the IEC units every other view prints.
func TestMemTextUnits(t *testing.T) {
	for _, tt := range []struct {
		r    row
		want string
	}{
		{row{mem: 20 << 20, limit: 32 << 20}, "20.0MiB/32.0MiB"},
		{row{mem: 1536 << 10}, "1.5MiB"},
		{row{mem: 1000 << 20, limit: 1023 << 20}, "1000MiB/1023MiB"},
		{row{}, "-"},
	} {
		if got := memText(&tt.r); got != tt.want {
			t.Errorf("memText(%d/%d) = %q, want %q", tt.r.mem, tt.r.limit, got, tt.want)
		}
	}
}

// An event about one container rebuilds its row alone: the others keep
// theirs, and with them their cached lines. The clock moving rebuilds
// every row at the next change (uptime and the last minute follow it).
func TestRefreshRebuildsOnlyWhatChanged(t *testing.T) {
	c := uitest.NewCommon(t, uitest.New(), 160, 48, "dark", false)
	m := New(c)
	before := map[string]*row{}
	for _, r := range m.rows {
		before[r.c.Ref()] = r
	}
	changed := m.rows[1].c
	changed.OOMKills++
	c.Store.Put(changed)
	m.Refresh()
	for _, r := range m.rows {
		if same := before[r.c.Ref()] == r; same == (r.c.Ref() == changed.Ref()) {
			t.Errorf("%s: row kept %v", r.c.Ref(), same)
		}
	}
	c.Now = c.Now.Add(time.Second)
	kept := slices.Clone(m.rows)
	m.Refresh()
	if !slices.Equal(kept, m.rows) {
		t.Error("the clock alone rebuilt rows (the tick's stats do)")
	}
	c.Store.AddStats(nil)
	m.Refresh()
	for _, r := range m.rows {
		if slices.Contains(kept, r) {
			t.Errorf("%s: row kept across a clock tick and a change", r.c.Ref())
		}
	}
}
