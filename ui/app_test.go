package ui

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"berth/core"
	"berth/themes"
	"berth/ui/common"
	"berth/ui/uitest"
	"berth/watch"

	tea "github.com/charmbracelet/bubbletea"
)

// app is the root model over the fake at w x h, its first list, events
// and stats taken in.
func app(t testing.TB, w, h int, theme string, color bool) (*Model, *uitest.Fake) {
	t.Helper()
	f := uitest.New()
	p, err := themes.Load(theme, "")
	if err != nil {
		t.Fatal(err)
	}
	m := New(Options{Core: f, Theme: p, ThemeNames: themes.BuiltinNames, Renderer: uitest.Renderer(color),
		TerminalFd: -1, Refresh: time.Millisecond, Now: func() time.Time { return uitest.Epoch }})
	t.Cleanup(m.Close)
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	feed(m, m.Init())
	uitest.FillHistory(m.c.Store, f, 60)
	uitest.FillHost(m.c.Store, f)
	m.Update(common.RefreshMsg{}) // draw with the history
	return m, f
}

// feed runs cmd and what it produces, dropping clock ticks.
func feed(m *Model, cmd tea.Cmd) {
	uitest.Feed(m, cmd, func(msg tea.Msg) bool { _, ok := msg.(tickMsg); return ok })
}

func press(m *Model, keys ...string) {
	for _, k := range keys {
		_, cmd := m.Update(uitest.Key(k))
		feed(m, cmd)
	}
}

// typed is text as keys, one a rune.
func typed(s string) []string {
	var keys []string
	for _, r := range s {
		keys = append(keys, string(r))
	}
	return keys
}

// Every screen through the root, at both sizes: the chrome (tab bar,
// footer) and the modals over them.
func TestGolden(t *testing.T) {
	screens := []struct {
		name string
		keys []string
	}{
		{"app-list", nil},
		{"app-overview", []string{"enter"}},
		{"app-spec", []string{"enter", "v"}},
		{"app-processes", []string{"enter", "2"}},
		{"app-stats", []string{"enter", "3"}},
		{"app-logs", []string{"down", "enter", "4"}},
		{"app-checkpoints", []string{"enter", "5"}},
		{"app-container-events", []string{"down", "down", "enter", "6"}},
		{"app-events", []string{"E"}},
		{"app-help", []string{"?"}},
		{"app-palette", []string{":"}},
		{"app-signal-menu", []string{"k"}},
		{"app-confirm-kill", []string{"k", "2"}},
		{"app-confirm-delete", []string{" ", " ", "d"}},
		{"app-update-form", []string{"u"}},
		{"app-checkpoint-form", []string{"c"}},
		{"app-list-filter", append(typed("/^demo-(cpu|mem)$"), "enter")},
		{"app-processes-filter", append([]string{"enter", "2"}, typed("/^R$")...)},
		{"app-checkpoints-filter", append(append([]string{"enter", "5"}, typed("/bef")...), "enter")},
		{"app-events-filter", append(append([]string{"E"}, typed("/oom|pause")...), "enter")},
		{"app-events-bad-filter", append(append([]string{"E"}, typed("/oom(")...), "enter")},
		{"app-sort-menu", []string{">"}},
		{"app-processes-sort-menu", []string{"enter", "2", ">"}},
		{"app-palette-jump", append([]string{":"}, typed("demo-")...)},
		{"app-palette-sort", append([]string{":"}, typed("sort")...)},
	}
	for _, size := range [][2]int{{80, 24}, {160, 48}} {
		for _, s := range screens {
			m, _ := app(t, size[0], size[1], "dark", false)
			press(m, s.keys...)
			uitest.Golden(t, fmt.Sprintf("%s-%dx%d", s.name, size[0], size[1]), m.View())
		}
	}
}

// One coloured golden per theme: the list as each theme draws it.
func TestThemeGolden(t *testing.T) {
	for _, name := range themes.BuiltinNames {
		m, _ := app(t, 100, 14, name, true)
		uitest.Golden(t, "theme-"+name, m.View())
	}
}

