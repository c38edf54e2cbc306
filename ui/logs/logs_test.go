package logs

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"berth/core"
	"berth/ui/uitest"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
)

func newModel(t testing.TB, f *uitest.Fake, w, h int, color bool) *Model {
	t.Helper()
	return New(uitest.NewCommon(t, f, w, h, "dark", color))
}

// open opens id and delivers messages until want lines are held.
func open(t testing.TB, m *Model, id string, want int) {
	t.Helper()
	cmd := m.Open(id)
	t.Cleanup(m.Close)
	deliver(t, m, cmd, func() bool { return m.buf.len() >= want })
}

// deliver runs cmd and feeds its message to m, re-armed, until done.
func deliver(t testing.TB, m *Model, cmd tea.Cmd, done func() bool) {
	t.Helper()
	for !done() {
		if cmd == nil {
			t.Fatal("no command to wait on")
		}
		ch := make(chan tea.Msg, 1)
		go func() { ch <- cmd() }()
		select {
		case msg := <-ch:
			cmd = m.Update(msg)
		case <-time.After(5 * time.Second):
			t.Fatalf("no message after 5s (%d lines held)", m.buf.len())
		}
	}
}

// keyMsg is a key press as bubbletea delivers it.
var keyMsg = uitest.Key

// press sends each key; a string of several runes is typed one by one.
func press(m *Model, keys ...string) {
	for _, k := range keys {
		if len(k) > 1 && keyMsg(k).Type == tea.KeyRunes {
			for _, r := range k {
				m.Update(keyMsg(string(r)))
			}
			continue
		}
		m.Update(keyMsg(k))
	}
}

// fill adds n numbered lines, every fifth on stderr, through Update.
func fill(m *Model, n int) {
	var batch []line
	for i := range n {
		stream := "stdout"
		if i%5 == 4 {
			stream = "stderr"
		}
		batch = append(batch, newLine(core.LogLine{
			Time: uitest.Epoch.Add(time.Duration(i) * time.Millisecond), Stream: stream,
			Data: fmt.Appendf(nil, "line %d: GET /api/items/%d served in %dms", i, i, i%97),
		}))
		if len(batch) == maxBatch {
			m.Update(linesMsg{gen: m.gen, lines: batch})
			batch = nil
		}
	}
	if len(batch) > 0 {
		m.Update(linesMsg{gen: m.gen, lines: batch})
	}
}

// started is a model opened on a container with no output, so tests feed
// it lines themselves.
func started(t testing.TB, w, h int) *Model {
	t.Helper()
	m := newModel(t, uitest.New(), w, h, false)
	m.Open("demo-cpu")
	t.Cleanup(m.Close)
	return m
}

func checkSize(t *testing.T, view string, w, h int) {
	t.Helper()
	rows := strings.Split(view, "\n")
	if len(rows) != h {
		t.Fatalf("%dx%d: %d rows", w, h, len(rows))
	}
	for i, r := range rows {
		if got := ansi.StringWidth(r); got != w {
			t.Fatalf("%dx%d: row %d is %d cells: %q", w, h, i, got, r)
		}
	}
}

func TestGolden(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {160, 48}} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			m := newModel(t, uitest.New(), size[0], size[1], false)
			open(t, m, "demo-log", 3)
			v := m.View()
			checkSize(t, v, size[0], size[1])
			uitest.Golden(t, fmt.Sprintf("logs-%dx%d", size[0], size[1]), uitest.Strip(v))
		})
	}
}

func TestGoldenSearchTimestamps(t *testing.T) {
	m := newModel(t, uitest.New(), 80, 24, false)
	open(t, m, "demo-log", 3)
	press(m, "t", "/", "served", "enter", "n")
	if m.Capturing() {
		t.Fatal("prompt still open after enter")
	}
	v := m.View()
	checkSize(t, v, 80, 24)
	uitest.Golden(t, "logs-search-time-80x24", uitest.Strip(v))
}

