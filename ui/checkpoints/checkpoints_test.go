package checkpoints_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"berth/core"
	"berth/ui/checkpoints"
	"berth/ui/common"
	"berth/ui/uitest"
	"berth/watch"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
)

var keyMsg = uitest.Key

// richer adds checkpoints that use every column: options, a parent, an
// import, no stats.
func richer(f *uitest.Fake) {
	at := func(d time.Duration) time.Time { return uitest.Epoch.Add(-d) }
	f.Checkpoint["demo-cpu"] = append(f.Checkpoint["demo-cpu"],
		core.Checkpoint{Name: "pre-1", Container: "demo-cpu", Created: at(3 * time.Hour), Valid: true,
			Options: core.CheckpointOptions{PreDump: true, TCPEstablished: true, ExtUnixSk: true}, SizeBytes: 40 << 20,
			Stats: &core.DumpStats{FreezingTimeUs: 1500, FrozenTimeUs: 1200000, PagesScanned: 90000, PagesWritten: 81234}},
		core.Checkpoint{Name: "pre-2", Container: "demo-cpu", Created: at(2 * time.Hour), Valid: true, Parent: "pre-1",
			Options: core.CheckpointOptions{ShellJob: true, FileLocks: true, Parent: "pre-1"}, SizeBytes: 5 << 20,
			Stats: &core.DumpStats{FreezingTimeUs: 700, FrozenTimeUs: 30000, PagesScanned: 90000, PagesSkippedParent: 80000, PagesWritten: 900}},
		core.Checkpoint{Name: "from-archive", Container: "demo-cpu", Created: at(50 * time.Hour), Valid: true, Imported: true,
			Options: core.CheckpointOptions{LeaveRunning: true}, SizeBytes: 12 << 20},
	)
}

// open builds the page at w x h and loads id's checkpoints.
func open(t *testing.T, f *uitest.Fake, id string, w, h int) (*common.Common, *checkpoints.Model) {
	t.Helper()
	c := uitest.NewCommon(t, f, w, h, "dark", false)
	m := checkpoints.New(c)
	deliver(m, m.Open(id))
	return c, m
}

// deliver runs cmd and hands the page every message it produced, and so
// on for the commands those return; it returns the messages meant for
// the root (not the page's own replies).
func deliver(m *checkpoints.Model, cmd tea.Cmd) []tea.Msg {
	var out []tea.Msg
	for _, msg := range uitest.Run(cmd) {
		switch msg.(type) {
		case checkpoints.ListMsg, checkpoints.LogMsg, checkpoints.InspectMsg, checkpoints.SearchMsg, checkpoints.DiffMsg:
			next := m.Update(msg)
			out = append(out, deliver(m, next)...)
		default:
			out = append(out, msg)
		}
	}
	return out
}

func press(m *checkpoints.Model, keys ...string) []tea.Msg {
	var out []tea.Msg
	for _, k := range keys {
		cmd := m.Update(keyMsg(k))
		out = append(out, deliver(m, cmd)...)
	}
	return out
}

func TestKeys(t *testing.T) {
	id := []string{"demo-cpu"}
	tests := []struct {
		name string
		keys []string
		want []tea.Msg
	}{
		{"checkpoint", []string{"c"}, []tea.Msg{common.ActionMsg{Action: common.ActCheckpoint, IDs: id}}},
		{"restore the first", []string{"r"}, []tea.Msg{common.ActionMsg{Action: common.ActRestore, IDs: id, Checkpoint: "before-upgrade"}}},
		{"delete the second", []string{"down", "d"}, []tea.Msg{common.ActionMsg{Action: common.ActDeleteCheckpoint, IDs: id, Checkpoint: "broken"}}},
		{"restore an invalid one is refused", []string{"down", "r"}, []tea.Msg{common.StatusMsg{Text: "cannot restore broken: metadata missing", Level: common.LevelWarning}}},
		{"bottom then up", []string{"end", "up", "d"}, []tea.Msg{common.ActionMsg{Action: common.ActDeleteCheckpoint, IDs: id, Checkpoint: "pre-2"}}},
		{"page down clamps", []string{"pgdown", "pgdown", "d"}, []tea.Msg{common.ActionMsg{Action: common.ActDeleteCheckpoint, IDs: id, Checkpoint: "from-archive"}}},
		{"restore from the inspect view", []string{"down", "down", "enter", "down", "r"}, []tea.Msg{common.ActionMsg{Action: common.ActRestore, IDs: id, Checkpoint: "pre-1"}}},
		{"navigation says nothing", []string{"down", "up", "home"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := uitest.New()
			richer(f)
			_, m := open(t, f, "demo-cpu", 80, 24)
			got := press(m, tt.keys...)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v\nwant %#v", got, tt.want)
			}
			if len(f.Calls) != 0 {
				t.Errorf("the page acted itself: %v", f.Calls)
			}
		})
	}
}