func TestActions(t *testing.T) {
	tests := []struct {
		name string
		keys []string
		want string // the fake's last call; "" for none
	}{
		{"pause needs no confirmation", []string{"p"}, "pause demo-cpu"},
		{"resume a paused one", []string{"down", "down", "down", "p"}, "resume demo-sleep"},
		{"kill defaults to cancel", []string{"k", "1", "enter"}, ""},
		{"kill confirmed", []string{"k", "2", "y"}, "kill demo-cpu 9"},
		{"kill chosen with arrows", []string{"k", "enter", "right", "enter"}, "kill demo-cpu 15"},
		{"delete defaults to cancel", []string{"d", "enter"}, ""},
		{"delete esc", []string{"d", "esc"}, ""},
		{"delete marked", []string{" ", " ", "d", "y"}, "delete demo-log force=true"},
		{"update memory", []string{"u", "6", "4", "m", "enter"}, "update demo-cpu memory=67108864"},
		{"update rejects a bad size", []string{"u", "x", "enter"}, ""},
		{"checkpoint leave-running", []string{"c", "enter"}, "checkpoint demo-cpu cp-20261129-120000 leave-running=true"},
		{"signal a process", []string{"enter", "2", "down", "k", "2", "y"}, "signal demo-cpu 4120 9"},
		{"restore as a clone", []string{"enter", "5", "r", "c", "l", "o", "n", "e", "enter"}, "restore demo-cpu before-upgrade as=clone"},
		{"delete checkpoint", []string{"enter", "5", "d", "y"}, "delete-checkpoint demo-cpu before-upgrade"},
		{"palette pause", []string{":", "p", "a", "u", "enter"}, "pause demo-cpu"},
		{"exec", []string{"e"}, "exec demo-cpu [/bin/sh]"},
		{"update lifts memory with 0", []string{"u", "0", "enter"}, "update demo-cpu memory=-1"},
		{"update with nothing filled", []string{"u", "enter"}, ""},
		{"bulk pause and resume", []string{" ", "down", "down", " ", "p"}, "resume demo-sleep"},
		{"a mark hidden by the filter is not acted on", []string{" ", "/", "l", "o", "g", "enter", "d", "y"}, ""},
		{"paused takes SIGKILL only", []string{"down", "down", "down", "k", "1", "y"}, "kill demo-sleep 9"},
		{"start a stopped one", []string{"G", "a"}, "start web-old"},
		{"start of a running one is refused", []string{"a"}, ""},
		{"bulk start starts the stopped ones", []string{" ", "G", " ", "a"}, "start web-old"},
		{"palette start", []string{"G", ":", "s", "t", "a", "r", "t", "enter"}, "start web-old"},
		{"restart defaults to cancel", []string{"R", "enter"}, ""},
		{"restart confirmed", []string{"R", "y"}, "restart demo-cpu 10s"},
		{"restart of a paused one", []string{"down", "down", "down", "R", "y"}, "restart demo-sleep 10s"},
		{"restart of a stopped one starts it at once", []string{"G", "R"}, "restart web-old 10s"},
		{"restart from the container view", []string{"enter", "R", "y"}, "restart demo-cpu 10s"},
		{"palette restart", []string{":", "r", "e", "s", "t", "a", "r", "t", "enter", "y"}, "restart demo-cpu 10s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, f := app(t, 120, 40, "dark", false)
			press(m, tt.keys...)
			got := ""
			if len(f.Calls) > 0 {
				got = f.Calls[len(f.Calls)-1]
			}
			if got != tt.want {
				t.Fatalf("last call %q, want %q\n%s", got, tt.want, m.View())
			}
		})
	}
}

// esc from the events timeline returns to where it was opened.
func TestEventsBack(t *testing.T) {
	m, _ := app(t, 120, 30, "dark", false)
	press(m, "enter", "3", "E")
	if m.screen != common.ScreenEvents {
		t.Fatal("E did not open the timeline")
	}
	press(m, "esc")
	if m.screen != common.ScreenContainer || m.id != "demo-cpu" || m.tab != common.TabStats {
		t.Fatalf("esc went to screen %v %s tab %v", m.screen, m.id, m.tab)
	}
}

// A reply to a sample taken for a screen since left is dropped.
func TestStaleSample(t *testing.T) {
	m, _ := app(t, 120, 30, "dark", false)
	gen := m.sampleGen
	press(m, "enter")
	before := m.c.Store.History["demo-cpu"].Len()
	m.Update(common.StatsMsg{Stats: []core.Stats{{ID: "demo-cpu", Time: uitest.Epoch.Add(time.Hour)}}, Gen: gen})
	if m.c.Store.History["demo-cpu"].Len() != before {
		t.Fatal("a stale sample was recorded")
	}
}