func TestGoldenExternal(t *testing.T) {
	f := uitest.New()
	f.Fail["Logs"] = fmt.Errorf("ext-redis: no logs: berth did not start it, and docker keeps no log file berth reads: %w", core.ErrUnmanaged)
	m := newModel(t, f, 80, 24, false)
	cmd := m.Open(uitest.ExtRedis)
	t.Cleanup(m.Close)
	deliver(t, m, cmd, func() bool { return m.ended })
	v := m.View()
	checkSize(t, v, 80, 24)
	if !strings.Contains(v, "docker keeps no log file") {
		t.Errorf("no plain word on the external container:\n%s", v)
	}
	uitest.Golden(t, "logs-external-80x24", uitest.Strip(v))
}

// Another manager's log (docker's json-file, here) shows like berth's own.
func TestExternalLogs(t *testing.T) {
	m := newModel(t, uitest.New(), 80, 24, false)
	cmd := m.Open(uitest.ExtRedis)
	t.Cleanup(m.Close)
	deliver(t, m, cmd, func() bool { return m.buf.len() > 0 })
	if v := m.View(); !strings.Contains(v, "Ready to accept connections") || !strings.Contains(v, "cache (docker)") {
		t.Fatalf("the external log is not shown:\n%s", v)
	}
}

func TestGoldenWrapped(t *testing.T) {
	m := started(t, 40, 8)
	m.Update(linesMsg{gen: m.gen, lines: []line{
		newLine(core.LogLine{Stream: "stdout", Data: []byte("short")}),
		newLine(core.LogLine{Stream: "stderr", Data: []byte("a long line on stderr that needs more than one row at forty columns")}),
		newLine(core.LogLine{Stream: "stdout", Data: []byte("界界界界界界界界界界界界界界界界界界界界 wide")}),
	}})
	press(m, "w")
	v := m.View()
	checkSize(t, v, 40, 8)
	uitest.Golden(t, "logs-wrap-40x8", uitest.Strip(v))
}

