package container

import (
	"testing"

	"berth/ui/common"
	"berth/ui/uitest"
)

// BenchmarkStatsRebuild is the stats tab's work per sample at 160x48 with
// ten minutes of history: the five charts drawn again.
func BenchmarkStatsRebuild(b *testing.B) {
	f := uitest.New()
	c := uitest.NewCommon(b, f, 160, 48, "dark", true)
	uitest.FillHistory(c.Store, f, common.DefaultHistory)
	s := NewStats(c)
	s.Open("demo-mem")
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		c.Store.Rev++
		s.Update(common.RefreshMsg{})
	}
}