// An OOM kill raises a toast naming the container and its top process,
// which expires.
func TestOOMToast(t *testing.T) {
	now := uitest.Epoch
	m, _ := app(t, 120, 30, "dark", false)
	m.opts.Now = func() time.Time { return now }
	ev := watch.Event{Time: now, Kind: watch.KindOOM, ID: "demo-mem", Pid: 4102, OOMCount: 8,
		Forensics: &watch.Forensics{LikelyVictim: 4140, Processes: []watch.ProcessMem{{Pid: 4140, Command: "grower 64m", RSSBytes: 31 << 20}}}}
	m.Update(common.EventsMsg{Events: []watch.Event{ev}})
	if v := m.View(); !strings.Contains(v, "demo-mem OOM-killed ×1: grower 64m (pid 4140") {
		t.Fatalf("no toast:\n%s", v)
	}
	// A key just after it came leaves it; a key once it could be read
	// dismisses it, and still does its work.
	press(m, "down")
	if !strings.Contains(m.View(), "OOM-killed") {
		t.Fatal("a key pressed as the toast came took it")
	}
	press(m, "up")
	now = now.Add(2 * time.Second)
	press(m, "down")
	if strings.Contains(m.View(), "OOM-killed") || m.list.Selected() != "demo-log" {
		t.Fatalf("after a key: toast kept or key lost:\n%s", m.View())
	}
	m.Update(common.EventsMsg{Events: []watch.Event{ev}})
	now = now.Add(toastLife + time.Second)
	m.Update(tickMsg{})
	if strings.Contains(m.View(), "OOM-killed") {
		t.Fatal("toast did not expire")
	}
	// History replayed at start raises none.
	m.Update(common.EventsMsg{Events: []watch.Event{ev}, History: true})
	if strings.Contains(m.View(), "OOM-killed") {
		t.Fatal("a toast for history")
	}
}

// Every size renders its exact cells, and a resize storm never panics,
// on every screen.
func TestSizes(t *testing.T) {
	for _, keys := range [][]string{nil, {"enter"}, {"enter", "2"}, {"enter", "3"}, {"enter", "4"}, {"enter", "5"}, {"E"}, {"?"}, {":"}, {"k"}, {"u"}} {
		m, _ := app(t, 80, 24, "dark", false)
		press(m, keys...)
		for w := 0; w <= 90; w += 3 {
			for h := 0; h <= 30; h += 2 {
				m.Update(tea.WindowSizeMsg{Width: w, Height: h})
				v := m.View()
				if w >= minWidth && h >= minHeight {
					if n := strings.Count(v, "\n") + 1; n != h {
						t.Fatalf("%v at %dx%d: %d lines", keys, w, h, n)
					}
				}
			}
		}
	}
}

func TestTooSmall(t *testing.T) {
	m, _ := app(t, 19, 5, "dark", false)
	if v := m.View(); !strings.Contains(v, "too small") {
		t.Fatalf("19x5:\n%s", v)
	}
}

// BenchmarkFrame is one refresh as the root does it: a sweep of stats for
// the visible rows taken in, and the frame drawn (160x48, 100 containers).
func BenchmarkFrame(b *testing.B) {
	m, f := app(b, 160, 48, "dark", true)
	base := f.Containers[0]
	var cs []core.Container
	for i := range 100 {
		c := base
		c.ID = fmt.Sprintf("idle-%03d", i)
		cs = append(cs, c)
	}
	m.Update(common.ContainersMsg{Containers: cs})
	at := uitest.Epoch
	b.ReportAllocs()
	for b.Loop() {
		at = at.Add(time.Second)
		var sweep []core.Stats
		for _, c := range cs[:46] {
			sweep = append(sweep, core.Stats{ID: c.ID, Time: at, CPUUsage: uint64(at.Unix()), MemoryUsage: 1 << 20, PidsCurrent: 1})
		}
		m.Update(common.StatsMsg{Stats: sweep, Gen: m.sampleGen})
	}
}

