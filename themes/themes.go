// Package themes holds berth's palettes: the built-in ones (dark, light,
// high-contrast, no-color), embedded in the binary, and user themes read
// from $XDG_CONFIG_HOME/berth/themes/*.yaml.
//
// A theme is a palette, nothing more: which colour each part of the UI
// uses. The UI turns a palette into its styles; this package only says
// what the colours are, and refuses a theme file with an unknown key or a
// colour it cannot parse, naming the file and the line, before anything
// is drawn.
package themes

import (
	"embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"berth/host/statefile"

	"go.yaml.in/yaml/v3"
)

// Color is a terminal colour: "#rrggbb", "#rgb", an ANSI 256-colour index
// ("0" to "255"), or "" for none (the terminal's own colour).
type Color string

// Palette is one theme: a colour for each role. State is never shown by
// colour alone; these only reinforce words and symbols.
type Palette struct {
	Name string

	Text   Color
	Muted  Color
	Accent Color
	Border Color
	Title  Color
	// SelectedFg and SelectedBg mark the cursor row; with both empty the
	// UI uses reverse video.
	SelectedFg Color
	SelectedBg Color
	Marked     Color

	Running Color
	Paused  Color
	Stopped Color
	Unknown Color
	Created Color

	OK      Color
	Warning Color
	Error   Color

	CPU    Color
	Memory Color
	Pids   Color
	IO     Color
	Net    Color
}

// Built-in theme names, in the order the UI cycles through them.
const (
	Dark         = "dark"
	Light        = "light"
	HighContrast = "high-contrast"
	NoColor      = "no-color"
)

// BuiltinNames lists the built-in themes in cycling order.
var BuiltinNames = []string{Dark, Light, HighContrast, NoColor}

//go:embed builtin/*.yaml
var builtin embed.FS

// ErrUnknownTheme is returned for a name that is neither built in nor a
// file in the user's theme directory.
var ErrUnknownTheme = errors.New("unknown theme")

// ConfigHome is berth's config directory: $XDG_CONFIG_HOME/berth, or
// ~/.config/berth ("" when neither can be found).
func ConfigHome() string {
	base := os.Getenv("XDG_CONFIG_HOME")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		base = filepath.Join(home, ".config")
	}
	return filepath.Join(base, "berth")
}

// UserDir is where user themes live: ConfigHome()/themes.
func UserDir() string {
	if h := ConfigHome(); h != "" {
		return filepath.Join(h, "themes")
	}
	return ""
}

// Resolve picks the theme to start with: the no-colour one whenever
// NO_COLOR is set to anything non-empty (no-color.org), else name, else
// dark.
func Resolve(name, userDir string) (Palette, error) {
	if os.Getenv("NO_COLOR") != "" {
		name = NoColor
	}
	if name == "" {
		name = Dark
	}
	return Load(name, userDir)
}

// Load returns a built-in theme or the user theme <userDir>/<name>.yaml. A
// user theme may override a built-in's name.
func Load(name, userDir string) (Palette, error) {
	if !validName(name) {
		return Palette{}, fmt.Errorf("theme %q: %w (names are letters, digits and - _)", name, ErrUnknownTheme)
	}
	if userDir != "" {
		path := filepath.Join(userDir, name+".yaml")
		if _, err := os.Stat(path); err == nil {
			return LoadFile(path)
		}
	}
	b, err := builtin.ReadFile("builtin/" + name + ".yaml")
	if err != nil {
		return Palette{}, fmt.Errorf("theme %q: %w (built in: %s; yours go in %s)", name, ErrUnknownTheme,
			strings.Join(BuiltinNames, ", "), userDir)
	}
	p, err := parse("builtin/"+name+".yaml", b)
	p.Name = name
	return p, err
}

// Names lists every theme: the built-ins, then the user's files.
func Names(userDir string) []string {
	names := append([]string(nil), BuiltinNames...)
	seen := map[string]bool{}
	for _, n := range names {
		seen[n] = true
	}
	files, _ := filepath.Glob(filepath.Join(userDir, "*.yaml"))
	sort.Strings(files)
	for _, f := range files {
		n := strings.TrimSuffix(filepath.Base(f), ".yaml")
		if validName(n) && !seen[n] {
			names = append(names, n)
			seen[n] = true
		}
	}
	return names
}