func TestStaleGenerationDropped(t *testing.T) {
	f := uitest.New()
	c := uitest.NewCommon(t, f, 80, 24, "dark", false)
	m := checkpoints.New(c)
	old := uitest.Run(m.Open("demo-cpu"))
	f.Checkpoint["demo-cpu"] = f.Checkpoint["demo-cpu"][:1]
	fresh := uitest.Run(m.Open("demo-cpu"))
	for _, msg := range append(fresh, old...) {
		m.Update(msg)
	}
	v := uitest.Strip(m.View())
	if strings.Contains(v, "broken") || !strings.Contains(v, "before-upgrade") {
		t.Errorf("a stale reply replaced the fresh one:\n%s", v)
	}
	// A reply for another container is dropped too.
	m.Update(checkpoints.ListMsg{ID: "demo-mem", Gen: old[0].(checkpoints.ListMsg).Gen + 1})
	if v2 := uitest.Strip(m.View()); v2 != v {
		t.Errorf("another container's reply changed the view:\n%s", v2)
	}
}

func TestReload(t *testing.T) {
	tests := []struct {
		name   string
		msg    tea.Msg
		reload bool
	}{
		{"checkpoint done", common.DoneMsg{Action: common.ActCheckpoint, IDs: []string{"demo-cpu"}}, true},
		{"restore done", common.DoneMsg{Action: common.ActRestore, IDs: []string{"demo-cpu"}}, true},
		{"delete done", common.DoneMsg{Action: common.ActDeleteCheckpoint, IDs: []string{"demo-cpu"}}, true},
		{"failed checkpoint", common.DoneMsg{Action: common.ActCheckpoint, IDs: []string{"demo-cpu"}, Err: errors.New("criu")}, true},
		{"pause done", common.DoneMsg{Action: common.ActPause, IDs: []string{"demo-cpu"}}, false},
		{"checkpoint event", common.EventsMsg{Events: []watch.Event{{Kind: watch.KindStart, ID: "demo-cpu"}, {Kind: watch.KindCheckpoint, ID: "demo-cpu"}}}, true},
		{"another's checkpoint event", common.EventsMsg{Events: []watch.Event{{Kind: watch.KindCheckpoint, ID: "demo-mem"}}}, false},
		{"other event", common.EventsMsg{Events: []watch.Event{{Kind: watch.KindPause, ID: "demo-cpu"}}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := uitest.New()
			_, m := open(t, f, "demo-cpu", 80, 24)
			f.Checkpoint["demo-cpu"] = append(f.Checkpoint["demo-cpu"], core.Checkpoint{Name: "fresh-one", Valid: true})
			cmd := m.Update(tt.msg)
			if (cmd != nil) != tt.reload {
				t.Fatalf("reload %v, want %v", cmd != nil, tt.reload)
			}
			deliver(m, cmd)
			if got := strings.Contains(uitest.Strip(m.View()), "fresh-one"); got != tt.reload {
				t.Errorf("new checkpoint shown %v, want %v", got, tt.reload)
			}
		})
	}
}

func TestOneLoadInFlight(t *testing.T) {
	f := uitest.New()
	_, m := open(t, f, "demo-cpu", 80, 24)
	done := common.DoneMsg{Action: common.ActCheckpoint}
	first := m.Update(done)
	if second := m.Update(done); first == nil || second != nil {
		t.Fatalf("first %v second %v: want one load in flight", first != nil, second != nil)
	}
	// The reload asked meanwhile runs once the first ends.
	msg := uitest.Run(first)[0]
	if next := m.Update(msg); next == nil {
		t.Error("the pending reload did not run")
	}
}

func TestKeepsSelection(t *testing.T) {
	f := uitest.New()
	richer(f)
	_, m := open(t, f, "demo-cpu", 80, 24)
	press(m, "down", "down") // pre-1
	f.Checkpoint["demo-cpu"] = f.Checkpoint["demo-cpu"][1:]
	cmd := m.Update(common.DoneMsg{Action: common.ActDeleteCheckpoint})
	deliver(m, cmd)
	got := press(m, "d")
	if len(got) != 1 || got[0].(common.ActionMsg).Checkpoint != "pre-1" {
		t.Errorf("selection moved: %#v", got)
	}
}

