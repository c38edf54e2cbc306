package common

import (
	"testing"
	"time"

	"berth/core"
)

// A point carries the sample's cache and host networking; a full sample
// of a container on the host's network is full though its counters are 0.
func TestHistoryMemoryAndHostNetwork(t *testing.T) {
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	h := NewHistory(10)
	h.Add(core.Stats{Time: t0, MemoryUsage: 6 << 20, MemoryCache: 97 << 20, NetHost: true})
	h.Add(core.Stats{Time: t0.Add(time.Second), MemoryUsage: 6 << 20, MemoryCache: 97 << 20, NetHost: true})
	p, ok := h.Last()
	if !ok || p.Mem != 6<<20 || p.MemCache != 97<<20 || !p.NetHost || !p.Full || p.NetRx != 0 || p.NetTx != 0 {
		t.Errorf("point %+v", p)
	}
	h.Add(core.Stats{Time: t0.Add(2 * time.Second), MemoryUsage: 7 << 20})
	if p, _ := h.Last(); p.NetHost || p.Full || p.MemCache != 0 {
		t.Errorf("a sample that is not full: %+v", p)
	}
	if p, ok := h.LastFull(); !ok || !p.NetHost {
		t.Errorf("LastFull = %+v, %v; want the host-network point", p, ok)
	}
}

// The ring keeps the newest size points, oldest first, through its
// growth and once it turns.
func TestHistoryRing(t *testing.T) {
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	const size = 40
	h := NewHistory(size)
	for i := range 100 {
		h.Add(core.Stats{Time: t0.Add(time.Duration(i) * time.Second), PidsCurrent: uint64(i)})
		want := min(i, size) // the first sample only sets the baseline
		if h.Len() != want {
			t.Fatalf("after %d samples: %d points, want %d", i+1, h.Len(), want)
		}
		for j := range h.Len() {
			if got := h.At(j).Pids; got != uint64(i-h.Len()+1+j) {
				t.Fatalf("after %d samples: point %d has pids %d, want %d", i+1, j, got, i-h.Len()+1+j)
			}
		}
	}
	if cap(h.points) != size {
		t.Errorf("the ring holds room for %d points, want %d", cap(h.points), size)
	}
}
