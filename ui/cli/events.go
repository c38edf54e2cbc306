package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"berth/core"
	"berth/ui/common"
	"berth/ui/format"
	"berth/watch"

	"github.com/spf13/cobra"
)

func newEventsCmd(g *globals) *cobra.Command {
	var id, since, until string
	var kinds []string
	var noFollow bool
	cmd := &cobra.Command{
		Use:   "events [--id ID] [--kind KIND]... [--since TIME|DURATION] [--until TIME|DURATION] [--no-follow]",
		Short: "Print the event history (OOM kills, exits, lifecycle), then follow live",
		Long: "Print what happened to containers, from the journal the shims and berth keep in\n" +
			"the state dir (so history covers the time no berth ran), then follow live events:\n" +
			"OOM kills the moment they happen, with a snapshot of the container's memory.\n\n" +
			"--id takes any container reference the other commands take; a container that is\n" +
			"gone is still found in the history by its id (or ROOT/ID). A TIME is RFC 3339 or\n" +
			"\"2006-01-02 15:04[:05]\" in local time; a DURATION (10m, 2h) counts back from now.\n" +
			"--until ends the output at that time: in the past, nothing is followed.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			q, err := parseEventQuery(id, kinds, since, until, time.Now())
			if err != nil {
				return err
			}
			if !q.until.IsZero() && !q.until.After(time.Now()) {
				noFollow = true
			}
			m, err := g.manager(cmd.Context())
			if err != nil {
				return err
			}
			ctx, cancel := context.WithCancel(cmd.Context())
			defer cancel()
			// Subscribe before reading the history, so nothing falls
			// between the two; what is in both is printed once.
			var live <-chan []watch.Event
			var failed <-chan error
			if !noFollow {
				live, failed = m.Subscribe(ctx)
			}
			history, warns := m.History(q.since)
			for _, w := range warns {
				fmt.Fprintln(g.stderr, "berth: warning: "+OneLine(w))
			}
			if id != "" {
				if q.of, err = eventsOf(ctx, m, id, history); err != nil {
					return err
				}
			}
			seen := watch.Seen(history)
			for _, ev := range history {
				if !q.keep(ev) {
					continue
				}
				if err := printEvent(g, ev); err != nil {
					return err
				}
			}
			if live == nil {
				return nil
			}
			return followEvents(g, q, live, failed, seen)
		},
	}
	f := cmd.Flags()
	f.StringVar(&id, "id", "", "only the events of this container (any reference the other commands take, or the id of one that is gone)")
	f.StringSliceVar(&kinds, "kind", nil, "only events of this kind (repeatable, or comma-separated: "+kindNames()+")")
	f.StringVar(&since, "since", "", "only events at or after this TIME or DURATION ago (e.g. 10m, 2h, \"2026-01-02 15:04\")")
	f.StringVar(&until, "until", "", "only events before this TIME or DURATION ago; the output ends there")
	f.BoolVar(&noFollow, "no-follow", false, "print the history and exit")
	return cmd
}

// followEvents prints live events the query keeps, each once, until the
// subscription ends or the query's end passes.
func followEvents(g *globals, q eventQuery, live <-chan []watch.Event, failed <-chan error, seen *watch.Dedup) error {
	var end <-chan time.Time
	if !q.until.IsZero() {
		t := time.NewTimer(time.Until(q.until))
		defer t.Stop()
		end = t.C
	}
	for {
		select {
		case batch, ok := <-live:
			if !ok {
				return <-failed
			}
			for _, ev := range batch {
				if !seen.First(ev) || !q.keep(ev) {
					continue
				}
				if err := printEvent(g, ev); err != nil {
					return err
				}
			}
		case <-end:
			return nil
		}
	}
}

// eventQuery is which events berth events prints.
type eventQuery struct {
	// of picks one container's events (nil: every container's).
	of func(watch.Event) bool
	// kinds are the kinds printed (empty: every kind).
	kinds []watch.Kind
	// since and until bound the events' times: since included, until
	// not (zero: unbounded).
	since, until time.Time
}

// keep reports whether the query prints ev.
func (q eventQuery) keep(ev watch.Event) bool {
	switch {
	case q.of != nil && !q.of(ev):
		return false
	case len(q.kinds) > 0 && !slices.Contains(q.kinds, ev.Kind):
		return false
	case !q.since.IsZero() && ev.Time.Before(q.since):
		return false
	case !q.until.IsZero() && !ev.Time.Before(q.until):
		return false
	}
	return true
}

// parseEventQuery checks the flags of berth events, as of now; a bad one
// is a usage error. The container is resolved later, with the manager.
func parseEventQuery(id string, kinds []string, since, until string, now time.Time) (eventQuery, error) {
	var q eventQuery
	if id != "" {
		if err := checkRef(id); err != nil {
			return q, err
		}
	}
	for _, k := range kinds {
		k = strings.TrimSpace(k)
		if !slices.Contains(watch.Kinds, watch.Kind(k)) {
			return q, usagef("--kind %q: no such kind (one of %s)", k, kindNames())
		}
		q.kinds = append(q.kinds, watch.Kind(k))
	}
	var err error
	if q.since, err = parseWhen("since", since, now); err != nil {
		return q, err
	}
	if q.until, err = parseWhen("until", until, now); err != nil {
		return q, err
	}
	if !q.since.IsZero() && !q.until.IsZero() && !q.until.After(q.since) {
		return q, usagef("--until %s is not after --since %s", until, since)
	}
	return q, nil
}

// parseWhen reads the value of --since or --until: a duration back from
// now, an RFC 3339 time, or a local time in one of common.WhenLayouts (""
// is the zero time: no bound).
func parseWhen(flag, s string, now time.Time) (time.Time, error) {
	t, err := common.ParseWhen(s, now)
	switch {
	case errors.Is(err, common.ErrNegativeWhen):
		return t, usagef("--%s %s: give a duration back from now, positive (10m, 2h)", flag, s)
	case err != nil:
		return t, usagef("--%s %q: give a time (RFC 3339, or \"2006-01-02 15:04[:05]\" local) or a duration back from now (10m, 2h)", flag, s)
	}
	return t, nil
}

// kindNames lists every event kind, for help and errors.
func kindNames() string {
	names := make([]string, len(watch.Kinds))
	for i, k := range watch.Kinds {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}

// eventsOf picks the events of the container ref names: one that exists
// by its Ref, as the other commands resolve it. One that is gone is
// named in the history by its id (any root's) or its ROOT/ID; so is an
// id the history holds that resolves only as a prefix of another's, as
// an exact id wins over a prefix.
func eventsOf(ctx context.Context, m *core.Manager, ref string, history []watch.Event) (func(watch.Event) bool, error) {
	c, err := m.Resolve(ctx, ref)
	if err != nil && !errors.Is(err, core.ErrNotFound) {
		return nil, err
	}
	byHistory := func(ev watch.Event) bool { return ev.ID == ref }
	if strings.HasPrefix(ref, "/") {
		byHistory = func(ev watch.Event) bool { return ev.Ref() == ref }
	}
	if err == nil && (c.ID == ref || c.Name == ref || c.Ref() == ref || !slices.ContainsFunc(history, byHistory)) {
		r := c.Ref()
		return func(ev watch.Event) bool { return ev.Ref() == r }, nil
	}
	return byHistory, nil
}

// printEvent prints one event: a JSON line, or a text line.
func printEvent(g *globals, ev watch.Event) error {
	if g.json {
		return g.printJSONLine(ev)
	}
	_, err := fmt.Fprintln(g.stdout, format.Event(ev))
	return err
}