func TestInspect(t *testing.T) {
	f := uitest.New()
	_, m := open(t, f, "demo-cpu", 80, 24)
	press(m, "enter")
	if !m.Inspecting() {
		t.Fatal("enter did not inspect")
	}
	v := uitest.Strip(m.View())
	for _, want := range []string{"before-upgrade", "4.1.1", "1.5.3", "leave-running", "912µs", "41.0ms", "Dumping finished successfully"} {
		if !strings.Contains(v, want) {
			t.Errorf("inspect view lacks %q:\n%s", want, v)
		}
	}
	if !m.Back() || m.Inspecting() {
		t.Error("Back did not close the inspect view")
	}
	if m.Back() {
		t.Error("Back on the list reported true")
	}
}

func TestInspectClosesWhenDeleted(t *testing.T) {
	f := uitest.New()
	_, m := open(t, f, "demo-cpu", 80, 24)
	press(m, "enter")
	f.Checkpoint["demo-cpu"] = f.Checkpoint["demo-cpu"][1:]
	cmd := m.Update(common.DoneMsg{Action: common.ActDeleteCheckpoint})
	deliver(m, cmd)
	if m.Inspecting() {
		t.Error("still inspecting a deleted checkpoint")
	}
}

func TestStaleLogDropped(t *testing.T) {
	f := uitest.New()
	_, m := open(t, f, "demo-cpu", 80, 24)
	cmd := m.Update(keyMsg("enter"))
	stale := uitest.Run(cmd)
	m.Back()
	press(m, "enter")
	for _, msg := range stale {
		lm := msg.(checkpoints.LogMsg)
		lm.Lines = []string{"STALE"}
		m.Update(lm)
	}
	if strings.Contains(uitest.Strip(m.View()), "STALE") {
		t.Error("a stale dump log was shown")
	}
}

func TestScroll(t *testing.T) {
	f := uitest.New()
	var log strings.Builder
	for i := range 200 {
		log.WriteString("line " + string(rune('a'+i%26)) + "\n")
	}
	f.DumpLogs["demo-cpu/before-upgrade"] = log.String()
	_, m := open(t, f, "demo-cpu", 80, 24)
	press(m, "enter")
	top := uitest.Strip(m.View())
	press(m, "end")
	bottom := uitest.Strip(m.View())
	if top == bottom || !strings.Contains(bottom, "lines 194-215 of 215") {
		t.Errorf("end did not scroll:\n%s", bottom)
	}
	press(m, "home")
	if uitest.Strip(m.View()) != top {
		t.Error("home did not return to the top")
	}
}

func TestErrors(t *testing.T) {
	f := uitest.New()
	f.Fail["Checkpoints"] = errors.New("permission denied\nsecond line")
	f.Fail["CheckpointLog"] = errors.New("no log")
	c, m := open(t, f, "demo-cpu", 80, 24)
	v := uitest.Strip(m.View())
	if !strings.Contains(v, "✗ permission denied; second line") {
		t.Errorf("error not shown on one line:\n%s", v)
	}
	delete(f.Fail, "Checkpoints")
	cmd := m.Update(common.DoneMsg{Action: common.ActCheckpoint})
	deliver(m, cmd)
	press(m, "enter")
	v = uitest.Strip(m.View())
	if !strings.Contains(v, "✗ no log") {
		t.Errorf("log error not shown:\n%s", v)
	}
	_ = c
}

const hostile = "x\x1b]52;c;aGk=\x07\x1b[2Jy\rz\xc2\x9c\xff\u009b"

func TestHostile(t *testing.T) {
	f := uitest.New()
	f.Checkpoint["demo-cpu"] = []core.Checkpoint{{
		Name: hostile, Container: hostile, Reason: hostile, Parent: hostile, CriuVersion: hostile, RuntimeVersion: hostile,
		Created: uitest.Epoch,
	}}
	f.DumpLogs["demo-cpu/"+hostile] = hostile + "\n\t" + hostile + "\n"
	for _, size := range [][2]int{{80, 24}, {160, 48}, {20, 5}} {
		_, m := open(t, f, "demo-cpu", size[0], size[1])
		check := func(v string) {
			t.Helper()
			for _, bad := range []string{"\x1b", "\r", "\x07", "\u009c", "\u009b"} {
				if strings.Contains(v, bad) {
					t.Errorf("%dx%d: %q reached the view:\n%q", size[0], size[1], bad, v)
				}
			}
			if !utf8.ValidString(v) {
				t.Errorf("invalid UTF-8 reached the view: %q", v)
			}
		}
		check(m.View())
		msgs := press(m, "r")
		if len(msgs) != 1 {
			t.Fatalf("restore of an invalid checkpoint: %#v", msgs)
		}
		check(msgs[0].(common.StatusMsg).Text)
		press(m, "enter")
		check(m.View())
		if !strings.Contains(m.View(), `\x1b]52`) {
			t.Errorf("the escaped sequence is not shown:\n%s", m.View())
		}
	}
}

