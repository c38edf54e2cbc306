package ui

import (
	"errors"
	"strings"
	"testing"

	"berth/ui/uitest"
)

// The host's figures come with the refresh tick, read in its command;
// Update only takes them in. A failed read leaves the header without
// them.
func TestTickReadsHost(t *testing.T) {
	m, f := app(t, 160, 48, "dark", false)
	msg := tick(0, f)()
	tm, ok := msg.(tickMsg)
	if !ok || tm.host.err != nil || tm.host.stats.MemTotal != 8<<30 {
		t.Fatalf("tick: %#v", msg)
	}
	_, cmd := m.Update(tm)
	feed(m, cmd) // the sample the tick started draws the frame
	if !m.c.Store.Host.CPUKnown || m.c.Store.Host.CPU != 37 {
		t.Fatalf("host after a tick: %+v", m.c.Store.Host)
	}
	if v := uitest.Strip(m.View()); !strings.Contains(v, "cpu 37% of 2 · mem 3.0GiB/8.0GiB · load 0.52 0.40 0.31") {
		t.Fatalf("header:\n%s", v)
	}
	f.Fail["HostStats"] = errors.New("no /proc")
	_, cmd = m.Update(tick(0, f)())
	feed(m, cmd)
	if v := uitest.Strip(m.View()); strings.Contains(v, "load") {
		t.Fatalf("stale host figures after a failed read:\n%s", v)
	}
}
