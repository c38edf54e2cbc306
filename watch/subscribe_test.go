package watch_test

import (
	"context"
	"testing"
	"time"

	"berth/watch"
)

// A subscription delivers each event once, whichever source saw it, and
// watches the containers its events announce.
func TestSubscribeDedupsAndRewatches(t *testing.T) {
	root := t.TempDir()
	old := watch.Event{Time: time.Unix(100, 0).UTC(), Kind: watch.KindCreate, ID: "old"}
	if err := watch.Append(root, old); err != nil {
		t.Fatal(err)
	}
	l, err := watch.New()
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Tail(root); err != nil {
		t.Fatal(err)
	}
	seen := watch.NewDedup(16)
	seen.First(old)
	p := v2Fixture(t, "0")
	rewatched := make(chan string, 4)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, errc := l.Subscribe(ctx, watch.Follow{Dedup: seen, Rewatch: func(ev watch.Event) (watch.Target, bool) {
		rewatched <- ev.ID
		return watch.Target{ID: ev.ID, Cgroup: p, Pid: 7}, ev.ID == "web"
	}})

	start := watch.Event{Time: time.Unix(200, 0).UTC(), Kind: watch.KindStart, ID: "web", Pid: 7}
	// The old event again (another writer's copy), the start twice.
	if err := watch.Append(root, old, start, start); err != nil {
		t.Fatal(err)
	}
	var got []watch.Event
	deadline := time.After(5 * time.Second)
	for len(got) < 1 {
		select {
		case b := <-out:
			got = append(got, b...)
		case <-deadline:
			t.Fatal("no event delivered")
		}
	}
	if len(got) != 1 || got[0].Key() != start.Key() {
		t.Fatalf("delivered %s, want the start once", describe(got))
	}
	if id := <-rewatched; id != "web" {
		t.Fatalf("rewatched %q", id)
	}
	// The rewatched container is watched: its OOM kill comes through.
	writeEvents(t, p[""], "1")
	for {
		select {
		case b := <-out:
			if n := oomCounts(b); len(n) == 1 && b[0].ID == "web" && b[0].Pid == 7 {
				cancel()
				for range out {
				}
				if err, ok := <-errc; ok || err != nil {
					t.Fatalf("cancelled subscription reported %v", err)
				}
				return
			}
		case <-deadline:
			t.Fatal("the started container's OOM kill never came")
		}
	}
}

// A loop that cannot wait any more ends its stream with the error.
func TestSubscribeEndsWithError(t *testing.T) {
	l, err := watch.New()
	if err != nil {
		t.Fatal(err)
	}
	l.Close() // its epoll descriptor is gone: the first wait fails
	out, errc := l.Subscribe(context.Background(), watch.Follow{})
	select {
	case err := <-errc:
		if err == nil {
			t.Fatal("closed error channel without the error")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no error from a failing loop")
	}
	if _, ok := <-out; ok {
		t.Fatal("events channel still open after the failure")
	}
}
