package logs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"berth/core"
	"berth/ui/common"
	"berth/ui/uitest"

	tea "github.com/charmbracelet/bubbletea"
)

// secondLines adds n lines, line i at Epoch + i seconds.
func secondLines(m *Model, n int) {
	var batch []line
	for i := range n {
		batch = append(batch, newLine(core.LogLine{
			Time: uitest.Epoch.Add(time.Duration(i) * time.Second), Stream: "stdout", Data: []byte("at " + time.Duration(i*int(time.Second)).String()),
		}))
	}
	m.Update(linesMsg{gen: m.gen, lines: batch})
}

func TestJumpTime(t *testing.T) {
	tests := []struct {
		name    string
		input   string
		wantSeq uint64 // the first line shown; 0: the prompt stays, with wantErr
		wantErr string
	}{
		{"a duration back from now", "30s", 71, ""}, // now is Epoch+100s: the line at 70s
		{"an RFC 3339 time", uitest.Epoch.Add(20 * time.Second).Format(time.RFC3339), 21, ""},
		{"between two lines", uitest.Epoch.Add(20*time.Second + time.Millisecond).Format(time.RFC3339Nano), 22, ""},
		{"a local time", uitest.Epoch.Add(10 * time.Second).Local().Format("2006-01-02 15:04:05"), 11, ""},
		{"after the last line", "2099-01-02 15:04", 0, "no line at or after"},
		{"not a time", "soon", 0, "give a time"},
		{"negative", "-5m", 0, "positive"},
		{"empty", "", 0, "give a time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := started(t, 80, 24)
			m.c.Now = uitest.Epoch.Add(100 * time.Second)
			secondLines(m, 100)
			press(m, "J")
			if !m.Capturing() {
				t.Fatal("J opened no prompt")
			}
			m.prompt.SetValue(tt.input)
			press(m, "enter")
			if tt.wantSeq == 0 {
				if !m.Capturing() || !strings.Contains(m.promptErr, tt.wantErr) {
					t.Fatalf("capturing %v, error %q; want %q", m.Capturing(), m.promptErr, tt.wantErr)
				}
				if !m.follow {
					t.Error("a failed jump moved the view")
				}
				return
			}
			if m.Capturing() || m.follow {
				t.Fatalf("capturing %v, follow %v after the jump", m.Capturing(), m.follow)
			}
			if got := m.start().seq; got != tt.wantSeq {
				t.Errorf("first line shown %d, want %d", got, tt.wantSeq)
			}
		})
	}
}

func TestGoldenJumpPrompt(t *testing.T) {
	m := started(t, 80, 12)
	secondLines(m, 20)
	press(m, "J", "soon", "enter")
	v := m.View()
	checkSize(t, v, 80, 12)
	uitest.Golden(t, "logs-jump-80x12", uitest.Strip(v))
}

// runCmd runs an export's command to its message.
func runCmd(t *testing.T, cmd tea.Cmd) tea.Msg {
	t.Helper()
	if cmd == nil {
		t.Fatal("no command")
	}
	return cmd()
}

