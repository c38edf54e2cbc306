package cli

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
	"unicode/utf8"

	"berth/core"
	"berth/ui/sanitize"

	"github.com/spf13/cobra"
)

// logsFlags are berth logs' flags as given.
type logsFlags struct {
	follow, timestamps bool
	lines              int
	proc               string
	since, until       string
}

func newLogsCmd(g *globals) *cobra.Command {
	var f logsFlags
	cmd := &cobra.Command{
		Use:   "logs [-f] [-n N] [--since TIME|DURATION] [--until TIME|DURATION] ID...",
		Short: "Print a container's output, or several containers' merged by time",
		Long: "Print a container's output as its shim recorded it or, for a container another\n" +
			"manager started, as that manager's log keeps it (docker's json-file, the CRI\n" +
			"logs of Kubernetes and podman). Control characters are escaped on each stream\n" +
			"that is a terminal and passed through where piped.\n\n" +
			"--since and --until take a time (RFC 3339, or \"2006-01-02 15:04[:05]\" local) or a\n" +
			"duration back from now (10m, 2h); -n counts the lines within them. --until ends\n" +
			"the output at that time: with -f the follow stops there, and in the past\n" +
			"nothing is followed.\n\n" +
			"Several IDs merge their containers' output by time, each line prefixed by its\n" +
			"ID as given (in JSON, a \"container\" field with its ref); -n is per container.",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts, err := f.options(cmd, time.Now())
			if err != nil {
				return err
			}
			if len(args) == 1 {
				m, id, err := g.managerFor(cmd, args[0])
				if err != nil {
					return err
				}
				term := terminals(g)
				return m.Logs(cmd.Context(), id, opts, func(l core.LogLine) error {
					return writeLogLine(g, l, f.timestamps, term)
				})
			}
			var sources []logTarget
			for _, a := range args {
				m, id, err := g.managerFor(cmd, a)
				if err != nil {
					return err
				}
				sources = append(sources, logTarget{m: m, ref: id, label: a})
			}
			return mergedLogs(cmd.Context(), g, sources, opts, f.timestamps, time.Now())
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&f.follow, "follow", "f", false, "keep printing new output until the container exits")
	fl.IntVarP(&f.lines, "tail", "n", 0, "print only the last N lines (default: all)")
	fl.BoolVarP(&f.timestamps, "timestamps", "t", false, "prefix each line with its time")
	fl.StringVar(&f.proc, "exec", "", "an exec's output instead of init's (its name from berth exec -d; berth's containers only)")
	fl.StringVar(&f.since, "since", "", "only lines at or after this TIME or DURATION ago (e.g. 10m, 2h, \"2026-01-02 15:04\")")
	fl.StringVar(&f.until, "until", "", "only lines before this TIME or DURATION ago; the output ends there")
	return cmd
}

// options checks the flags and turns them into core's options.
func (f logsFlags) options(cmd *cobra.Command, now time.Time) (core.LogOptions, error) {
	opts := core.LogOptions{Tail: -1, Follow: f.follow, Proc: f.proc}
	if cmd.Flags().Changed("tail") {
		if f.lines < 0 {
			return opts, usagef("-n %d: give a number of lines, 0 or more", f.lines)
		}
		opts.Tail = f.lines
	}
	var err error
	if opts.Since, err = parseWhen("since", f.since, now); err != nil {
		return opts, err
	}
	if opts.Until, err = parseWhen("until", f.until, now); err != nil {
		return opts, err
	}
	if !opts.Since.IsZero() && !opts.Until.IsZero() && !opts.Until.After(opts.Since) {
		return opts, usagef("--until %s is not after --since %s", f.until, f.since)
	}
	return opts, nil
}

// logTarget is one container of a merged berth logs.
type logTarget struct {
	m     *core.Manager
	ref   string
	label string // as the operator gave it
}

// taggedLine is a line of a merged output, with its container's ref.
type taggedLine struct {
	Container string `json:"container"`
	core.LogLine
	label string
}

// mergedLogs prints the output of several containers merged by time: the
// lines before now (each container's last opts.Tail of them) read whole,
// sorted and printed; then with opts.Follow every line from now on, from
// all of them as they come, until all have ended, ctx ends or opts.Until.
// Only the first part is held, bounded by -n when it is given.
func mergedLogs(ctx context.Context, g *globals, targets []logTarget, opts core.LogOptions, timestamps bool, now time.Time) error {
	width := 0
	for _, t := range targets {
		// fmt pads by runes.
		width = max(width, utf8.RuneCountInString(sanitize.Line(t.label)))
	}
	term := terminals(g)
	var mu sync.Mutex
	emit := func(l taggedLine) error {
		mu.Lock()
		defer mu.Unlock()
		return writeTaggedLine(g, l, width, timestamps, term)
	}
	past := opts
	past.Follow = false
	if past.Until.IsZero() || past.Until.After(now) {
		past.Until = now
	}
	var lines [][]taggedLine
	for _, t := range targets {
		var got []taggedLine
		err := t.m.Logs(ctx, t.ref, past, func(l core.LogLine) error {
			got = append(got, taggedLine{Container: t.ref, LogLine: l, label: t.label})
			return nil
		})
		if err != nil {
			return err
		}
		lines = append(lines, got)
	}
	for _, l := range mergeByTime(lines) {
		if err := emit(l); err != nil {
			return err
		}
	}
	if !opts.Follow || !opts.Until.IsZero() && !opts.Until.After(now) {
		return nil
	}
	live := opts
	live.Tail, live.Since = -1, now
	if opts.Since.After(now) {
		live.Since = opts.Since
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make([]error, len(targets))
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = t.m.Logs(ctx, t.ref, live, func(l core.LogLine) error {
				return emit(taggedLine{Container: t.ref, LogLine: l, label: t.label})
			})
			if errs[i] != nil {
				cancel()
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// mergeByTime merges lists of lines each in time order into one; lines
// of the same time keep the order of their lists.
func mergeByTime(lists [][]taggedLine) []taggedLine {
	var all []taggedLine
	for _, l := range lists {
		all = append(all, l...)
	}
	slices.SortStableFunc(all, func(a, b taggedLine) int { return cmp.Compare(a.Time.UnixNano(), b.Time.UnixNano()) })
	return all
}

// writeTaggedLine prints a line of a merged output: as writeLogLine does,
// its container's label first, padded to width.
func writeTaggedLine(g *globals, l taggedLine, width int, timestamps bool, term outputTerminals) error {
	if g.json {
		return g.printJSONLine(l)
	}
	w := g.stdout
	if l.Stream == "stderr" {
		w = g.stderr
	}
	fmt.Fprintf(w, "%-*s | ", width, sanitize.Line(l.label))
	return writeLogLine(g, l.LogLine, timestamps, term)
}
