package cli

import (
	"encoding/json"
	"fmt"
	"time"

	"berth/ui/format"
	"berth/watch"

	"github.com/spf13/cobra"
)

func newEventsCmd(g *globals) *cobra.Command {
	var since time.Duration
	var noFollow bool
	cmd := &cobra.Command{
		Use:   "events [--since DURATION] [--no-follow]",
		Short: "Print the event history (OOM kills, exits, lifecycle), then follow live",
		Long: "Print what happened to containers, from the journal the shims and berth keep in\n" +
			"the state dir (so history covers the time no berth ran), then follow live events:\n" +
			"OOM kills the moment they happen, with a snapshot of the container's memory.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if since < 0 {
				return usagef("--since must be positive")
			}
			m, err := g.manager(cmd.Context())
			if err != nil {
				return err
			}
			var from time.Time
			if since > 0 {
				from = time.Now().Add(-since)
			}
			// Subscribe before reading the history, so nothing falls
			// between the two; what is in both is printed once.
			var live <-chan []watch.Event
			var failed <-chan error
			if !noFollow {
				live, failed = m.Subscribe(cmd.Context())
			}
			history, warns := m.History(from)
			for _, w := range warns {
				fmt.Fprintln(g.stderr, "berth: warning: "+OneLine(w))
			}
			seen := watch.Seen(history)
			for _, ev := range history {
				if err := printEvent(g, ev); err != nil {
					return err
				}
			}
			if live == nil {
				return nil
			}
			for batch := range live {
				for _, ev := range batch {
					if !seen.First(ev) {
						continue
					}
					if err := printEvent(g, ev); err != nil {
						return err
					}
				}
			}
			return <-failed
		},
	}
	cmd.Flags().DurationVar(&since, "since", 0, "only events newer than this (e.g. 10m, 2h)")
	cmd.Flags().BoolVar(&noFollow, "no-follow", false, "print the history and exit")
	return cmd
}

// printEvent prints one event: a JSON line, or a text line.
func printEvent(g *globals, ev watch.Event) error {
	if g.json {
		b, err := json.Marshal(ev)
		if err != nil {
			return err
		}
		_, err = g.stdout.Write(append(b, '\n'))
		return err
	}
	_, err := fmt.Fprintln(g.stdout, format.Event(ev))
	return err
}