// Live events change the rows they name without listing every container:
// a kill counts, an exit stops, a pause pauses, a delete removes; a start
// reads only that container; a failed watch says so.
func TestEventsUpdateRows(t *testing.T) {
	m, f := app(t, 160, 30, "dark", false)
	get := func(id string) core.Container { c, _ := m.c.Store.Get(id); return c }
	mem := get("demo-mem")
	f.Reads = nil
	st := 137
	evs := []watch.Event{
		{Time: uitest.Epoch, Kind: watch.KindOOM, ID: "demo-mem", Pid: mem.Pid, OOMCount: mem.OOMKills + 1},
		{Time: uitest.Epoch, Kind: watch.KindOOM, ID: "demo-mem", Pid: 999999, OOMCount: 50}, // an earlier incarnation
		{Time: uitest.Epoch, Kind: watch.KindExit, ID: "demo-cpu", Pid: get("demo-cpu").Pid, Proc: "init", ExitStatus: &st, OOMKilled: true},
		{Time: uitest.Epoch, Kind: watch.KindPause, ID: "demo-log"},
		{Time: uitest.Epoch, Kind: watch.KindDelete, ID: "demo-sleep"},
	}
	_, cmd := m.Update(common.EventsMsg{Events: evs})
	feed(m, cmd)
	if len(f.Reads) != 0 {
		t.Fatalf("events read %v", f.Reads)
	}
	if c := get("demo-mem"); c.OOMKills != mem.OOMKills+1 {
		t.Errorf("oom kills %d, want %d", c.OOMKills, mem.OOMKills+1)
	}
	if c := get("demo-cpu"); c.Status != core.StatusStopped || c.ExitStatus == nil || *c.ExitStatus != 137 || !c.OOMKilled {
		t.Errorf("after exit: %+v", c)
	}
	if get("demo-log").Status != core.StatusPaused {
		t.Error("pause not shown")
	}
	if _, ok := m.c.Store.Get("demo-sleep"); ok {
		t.Error("deleted container still listed")
	}
	v := uitest.Strip(m.View())
	if !strings.Contains(v, "paused") || strings.Contains(v, "demo-sleep") {
		t.Errorf("the list does not show the events:\n%s", v)
	}

	// A container started elsewhere is read alone.
	f.Containers = append(f.Containers, core.Container{ID: "newcomer", Status: core.StatusRunning, Pid: 7777, Managed: true, Created: uitest.Epoch})
	_, cmd = m.Update(common.EventsMsg{Events: []watch.Event{{Time: uitest.Epoch, Kind: watch.KindCreate, ID: "newcomer"},
		{Time: uitest.Epoch, Kind: watch.KindStart, ID: "newcomer", Pid: 7777}}})
	feed(m, cmd)
	if fmt.Sprint(f.Reads) != "[Get newcomer]" {
		t.Fatalf("a start read %v, want only the newcomer", f.Reads)
	}
	if c, ok := m.c.Store.Get("newcomer"); !ok || c.Pid != 7777 || !strings.Contains(uitest.Strip(m.View()), "newcomer") {
		t.Fatalf("newcomer not listed: %+v\n%s", c, m.View())
	}

	// The watch fails: the footer says why, and the list is polled.
	_, cmd = m.Update(eventsClosedMsg{err: fmt.Errorf("epoll: bad file descriptor")})
	feed(m, cmd)
	if v := uitest.Strip(m.View()); !strings.Contains(v, "live events failed (epoll: bad file descriptor)") {
		t.Fatalf("no failure in the footer:\n%s", v)
	}
	if m.eventsLive {
		t.Fatal("still counting on live events")
	}
}

// The stream as the root reads it: history first, then live batches with
// what the history held dropped, then the watch's error.
func TestEventStream(t *testing.T) {
	f := uitest.New()
	f.Live, f.LiveErr = make(chan []watch.Event, 4), make(chan error, 1)
	msg := startEvents(t.Context(), f)().(eventsStartedMsg)
	if len(msg.history) != len(f.Journal) {
		t.Fatalf("history %d events, want %d", len(msg.history), len(f.Journal))
	}
	fresh := watch.Event{Time: uitest.Epoch, Kind: watch.KindOOM, ID: "demo-mem", Pid: 4102, OOMCount: 9}
	f.Live <- []watch.Event{f.Journal[2], fresh} // the first was in the history too
	got := msg.stream.wait()().(common.EventsMsg)
	if len(got.Events) != 1 || got.Events[0].Key() != fresh.Key() {
		t.Fatalf("live batch %+v, want only the fresh kill", got.Events)
	}
	f.LiveErr <- fmt.Errorf("epoll: gone")
	close(f.Live)
	if c, ok := msg.stream.wait()().(eventsClosedMsg); !ok || c.err == nil {
		t.Fatalf("after the failure: %#v", c)
	}
}