// validName reports whether name can be a theme's: a letter or digit,
// then up to 63 letters, digits, '_' or '-'. (Checked by hand: a regexp
// compiled at package init costs every berth command its start.)
func validName(name string) bool {
	if name == "" || len(name) > 64 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		alnum := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
		if !alnum && (i == 0 || c != '_' && c != '-') {
			return false
		}
	}
	return true
}

// maxThemeFile bounds a theme file; real ones are a few hundred bytes.
const maxThemeFile = 64 << 10

// LoadFile reads a user theme, by the config file's rule (a link is
// followed to a regular file of bounded size, never a device or a FIFO). Keys it does not set keep the dark theme's
// colours (or, with "inherits: NAME", another built-in's).
func LoadFile(path string) (Palette, error) {
	b, err := statefile.ReadFollow(path, maxThemeFile)
	if err != nil {
		return Palette{}, err
	}
	p, err := parse(path, b)
	p.Name = strings.TrimSuffix(filepath.Base(path), ".yaml")
	return p, err
}

// parse decodes a theme, refusing unknown keys and bad colours with the
// file and line.
func parse(file string, b []byte) (Palette, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return Palette{}, fmt.Errorf("%s: %v", file, err)
	}
	if len(doc.Content) == 0 {
		return Palette{}, fmt.Errorf("%s: empty theme", file)
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return Palette{}, fmt.Errorf("%s:%d: a theme is a mapping of role: colour", file, root.Line)
	}
	base := Dark
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "inherits" {
			base = root.Content[i+1].Value
			if !contains(BuiltinNames, base) {
				return Palette{}, fmt.Errorf("%s:%d: inherits %q: not a built-in theme (%s)", file, root.Content[i+1].Line,
					base, strings.Join(BuiltinNames, ", "))
			}
		}
	}
	var p Palette
	if !strings.HasPrefix(file, "builtin/") {
		bb, _ := builtin.ReadFile("builtin/" + base + ".yaml")
		var err error
		if p, err = parse("builtin/"+base+".yaml", bb); err != nil {
			return Palette{}, err
		}
	}
	fields := roleFields(&p)
	seen := map[string]int{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Value == "inherits" {
			continue
		}
		dst, ok := fields[k.Value]
		if !ok {
			return Palette{}, fmt.Errorf("%s:%d: unknown key %q (known: inherits, %s)", file, k.Line, k.Value, strings.Join(Roles(), ", "))
		}
		if line, dup := seen[k.Value]; dup {
			return Palette{}, fmt.Errorf("%s:%d: %s is set twice (first on line %d)", file, k.Line, k.Value, line)
		}
		seen[k.Value] = k.Line
		if v.Kind != yaml.ScalarNode {
			return Palette{}, fmt.Errorf("%s:%d: %s: a colour is a string", file, v.Line, k.Value)
		}
		c, err := ParseColor(v.Value)
		if err != nil {
			return Palette{}, fmt.Errorf("%s:%d: %s: %v", file, v.Line, k.Value, err)
		}
		*dst = c
	}
	return p, nil
}

// ParseColor checks a colour: "#rrggbb", "#rgb", "0"-"255", or "".
func ParseColor(s string) (Color, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", nil
	case strings.HasPrefix(s, "#"):
		hex := s[1:]
		if (len(hex) == 6 || len(hex) == 3) && isHex(hex) {
			return Color(strings.ToLower(s)), nil
		}
	default:
		if n, err := strconv.Atoi(s); err == nil && n >= 0 && n <= 255 {
			return Color(s), nil
		}
	}
	return "", fmt.Errorf("bad colour %q (want #rrggbb, #rgb or an ANSI index 0-255)", s)
}

func isHex(s string) bool {
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r >= 'A' && r <= 'F') {
			return false
		}
	}
	return true
}

// Roles lists the keys a theme file may set, in file order.
func Roles() []string {
	var p Palette
	return roleOrder(&p)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
