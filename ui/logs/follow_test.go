package logs

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"berth/core"
	"berth/ui/uitest"
)

// closed reports when ch is closed, draining it.
func closed[T any](ch <-chan T) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		for range ch {
		}
		close(done)
	}()
	return done
}

func TestCloseStopsFollow(t *testing.T) {
	m := newModel(t, uitest.New(), 80, 24, false)
	open(t, m, "demo-log", 3)
	f := m.follower
	if f == nil {
		t.Fatal("no follow running")
	}
	m.Close()
	select {
	case <-closed(f.lines): // the goroutine returned: it closes the queue
	case <-time.After(5 * time.Second):
		t.Fatal("follow goroutine still running after Close")
	}
	if m.follower != nil {
		t.Error("follower kept")
	}
}

func TestReopenStopsFollow(t *testing.T) {
	m := newModel(t, uitest.New(), 80, 24, false)
	open(t, m, "demo-log", 3)
	f := m.follower
	m.Open("demo-cpu")
	select {
	case <-closed(f.lines):
	case <-time.After(5 * time.Second):
		t.Fatal("first follow still running after the second Open")
	}
}

// flood writes lines as fast as it is let.
type flood struct{ sent atomic.Int64 }

func (f *flood) Logs(ctx context.Context, id string, o core.LogOptions, fn func(core.LogLine) error) error {
	for i := 0; ; i++ {
		if err := fn(core.LogLine{Stream: "stdout", Data: fmt.Appendf(nil, "line %d", i)}); err != nil {
			return err
		}
		f.sent.Add(1)
	}
}

// waitFor polls cond for up to 5s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestBackpressure(t *testing.T) {
	src := &flood{}
	f := startFollow(t.Context(), src, []string{"x"}, time.Now())
	defer f.stop()
	waitFor(t, "a full queue", func() bool { return src.sent.Load() == queueLines })
	time.Sleep(20 * time.Millisecond)
	if n := src.sent.Load(); n != queueLines {
		t.Fatalf("the reader went on past a full queue: %d sent", n)
	}
	msg := f.wait(7)()
	batch, ok := msg.(linesMsg)
	if !ok || batch.gen != 7 || len(batch.lines) != maxBatch {
		t.Fatalf("got %T with %d lines", msg, len(batch.lines))
	}
	if batch.lines[0].text != "line 0" || batch.lines[maxBatch-1].text != fmt.Sprintf("line %d", maxBatch-1) {
		t.Errorf("batch out of order: %q .. %q", batch.lines[0].text, batch.lines[maxBatch-1].text)
	}
	waitFor(t, "the reader to go on", func() bool { return src.sent.Load() == queueLines+maxBatch })
	f.stop()
	select {
	case <-closed(f.lines):
	case <-time.After(5 * time.Second):
		t.Fatal("a blocked reader did not stop")
	}
	if !errors.Is(f.err, context.Canceled) {
		t.Errorf("Logs returned %v", f.err)
	}
	if msg := f.wait(7)(); msg != (endMsg{gen: 7, err: f.err}) {
		t.Errorf("after the end: %#v", msg)
	}
}