func TestExport(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.log")
	m := started(t, 80, 24)
	m.Update(linesMsg{gen: m.gen, lines: []line{
		newLine(core.LogLine{Time: uitest.Epoch, Stream: "stdout", Data: []byte("plain")}),
		newLine(core.LogLine{Time: uitest.Epoch.Add(time.Second), Stream: "stderr", Data: []byte("evil \x1b]52;c;aGk=\x07 \x1b[2J")}),
	}})
	press(m, "x")
	if !m.Capturing() || !strings.HasPrefix(m.prompt.Value(), "demo-cpu-") || !strings.HasSuffix(m.prompt.Value(), ".log") {
		t.Fatalf("export prompt %v %q", m.Capturing(), m.prompt.Value())
	}
	m.prompt.SetValue(path)
	msg := runCmd(t, m.Update(keyMsg("enter")))
	st, ok := msg.(common.StatusMsg)
	if !ok || st.Text != "exported 2 lines to "+path {
		t.Fatalf("export said %#v", msg)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// As shown: escaped, so the file is safe to cat.
	want := "plain\nevil \\x1b]52;c;aGk=\\x07 \\x1b[2J\n"
	if string(b) != want {
		t.Fatalf("file %q, want %q", b, want)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode())
	}

	// Again, with timestamps: the file is there, and written over only
	// when the operator says so.
	press(m, "t", "x")
	m.prompt.SetValue(path)
	msg = runCmd(t, m.Update(keyMsg("enter")))
	if _, ok := msg.(exportExistsMsg); !ok {
		t.Fatalf("export over a file said %#v", msg)
	}
	m.Update(msg)
	if m.asking != askOverwrite || !m.Capturing() {
		t.Fatalf("no overwrite question: %v", m.asking)
	}
	if m.overwrite != path {
		t.Fatalf("asks about %q", m.overwrite)
	}
	// The golden names a path of a fixed length (the temp dir's varies).
	m.overwrite = "out.log"
	v := m.View()
	m.overwrite = path
	checkSize(t, v, 80, 24)
	uitest.Golden(t, "logs-export-overwrite-80x24", uitest.Strip(v))
	if cmd := m.Update(keyMsg("n")); cmd != nil || m.Capturing() {
		t.Fatal("n did not cancel the overwrite")
	}
	if b, _ := os.ReadFile(path); string(b) != want {
		t.Fatal("cancelled overwrite changed the file")
	}
	press(m, "x")
	m.prompt.SetValue(path)
	m.Update(runCmd(t, m.Update(keyMsg("enter"))))
	paste := keyMsg("y")
	paste.Paste = true
	if m.Update(paste) != nil || m.Capturing() {
		t.Fatal("a pasted y wrote over the file, or left the question open")
	}
	press(m, "x")
	m.prompt.SetValue(path)
	m.Update(runCmd(t, m.Update(keyMsg("enter"))))
	msg = runCmd(t, m.Update(keyMsg("y")))
	if st, ok := msg.(common.StatusMsg); !ok || !strings.HasPrefix(st.Text, "exported 2 lines") {
		t.Fatalf("overwrite said %#v", msg)
	}
	b, _ = os.ReadFile(path)
	if got := string(b); !strings.HasSuffix(strings.SplitN(got, "\n", 2)[0], " plain") || !strings.Contains(got, uitest.Epoch.Local().Format(time.RFC3339Nano)) {
		t.Fatalf("overwritten file %q", got)
	}

	// A stale answer (an earlier export's) asks nothing.
	m.Update(exportExistsMsg{gen: m.exportGen - 1, path: path})
	if m.Capturing() {
		t.Fatal("a stale export reply opened a question")
	}
	// Nor does one of the output shown before the page was opened again.
	press(m, "x")
	m.prompt.SetValue(path)
	exists := runCmd(t, m.Update(keyMsg("enter")))
	m.Open("demo-log")
	m.Update(exists)
	if m.Capturing() {
		t.Fatal("an export of the output left asks about it on the new one")
	}
	// A file that cannot be made is an error in the footer.
	press(m, "x")
	m.prompt.SetValue(filepath.Join(dir, "no", "such", "dir.log"))
	if st, ok := runCmd(t, m.Update(keyMsg("enter"))).(common.StatusMsg); !ok || st.Level != common.LevelError {
		t.Fatalf("export to a missing directory said %#v", st)
	}
}

func TestScrollSideways(t *testing.T) {
	m := started(t, 60, 6)
	long := strings.Repeat("0123456789", 10)
	m.Update(linesMsg{gen: m.gen, lines: []line{
		newLine(core.LogLine{Stream: "stdout", Data: []byte(long)}),
		newLine(core.LogLine{Stream: "stdout", Data: []byte("short")}),
	}})
	press(m, "right")
	if m.left != 29 { // half of 58 cells
		t.Fatalf("left %d after right", m.left)
	}
	v := m.View()
	checkSize(t, v, 60, 6)
	uitest.Golden(t, "logs-scrolled-60x6", uitest.Strip(v))
	press(m, "l", "l", "l", "l", "l")
	if max := 100 - 58 + 1; m.left != max {
		t.Errorf("left %d, want at most %d", m.left, max)
	}
	checkSize(t, m.View(), 60, 6)
	press(m, "h", "left", "left", "left", "left", "left")
	if m.left != 0 {
		t.Errorf("left %d after scrolling back", m.left)
	}
	press(m, "w", "right")
	if m.left != 0 {
		t.Errorf("wrapped lines scrolled sideways: %d", m.left)
	}
}

