package common

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"golang.org/x/sys/unix"
)

func TestDefaultKeysDoNotConflict(t *testing.T) {
	if err := DefaultKeyMap().Apply(nil); err != nil {
		t.Fatal(err)
	}
}

func TestLoadConfig(t *testing.T) {
	tests := []struct {
		name, body, err string
	}{
		{"empty", "", ""},
		{"good", "theme: light\nrefresh: 2s\nkeys:\n  kill: K\n  pause: [P, f5]\n", ""},
		{"unknown setting", "theme: light\ncolour: red\n", "config.yaml:2: unknown setting \"colour\""},
		{"unknown action", "keys:\n  kil: K\n", "config.yaml:2: keys.kil: unknown action"},
		{"bad key", "keys:\n  quit:\n    - ctrl+\n", "config.yaml:2: keys.quit: \"ctrl+\" is not a key"},
		{"conflict", "keys:\n  help: X\n  kill: E\n", "config.yaml:3: keys.kill: \"E\" is already events's key"},
		{"no keys", "keys:\n  kill: []\n", "config.yaml:2: keys.kill: give at least one key"},
		{"ctrl+c", "keys:\n  kill: ctrl+c\n", "config.yaml:2: keys.kill: ctrl+c always quits"},
		{"start and restart remapped", "keys:\n  start: z\n  restart: [X, f7]\n", ""},
		{"restart on sort's key", "keys:\n  restart: s\n", "config.yaml:2: keys.restart: \"s\" is already sort's key"},
		{"list key on a tab", "keys:\n  sort: \"3\"\n", "config.yaml:2: keys.sort: \"3\" is already tab-3's key"},
		{"bad refresh", "refresh: fast\n", "config.yaml:1: refresh \"fast\""},
		{"bad mouse", "mouse: sometimes\n", "config.yaml:1: mouse \"sometimes\": give true or false"},
		{"bad clipboard", "clipboard: [a]\n", "config.yaml:1: clipboard \"\": give true or false"},
		{"not yaml", "keys: [\n", "config.yaml: "},
		{"not a mapping", "- a\n", "config.yaml:1: the config is a mapping"},
		{"vim preset", "keymap: vim\n", ""},
		{"vim preset and keys", "keymap: vim\nkeys:\n  kill: z\n", ""},
		{"unknown preset", "theme: light\nkeymap: vi\n", "config.yaml:2: unknown keymap \"vi\" (known: default, vim)"},
		{"preset not a name", "keymap: [vim]\n", "config.yaml:1: keymap is a preset's name"},
		{"keys against the preset", "keymap: vim\nkeys:\n  logs: j\n", "config.yaml:3: keys.logs: \"j\" is already down's key"},
		{"keys against the preset's kill", "keys:\n  up: K\nkeymap: vim\n", "config.yaml:2: keys.up: \"K\" is already kill's key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "config.yaml")
			os.WriteFile(path, []byte(tt.body), 0o644)
			cfg, err := LoadConfig(path, false)
			if tt.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %v, want one line containing %q", err, tt.err)
			}
			_ = cfg
		})
	}
}

// Every preset applies to the default keys without a conflict.
func TestPresetsDoNotConflict(t *testing.T) {
	for name := range KeyPresets {
		if err := DefaultKeyMap().ApplyPreset(name); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// The vim preset moves with j/k, ctrl+d/ctrl+u, g/G and kills with K;
// the file's own keys: go on top of it.
func TestVimPreset(t *testing.T) {
	load := func(body string) *KeyMap {
		t.Helper()
		path := filepath.Join(t.TempDir(), "config.yaml")
		os.WriteFile(path, []byte(body), 0o644)
		cfg, err := LoadConfig(path, false)
		if err != nil {
			t.Fatal(err)
		}
		return cfg.KeyMap
	}
	runes := func(s string) tea.KeyMsg { return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)} }
	k := load("keymap: vim\n")
	for _, c := range []struct {
		msg  tea.KeyMsg
		b    key.Binding
		name string
	}{
		{runes("j"), k.Down, "down"}, {runes("k"), k.Up, "up"}, {tea.KeyMsg{Type: tea.KeyDown}, k.Down, "down"},
		{tea.KeyMsg{Type: tea.KeyCtrlD}, k.PageDown, "page-down"}, {tea.KeyMsg{Type: tea.KeyCtrlU}, k.PageUp, "page-up"},
		{runes("g"), k.Top, "top"}, {runes("G"), k.Bottom, "bottom"}, {runes("K"), k.Kill, "kill"},
	} {
		if !key.Matches(c.msg, c.b) {
			t.Errorf("%s does not match %s", c.msg, c.name)
		}
	}
	if key.Matches(runes("k"), k.Kill) {
		t.Error("k still kills under vim")
	}
	if k.Kill.Help().Key != "K" || k.Down.Help().Key != "j" {
		t.Errorf("help shows kill %q, down %q", k.Kill.Help().Key, k.Down.Help().Key)
	}
	k = load("keymap: vim\nkeys:\n  kill: z\n")
	if !key.Matches(runes("z"), k.Kill) || key.Matches(runes("K"), k.Kill) || !key.Matches(runes("j"), k.Down) {
		t.Error("keys: do not go over the preset")
	}
	if k = load("keymap: default\n"); !key.Matches(runes("k"), k.Kill) {
		t.Error("the default preset moved kill")
	}
}

