package container

import (
	"fmt"
	"testing"

	"berth/core"
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

// BenchmarkProcessesView is one frame of the processes tab at 160x48 with
// 500 processes, scrolled a page down.
func BenchmarkProcessesView(b *testing.B) {
	procs := make([]core.Process, 500)
	for i := range procs {
		procs[i] = core.Process{HostPid: 5000 + i, ContainerPid: i + 1, PPid: 5000, State: "S", CPUTime: uint64(i) * 1e7,
			RSS: uint64(i) << 16, Threads: 1 + i%7, StartTime: uint64(i), Command: fmt.Sprintf("worker --id %d --queue jobs-%d", i, i%13)}
	}
	f := uitest.New()
	f.Procs["demo-cpu"] = procs
	c := uitest.NewCommon(b, f, 160, 48, "dark", true)
	p := open(NewProcesses(c), "demo-cpu").(*Processes)
	p.Update(keyMsg("pgdown"))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		_ = p.View()
	}
}
