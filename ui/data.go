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

// wait waits for a delivery, then takes the others already queued, and
// returns them as one batch: one redraw however many came. The watch
// loop does the gathering: while a burst goes on it lets the kernel's
// notifications gather for about a frame before it looks again
// (watch.Follow.Settle), so a burst's deliveries come about 15 a second;
// a timer of the UI's own on top of that only woke the process once more
// a batch. A delivery whose events were all delivered before is waited
// past. Update re-arms it; one wait runs at a time, so the
// de-duplication is only ever used by one goroutine.
func (s *eventStream) wait() tea.Cmd {
	return func() tea.Msg {
		var b []watch.Event
		more, ok := <-s.ch
		for ok {
			for _, ev := range more {
				if s.seen.First(ev) {
					b = append(b, ev)
				}
			}
			select {
			case more, ok = <-s.ch:
				continue
			default:
			}
			if len(b) > 0 {
				return common.EventsMsg{Events: b}
			}
			more, ok = <-s.ch
		}
		return s.closed(b)
	}
}

// closed is what wait returns once the batches ended: the events taken
// first, then the end, with the watch's failure if it failed (the watch
// sends it before it closes its batches).
func (s *eventStream) closed(b []watch.Event) tea.Msg {
	switch {
	case len(b) > 0:
		return common.EventsMsg{Events: b}
	case s.errc == nil:
		return eventsClosedMsg{}
	}
	return eventsClosedMsg{err: <-s.errc}
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
