// Command screenshots renders every screen of berth's terminal UI, and each
// built-in theme's container list, to PNG files: the real root model
// (berth/ui) over the in-memory fake core (berth/ui/uitest), driven by
// key messages, its View fed to a terminal emulator and rasterised.
//
//	go run ./scripts/screenshots [-out screenshots]
//
// The output is deterministic: a fixed clock, a fixed size, fixed data.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"berth/core"
	"berth/themes"
	"berth/ui"
	"berth/ui/common"
	"berth/ui/uitest"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

const cols, rows = 120, 36

// screens are the dark theme's shots: a fresh model each, these keys
// pressed from the container list.
var screens = []struct {
	name string
	keys []string
}{
	{"list", nil},
	{"overview", []string{"enter"}},
	{"processes", []string{"enter", "2"}},
	{"stats", []string{"enter", "3"}},
	{"logs", []string{"down", "enter", "4"}},                     // demo-log: the chatty one
	{"checkpoints", []string{"enter", "5"}},                      // demo-cpu has checkpoints
	{"container-events", []string{"down", "down", "enter", "6"}}, // demo-mem: OOM kills
	{"events", []string{"E"}},
	{"help", []string{"?"}},
	{"palette", []string{":"}},
	{"signal-menu", []string{"k"}},
	{"confirm-kill", []string{"k", "1"}},
	{"confirm-delete", []string{" ", " ", "d"}},
	{"update-form", []string{"u"}},
	{"checkpoint-form", []string{"c"}},
}

func main() {
	out := flag.String("out", "screenshots", "output directory")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "screenshots:", err)
		os.Exit(1)
	}
}

func run(out string) error {
	// Times on screen in one zone wherever this runs.
	time.Local = time.UTC
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	shoot := func(name, theme string, keys []string) error {
		frame, err := capture(theme, keys)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		term := DarkTheme
		if theme == themes.Light {
			term = LightTheme
		}
		path := filepath.Join(out, name+".png")
		if err := renderPNG(frame, cols, rows, term, path); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		fmt.Println(path)
		return nil
	}
	for _, s := range screens {
		if err := shoot(s.name, themes.Dark, s.keys); err != nil {
			return err
		}
	}
	for _, name := range themes.BuiltinNames {
		if err := shoot("list-"+name, name, nil); err != nil {
			return err
		}
	}
	return nil
}

// capture builds the root model over a fresh fake in the named theme,
// lets it load (containers, events, a minute of stats), presses keys and
// returns its View.
func capture(theme string, keys []string) (string, error) {
	palette, err := themes.Load(theme, "")
	if err != nil {
		return "", err
	}
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.TrueColor)
	r.SetHasDarkBackground(theme != themes.Light)

	f := uitest.New()
	m := ui.New(ui.Options{
		Core: f, Theme: palette, ThemeDir: "", ThemeNames: themes.BuiltinNames,
		Renderer: r, TerminalFd: -1, Refresh: time.Millisecond,
		Now: func() time.Time { return uitest.Epoch },
	})
	defer m.Close()
	m.Update(tea.WindowSizeMsg{Width: cols, Height: rows})
	feed(m, m.Init())
	// The model's store is its own: give it the minute of history
	// uitest.FillHistory gives the tests' stores, as sweeps of stats.
	for _, msg := range historySweeps(f, 60) {
		_, cmd := m.Update(msg)
		feed(m, cmd)
	}
	for _, k := range keys {
		_, cmd := m.Update(uitest.Key(k))
		feed(m, cmd)
	}
	return m.View(), nil
}

// feed runs cmd and feeds the messages it produces back into the model,
// as the program would, dropping clock ticks so it ends.
func feed(m tea.Model, cmd tea.Cmd) {
	queue := uitest.Run(cmd)
	for i := 0; len(queue) > 0 && i < 200; i++ {
		msg := queue[0]
		queue = queue[1:]
		if isTick(msg) {
			continue
		}
		_, c := m.Update(msg)
		queue = append(queue, uitest.Run(c)...)
	}
}

// isTick reports a refresh tick (the root's unexported ui.tickMsg) or a
// bubbles tick (spinner, cursor blink).
func isTick(msg tea.Msg) bool {
	switch fmt.Sprintf("%T", msg) {
	case "ui.tickMsg", "spinner.TickMsg", "cursor.BlinkMsg", "cursor.initialBlinkMsg", "stopwatch.TickMsg", "timer.TickMsg":
		return true
	}
	return false
}

// cpuLevels mirrors uitest's: the fixtures' typical CPU use, in percent
// of one CPU.
var cpuLevels = map[string]float64{"demo-cpu": 48, "demo-mem": 14, "demo-log": 3.5, "ext-redis": 1.2}

// historySweeps returns n+1 stats sweeps, a second apart and ending at
// uitest.Epoch, the same samples uitest.FillHistory puts in a store: CPU
// use wavers around each container's level, memory ramps up.
func historySweeps(f *uitest.Fake, n int) []common.StatsMsg {
	cpu := map[string]uint64{}
	var out []common.StatsMsg
	for i := 0; i <= n; i++ {
		at := uitest.Epoch.Add(time.Duration(i-n) * time.Second)
		var sweep []core.Stats
		for j, c := range f.Containers {
			base, ok := f.Stats[c.ID]
			if !ok || !c.Running() {
				continue
			}
			st := base
			st.ID, st.Time = c.ID, at
			if c.Status == core.StatusRunning {
				wave := float64((i*7+j*3)%9)/9*0.8 + 0.6
				cpu[c.ID] += uint64(cpuLevels[c.ID] * wave * 1e7)
			}
			st.CPUUsage = cpu[c.ID]
			st.MemoryUsage = base.MemoryUsage*3/4 + base.MemoryUsage/4*uint64(i)/uint64(max(n, 1))
			st.IORead = uint64(i) * 4096 * uint64(j+1)
			st.IOWrite = base.IOWrite * uint64(i)
			st.NetRx = uint64(i) * 1500 * uint64(j+1)
			st.NetTx = uint64(i) * 900
			sweep = append(sweep, st)
		}
		out = append(out, common.StatsMsg{Stats: sweep, Time: at})
	}
	return out
}