// Notices given at start (a given external root that does not exist) are
// in the footer and the message log.
func TestStartNotices(t *testing.T) {
	f := uitest.New()
	p, _ := themes.Load("dark", "")
	m := New(Options{Core: f, Theme: p, ThemeNames: themes.BuiltinNames, Renderer: uitest.Renderer(false),
		TerminalFd: -1, Refresh: time.Millisecond, Now: func() time.Time { return uitest.Epoch },
		Notices: []string{"external root /run/typo does not exist: its containers are not listed"}})
	t.Cleanup(m.Close)
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 30})
	feed(m, m.Init())
	if v := uitest.Strip(m.View()); !strings.Contains(v, "external root /run/typo does not exist") {
		t.Fatalf("the notice is not shown:\n%s", v)
	}
}

// Start of a container that runs says so in the footer, naming the
// restart key; a restart names what it stops before it does.
func TestStartRestartPrompts(t *testing.T) {
	m, f := app(t, 120, 40, "dark", false)
	press(m, "a")
	if v := uitest.Strip(m.View()); !strings.Contains(v, "demo-cpu: already running (R restarts)") {
		t.Fatalf("start of a running container:\n%s", v)
	}
	press(m, "R")
	if v := uitest.Strip(m.View()); !strings.Contains(v, "Restart demo-cpu?") || !strings.Contains(v, "SIGKILL after 10s") {
		t.Fatalf("restart prompt:\n%s", v)
	}
	press(m, "y")
	if v := uitest.Strip(m.View()); !strings.Contains(v, "restarted demo-cpu") {
		t.Fatalf("after the restart:\n%s", v)
	}
	press(m, "G", "a")
	if v := uitest.Strip(m.View()); !strings.Contains(v, "started web-old") {
		t.Fatalf("after the start:\n%s", v)
	}
	if len(f.Calls) != 2 || f.Calls[0] != "restart demo-cpu 10s" || f.Calls[1] != "start web-old" {
		t.Fatalf("calls %v", f.Calls)
	}
	// A start that fails says why in the footer.
	m, f = app(t, 120, 40, "dark", false)
	f.Fail["Start"] = errors.New("web-old: bundle: no such file")
	press(m, "G", "a")
	if v := uitest.Strip(m.View()); !strings.Contains(v, "web-old: bundle: no such file") {
		t.Fatalf("a failed start:\n%s", v)
	}
}

// The deliveries queued when one comes are taken with it, in one batch;
// one delivery alone is a batch of its own.
func TestEventStreamQueued(t *testing.T) {
	f := uitest.New()
	f.Live, f.LiveErr = make(chan []watch.Event, 4), make(chan error, 1)
	msg := startEvents(t.Context(), f)().(eventsStartedMsg)
	kill := func(n uint64) []watch.Event {
		return []watch.Event{{Time: uitest.Epoch, Kind: watch.KindOOM, ID: "demo-mem", Pid: 4102, OOMCount: 100 + n}}
	}
	f.Live <- kill(1)
	f.Live <- kill(2)
	if got := msg.stream.wait()().(common.EventsMsg); len(got.Events) != 2 {
		t.Fatalf("two deliveries queued: a batch of %d, want both", len(got.Events))
	}
	f.Live <- kill(3)
	if got := msg.stream.wait()().(common.EventsMsg); len(got.Events) != 1 || got.Events[0].OOMCount != 103 {
		t.Fatalf("one delivery: a batch of %+v, want it alone", got.Events)
	}
	// A delivery of events already taken adds nothing to the batch.
	f.Live <- kill(3)
	f.Live <- kill(4)
	if got := msg.stream.wait()().(common.EventsMsg); len(got.Events) != 1 || got.Events[0].OOMCount != 104 {
		t.Fatalf("after a repeat: a batch of %+v, want the new kill alone", got.Events)
	}
}
