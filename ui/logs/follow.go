package logs

import (
	"context"
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

// follower is one follow of a container's output: a goroutine owned by
// its context, feeding a bounded queue it closes when it returns.
type follower struct {
	lines  chan line
	err    error // what Logs returned; read only after lines is closed
	cancel context.CancelFunc
}

// startFollow reads id's last tailLines lines, then every new one, until
// the follower is stopped or the output ends.
func startFollow(parent context.Context, lr common.LogReader, id string) *follower {
	ctx, cancel := context.WithCancel(parent)
	f := &follower{lines: make(chan line, queueLines), cancel: cancel}
	go func() {
		defer close(f.lines)
		f.err = lr.Logs(ctx, id, core.LogOptions{Tail: tailLines, Follow: true}, func(l core.LogLine) error {
			// Escape here, off the UI's goroutine, and queue only what
			// will be kept.
			select {
			case f.lines <- newLine(l):
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	return f
}

// stop ends the follow; its goroutine returns and closes the queue.
func (f *follower) stop() { f.cancel() }

// wait is the command that waits for the next lines: the first one, then
// whatever is already queued, up to maxBatch. Update runs it again after
// each batch; when the queue closes it reports the end instead.
// coalesce is how long a batch of lines waits for more after its first.
const coalesce = 50 * time.Millisecond

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
