package cli

import (
	"errors"
	"fmt"
	"os"
	"runtime/pprof"
	"time"

	"berth/themes"
	"berth/ui"
	"berth/ui/common"

	"github.com/spf13/cobra"
)

// tuiFlags are the flags of the terminal UI.
type tuiFlags struct {
	theme   string
	config  string
	refresh time.Duration
	noMouse bool
}

func addTUIFlags(root *cobra.Command, f *tuiFlags) {
	pf := root.PersistentFlags()
	pf.StringVar(&f.theme, "theme", "", "UI theme: dark, light, high-contrast, no-color or a file in $XDG_CONFIG_HOME/berth/themes")
	pf.StringVar(&f.config, "config", "", "UI config file (default $XDG_CONFIG_HOME/berth/config.yaml)")
	pf.DurationVar(&f.refresh, "refresh", 0, "UI stats refresh interval (default 1s)")
	pf.BoolVar(&f.noMouse, "no-mouse", false, "UI: no mouse reports, so the terminal selects text as usual (config: mouse: false)")
}

// openUI runs the terminal UI until the operator quits or the terminal
// goes away. Config, theme and keys are checked before anything is drawn,
// so a bad file is one clear line on a normal screen.
func openUI(cmd *cobra.Command, g *globals, f *tuiFlags) error {
	if !isTerminal(g.stdout) || !isTerminal(os.Stdin) {
		return usagef("the terminal UI needs a terminal; for scripts use berth ps, berth events --json and the other commands")
	}
	path, optional := f.config, false
	if path == "" {
		path, optional = common.ConfigPath(), true
	}
	cfg, err := common.LoadConfig(path, optional)
	if err != nil {
		return usageError{err}
	}
	name := f.theme
	if name == "" {
		name = cfg.Theme
	}
	dir := themes.UserDir()
	palette, err := themes.Resolve(name, dir)
	if err != nil {
		return usageError{err}
	}
	refresh := f.refresh
	if refresh == 0 {
		refresh = cfg.Refresh
	}
	if refresh != 0 && (refresh < 100*time.Millisecond || refresh > time.Hour) {
		return usagef("--refresh %s: give 100ms to 1h", refresh)
	}
	g.inUI = true
	m, err := g.manager(cmd.Context())
	if err != nil {
		return err
	}
	stop, err := startCPUProfile(os.Getenv("BERTH_CPUPROFILE"))
	if err != nil {
		return err
	}
	defer stop()
	var clip ui.Clipboard
	if cfg.Clipboard {
		clip = ui.TerminalClipboard()
	}
	err = ui.Run(cmd.Context(), ui.Options{Core: m, Theme: palette, ThemeDir: dir, ThemeNames: themes.Names(dir), Keys: cfg.KeyMap, Refresh: refresh,
		Notices: rootWarnings(m), Clipboard: clip, Mouse: cfg.Mouse && !f.noMouse})
	if errors.Is(err, cmd.Context().Err()) {
		return nil
	}
	return err
}

// startCPUProfile writes a CPU profile of the UI to path until stop is
// called: a hidden aid for measuring the UI's own cost on a real host
// (BERTH_CPUPROFILE=FILE berth). An empty path profiles nothing.
func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