func TestUpdate(t *testing.T) {
	tests := []struct {
		name  string
		keys  []string
		check func(t *testing.T, m *Model)
	}{
		{"follows by default", nil, func(t *testing.T, m *Model) {
			if !m.follow || m.start().seq != m.buf.last()-uint64(m.bodyHeight())+1 {
				t.Errorf("follow %v start %v", m.follow, m.start())
			}
		}},
		{"up stops following", []string{"up"}, func(t *testing.T, m *Model) {
			if m.follow {
				t.Error("still following")
			}
			if want := m.buf.last() - uint64(m.bodyHeight()); m.start().seq != want {
				t.Errorf("start %d, want %d", m.start().seq, want)
			}
		}},
		{"page up then end follows", []string{"pgup", "pgup", "end"}, func(t *testing.T, m *Model) {
			if !m.follow {
				t.Error("end did not follow")
			}
		}},
		{"down to the bottom follows again", []string{"up", "up", "down", "down"}, func(t *testing.T, m *Model) {
			if !m.follow {
				t.Error("not following at the bottom")
			}
		}},
		{"top", []string{"home"}, func(t *testing.T, m *Model) {
			if m.follow || m.start().seq != m.buf.first() {
				t.Errorf("follow %v start %v", m.follow, m.start())
			}
		}},
		{"f toggles follow", []string{"f"}, func(t *testing.T, m *Model) {
			if m.follow {
				t.Error("f did not pause")
			}
		}},
		{"f twice follows", []string{"f", "f"}, func(t *testing.T, m *Model) {
			if !m.follow {
				t.Error("f f did not follow")
			}
		}},
		{"t and w toggle", []string{"t", "w"}, func(t *testing.T, m *Model) {
			if !m.timestamps || !m.wrap {
				t.Errorf("timestamps %v wrap %v", m.timestamps, m.wrap)
			}
		}},
		{"slash captures", []string{"/", "q"}, func(t *testing.T, m *Model) {
			if !m.Capturing() || m.prompt.Value() != "q" {
				t.Errorf("capturing %v value %q", m.Capturing(), m.prompt.Value())
			}
			if m.search.active() {
				t.Error("search committed before enter")
			}
		}},
		{"esc closes the prompt", []string{"/", "abc", "esc"}, func(t *testing.T, m *Model) {
			if m.Capturing() || m.search.active() {
				t.Errorf("capturing %v active %v", m.Capturing(), m.search.active())
			}
		}},
		{"enter commits a case-insensitive search", []string{"/", "LINE 4[0-9]:", "enter"}, func(t *testing.T, m *Model) {
			if m.Capturing() || !m.search.active() || len(m.search.matches) != 10 {
				t.Fatalf("capturing %v matches %v", m.Capturing(), m.search.matches)
			}
			// Following showed seqs 78-100: no match there or after, so
			// the nearest is the last before, line 49 (seq 50), put on
			// the first row.
			if m.search.cur != 50 || m.follow || m.start() != (pos{seq: 50}) {
				t.Errorf("cur %d follow %v start %v", m.search.cur, m.follow, m.start())
			}
		}},
		{"n and N step round the matches", []string{"/", "line 4[0-9]:", "enter", "n", "n", "N", "N", "N"}, func(t *testing.T, m *Model) {
			// 50 → 41 (round the end) → 42 → 41 → 50 (round the start) → 49.
			if m.search.cur != 49 {
				t.Errorf("cur %d", m.search.cur)
			}
		}},
		{"n scrolls to a match off screen", []string{"/", "line 3:", "enter"}, func(t *testing.T, m *Model) {
			if m.search.cur != 4 || m.start().seq != 4 {
				t.Errorf("cur %d start %v", m.search.cur, m.start())
			}
		}},
		{"bad regexp keeps the prompt", []string{"/", "a(", "enter"}, func(t *testing.T, m *Model) {
			if !m.Capturing() || !strings.Contains(m.promptErr, "missing closing )") || m.search.active() {
				t.Errorf("capturing %v err %q", m.Capturing(), m.promptErr)
			}
			if v := m.View(); !strings.Contains(v, "bad regexp") {
				t.Errorf("error not shown:\n%s", v)
			}
		}},
		{"typing clears the error", []string{"/", "a(", "enter", "backspace"}, func(t *testing.T, m *Model) {
			if m.promptErr != "" {
				t.Errorf("err %q", m.promptErr)
			}
		}},
		{"empty query clears the search", []string{"/", "line", "enter", "/", "backspace", "backspace", "backspace", "backspace", "enter"}, func(t *testing.T, m *Model) {
			if m.search.active() {
				t.Error("search still active")
			}
		}},
		{"no match", []string{"/", "nothing here", "enter", "n"}, func(t *testing.T, m *Model) {
			if !m.search.active() || m.search.cur != 0 || !m.follow {
				t.Errorf("cur %d follow %v", m.search.cur, m.follow)
			}
			if !strings.Contains(m.View(), "/nothing here/ no match") {
				t.Errorf("header:\n%s", m.View())
			}
		}},
		{"keys of the search are text in the prompt", []string{"/", "fwtnN", "up"}, func(t *testing.T, m *Model) {
			if m.prompt.Value() != "fwtnN" || m.wrap || m.timestamps || !m.follow {
				t.Errorf("value %q wrap %v time %v follow %v", m.prompt.Value(), m.wrap, m.timestamps, m.follow)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := started(t, 80, 24)
			fill(m, 100)
			press(m, tt.keys...)
			tt.check(t, m)
			checkSize(t, m.View(), 80, 24)
		})
	}
}

func TestBack(t *testing.T) {
	m := started(t, 80, 24)
	fill(m, 10)
	if m.Back() {
		t.Error("Back with nothing open reported true")
	}
	press(m, "/", "line")
	if !m.Back() || m.Capturing() {
		t.Error("Back did not close the prompt")
	}
	press(m, "/", "line", "enter")
	if !m.Back() || m.search.active() {
		t.Error("Back did not clear the search")
	}
	if m.Back() {
		t.Error("Back reported true with nothing left")
	}
}

func TestMessages(t *testing.T) {
	m := started(t, 80, 24)
	stale := linesMsg{gen: m.gen - 1, lines: []line{newLine(core.LogLine{Data: []byte("old")})}}
	if cmd := m.Update(stale); cmd != nil || m.buf.len() != 0 {
		t.Errorf("stale lines taken: %d held", m.buf.len())
	}
	if cmd := m.Update(linesMsg{gen: m.gen, lines: stale.lines}); cmd == nil || m.buf.len() != 1 {
		t.Errorf("lines not taken or not re-armed: %d held", m.buf.len())
	}
	m.Update(endMsg{gen: m.gen - 1, err: errors.New("old")})
	if m.ended {
		t.Error("stale end taken")
	}
	m.Update(endMsg{gen: m.gen, err: errors.New("read \x1b]52;c;aGk=\x07 failed\nbadly")})
	v := m.View()
	if !m.ended || !strings.Contains(v, `logs: read \x1b]52;c;aGk=\x07 failed; badly`) {
		t.Errorf("end not shown escaped on one line:\n%s", v)
	}
	m.Update(endMsg{gen: m.gen})
	if !strings.Contains(m.View(), "end of output") {
		t.Errorf("clean end not shown:\n%s", m.View())
	}
}

func TestReopenDropsOldFollow(t *testing.T) {
	m := newModel(t, uitest.New(), 80, 24, false)
	old := m.Open("demo-log")
	t.Cleanup(m.Close)
	cmd := m.Open("demo-cpu")
	msg := old()
	if c := m.Update(msg); c != nil || m.buf.len() != 0 {
		t.Errorf("a reply of the first Open was taken: %T, %d lines", msg, m.buf.len())
	}
	if len(m.ids) != 1 || m.ids[0] != "demo-cpu" || cmd == nil {
		t.Errorf("ids %q", m.ids)
	}
}

func TestRingBound(t *testing.T) {
	m := started(t, 80, 24)
	fill(m, 50000)
	if m.buf.len() != maxLines || m.buf.first() != 40001 || m.buf.last() != 50000 {
		t.Fatalf("held %d, seqs %d-%d", m.buf.len(), m.buf.first(), m.buf.last())
	}
	if l := m.buf.get(50000); !strings.HasPrefix(l.text, "line 49999:") {
		t.Errorf("newest %q", l.text)
	}
	if l := m.buf.get(40001); !strings.HasPrefix(l.text, "line 40000:") {
		t.Errorf("oldest %q", l.text)
	}
	if !strings.Contains(m.View(), "10000 lines (40000 older dropped)") {
		t.Errorf("header:\n%s", m.View())
	}
	// Matches on dropped lines are forgotten too.
	press(m, "/", "line 1", "enter")
	fill(m, 20000)
	for _, s := range m.search.matches {
		if s < m.buf.first() {
			t.Fatalf("match %d on a dropped line (first %d)", s, m.buf.first())
		}
	}
}

func TestScrollKeepsItsLine(t *testing.T) {
	m := started(t, 80, 24)
	fill(m, 100)
	press(m, "pgup")
	top := m.start()
	fill(m, 50)
	if m.follow || m.start() != top {
		t.Errorf("new lines moved a paused view: %v → %v", top, m.start())
	}
}

func TestWrapScrollsByRow(t *testing.T) {
	m := started(t, 30, 6)
	m.Update(linesMsg{gen: m.gen, lines: []line{newLine(core.LogLine{Data: []byte(strings.Repeat("abcdefghij", 40))})}})
	press(m, "w")
	// 400 cells at 28 a row: 15 rows, 5 shown.
	if got := m.rowsOf(1); got != 15 {
		t.Fatalf("rows %d", got)
	}
	if m.start() != (pos{seq: 1, row: 10}) {
		t.Fatalf("following starts at %v", m.start())
	}
	press(m, "up", "up")
	if m.start() != (pos{seq: 1, row: 8}) || m.follow {
		t.Errorf("after up up: %v follow %v", m.start(), m.follow)
	}
	checkSize(t, m.View(), 30, 6)
}

func TestHelp(t *testing.T) {
	m := started(t, 80, 24)
	if len(m.ShortHelp()) == 0 || len(m.FullHelp()) == 0 {
		t.Fatal("no help")
	}
	press(m, "/")
	if h := m.ShortHelp(); len(h) != 2 || h[0].Help().Key != "enter" {
		t.Errorf("prompt help %v", h)
	}
}
