package uitest

import (
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"berth/core"
	"berth/themes"
	"berth/ui/common"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
)

func init() {
	// Goldens show times: render them in one zone wherever tests run.
	time.Local = time.UTC
}

// update rewrites golden files instead of comparing: go test ./ui/... -update
var update = flag.Bool("update", false, "rewrite golden files")

// Renderer is a lipgloss renderer with a fixed colour profile: plain
// (Ascii) for the stripped goldens, TrueColor for the coloured ones.
func Renderer(color bool) *lipgloss.Renderer {
	r := lipgloss.NewRenderer(io.Discard)
	if color {
		r.SetColorProfile(termenv.TrueColor)
	} else {
		r.SetColorProfile(termenv.Ascii)
	}
	r.SetHasDarkBackground(true)
	return r
}

// NewCommon is a Common over the fake at size w x h in the named theme,
// its store filled from the fake: the containers, and a minute of stats
// history ending at Epoch in which each container's CPU and memory move.
func NewCommon(t testing.TB, f *Fake, w, h int, theme string, color bool) *common.Common {
	t.Helper()
	p, err := themes.Load(theme, "")
	if err != nil {
		t.Fatal(err)
	}
	c := &common.Common{
		Ctx: t.Context(), Core: f, Store: common.NewStore(), Styles: common.NewStyles(p, Renderer(color)),
		Keys: common.DefaultKeyMap(), Width: w, Height: h, Now: Epoch,
	}
	cs, _ := f.List(context.Background())
	c.Store.SetContainers(cs)
	FillHistory(c.Store, f, 60)
	FillHost(c.Store, f)
	c.Store.AddEvents(f.Journal)
	return c
}

// FillHost gives the store two readings of the fake's host, so its
// header shows the CPU figure as well as memory and load.
func FillHost(s *common.Store, f *Fake) {
	for range 2 {
		if h, err := f.HostStats(); err == nil {
			s.SetHost(h)
		}
	}
}

// cpuLevels are the fixtures' typical CPU use, in percent of one CPU.
var cpuLevels = map[string]float64{"demo-cpu": 48, "demo-mem": 14, "demo-log": 3.5, "ext-redis": 1.2}

// FillHistory adds n seconds of samples ending at Epoch for every running
// fixture (see HistorySweeps).
func FillHistory(s *common.Store, f *Fake, n int) {
	for _, sweep := range HistorySweeps(s.Containers, f, n) {
		s.AddStats(sweep)
	}
}

// HistorySweeps are n+1 sweeps of stats of the running containers among
// cs, a second apart and ending at Epoch: CPU use wavers around each
// container's level, memory ramps up, so graphs and sparklines have a
// shape. The screenshots feed them to a root model as stats messages.
func HistorySweeps(cs []core.Container, f *Fake, n int) [][]core.Stats {
	cpu := map[string]uint64{}
	var out [][]core.Stats
	for i := 0; i <= n; i++ {
		at := Epoch.Add(time.Duration(i-n) * time.Second)
		var sweep []core.Stats
		for j, c := range cs {
			base, ok := f.Stats[c.ID]
			if !ok || !c.Running() {
				continue
			}
			st := base
			st.ID, st.Root, st.Time = c.ID, statsRoot(c), at
			if c.Status == core.StatusRunning {
				// A deterministic waver: +-40% on a 9-second cycle.
				wave := float64((i*7+j*3)%9)/9*0.8 + 0.6
				cpu[c.ID] += uint64(cpuLevels[c.ID] * wave * 1e7)
			}
			st.CPUUsage = cpu[c.ID]
			st.MemoryUsage = base.MemoryUsage*3/4 + base.MemoryUsage/4*uint64(i)/uint64(max(n, 1))
			st.IORead = uint64(i) * 4096 * uint64(j+1)
			st.IOWrite = base.IOWrite * uint64(i)
			if !base.NetHost {
				st.NetRx = uint64(i) * 1500 * uint64(j+1)
				st.NetTx = uint64(i) * 900
			}
			sweep = append(sweep, st)
		}
		out = append(out, sweep)
	}
	return out
}

// Feed runs cmd and feeds the messages it produces back into m, as the
// program would, until none are left; skip drops messages that would
// never end (clock ticks).
func Feed(m tea.Model, cmd tea.Cmd, skip func(tea.Msg) bool) {
	queue := Run(cmd)
	for i := 0; len(queue) > 0 && i < 200; i++ {
		msg := queue[0]
		queue = queue[1:]
		if skip(msg) {
			continue
		}
		_, c := m.Update(msg)
		queue = append(queue, Run(c)...)
	}
}

// Strip removes ANSI sequences, for plain goldens.
func Strip(s string) string { return ansi.Strip(s) }

