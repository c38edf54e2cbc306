package ui

import (
	"testing"

	"berth/core"
	"berth/ui/common"
	"berth/ui/uitest"
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
