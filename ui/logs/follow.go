package logs

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"berth/core"
	"berth/ui/common"

	tea "github.com/charmbracelet/bubbletea"
)

const (
	// tailLines is how much history Open asks for before following.
	tailLines = maxLines
	// queueLines bounds the lines between the follow goroutine and the
	// UI: when the UI falls behind, the reader waits (nothing is lost,
	// nothing grows).
	queueLines = 1024
	// maxBatch bounds the lines one message carries, so one redraw never
	// waits on a flood.
	maxBatch = 512
)

// linesMsg is a batch of new lines from the follow started by the Open
// numbered gen.
type linesMsg struct {
	gen   int
	lines []line
}

// endMsg says the follow numbered gen ended: the process exited (err nil)
// or the logs could not be read.
type endMsg struct {
	gen int
	err error
}

// follower is one follow of the output of one container or several: a
// goroutine owned by its context (with one more for each container of a
// merged follow), feeding a bounded queue it closes when they return.
type follower struct {
	lines  chan line
	err    error // what Logs returned; read only after lines is closed
	cancel context.CancelFunc
}

// startFollow reads the last tailLines lines of ids, then every new one,
// until the follower is stopped or the output ends. Several ids are
// merged: see followMerged, which splits the past from what follows at
// now.
func startFollow(parent context.Context, lr common.LogReader, ids []string, now time.Time) *follower {
	ctx, cancel := context.WithCancel(parent)
	f := &follower{lines: make(chan line, queueLines), cancel: cancel}
	go func() {
		defer close(f.lines)
		if len(ids) == 1 {
			f.err = lr.Logs(ctx, ids[0], core.LogOptions{Tail: tailLines, Follow: true}, f.queue(ctx, 0))
			return
		}
		f.err = f.followMerged(ctx, lr, ids, now)
	}()
	return f
}

// queue is the callback that escapes each line of source src, off the
// UI's goroutine, and queues it.
func (f *follower) queue(ctx context.Context, src int) func(core.LogLine) error {
	return func(l core.LogLine) error {
		nl := newLine(l)
		nl.src = src
		select {
		case f.lines <- nl:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// followMerged reads the lines of each of ids before now (the last
// tailLines of each), queues the newest tailLines of them all in time
// order, then follows every one of ids from now on, each line queued as
// it comes: new lines arrive in the order they are written. It returns
// when all the follows have ended, their errors joined.
func (f *follower) followMerged(ctx context.Context, lr common.LogReader, ids []string, now time.Time) error {
	var past []line
	// A container whose logs cannot be read is left out, the others
	// shown; its error is the follow's when they end.
	errs := make([]error, len(ids))
	for i, id := range ids {
		errs[i] = lr.Logs(ctx, id, core.LogOptions{Tail: tailLines, Until: now}, func(l core.LogLine) error {
			nl := newLine(l)
			nl.src = i
			past = append(past, nl)
			return nil
		})
		// Only the newest tailLines of them all are kept, so no more
		// than two containers' worth is ever held.
		slices.SortStableFunc(past, func(a, b line) int { return cmp.Compare(a.time.UnixNano(), b.time.UnixNano()) })
		past = slices.Clip(past[max(len(past)-tailLines, 0):])
	}
	for _, l := range past {
		select {
		case f.lines <- l:
		case <-ctx.Done():
			return nil
		}
	}
	past = nil
	var wg sync.WaitGroup
	for i, id := range ids {
		if errs[i] != nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = lr.Logs(ctx, id, core.LogOptions{Tail: -1, Follow: true, Since: now}, f.queue(ctx, i))
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		return nil
	}
	return errors.Join(errs...)
}

// stop ends the follow; its goroutines return and close the queue.
func (f *follower) stop() { f.cancel() }

// coalesce is how long a batch of lines waits for more after its first.
const coalesce = 50 * time.Millisecond

// wait is the command that waits for the next lines: the first one, then
// whatever is already queued, up to maxBatch. Update runs it again after
// each batch; when the queue closes it reports the end instead.
func (f *follower) wait(gen int) tea.Cmd {
	ch := f.lines
	return func() tea.Msg {
		l, ok := <-ch
		if !ok {
			return endMsg{gen: gen, err: f.err}
		}
		batch := make([]line, 1, min(len(ch)+1, maxBatch))
		batch[0] = l
		// Gather what comes within a moment of the first line: a chatty
		// container then costs at most 1/coalesce frames a second, not
		// one a write.
		timer := time.NewTimer(coalesce)
		defer timer.Stop()
		for len(batch) < maxBatch {
			select {
			case l, ok := <-ch:
				if !ok {
					return linesMsg{gen: gen, lines: batch}
				}
				batch = append(batch, l)
			case <-timer.C:
				return linesMsg{gen: gen, lines: batch}
			}
		}
		return linesMsg{gen: gen, lines: batch}
	}
}
