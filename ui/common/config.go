package common

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"berth/host/statefile"
	"berth/themes"

	"go.yaml.in/yaml/v3"
)

// Config is the user's config file: the theme to start with, the refresh
// interval, a keymap preset, the mouse and the clipboard, and key
// remappings. Flags override it.
type Config struct {
	Theme   string
	Refresh time.Duration
	// Keymap is the preset named (see KeyPresets), "" for none.
	Keymap string
	// Mouse turns on mouse reports (default on): a click selects, the
	// wheel scrolls; off, the terminal selects text as usual.
	Mouse bool
	// Clipboard lets the copy key set the terminal's clipboard through
	// OSC 52 (default on).
	Clipboard bool
	// Keys maps a binding's name (see KeyMap.Named) to its new keys;
	// KeyMap is the default key map with the preset, then them, applied.
	Keys   map[string][]string
	KeyMap *KeyMap
}

// ConfigPath is $XDG_CONFIG_HOME/berth/config.yaml (or ~/.config/...).
func ConfigPath() string {
	if h := themes.ConfigHome(); h != "" {
		return filepath.Join(h, "config.yaml")
	}
	return ""
}

// LoadConfig reads a config file; a missing file is an empty config when
// optional. Every error names the file and line. The file is read as
// berth reads its state files (statefile.ReadFollow): it may be a symlink,
// but it must end at a regular file of bounded size, so a link to a device
// or a FIFO is refused before the UI draws instead of read forever.
func LoadConfig(path string, optional bool) (Config, error) {
	cfg := Config{KeyMap: DefaultKeyMap(), Mouse: true, Clipboard: true}
	var lines map[string]int
	b, err := statefile.ReadFollow(path, statefile.MaxSize)
	if err != nil {
		if optional && errors.Is(err, os.ErrNotExist) {
			return cfg, nil
		}
		return cfg, fmt.Errorf("config: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return cfg, fmt.Errorf("%s: %s", path, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if len(doc.Content) == 0 {
		return cfg, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return cfg, fmt.Errorf("%s:%d: the config is a mapping (theme:, refresh:, keymap:, mouse:, clipboard:, keys:)", path, root.Line)
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		at := fmt.Sprintf("%s:%d", path, k.Line)
		switch k.Value {
		case "theme":
			if v.Kind != yaml.ScalarNode {
				return cfg, fmt.Errorf("%s: theme is a name", at)
			}
			cfg.Theme = v.Value
		case "refresh":
			d, err := time.ParseDuration(v.Value)
			if err != nil || d < 100*time.Millisecond || d > time.Hour {
				return cfg, fmt.Errorf("%s: refresh %q: give a duration from 100ms to 1h, like 1s or 500ms", at, v.Value)
			}
			cfg.Refresh = d
		case "keymap":
			if v.Kind != yaml.ScalarNode {
				return cfg, fmt.Errorf("%s: keymap is a preset's name (%s)", at, presetNames())
			}
			if _, ok := KeyPresets[v.Value]; !ok {
				return cfg, fmt.Errorf("%s: unknown keymap %q (known: %s)", at, v.Value, presetNames())
			}
			cfg.Keymap = v.Value
		case "mouse", "clipboard":
			var on bool
			if v.Kind != yaml.ScalarNode || v.Decode(&on) != nil {
				return cfg, fmt.Errorf("%s: %s %q: give true or false", at, k.Value, v.Value)
			}
			if k.Value == "mouse" {
				cfg.Mouse = on
			} else {
				cfg.Clipboard = on
			}
		case "keys":
			keys, l, err := parseKeys(path, v)
			if err != nil {
				return cfg, err
			}
			cfg.Keys, lines = keys, l
		default:
			return cfg, fmt.Errorf("%s: unknown setting %q (known: theme, refresh, keymap, mouse, clipboard, keys)", at, k.Value)
		}
	}
	// The preset first, so the file's own keys: win over it; a preset
	// never conflicts with itself (a test checks each).
	if err := cfg.KeyMap.ApplyPreset(cfg.Keymap); err != nil {
		return cfg, fmt.Errorf("%s: keymap %s: %w", path, cfg.Keymap, err)
	}
	var conflict *KeyConflict
	if err := cfg.KeyMap.Apply(cfg.Keys); errors.As(err, &conflict) {
		return cfg, fmt.Errorf("%s:%d: %w", path, lines[conflict.Name], err)
	}
	return cfg, nil
}

// KeyPresets are the keymaps the config's keymap: setting names, each a
// remapping applied before the file's own keys:. "vim" moves with j and k
// (and ctrl+d, ctrl+u a page; g and G are berth's own already), so kill
// moves from k to K.
var KeyPresets = map[string]map[string][]string{
	"default": {},
	"vim": {
		"up":        {"k", "up", "ctrl+p"},
		"down":      {"j", "down", "ctrl+n"},
		"page-up":   {"ctrl+u", "pgup", "ctrl+b"},
		"page-down": {"ctrl+d", "pgdown", "ctrl+f"},
		"top":       {"g", "home"},
		"bottom":    {"G", "end"},
		"kill":      {"K"},
	},
}

// presetNames lists the presets, for errors.
func presetNames() string {
	names := make([]string, 0, len(KeyPresets))
	for n := range KeyPresets {
		names = append(names, n)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// ApplyPreset remaps the bindings the named preset (see KeyPresets)
// names; "" and "default" change nothing.
func (k *KeyMap) ApplyPreset(name string) error {
	p, ok := KeyPresets[name]
	if !ok && name != "" {
		return fmt.Errorf("unknown keymap %q (known: %s)", name, presetNames())
	}
	keys := map[string][]string{}
	for n, ks := range p {
		keys[n] = slices.Clone(ks) // Apply rewrites what it is given
	}
	return k.Apply(keys)
}

// parseKeys reads the keys: mapping, and where each remapping was
// written, for errors found later (conflicts).
func parseKeys(path string, n *yaml.Node) (map[string][]string, map[string]int, error) {
	if n.Kind != yaml.MappingNode {
		return nil, nil, fmt.Errorf("%s:%d: keys is a mapping of action to keys, like kill: K", path, n.Line)
	}
	names := map[string]bool{}
	for _, b := range DefaultKeyMap().Named() {
		names[b.Name] = true
	}
	out, lines := map[string][]string{}, map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		at := fmt.Sprintf("%s:%d", path, k.Line)
		if !names[k.Value] {
			return nil, nil, fmt.Errorf("%s: keys.%s: unknown action (see berth's README for the names)", at, k.Value)
		}
		var keys []string
		switch v.Kind {
		case yaml.ScalarNode:
			keys = []string{v.Value}
		case yaml.SequenceNode:
			for _, e := range v.Content {
				keys = append(keys, e.Value)
			}
		default:
			return nil, nil, fmt.Errorf("%s: keys.%s: give a key or a list of keys", at, k.Value)
		}
		if len(keys) == 0 {
			return nil, nil, fmt.Errorf("%s: keys.%s: give at least one key", at, k.Value)
		}
		for _, s := range keys {
			if err := validKey(s); err != nil {
				return nil, nil, fmt.Errorf("%s: keys.%s: %v", at, k.Value, err)
			}
		}
		out[k.Value] = keys
		lines[k.Value] = k.Line
	}
	return out, lines, nil
}

// validKey accepts what bubbletea names a key: one character, or a named
// key such as enter, f5, ctrl+x, alt+x, shift+tab.
func validKey(s string) error {
	if s == "" {
		return errors.New("an empty key")
	}
	if s == "ctrl+c" {
		return errors.New("ctrl+c always quits; it cannot be given to another action")
	}
	if len([]rune(s)) == 1 {
		return nil
	}
	if slices.Contains(namedKeys, s) {
		return nil
	}
	for _, p := range []string{"ctrl+", "alt+"} {
		if rest, ok := strings.CutPrefix(s, p); ok && (len([]rune(rest)) == 1 || slices.Contains(namedKeys, rest)) {
			return nil
		}
	}
	return fmt.Errorf("%q is not a key (one character, or enter, esc, tab, space, up, f1, ctrl+x, alt+x ...)", s)
}

var namedKeys = []string{"enter", "esc", "tab", "shift+tab", "backspace", "delete", "insert", "space", " ",
	"up", "down", "left", "right", "home", "end", "pgup", "pgdown", "shift+up", "shift+down", "shift+left", "shift+right",
	"f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8", "f9", "f10", "f11", "f12"}

// Apply remaps bindings by name and refuses a key used twice where both
// bindings are live at once.
func (k *KeyMap) Apply(keys map[string][]string) error {
	named := k.Named()
	for _, b := range named {
		if ks, ok := keys[b.Name]; ok {
			for i, s := range ks {
				if s == "space" {
					ks[i] = " "
				}
			}
			help := ks[0]
			if help == " " {
				help = "space"
			}
			b.Binding.SetKeys(ks...)
			b.Binding.SetHelp(help, b.Binding.Help().Desc)
		}
	}
	for i, a := range named {
		for _, b := range named[i+1:] {
			if !conflicts(a.Scope, b.Scope) {
				continue
			}
			for _, ka := range a.Binding.Keys() {
				if slices.Contains(b.Binding.Keys(), ka) {
					c := &KeyConflict{Name: a.Name, Other: b.Name, Key: ka}
					if _, ok := keys[b.Name]; ok {
						c.Name, c.Other = b.Name, a.Name
					}
					return c
				}
			}
		}
	}
	return nil
}

// KeyConflict is a remapping that gives a key to a binding while another
// binding live at the same time has it.
type KeyConflict struct {
	Name, Other, Key string
}

func (c *KeyConflict) Error() string {
	k := c.Key
	if k == " " {
		k = "space"
	}
	return fmt.Sprintf("keys.%s: %q is already %s's key", c.Name, k, c.Other)
}
