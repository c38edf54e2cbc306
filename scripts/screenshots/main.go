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
	{"logs", []string{"down", "enter", "4", "t", "/", "a", "p", "i", "enter"}}, // demo-log: the chatty one, searched
	{"checkpoints", []string{"enter", "5"}},                                    // demo-cpu has checkpoints
	{"container-events", []string{"down", "down", "enter", "6"}},               // demo-mem: OOM kills
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
	f.LogLines["demo-log"] = chattyLog(40)
	m := ui.New(ui.Options{
		Core: f, Theme: palette, ThemeDir: "", ThemeNames: themes.BuiltinNames,
		Renderer: r, TerminalFd: -1, Refresh: time.Millisecond,
		Now: func() time.Time { return uitest.Epoch },
	})
	defer m.Close()
	m.Update(tea.WindowSizeMsg{Width: cols, Height: rows})
	uitest.Feed(m, m.Init(), isTick)
	// The model's store is its own: give it the minute of history
	// uitest.FillHistory gives the tests' stores, as sweeps of stats.
	for _, sweep := range uitest.HistorySweeps(f.Containers, f, 60) {
		_, cmd := m.Update(common.StatsMsg{Stats: sweep, Time: sweep[0].Time})
		uitest.Feed(m, cmd, isTick)
	}
	for _, k := range keys {
		_, cmd := m.Update(uitest.Key(k))
		uitest.Feed(m, cmd, isTick)
	}
	return m.View(), nil
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

// chattyLog is n lines of what the demo's logger prints, a warning on
// stderr now and then, ending at uitest.Epoch.
func chattyLog(n int) []core.LogLine {
	paths := []string{"/index.html", "/api/items", "/static/app.js", "/api/items/42", "/healthz"}
	var out []core.LogLine
	for i := range n {
		at := uitest.Epoch.Add(time.Duration(i-n) * 200 * time.Millisecond)
		l := core.LogLine{Time: at, Stream: "stdout",
			Data: fmt.Appendf(nil, "GET %s served in %dms (request %d)", paths[i%len(paths)], 2+i*7%40, 1000+i)}
		if i%9 == 4 {
			l.Stream, l.Data = "stderr", fmt.Appendf(nil, "warning: slow client 10.0.0.%d took %dms", 7+i%5, 300+i*13%200)
		}
		out = append(out, l)
	}
	return out
}
