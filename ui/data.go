package ui

import (
	"context"
	"errors"
	"time"

	"berth/core"
	"berth/ui/common"
	"berth/watch"

	tea "github.com/charmbracelet/bubbletea"
	"golang.org/x/sys/unix"
)

// tickMsg is the refresh clock, with the host's figures read as it
// struck (for the list's header). The time is the model's clock (Now).
type tickMsg struct{ host hostMsg }

// hostMsg is one reading of the host's CPU times, memory and load.
type hostMsg struct {
	stats core.HostStats
	err   error
}

// tick strikes after d and reads the host then, in the tick's own
// command: three small /proc reads a tick, off the UI's goroutine.
func tick(d time.Duration, h common.HostReader) tea.Cmd {
	return tea.Tick(d, func(time.Time) tea.Msg {
		st, err := h.HostStats()
		return tickMsg{host: hostMsg{stats: st, err: err}}
	})
}

// readHost reads the host once, as the UI starts: the header has memory
// and load at once, and CPU use from the first tick.
func readHost(h common.HostReader) tea.Cmd {
	return func() tea.Msg {
		st, err := h.HostStats()
		return hostMsg{stats: st, err: err}
	}
}

// listCmd lists the containers; one list runs at a time.
func listCmd(ctx context.Context, l common.Lister) tea.Cmd {
	return func() tea.Msg {
		cs, err := l.List(ctx)
		return common.ContainersMsg{Containers: cs, Err: err}
	}
}

// containerMsg is one container read again after an event named it.
type containerMsg struct {
	id  string
	c   core.Container
	err error
}

func getCmd(ctx context.Context, g common.Getter, id string) tea.Cmd {
	return func() tea.Msg {
		c, err := g.Get(ctx, id)
		return containerMsg{id: id, c: c, err: err}
	}
}

// sampleCmd reads stats of the given containers (their cgroup paths
// already resolved): the rows on screen, or the container in view, fully.
func sampleCmd(s common.Sampler, cs []core.Container, full bool, gen uint64) tea.Cmd {
	return func() tea.Msg {
		st, stale := s.Sample(cs, full)
		return common.StatsMsg{Stats: st, Stale: stale, Time: time.Now(), Gen: gen}
	}
}

// pollTicks is how often, in refresh ticks, the list is read again while
// no live events come (the watch loop failed or ended).
const pollTicks = 5

// probeMsg is the terminal probe's clock: every second, whatever the
// refresh, so a dropped session ends berth promptly.
type probeMsg struct{}

func probeTick() tea.Cmd {
	return tea.Tick(time.Second, func(time.Time) tea.Msg { return probeMsg{} })
}

// eventsStartedMsg carries the journal's history and the live stream.
type eventsStartedMsg struct {
	history []watch.Event
	warns   []string
	stream  *eventStream
}

// eventStream is the live subscription: its batches, its failure, and
// what the history already delivered (an event journaled between the
// subscription and the history read is in both).
type eventStream struct {
	ch   <-chan []watch.Event
	errc <-chan error
	seen *watch.Dedup
	// failed is the watch's failure, kept while the batch gathered when
	// it came is delivered first.
	failed error
	// burst is set while a burst goes on: the last batch took in more
	// than its first delivery.
	burst bool
}

// startEvents subscribes, then reads the history: in that order nothing
// falls between the two.
func startEvents(ctx context.Context, src common.EventSource) tea.Cmd {
	return func() tea.Msg {
		ch, errc := src.Subscribe(ctx)
		h, w := src.History(time.Time{})
		msg := eventsStartedMsg{history: h, warns: w}
		if ch != nil { // nil: a source with no live events (the tests' fake)
			msg.stream = &eventStream{ch: ch, errc: errc, seen: watch.Seen(h)}
		}
		return msg
	}
}

// eventsClosedMsg says the live stream ended: err is the watch's failure,
// nil when the UI is stopping.
type eventsClosedMsg struct{ err error }

// maxBatch bounds how many events one redraw takes in.
const maxBatch = 1024

// gather is how long a batch waits for more events after its first: one
// frame at the 30 a second berth draws, so a burst spread over a frame
// (a removal of many, kills across many containers) costs one store
// update and one redraw, not one per event, and no event shows more
// than a frame later than it would have.
const gather = 30 * time.Millisecond

// burstGather is how long a batch gathers while a burst goes on: as long
// as a frame is held back then (burstFrameTime), so the store and the
// list take in the events once a frame, not twice. Under a removal of
// many, taking in a batch (the rows gone, the list brought up to date)
// costs the same however few rows it removes.
const burstGather = burstFrameTime

// wait waits for a batch, then takes what else comes within gather, so a
// burst of events costs one redraw. Update re-arms it; one wait runs at a
// time, so the de-duplication is only ever used by one goroutine.
func (s *eventStream) wait() tea.Cmd {
	return func() tea.Msg {
		if s.failed != nil {
			return eventsClosedMsg{err: s.failed}
		}
		var b []watch.Event
		var due <-chan time.Time // armed by the first event
		took := 0                // deliveries taken in
		for {
			select {
			case <-due:
				s.burst = took > 1
				return common.EventsMsg{Events: b}
			case more, ok := <-s.ch:
				if !ok {
					if len(b) > 0 {
						return common.EventsMsg{Events: b}
					}
					if s.errc == nil {
						return eventsClosedMsg{}
					}
					return eventsClosedMsg{err: <-s.errc}
				}
				for _, ev := range more {
					if s.seen.First(ev) {
						b = append(b, ev)
					}
				}
				if len(b) == 0 {
					continue
				}
				took++
				if len(b) >= maxBatch {
					s.burst = true
					return common.EventsMsg{Events: b}
				}
				if due == nil {
					d := gather
					if s.burst {
						d = burstGather
					}
					t := time.NewTimer(d)
					defer t.Stop()
					due = t.C
				}
			case err, ok := <-s.errc:
				if ok && err != nil && len(b) > 0 {
					s.failed = err // the events gathered go first
					return common.EventsMsg{Events: b}
				}
				if ok && err != nil {
					return eventsClosedMsg{err: err}
				}
				s.errc = nil // closed without error: the batches end too
			}
		}
	}
}

// terminalGoneMsg says the terminal went away (ssh dropped): berth quits
// rather than live on drawing into nothing.
type terminalGoneMsg struct{}

// probeTerminal checks that fd is still a terminal. After a hangup the
// kernel answers EIO (and a closed fd EBADF); bubbletea's reader stops
// quietly on EOF, so this is what notices a dropped session.
func probeTerminal(fd int) tea.Cmd {
	return func() tea.Msg {
		if _, err := unix.IoctlGetTermios(fd, unix.TCGETS); errors.Is(err, unix.EIO) || errors.Is(err, unix.EBADF) || errors.Is(err, unix.ENXIO) {
			return terminalGoneMsg{}
		}
		return nil
	}
}
