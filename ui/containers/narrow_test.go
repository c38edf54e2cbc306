package containers

import (
	"strings"
	"testing"

	"berth/ui/uitest"
)

// On narrow terminals the other columns give way before the id is cut
// so short that rows look alike.
func TestNarrowKeepsIDs(t *testing.T) {
	for _, w := range []int{30, 40, 60} {
		m := New(uitest.NewCommon(t, uitest.New(), w, 10, "dark", false))
		v := m.View()
		for _, id := range []string{"demo-mem", "demo-sleep"} {
			if !strings.Contains(v, id) {
				t.Errorf("%d columns: %s cut:\n%s", w, id, v)
			}
		}
	}
}
