package logs

import (
	"testing"
)

// BenchmarkView draws a full buffer at 160x48 with timestamps and a search
// on, cut and wrapped.
func BenchmarkView(b *testing.B) {
	for _, wrap := range []bool{false, true} {
		name := "cut"
		if wrap {
			name = "wrap"
		}
		b.Run(name, func(b *testing.B) {
			m := started(b, 160, 48)
			fill(m, maxLines)
			press(m, "t", "/", "served", "enter")
			m.wrap = wrap
			press(m, "end")
			b.ReportAllocs()
			for b.Loop() {
				_ = m.View()
			}
		})
	}
}