// Golden compares got with testdata/golden/<name>.golden at the
// repository's root, or rewrites it with -update.
func Golden(t testing.TB, name, got string) {
	t.Helper()
	path := filepath.Join(root(t), "testdata", "golden", name+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./ui/... -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from its golden file %s (rerun with -update if the change is intended)\n--- got:\n%s\n--- want:\n%s", name, path, got, want)
	}
}

func root(t testing.TB) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test")
		}
		dir = parent
	}
}

// Run runs cmd and every command it batches or sequences, each with a
// timeout (a command that blocks, such as a follow, is abandoned), and
// returns the messages they produced.
func Run(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	ch := make(chan tea.Msg, 1)
	go func() { ch <- cmd() }()
	var msg tea.Msg
	select {
	case msg = <-ch:
	case <-time.After(500 * time.Millisecond):
		return nil
	}
	if msg == nil {
		return nil
	}
	// A batch (tea.BatchMsg) or a sequence (bubbletea's unexported
	// sequenceMsg): both are lists of commands, run here in order.
	if v := reflect.ValueOf(msg); v.Kind() == reflect.Slice && v.Type().Elem() == reflect.TypeFor[tea.Cmd]() {
		var out []tea.Msg
		for i := range v.Len() {
			out = append(out, Run(v.Index(i).Interface().(tea.Cmd))...)
		}
		return out
	}
	return []tea.Msg{msg}
}

// Key is the key message for a key's name as bubbletea spells it
// ("enter", "esc", "tab", "down", " ", "ctrl+c", or runes like "p").
func Key(s string) tea.KeyMsg {
	for t, name := range keyNames {
		if name == s {
			return tea.KeyMsg{Type: t}
		}
	}
	if s == " " {
		return tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)}
}

var keyNames = map[tea.KeyType]string{
	tea.KeyEnter: "enter", tea.KeyEsc: "esc", tea.KeyTab: "tab", tea.KeyShiftTab: "shift+tab",
	tea.KeyUp: "up", tea.KeyDown: "down", tea.KeyLeft: "left", tea.KeyRight: "right",
	tea.KeyPgUp: "pgup", tea.KeyPgDown: "pgdown", tea.KeyHome: "home", tea.KeyEnd: "end",
	tea.KeyCtrlC: "ctrl+c", tea.KeyBackspace: "backspace", tea.KeyF6: "f6",
}

// Page is a page with a back key of its own (a filter to clear).
type Page interface {
	common.Page
	common.Backer
}

// Filter opens p's filter prompt with /, types typed, then presses enter
// when enter is set, or esc (which the root hands to Back) when esc is.
func Filter(p Page, typed string, enter, esc bool) {
	p.Update(Key("/"))
	for _, r := range typed {
		p.Update(Key(string(r)))
	}
	if enter {
		p.Update(Key("enter"))
	}
	if esc {
		p.Back()
	}
}

// EveryWidth draws p at every width from 0 to 90 cells, plain, with the
// prompt open on typed, and filtered: none may panic.
func EveryWidth(c *common.Common, p Page, typed string) {
	for w := 0; w <= 90; w++ {
		c.Width = w
		_ = p.View()
		Filter(p, typed, false, false)
		_ = p.View()
		p.Update(Key("enter"))
		_ = p.View()
		p.Back()
	}
}

// BadFilter types a regexp that does not compile into p's filter prompt
// and presses enter: the prompt must stay open saying why, the rows stay
// as they were, and esc must close it. Every table meets it the same way.
func BadFilter(t testing.TB, p Page) {
	t.Helper()
	before := Strip(p.View())
	Filter(p, "a(", true, false)
	v := Strip(p.View())
	if !p.Capturing() || !strings.Contains(v, "bad regexp: missing closing ): `a(`") {
		t.Errorf("a bad regexp: capturing %v, view:\n%s", p.Capturing(), v)
	}
	if p.Back(); p.Capturing() || Strip(p.View()) != before {
		t.Errorf("esc after a bad regexp did not put the view back:\n%s\nwant:\n%s", Strip(p.View()), before)
	}
}

// PromptShown opens p's filter prompt on a page with no rows and types
// into it: the prompt must show what is typed (keys are never taken
// unseen), and esc must close it.
func PromptShown(t testing.TB, p Page) {
	t.Helper()
	Filter(p, "zq", false, false)
	if v := Strip(p.View()); !p.Capturing() || !strings.Contains(v, "/zq") {
		t.Errorf("the prompt does not show what is typed (capturing %v):\n%s", p.Capturing(), v)
	}
	if p.Back(); p.Capturing() {
		t.Error("esc left the prompt open")
	}
}