func TestMouseWheel(t *testing.T) {
	m := started(t, 80, 10)
	secondLines(m, 100)
	bottom := m.start()
	m.Update(tea.MouseMsg{Button: tea.MouseButtonWheelUp, Action: tea.MouseActionPress, X: 5, Y: 5})
	if m.follow || m.start().seq != bottom.seq-wheelRows {
		t.Fatalf("wheel up: follow %v, start %v (bottom %v)", m.follow, m.start(), bottom)
	}
	m.Update(tea.MouseMsg{Button: tea.MouseButtonLeft, Action: tea.MouseActionPress, X: 5, Y: 5})
	if m.start().seq != bottom.seq-wheelRows {
		t.Fatal("a click moved the logs")
	}
	m.Update(tea.MouseMsg{Button: tea.MouseButtonWheelDown, Action: tea.MouseActionPress, X: 5, Y: 5})
	if !m.follow {
		t.Fatal("wheel down to the bottom did not follow again")
	}
}

func TestMerged(t *testing.T) {
	f := uitest.New()
	f.LogLines["demo-cpu"] = []core.LogLine{
		{Time: uitest.Epoch.Add(-2500 * time.Millisecond), Stream: "stdout", Data: []byte("cpu: first")},
		{Time: uitest.Epoch.Add(-500 * time.Millisecond), Stream: "stdout", Data: []byte("cpu: \x1b[31mlast")},
		// After Open's now: the follow's, not the history's, so last.
		{Time: uitest.Epoch.Add(time.Hour), Stream: "stdout", Data: []byte("cpu: later")},
	}
	m := newModel(t, f, 80, 12, false)
	cmd := m.OpenMerged([]string{"demo-log", "demo-cpu"})
	t.Cleanup(m.Close)
	deliver(t, m, cmd, func() bool { return m.buf.len() >= 6 })
	var got []string
	for seq := m.buf.first(); seq <= m.buf.last(); seq++ {
		l := m.buf.get(seq)
		got = append(got, m.labels[l.src]+": "+l.text)
	}
	want := "demo-log: GET /index.html served in 3ms|demo-cpu: cpu: first|demo-log: warning: slow client 10.0.0.7|" +
		"demo-log: GET /api/items served in 12ms|demo-cpu: cpu: \\x1b[31mlast|demo-cpu: cpu: later"
	if g := strings.Join(got, "|"); g != want {
		t.Fatalf("merged\n%s\nwant\n%s", g, want)
	}
	v := m.View()
	checkSize(t, v, 80, 12)
	uitest.Golden(t, "logs-merged-80x12", uitest.Strip(v))
	if m.exportName() != "merged-"+uitest.Epoch.Format("20060102-150405")+".log" {
		t.Errorf("export name %q", m.exportName())
	}
	// Each container keeps its colour, whatever the order it was asked in.
	c1 := m.colors[0].Render("x")
	m.OpenMerged([]string{"demo-cpu", "demo-log"})
	if m.colors[1].Render("x") != c1 {
		t.Error("demo-log changed colour with the order")
	}
}

func TestMergedExport(t *testing.T) {
	f := uitest.New()
	m := newModel(t, f, 80, 12, false)
	cmd := m.OpenMerged([]string{"demo-log", uitest.ExtRedis})
	t.Cleanup(m.Close)
	deliver(t, m, cmd, func() bool { return m.buf.len() >= 4 })
	path := filepath.Join(t.TempDir(), "m.log")
	press(m, "x")
	m.prompt.SetValue(path)
	runCmd(t, m.Update(keyMsg("enter")))
	b, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(b), m.labels[1]+" | Ready") {
		t.Fatalf("merged export %q", b)
	}
}
