package main

import (
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

func TestRenderPNG(t *testing.T) {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.TrueColor)
	red := r.NewStyle().Background(lipgloss.Color("#ff0000")).Foreground(lipgloss.Color("#00ff00"))
	box := r.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(lipgloss.Color("#0000ff"))
	frame := strings.Join([]string{
		red.Render("ab") + " plain " + r.NewStyle().Bold(true).Render("bold"),
		r.NewStyle().Reverse(true).Render("rv") + " ▁▂▃▄▅▆▇█ ⣿⡇ ● ‖ ■ ○ ▲ ▼ 世界",
		box.Render("box"),
	}, "\n")
	const cols, rows = 30, 6
	path := filepath.Join(t.TempDir(), "frame.png")
	if err := renderPNG(frame, cols, rows, DarkTheme, path); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := loadFonts()
	if err != nil {
		t.Fatal(err)
	}
	if fs.cw < 6 || fs.ch < 12 {
		t.Fatalf("cell %dx%d: implausible for a %dpx font", fs.cw, fs.ch, fontPx)
	}
	if got, want := img.Bounds().Size(), image.Pt(cols*fs.cw, rows*fs.ch); got != want {
		t.Fatalf("size %v, want %v", got, want)
	}
	at := func(x, y int) color.RGBA { return toRGBA(img.At(x, y)) }
	// Cell (0,0) is "a" on red: its corner pixel is background.
	if c := at(0, 0); c != hexRGB(0xff0000) {
		t.Errorf("cell (0,0) corner = %v, want red", c)
	}
	// Somewhere in "a" there is pure foreground green.
	found := false
	for y := 0; y < fs.ch && !found; y++ {
		for x := 0; x < fs.cw; x++ {
			if at(x, y) == hexRGB(0x00ff00) {
				found = true
				break
			}
		}
	}
	if !found {
		t.Error("no green glyph pixel in cell (0,0)")
	}
	// Cell (2,0) is an unstyled space: the theme background.
	if c := at(2*fs.cw+1, 1); c != DarkTheme.Bg {
		t.Errorf("cell (2,0) = %v, want theme bg %v", c, DarkTheme.Bg)
	}
	// Reverse video: "r" at (0,1) has the theme fg as background.
	if c := at(0, fs.ch); c != DarkTheme.Fg {
		t.Errorf("reverse cell (0,1) corner = %v, want theme fg %v", c, DarkTheme.Fg)
	}
	// The full block █ (column 10, row 1) is solid theme fg.
	if c := at(10*fs.cw+fs.cw/2, fs.ch+fs.ch/2); c != DarkTheme.Fg {
		t.Errorf("full block = %v, want %v", c, DarkTheme.Fg)
	}
	// The box's top border (row 2, column 1 is ─) is blue across the cell.
	y := 2*fs.ch + fs.ch/2
	for x := fs.cw; x < 2*fs.cw; x++ {
		if c := at(x, y); c != hexRGB(0x0000ff) {
			t.Errorf("border pixel (%d,%d) = %v, want blue", x, y, c)
			break
		}
	}
	// Light theme: unstyled cells take its background.
	img2, err := renderImage("x", 4, 1, LightTheme)
	if err != nil {
		t.Fatal(err)
	}
	if c := img2.RGBAAt(3*fs.cw, 0); c != LightTheme.Bg {
		t.Errorf("light bg = %v, want %v", c, LightTheme.Bg)
	}
}
