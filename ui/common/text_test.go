package common

import (
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
)

// Width agrees with full grapheme segmentation on everything.
func TestWidth(t *testing.T) {
	r := lipgloss.NewRenderer(nil)
	r.SetColorProfile(termenv.TrueColor)
	red := r.NewStyle().Foreground(lipgloss.Color("#ff0000")).Bold(true)
	for _, s := range []string{
		"", "plain", red.Render("styled") + " x", "● running", "▁▂▃█ ⣿⡀", "…", "é", "e\u0301", "世界", "👍🏽", "a\tb",
		red.Render("‖ paused"), "╭─╮│", "✓ ok ✗", "\x1b]8;;x\x07", "ß", "\u200bzw",
	} {
		if got, want := Width(s), ansi.StringWidth(s); got != want {
			t.Errorf("Width(%q) = %d, want %d", s, got, want)
		}
	}
}

func BenchmarkWidth(b *testing.B) {
	r := lipgloss.NewRenderer(nil)
	r.SetColorProfile(termenv.TrueColor)
	s := r.NewStyle().Foreground(lipgloss.Color("#5fafff")).Render("▁▂▃▄▅▆▇█▁▂▃▄") + "  demo-cpu   ● running   48.2"
	for b.Loop() {
		Width(s)
	}
}
