package checkpoints_test

import (
	"strings"
	"testing"

	"berth/ui/uitest"
)

// / filters the checkpoints by name, validity, options or parent; esc
// while typing puts back the filter before, esc after clears it.
func TestFilter(t *testing.T) {
	tests := []struct {
		name       string
		typed      string
		enter, esc bool
		shown      []string
		hidden     []string
		capturing  bool
	}{
		{"name", "pre-", false, false, []string{"pre-1", "pre-2"}, []string{"broken", "from-archive"}, true},
		{"validity", "metadata", true, false, []string{"broken"}, []string{"pre-1", "before-upgrade"}, false},
		{"anchored parent", "^pre-1$", true, false, []string{"pre-1", "pre-2"}, []string{"broken"}, false},
		{"options", "imported", true, false, []string{"from-archive"}, []string{"pre-1"}, false},
		{"esc while typing undoes", "pre-", false, true, []string{"pre-1", "broken", "from-archive"}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := uitest.New()
			richer(f)
			_, m := open(t, f, "demo-cpu", 160, 20)
			uitest.Filter(m, tt.typed, tt.enter, tt.esc)
			v := uitest.Strip(m.View())
			for _, s := range tt.shown {
				if !strings.Contains(v, s) {
					t.Errorf("%s not shown:\n%s", s, v)
				}
			}
			for _, s := range tt.hidden {
				if strings.Contains(v, " "+s+" ") {
					t.Errorf("%s shown:\n%s", s, v)
				}
			}
			if m.Capturing() != tt.capturing {
				t.Errorf("capturing %v, want %v", m.Capturing(), tt.capturing)
			}
		})
	}
}

// The list draws at every width, filtered or not, without panicking.
func TestNarrowWidths(t *testing.T) {
	f := uitest.New()
	richer(f)
	c, m := open(t, f, "demo-cpu", 0, 10)
	uitest.EveryWidth(c, m, "pre")
}

// A bad regexp says why and changes nothing.
func TestBadFilter(t *testing.T) {
	f := uitest.New()
	richer(f)
	_, m := open(t, f, "demo-cpu", 160, 20)
	uitest.BadFilter(t, m)
}

// With no checkpoints the prompt still shows what is typed into it.
func TestPromptWithoutRows(t *testing.T) {
	_, m := open(t, uitest.New(), "demo-mem", 120, 20)
	uitest.PromptShown(t, m)
}
