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

// tickMsg is the refresh clock.
type tickMsg time.Time

func tick(d time.Duration) tea.Cmd {
	return tea.Tick(d, func(t time.Time) tea.Msg { return tickMsg(t) })
}

// listCmd lists the containers; one list runs at a time.
func listCmd(ctx context.Context, l common.Lister) tea.Cmd {
	return func() tea.Msg {
		cs, err := l.List(ctx)
		return common.ContainersMsg{Containers: cs, Err: err}
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

// eventsStartedMsg carries the journal's history and the live channel.
type eventsStartedMsg struct {
	history []watch.Event
	warns   []string
	ch      <-chan []watch.Event
	err     error
}

func startEvents(ctx context.Context, src common.EventSource) tea.Cmd {
	return func() tea.Msg {
		h, w, ch, err := src.Events(ctx, time.Time{}, true)
		return eventsStartedMsg{history: h, warns: w, ch: ch, err: err}
	}
}

// eventsClosedMsg says the live stream ended (the UI is stopping, or the
// watch loop failed).
type eventsClosedMsg struct{}

// maxBatch bounds how many events one redraw takes in.
const maxBatch = 1024

// waitEvents waits for a batch, then takes what else is already queued,
// so a burst of events costs one redraw. Update re-arms it.
func waitEvents(ch <-chan []watch.Event) tea.Cmd {
	return func() tea.Msg {
		b, ok := <-ch
		if !ok {
			return eventsClosedMsg{}
		}
		for len(b) < maxBatch {
			select {
			case more, ok := <-ch:
				if !ok {
					return common.EventsMsg{Events: b}
				}
				b = append(b, more...)
			default:
				return common.EventsMsg{Events: b}
			}
		}
		return common.EventsMsg{Events: b}
	}
}

// relists reports whether events change what the list shows: all but an
// exec's exit and a limits update (whose effect the stats show) do; an
// OOM kill changes the container's kill count.
func relists(evs []watch.Event) bool {
	for _, e := range evs {
		if e.Kind != watch.KindExecExit && e.Kind != watch.KindUpdate {
			return true
		}
	}
	return false
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
