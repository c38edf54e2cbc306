package common

import (
	"time"

	"berth/core"
)

// Point is one moment of a container's resource use, as the graphs and
// sparklines plot it: CPU in percent of one CPU, byte rates per second.
type Point struct {
	Time     time.Time
	CPU      float64
	CPUQuota float64
	// Mem is the working set; MemCache the page cache beside it.
	Mem       uint64
	MemCache  uint64
	MemLimit  uint64
	Pids      uint64
	PidsLimit uint64
	IORead    float64
	IOWrite   float64
	NetRx     float64
	NetTx     float64
	// NetHost says the container is on the host's network, with no
	// traffic of its own (from full samples only).
	NetHost bool
	// Full says the sample had the quota, pids limit and network
	// counters (the container on screen is sampled fully).
	Full bool
}

// DefaultHistory is how many points a container keeps: ten minutes at the
// default one-second refresh.
const DefaultHistory = 600

// History is a fixed-size ring of a container's points, oldest first.
// Its slice grows as points come, up to size, before it turns as a ring:
// a row that comes on screen for a moment (a removal of many scrolls
// hundreds past) holds a few points, not room for ten minutes of them.
type History struct {
	points []Point
	size   int
	head   int // index of the oldest point
	n      int
	last   core.Stats
}

// NewHistory keeps up to size points.
func NewHistory(size int) *History {
	return &History{size: max(size, 2)}
}

// Add turns a sample into a point, with rates from the sample before. The
// first sample only sets the baseline.
func (h *History) Add(s core.Stats) {
	prev := h.last
	h.last = s
	if prev.Time.IsZero() || !s.Time.After(prev.Time) {
		return
	}
	dt := s.Time.Sub(prev.Time).Seconds()
	rate := func(cur, old uint64) float64 {
		if cur < old { // a counter reset (a restored container)
			return 0
		}
		return float64(cur-old) / dt
	}
	p := Point{
		Time: s.Time, CPU: core.CPUPercent(prev, s), CPUQuota: s.CPUQuota,
		Mem: s.MemoryUsage, MemCache: s.MemoryCache, MemLimit: s.MemoryLimit, Pids: s.PidsCurrent, PidsLimit: s.PidsLimit,
		IORead: rate(s.IORead, prev.IORead), IOWrite: rate(s.IOWrite, prev.IOWrite),
		NetHost: s.NetHost,
		Full:    s.NetHost || s.NetRx != 0 || s.NetTx != 0 || s.PidsLimit != 0 || s.CPUQuota != 0,
	}
	// Network counters come with full samples only: a rate needs two.
	if (prev.NetRx != 0 || prev.NetTx != 0) && (s.NetRx != 0 || s.NetTx != 0) {
		p.NetRx, p.NetTx = rate(s.NetRx, prev.NetRx), rate(s.NetTx, prev.NetTx)
	}
	if h.n < h.size {
		// Filling: the oldest is at 0 until the ring is full.
		if len(h.points) == cap(h.points) {
			grown := make([]Point, len(h.points), min(h.size, max(2*cap(h.points), 16)))
			copy(grown, h.points)
			h.points = grown
		}
		h.points = append(h.points, p)
		h.n++
		return
	}
	h.points[h.head] = p
	h.head = (h.head + 1) % len(h.points)
}

// Len is the number of points held.
func (h *History) Len() int { return h.n }

// At returns point i, 0 being the oldest.
func (h *History) At(i int) Point { return h.points[(h.head+i)%len(h.points)] }

// Last returns the newest point.
func (h *History) Last() (Point, bool) {
	if h.n == 0 {
		return Point{}, false
	}
	return h.At(h.n - 1), true
}

// Sample is the newest raw sample (memory and pids need no second one).
func (h *History) Sample() core.Stats { return h.last }

// Since returns the points newer than t, oldest first, into buf.
func (h *History) Since(t time.Time, buf []Point) []Point {
	buf = buf[:0]
	for i := 0; i < h.n; i++ {
		if p := h.At(i); p.Time.After(t) {
			buf = append(buf, p)
		}
	}
	return buf
}

// LastFull returns the newest point from a full sample (with the quota
// and pids limit), if any is held.
func (h *History) LastFull() (Point, bool) {
	for i := h.n - 1; i >= 0; i-- {
		if p := h.At(i); p.Full {
			return p, true
		}
	}
	return Point{}, false
}
