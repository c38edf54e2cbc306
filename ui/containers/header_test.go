package containers

import (
	"errors"
	"strings"
	"testing"

	"berth/ui/common"
	"berth/ui/uitest"

	"github.com/charmbracelet/x/ansi"
)

// firstLine is the list's title line, stripped.
func firstLine(m *Model) string {
	l, _, _ := strings.Cut(uitest.Strip(m.View()), "\n")
	return strings.TrimRight(l, " ")
}

// The host's figures shed their least useful parts as the terminal
// narrows, never the counts, and the line never outgrows the terminal.
func TestHeaderNarrows(t *testing.T) {
	counts := "berth · 6 containers · 4 running · 1 paused · 1 stopped"
	tests := []struct {
		w    int
		want string // what the line ends with ("" for the counts alone)
	}{
		{160, "cpu 37% of 2 · mem 3.0GiB/8.0GiB · load 0.52 0.40 0.31"},
		{111, "cpu 37% of 2 · mem 3.0GiB/8.0GiB · load 0.52 0.40 0.31"},
		{110, "cpu 37% · mem 3.0GiB/8.0GiB · load 0.52 0.40 0.31"},
		{105, "cpu 37% · mem 3.0GiB/8.0GiB · load 0.52"},
		{95, "cpu 37% · mem 3.0GiB/8.0GiB"},
		{83, "cpu 37% · mem 38%"},
		{73, "cpu 37%"},
		{64, "cpu 37%"},
		{63, ""},
	}
	for _, tt := range tests {
		c := uitest.NewCommon(t, uitest.New(), tt.w, 24, "dark", false)
		m := New(c)
		got := firstLine(m)
		switch {
		case tt.want == "" && got != counts:
			t.Errorf("%d: %q, want the counts alone", tt.w, got)
		case !strings.HasPrefix(got, counts) || !strings.HasSuffix(got, tt.want):
			t.Errorf("%d: %q, want the counts, then %q", tt.w, got, tt.want)
		}
	}
	// Narrower than the counts, the line is cut as it always was.
	for w := 20; w <= 200; w++ {
		c := uitest.NewCommon(t, uitest.New(), w, 5, "dark", false)
		for _, l := range strings.Split(New(c).View(), "\n") {
			if n := ansi.StringWidth(l); n > w {
				t.Fatalf("%d: a line %d wide: %q", w, n, l)
			}
		}
	}
}

// Before a second reading there is no CPU figure; after a failed one
// there are no host figures at all; a busy host's figures are warnings.
func TestHeaderStates(t *testing.T) {
	f := uitest.New()
	c := uitest.NewCommon(t, f, 160, 24, "dark", false)
	c.Store.Host = common.HostFigures{}
	h, _ := f.HostStats()
	c.Store.SetHost(h)
	m := New(c)
	if got := firstLine(m); strings.Contains(got, "cpu") || !strings.HasSuffix(got, "mem 3.0GiB/8.0GiB · load 0.52 0.40 0.31") {
		t.Errorf("one reading: %q", got)
	}
	// The same counters again (a tick faster than the kernel's clock):
	// no CPU figure is made up.
	c.Store.SetHost(h)
	if got := firstLine(m); strings.Contains(got, "cpu") {
		t.Errorf("no time passed: %q", got)
	}
	c.Store.HostFailed()
	if got := firstLine(m); strings.Contains(got, "mem") {
		t.Errorf("failed read: %q", got)
	}
	f.Fail["HostStats"] = errors.New("no /proc")
	if _, err := f.HostStats(); err == nil {
		t.Fatal("fake ignores Fail")
	}
}
