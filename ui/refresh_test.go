package ui

import (
	"slices"
	"testing"

	"berth/core"
	"berth/ui/common"
	"berth/ui/uitest"
	"berth/watch"
)

// Rows that come on screen are sampled at once, then at most once a
// newRowsPause: a second row arriving within it waits for the pause's
// end, and is sampled then.
func TestNewRowsSampledOncePerPause(t *testing.T) {
	m, _ := app(t, 160, 30, "dark", false)
	running := func(id string) core.Container {
		return core.Container{ID: id, Status: core.StatusRunning, Pid: 7000 + len(id), Managed: true, Created: uitest.Epoch}
	}
	m.Update(containerMsg{id: "aa-first", c: running("aa-first")})
	if !m.sampled["aa-first"] || !m.sampling || !m.newHeld {
		t.Fatalf("a row new on screen not sampled at once (sampled %v, sampling %v)", m.sampled["aa-first"], m.sampling)
	}
	m.Update(common.StatsMsg{Gen: m.sampleGen})
	m.Update(containerMsg{id: "ab-second", c: running("ab-second")})
	if m.sampled["ab-second"] || m.sampling {
		t.Fatal("a second new row sampled within the pause")
	}
	m.Update(newRowsMsg{})
	if !m.sampled["ab-second"] || !m.sampling {
		t.Fatal("the row that came within the pause not sampled at its end")
	}
}

// Rows a removal brings on screen are sampled once a pause has passed
// with no other removal, not while the removal goes on: under a removal
// of many they are about to go themselves.
func TestRowsARemovalBringsWaitForItsEnd(t *testing.T) {
	m, _ := app(t, 160, 7, "dark", false) // fewer rows on screen than containers
	m.Update(common.StatsMsg{Gen: m.sampleGen})
	m.Update(newRowsMsg{})
	del := func(id string) {
		m.Update(common.EventsMsg{Events: []watch.Event{{Time: uitest.Epoch, Kind: watch.KindDelete, ID: id}}})
	}
	vis := m.list.Visible()
	if len(vis) >= len(m.c.Store.Containers) {
		t.Fatalf("every one of %d rows on screen; want some below", len(vis))
	}
	del(vis[0])
	if m.sampling {
		t.Fatal("the row a removal brought on screen sampled during it")
	}
	del(m.list.Visible()[0])
	m.Update(newRowsMsg{})
	if m.sampling {
		t.Fatal("rows sampled within a pause that had a removal")
	}
	// The refresh tick meanwhile reads only the rows sampled before.
	var brought []string
	for _, id := range m.list.Visible() {
		if c, _ := m.c.Store.Get(id); c.Running() && !slices.Contains(vis, id) {
			brought = append(brought, id)
		}
	}
	if len(brought) == 0 {
		t.Fatal("the removal brought no running row on screen")
	}
	m.Update(tickMsg{})
	for _, id := range m.asked {
		if slices.Contains(brought, id) {
			t.Fatalf("the refresh tick during a removal sampled %s, a row it brought on screen", id)
		}
	}
	m.Update(common.StatsMsg{Gen: m.sampleGen})
	m.Update(newRowsMsg{})
	if !m.sampling || !slices.Contains(m.asked, brought[0]) {
		t.Fatalf("the rows the removal brought on screen not sampled once it paused (sampling %v, asked %v)", m.sampling, m.asked)
	}
}