func TestRemap(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	os.WriteFile(path, []byte("refresh: 500ms\nkeys:\n  kill: K\n  mark: space\n"), 0o644)
	cfg, err := LoadConfig(path, false)
	if err != nil || cfg.Refresh != 500*time.Millisecond {
		t.Fatal(cfg, err)
	}
	k := DefaultKeyMap()
	if err := k.Apply(cfg.Keys); err != nil {
		t.Fatal(err)
	}
	K := tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("K")}
	if !key.Matches(K, k.Kill) || key.Matches(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("k")}, k.Kill) {
		t.Fatal("kill not remapped to K")
	}
	if !key.Matches(K, cfg.KeyMap.Kill) {
		t.Fatal("the config's key map lacks the remapping")
	}
	if k.Kill.Help().Key != "K" {
		t.Fatalf("help shows %q", k.Kill.Help().Key)
	}
	if cfg, err := LoadConfig(filepath.Join(t.TempDir(), "none.yaml"), true); err != nil || !cfg.Mouse || !cfg.Clipboard {
		t.Fatal("a missing optional config is an error, or turns the mouse or the clipboard off:", cfg, err)
	}
}

func TestMouseClipboardConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	os.WriteFile(path, []byte("mouse: false\nclipboard: false\n"), 0o644)
	cfg, err := LoadConfig(path, false)
	if err != nil || cfg.Mouse || cfg.Clipboard {
		t.Fatalf("%+v, %v", cfg, err)
	}
	os.WriteFile(path, []byte("theme: light\n"), 0o644)
	if cfg, err := LoadConfig(path, false); err != nil || !cfg.Mouse || !cfg.Clipboard {
		t.Fatalf("unset mouse and clipboard are not on: %+v, %v", cfg, err)
	}
}

// TestConfigNotRegular: a config that is a device, a FIFO, a directory or
// too big is refused at once, with one line naming the file, instead of
// growing memory without bound (/dev/zero) or blocking before the UI
// draws (a FIFO nobody writes). A symlink to a regular file (a dotfiles
// checkout) is followed.
func TestConfigNotRegular(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real.yaml")
	os.WriteFile(real, []byte("theme: light\n"), 0o644)
	link := filepath.Join(dir, "linked.yaml")
	os.Symlink(real, link)
	zero := filepath.Join(dir, "zero.yaml")
	os.Symlink("/dev/zero", zero)
	fifo := filepath.Join(dir, "fifo.yaml")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.yaml")
	os.WriteFile(big, []byte("theme: light\n"+strings.Repeat("# padding\n", 200<<10)), 0o644)
	sub := filepath.Join(dir, "dir.yaml")
	os.Mkdir(sub, 0o755)

	if cfg, err := LoadConfig(link, false); err != nil || cfg.Theme != "light" {
		t.Fatalf("a symlink to a regular config: %+v, %v", cfg, err)
	}
	for _, path := range []string{zero, fifo, big, sub} {
		done := make(chan error, 1)
		go func() { _, err := LoadConfig(path, true); done <- err }()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), path) || strings.Contains(err.Error(), "\n") {
				t.Errorf("LoadConfig(%s): %v; want one line naming the file", filepath.Base(path), err)
			}
		case <-time.After(2 * time.Second):
			t.Fatalf("LoadConfig(%s) still reading after 2s", filepath.Base(path))
		}
	}
}
