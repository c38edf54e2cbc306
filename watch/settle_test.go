package watch

import (
	"testing"
	"time"
)

// A burst's waits double from Settle up to maxSettle; a Settle longer
// than that is kept.
func TestNextSettle(t *testing.T) {
	const ms = time.Millisecond
	var got []time.Duration
	gap := time.Duration(0)
	for range 5 {
		gap = nextSettle(gap, 10*ms)
		got = append(got, gap)
	}
	want := []time.Duration{10 * ms, 20 * ms, 40 * ms, maxSettle, maxSettle}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("waits %v, want %v", got, want)
		}
	}
	if d := nextSettle(100*ms, 100*ms); d != 100*ms {
		t.Fatalf("a Settle of 100 ms waits %v in a burst, want 100 ms", d)
	}
}
