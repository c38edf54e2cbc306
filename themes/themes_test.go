package themes

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBuiltinsAreComplete(t *testing.T) {
	for _, name := range BuiltinNames {
		p, err := Load(name, "")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if p.Name != name {
			t.Errorf("%s: name %q", name, p.Name)
		}
		for key, c := range roleFields(&p) {
			if name == NoColor && *c != "" {
				t.Errorf("no-color sets %s to %q", key, *c)
			}
			if name != NoColor && *c == "" {
				t.Errorf("%s leaves %s unset", name, key)
			}
		}
	}
}

func TestResolveHonoursNoColor(t *testing.T) {
	t.Setenv("NO_COLOR", "1")
	if p, err := Resolve(Light, ""); err != nil || p.Name != NoColor {
		t.Fatalf("NO_COLOR=1: %+v %v", p.Name, err)
	}
	t.Setenv("NO_COLOR", "")
	if p, err := Resolve(Light, ""); err != nil || p.Name != Light {
		t.Fatalf("empty NO_COLOR: %+v %v", p.Name, err)
	}
	if p, err := Resolve("", ""); err != nil || p.Name != Dark {
		t.Fatalf("default: %+v %v", p.Name, err)
	}
}

func writeTheme(t *testing.T, dir, name, body string) string {
	t.Helper()
	path := filepath.Join(dir, name+".yaml")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestUserThemes(t *testing.T) {
	dir := t.TempDir()
	writeTheme(t, dir, "mine", "inherits: light\naccent: \"#FF0000\"\nrunning: 34\n")
	p, err := Load("mine", dir)
	if err != nil {
		t.Fatal(err)
	}
	light, _ := Load(Light, "")
	if p.Accent != "#ff0000" || p.Running != "34" || p.Text != light.Text || p.Name != "mine" {
		t.Fatalf("user theme %+v", p)
	}
	writeTheme(t, dir, "dark", "accent: \"1\"\n") // overrides the built-in
	if p, _ := Load(Dark, dir); p.Accent != "1" {
		t.Fatalf("user dark did not override: %+v", p)
	}
	if names := Names(dir); strings.Join(names, ",") != "dark,light,high-contrast,no-color,mine" {
		t.Fatalf("names %v", names)
	}
}

func TestBadThemesNameFileAndLine(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ name, body, want string }{
		{"unknownkey", "text: \"1\"\naccent: \"2\"\nbackgroud: \"3\"\n", "unknownkey.yaml:3: unknown key \"backgroud\""},
		{"badcolour", "text: \"1\"\naccent: \"#12345g\"\n", "badcolour.yaml:2: accent: bad colour \"#12345g\""},
		{"range", "ok: 256\n", "range.yaml:1: ok: bad colour \"256\""},
		{"twice", "ok: \"1\"\nok: \"2\"\n", "twice.yaml:2: ok is set twice (first on line 1)"},
		{"inherit", "inherits: solarized\n", "inherit.yaml:1: inherits \"solarized\""},
		{"list", "- text\n", "list.yaml:1: a theme is a mapping"},
		{"nested", "text:\n  fg: \"1\"\n", "nested.yaml:2: text: a colour is a string"},
		{"garbage", "text: [unclosed\n", "garbage.yaml"},
		{"empty", "", "empty theme"},
	} {
		writeTheme(t, dir, tc.name, tc.body)
		_, err := Load(tc.name, dir)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to contain %q", tc.name, err, tc.want)
		}
	}
	for _, name := range []string{"../etc/passwd", "", "nope", "a/b"} {
		if _, err := Load(name, dir); !errors.Is(err, ErrUnknownTheme) {
			t.Errorf("%q: %v", name, err)
		}
	}
}

func TestParseColor(t *testing.T) {
	for in, want := range map[string]string{"#ABCDEF": "#abcdef", "#abc": "#abc", "0": "0", "255": "255", "": "", " 12 ": "12"} {
		if got, err := ParseColor(in); err != nil || string(got) != want {
			t.Errorf("ParseColor(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"#abcd", "#ggg", "-1", "256", "red", "#", "1.5"} {
		if _, err := ParseColor(in); err == nil {
			t.Errorf("ParseColor(%q) accepted", in)
		}
	}
}

func TestValidName(t *testing.T) {
	long := strings.Repeat("a", 64)
	for name, want := range map[string]bool{
		"dark": true, "high-contrast": true, "My_Theme2": true, "0x": true, long: true,
		"": false, "-dark": false, "_x": false, long + "a": false, "a b": false,
		"../x": false, "a.yaml": false, "é": false, "a/b": false,
	} {
		if got := validName(name); got != want {
			t.Errorf("validName(%q) = %v, want %v", name, got, want)
		}
	}
}