func TestHostileColour(t *testing.T) {
	f := uitest.New()
	f.Checkpoint["demo-cpu"] = []core.Checkpoint{{Name: hostile, Reason: hostile}}
	f.DumpLogs["demo-cpu/"+hostile] = hostile
	c := uitest.NewCommon(t, f, 80, 24, "dark", true)
	m := checkpoints.New(c)
	deliver(m, m.Open("demo-cpu"))
	for _, v := range []string{m.View(), func() string { press(m, "enter"); return m.View() }()} {
		if strings.Contains(v, "\x1b]") || strings.Contains(v, "\x1b[2J") || strings.Contains(v, "\r") {
			t.Errorf("a hostile sequence reached the coloured view: %q", v)
		}
	}
}

func TestEverySize(t *testing.T) {
	f := uitest.New()
	richer(f)
	c := uitest.NewCommon(t, f, 0, 0, "dark", true)
	sizes := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 16, 20, 24, 30, 40, 47, 50, 63, 64, 70, 79, 80, 81, 100, 120, 160}
	for _, w := range sizes {
		for _, h := range sizes[:14] {
			c.Width, c.Height = w, h
			m := checkpoints.New(c)
			deliver(m, m.Open("demo-cpu"))
			for _, k := range []string{"", "end", "enter", "end", "pgdown", "up"} {
				if k != "" {
					press(m, k)
				}
				checkSize(t, m.View(), w, h)
			}
		}
	}
}

func checkSize(t *testing.T, v string, w, h int) {
	t.Helper()
	if h <= 0 {
		if v != "" {
			t.Errorf("%dx%d: %q", w, h, v)
		}
		return
	}
	lines := strings.Split(v, "\n")
	if len(lines) != h {
		t.Fatalf("%dx%d: %d lines", w, h, len(lines))
	}
	for i, l := range lines {
		if got := ansi.StringWidth(l); got != max(w, 0) {
			t.Fatalf("%dx%d: line %d is %d wide: %q", w, h, i, got, l)
		}
	}
}

func TestGoldens(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {160, 48}} {
		suffix := fmt.Sprintf("-%dx%d", size[0], size[1])
		f := uitest.New()
		richer(f)
		_, m := open(t, f, "demo-cpu", size[0], size[1])
		press(m, "down")
		uitest.Golden(t, "checkpoints"+suffix, uitest.Strip(m.View()))
		press(m, "up", "enter")
		uitest.Golden(t, "checkpoint-inspect"+suffix, uitest.Strip(m.View()))
		_, m = open(t, f, "demo-mem", size[0], size[1])
		uitest.Golden(t, "checkpoints-empty"+suffix, uitest.Strip(m.View()))
	}
}

// A click selects the checkpoint under it (the header is the page's first
// row), the wheel moves; the keys then act on that one.
func TestMouse(t *testing.T) {
	f := uitest.New()
	richer(f)
	_, m := open(t, f, "demo-cpu", 80, 24)
	m.Update(tea.MouseMsg{Button: tea.MouseButtonLeft, Action: tea.MouseActionPress, Y: 0}) // the header
	if got := press(m, "d"); !reflect.DeepEqual(got, []tea.Msg{common.ActionMsg{Action: common.ActDeleteCheckpoint, IDs: []string{"demo-cpu"}, Checkpoint: "before-upgrade"}}) {
		t.Fatalf("a click on the header moved the selection: %#v", got)
	}
	m.Update(tea.MouseMsg{Button: tea.MouseButtonLeft, Action: tea.MouseActionPress, Y: 2})
	if got := press(m, "d"); !reflect.DeepEqual(got, []tea.Msg{common.ActionMsg{Action: common.ActDeleteCheckpoint, IDs: []string{"demo-cpu"}, Checkpoint: "broken"}}) {
		t.Fatalf("a click on the second row: %#v", got)
	}
	m.Update(tea.MouseMsg{Button: tea.MouseButtonWheelUp, Action: tea.MouseActionPress, Y: 2})
	if got := press(m, "d"); !reflect.DeepEqual(got, []tea.Msg{common.ActionMsg{Action: common.ActDeleteCheckpoint, IDs: []string{"demo-cpu"}, Checkpoint: "before-upgrade"}}) {
		t.Fatalf("wheel up: %#v", got)
	}
}
