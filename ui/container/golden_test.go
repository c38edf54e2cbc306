package container

import (
	"fmt"
	"testing"

	"berth/ui/uitest"
)

// TestGoldens renders each tab over the fake at the two reference sizes.
func TestGoldens(t *testing.T) {
	for _, k := range pageKinds {
		for _, size := range [][2]int{{80, 24}, {160, 48}} {
			name := fmt.Sprintf("%s-%dx%d", k.name, size[0], size[1])
			t.Run(name, func(t *testing.T) {
				c := uitest.NewCommon(t, uitest.New(), size[0], size[1], "dark", false)
				p := open(k.new(c), k.id)
				v := p.View()
				checkSize(t, name, v, size[0], size[1])
				uitest.Golden(t, name, uitest.Strip(v))
			})
		}
	}
}
