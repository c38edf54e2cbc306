package cli

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"berth/core"
	"berth/ui/format"
	"berth/ui/sanitize"

	"github.com/spf13/cobra"
)

func newRunCmd(g *globals) *cobra.Command {
	var bundle string
	var detach, rm bool
	cmd := &cobra.Command{
		Use:   "run [-b BUNDLE] [-d] ID",
		Short: "Start a container from an OCI bundle",
		Long: "Start a container from an OCI bundle (default: the current directory) under a\n" +
			"berth shim. With -d it returns once the container's init runs; without, it\n" +
			"prints the container's output until it exits and exits with its status.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id := args[0]
			if err := checkID(id); err != nil {
				return err
			}
			if rm && detach {
				return usagef("--rm and --detach cannot be used together")
			}
			g.handOffAtExit = detach
			m, err := g.manager(cmd.Context())
			if err != nil {
				return err
			}
			// A detached run that prints only the id need not read the
			// container back.
			c, err := m.Run(cmd.Context(), id, core.RunOptions{Bundle: bundle, Quick: detach && !g.json})
			if err != nil {
				return err
			}
			if detach {
				if g.json {
					return g.printJSON(c)
				}
				fmt.Fprintln(g.stdout, id)
				return nil
			}
			return foreground(cmd.Context(), g, m, id, rm)
		},
	}
	cmd.Flags().StringVarP(&bundle, "bundle", "b", ".", "OCI bundle directory")
	cmd.Flags().BoolVarP(&detach, "detach", "d", false, "return once the container runs")
	cmd.Flags().BoolVar(&rm, "rm", false, "remove the container when it exits")
	return cmd
}

// foreground prints a container's output until it exits, forwarding
// SIGINT and SIGTERM to it, and returns its exit status. If this berth is
// killed, the container keeps running under its shim.
func foreground(ctx context.Context, g *globals, m *core.Manager, id string, rm bool) error {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	fctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	go func() {
		for {
			select {
			case s := <-sigs:
				m.Kill(fctx, id, s.(syscall.Signal))
			case <-fctx.Done():
				return
			}
		}
	}()
	term := terminals(g)
	err := m.Logs(fctx, id, core.LogOptions{Tail: -1, Follow: true}, func(l core.LogLine) error {
		return writeLogLine(g, l, false, term)
	})
	if err != nil {
		return err
	}
	c, err := m.Get(fctx, id)
	if err != nil {
		return err
	}
	code := ExitFailed
	if c.ExitStatus != nil {
		code = *c.ExitStatus
	}
	if rm {
		if err := m.Delete(fctx, id, true); err != nil {
			return err
		}
	}
	if code != 0 {
		return exitError{code}
	}
	return nil
}

func newPsCmd(g *globals) *cobra.Command {
	var quiet, noTrunc bool
	cmd := &cobra.Command{
		Use:   "ps",
		Short: "List containers, berth's and those in the external runtime roots",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := g.manager(cmd.Context())
			if err != nil {
				return err
			}
			cs, err := m.List(cmd.Context())
			if err != nil {
				return err
			}
			if quiet {
				ids := make([]string, 0, len(cs))
				for _, c := range cs {
					ids = append(ids, c.ID)
				}
				if g.json {
					return g.printJSON(ids)
				}
				for _, id := range ids {
					fmt.Fprintln(g.stdout, id)
				}
				return nil
			}
			if g.json {
				return g.printJSON(cs)
			}
			tw := tabwriter.NewWriter(g.stdout, 2, 8, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tOWNER\tIMAGE\tSTATUS\tPID\tCREATED\tOOM")
			now := time.Now()
			for _, c := range cs {
				id := c.ID
				if !noTrunc {
					id = format.ShortID(id)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\n", id, format.OrDash(OneLine(c.Name)), OneLine(c.Owner),
					format.OrDash(OneLine(c.Image)), statusText(c), pidText(c.Pid), format.Ago(now, c.Created), c.OOMKills)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "print ids only (with --json, a JSON array of them)")
	cmd.Flags().BoolVar(&noTrunc, "no-trunc", false, "print 64-character ids whole (they are shown as their first 12, which any command takes)")
	return cmd
}

// statusText is the status with its exit code or reason.
func statusText(c core.Container) string {
	s := string(c.Status)
	switch {
	case c.Status == core.StatusStopped && c.ExitStatus != nil:
		s += fmt.Sprintf(" (%d)", *c.ExitStatus)
		if c.OOMKilled {
			s += " oom"
		}
		if c.Reason != "" {
			s += ": " + OneLine(c.Reason)
		}
	case c.Status == core.StatusUnknown && c.Reason != "":
		s += ": " + OneLine(c.Reason)
	}
	return s
}

func pidText(pid int) string {
	if pid <= 0 {
		return "-"
	}
	return strconv.Itoa(pid)
}

func yesNo(b bool, yes, no string) string {
	if b {
		return yes
	}
	return no
}

func newTopCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "top ID",
		Short: "List a container's processes",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, id, err := g.managerFor(cmd, args[0])
			if err != nil {
				return err
			}
			ps, err := sampleProcesses(cmd.Context(), m, id, 200*time.Millisecond)
			if err != nil {
				return err
			}
			if g.json {
				return g.printJSON(ps)
			}
			tw := tabwriter.NewWriter(g.stdout, 2, 8, 2, ' ', 0)
			fmt.Fprintln(tw, "PID\tCPID\tPPID\tUSER\tSTATE\tCPU%\tRSS\tTHR\tCOMMAND")
			for _, p := range ps {
				user := strconv.Itoa(p.UID)
				if p.User != "" {
					user = OneLine(p.User)
				}
				fmt.Fprintf(tw, "%d\t%d\t%d\t%s\t%s\t%.1f\t%s\t%d\t%s\n", p.HostPid, p.ContainerPid, p.PPid,
					user, p.State, p.CPUPercent, format.HumanBytes(p.RSS), p.Threads, OneLine(p.Command))
			}
			return tw.Flush()
		},
	}
}

// sampleProcesses lists processes twice, interval apart, and fills each
// one's CPU% from the difference.
func sampleProcesses(ctx context.Context, m *core.Manager, id string, interval time.Duration) ([]core.Process, error) {
	first, err := m.Processes(ctx, id)
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	select {
	case <-time.After(interval):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	second, err := m.Processes(ctx, id)
	if err != nil {
		return nil, err
	}
	core.FillCPUPercent(first, second, time.Since(t0))
	return second, nil
}

func newStatsCmd(g *globals) *cobra.Command {
	var noStream bool
	var interval time.Duration
	cmd := &cobra.Command{
		Use:   "stats [--no-stream] [ID...]",
		Short: "Show containers' cpu, memory, pids, io and network use",
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, id := range args {
				if err := checkRef(id); err != nil {
					return err
				}
			}
			if interval < 100*time.Millisecond {
				return usagef("--interval must be at least 100ms")
			}
			m, err := g.manager(cmd.Context())
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			for i, ref := range args {
				if args[i], err = resolve(ctx, m, ref); err != nil {
					return err
				}
			}
			// The containers (and their cgroup paths) are resolved once and
			// again only every few samples or when one went away: a sample
			// is then only file reads.
			targets, err := m.StatsTargets(ctx, args)
			if err != nil {
				return err
			}
			prev, _ := core.SampleStats(targets, true)
			wait := interval
			if noStream {
				wait = 500 * time.Millisecond
			}
			clear := !noStream && !g.json && isTerminal(g.stdout)
			for tick := 1; ; tick++ {
				select {
				case <-time.After(wait):
				case <-ctx.Done():
					return nil
				}
				cur, stale := core.SampleStats(targets, true)
				if stale || (len(args) == 0 && tick%10 == 0) {
					if targets, err = m.StatsTargets(ctx, args); err != nil {
						return err
					}
					cur, _ = core.SampleStats(targets, true)
				}
				rows := statsRows(prev, cur)
				if err := printStats(g, rows, clear); err != nil {
					return err
				}
				if noStream {
					return nil
				}
				prev = cur
			}
		},
	}
	cmd.Flags().BoolVar(&noStream, "no-stream", false, "print one sample and exit")
	cmd.Flags().DurationVar(&interval, "interval", time.Second, "time between samples")
	return cmd
}

// statsRow is one line of `berth stats`.
type statsRow struct {
	core.Stats
	CPUPercent float64 `json:"cpuPercent"`
}

func statsRows(prev, cur []core.Stats) []statsRow {
	byRef := make(map[string]core.Stats, len(prev))
	for _, s := range prev {
		byRef[s.Ref()] = s
	}
	rows := make([]statsRow, 0, len(cur))
	for _, s := range cur {
		r := statsRow{Stats: s}
		if p, ok := byRef[s.Ref()]; ok {
			r.CPUPercent = core.CPUPercent(p, s)
		}
		rows = append(rows, r)
	}
	return rows
}

func printStats(g *globals, rows []statsRow, clear bool) error {
	if g.json {
		return g.printJSON(rows)
	}
	if clear {
		fmt.Fprint(g.stdout, "\x1b[H\x1b[2J")
	}
	tw := tabwriter.NewWriter(g.stdout, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCPU%\tMEM USAGE / LIMIT\tMEM%\tCACHE\tPIDS\tIO R / W\tNET RX / TX")
	for _, r := range rows {
		limit, pct := "-", "-"
		if r.MemoryLimit > 0 {
			limit = format.HumanBytes(r.MemoryLimit)
			pct = fmt.Sprintf("%.1f", float64(r.MemoryUsage)/float64(r.MemoryLimit)*100)
		}
		cpu := fmt.Sprintf("%.1f", r.CPUPercent)
		if r.CPUQuota > 0 {
			cpu += fmt.Sprintf(" (max %.0f)", r.CPUQuota*100)
		}
		// A container on the host's network has no traffic of its own.
		net := format.HumanBytes(r.NetRx) + " / " + format.HumanBytes(r.NetTx)
		if r.NetHost {
			net = "host"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s / %s\t%s\t%s\t%d\t%s / %s\t%s\n", format.ShortID(r.ID), cpu,
			format.HumanBytes(r.MemoryUsage), limit, pct, format.HumanBytes(r.MemoryCache), r.PidsCurrent,
			format.HumanBytes(r.IORead), format.HumanBytes(r.IOWrite), net)
	}
	return tw.Flush()
}

// outputTerminals says, for each of berth's output streams, whether it is
// a terminal: a container's stderr goes to berth's stderr, which is often
// still the operator's terminal when stdout is piped or redirected.
type outputTerminals struct{ stdout, stderr bool }

func terminals(g *globals) outputTerminals {
	return outputTerminals{stdout: isTerminal(g.stdout), stderr: isTerminal(g.stderr)}
}

// writeLogLine prints one log line: JSON, or the raw bytes to the stream
// they came from, escaped when that stream is a terminal.
func writeLogLine(g *globals, l core.LogLine, timestamps bool, term outputTerminals) error {
	if g.json {
		return g.printJSONLine(l)
	}
	w, escape := g.stdout, term.stdout
	if l.Stream == "stderr" {
		w, escape = g.stderr, term.stderr
	}
	data := l.Data
	if escape {
		data = []byte(sanitize.Line(string(data)))
	}
	if timestamps {
		fmt.Fprint(w, l.Time.Format(time.RFC3339Nano), " ")
	}
	_, err := w.Write(append(data, '\n'))
	return err
}

func newExecCmd(g *globals) *cobra.Command {
	var tty, detach bool
	var env []string
	var cwd string
	cmd := &cobra.Command{
		Use:   "exec [-t] [-d] ID -- CMD...",
		Short: "Run a command in a running container",
		Long: "Run a command in a running container: attached to this terminal (-t gives it a\n" +
			"terminal), or detached under a shim of its own with -d, its output logged\n" +
			"(berth logs --exec NAME).",
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			id := args[0]
			if err := checkRef(id); err != nil {
				return err
			}
			if tty && detach {
				return usagef("-t and -d cannot be used together: a detached exec has no terminal")
			}
			g.handOffAtExit = detach
			m, err := g.manager(cmd.Context())
			if err != nil {
				return err
			}
			if id, err = resolve(cmd.Context(), m, id); err != nil {
				return err
			}
			command := args[1:]
			if command[0] == "--" {
				command = command[1:]
			}
			if len(command) == 0 {
				return usagef("exec needs a command after the id")
			}
			o := core.ExecOptions{Args: command, Env: env, Cwd: cwd, Tty: tty}
			if detach {
				name, pid, err := m.Exec(cmd.Context(), id, o)
				if err != nil {
					return err
				}
				if g.json {
					return g.printJSON(map[string]any{"id": id, "exec": name, "pid": pid})
				}
				fmt.Fprintln(g.stdout, name)
				return nil
			}
			code, err := m.ExecAttached(cmd.Context(), id, o, g.stdin, g.stdout, g.stderr)
			if err != nil {
				return err
			}
			if code != 0 {
				return exitError{code}
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&tty, "tty", "t", false, "give the command a terminal")
	cmd.Flags().BoolVarP(&detach, "detach", "d", false, "run it in the background under a shim")
	cmd.Flags().StringArrayVarP(&env, "env", "e", nil, "add VAR=value to its environment")
	cmd.Flags().StringVarP(&cwd, "cwd", "w", "", "working directory in the container")
	cmd.Flags().SetInterspersed(false)
	return cmd
}

// eachID runs op for every id, reports each failure on its own line, and
// fails if any did. The ids done are the result (a JSON array with
// --json); when none was done there is no result at all, so a script never
// takes an empty `[]` for success.
//
// guard is the core op (core.OpPause...) whose going behind another
// manager's back is asked about first: on a terminal the operator answers,
// elsewhere force must be given; "" asks nothing.
func eachID(g *globals, cmd *cobra.Command, args []string, guard string, force bool, op func(*core.Manager, context.Context, string) error) error {
	for _, id := range args {
		if err := checkRef(id); err != nil {
			return err
		}
	}
	m, err := g.manager(cmd.Context())
	if err != nil {
		return err
	}
	failed := 0
	var done []string
	for _, id := range args {
		c, err := m.Resolve(cmd.Context(), id)
		if err == nil && guard != "" && !force {
			err = g.confirmBypass(c, m.Via(c, guard).Warning, guard)
		}
		if err == nil {
			err = op(m, cmd.Context(), c.Ref())
		}
		if err != nil {
			failed++
			fmt.Fprintln(g.stderr, "berth: "+OneLine(err.Error()))
			continue
		}
		done = append(done, id)
	}
	switch {
	case !g.json:
		for _, id := range done {
			fmt.Fprintln(g.stdout, id)
		}
	case len(done) > 0:
		if err := g.printJSON(done); err != nil {
			return err
		}
	}
	if failed > 0 {
		return exitError{ExitFailed}
	}
	return nil
}

func newPauseCmd(g *globals) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "pause [--force] ID...",
		Short: "Freeze every process of containers (another manager's through its own CLI)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return eachID(g, cmd, args, core.OpPause, force, (*core.Manager).Pause)
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, bypassHelp)
	return cmd
}

func newResumeCmd(g *globals) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "resume [--force] ID...",
		Short: "Thaw paused containers (another manager's through its own CLI)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return eachID(g, cmd, args, core.OpResume, force, (*core.Manager).Resume)
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, bypassHelp)
	return cmd
}

func newStartCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "start ID...",
		Short: "Start stopped containers again, keeping their id, logs, checkpoints and history",
		Long: "Start berth containers that have stopped again from their runtime bundle (the spec\n" +
			"they were created with and the limits updated since), under a new shim. Their\n" +
			"output log continues. Another manager's containers are its to start.",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			g.handOffAtExit = true
			return eachID(g, cmd, args, "", false, func(m *core.Manager, ctx context.Context, id string) error {
				_, err := m.Start(ctx, id)
				return err
			})
		},
	}
}

func newRestartCmd(g *globals) *cobra.Command {
	var seconds int
	cmd := &cobra.Command{
		Use:   "restart [-t SECONDS] ID...",
		Short: "Stop containers (TERM, KILL after the timeout) and start them again",
		Long: "Stop berth containers (SIGTERM to init, SIGKILL if it has not exited after -t\n" +
			"seconds; a paused one is resumed first) and start them again as start does.\n" +
			"A stopped one is just started.",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if seconds < 0 {
				return usagef("-t %d: the timeout is 0 or more seconds", seconds)
			}
			timeout := time.Duration(seconds) * time.Second
			g.handOffAtExit = true
			return eachID(g, cmd, args, "", false, func(m *core.Manager, ctx context.Context, id string) error {
				_, err := m.Restart(ctx, id, timeout)
				return err
			})
		},
	}
	cmd.Flags().IntVarP(&seconds, "time", "t", int(core.DefaultStopTimeout/time.Second), "seconds to wait for init to exit after SIGTERM before SIGKILL")
	return cmd
}

// bypassHelp is the help of --force on ops another manager should do.
const bypassHelp = "act through the runtime without asking when the container's manager (its CLI not installed, or Kubernetes) will not know"

// confirmBypass asks before an op goes behind another manager's back
// (warning is what goes out of step): on a terminal the operator answers
// y, elsewhere --force is the answer.
func (g *globals) confirmBypass(c core.Container, warning, op string) error {
	if warning == "" {
		return nil
	}
	what := fmt.Sprintf("%s: %s", OneLine(c.Qualified()), OneLine(warning))
	if !isTerminal(g.stdin) || !isTerminal(g.stderr) {
		return fmt.Errorf("%s; %s it anyway with --force: %w", what, op, core.ErrUnmanaged)
	}
	fmt.Fprintf(g.stderr, "berth: %s.\n%s anyway? [y/N] ", what, op)
	answer, _ := bufio.NewReader(g.stdin).ReadString('\n')
	if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
		return fmt.Errorf("%s: not done: %w", OneLine(c.Qualified()), core.ErrUnmanaged)
	}
	return nil
}

func newKillCmd(g *globals) *cobra.Command {
	var sig string
	var force bool
	cmd := &cobra.Command{
		Use:   "kill [-s SIGNAL] [--force] ID...",
		Short: "Send a signal to containers' init (default TERM)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := core.ParseSignal(sig)
			if err != nil {
				return usageError{err}
			}
			return eachID(g, cmd, args, core.OpKill, force, func(m *core.Manager, ctx context.Context, id string) error {
				return m.Kill(ctx, id, s)
			})
		},
	}
	cmd.Flags().StringVarP(&sig, "signal", "s", "TERM", "signal name or number")
	cmd.Flags().BoolVar(&force, "force", false, bypassHelp)
	return cmd
}

func newRmCmd(g *globals) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "rm [-f] ID...",
		Short: "Remove stopped containers (-f: kill running ones first)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return eachID(g, cmd, args, "", false, func(m *core.Manager, ctx context.Context, id string) error {
				return m.Delete(ctx, id, force)
			})
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "kill the container if it runs")
	return cmd
}

func newUpdateCmd(g *globals) *cobra.Command {
	var memory, pids, cpus string
	var force bool
	cmd := &cobra.Command{
		Use:   "update ID [--memory SIZE] [--pids N] [--cpus N] [--force]",
		Short: "Change a running container's memory, pids and cpu limits",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id := args[0]
			if err := checkRef(id); err != nil {
				return err
			}
			r, err := format.ParseLimits(memory, pids, cpus)
			if err != nil {
				return usagef("%v", err)
			}
			m, err := g.manager(cmd.Context())
			if err != nil {
				return err
			}
			c, err := m.Resolve(cmd.Context(), id)
			if err != nil {
				return err
			}
			if !force {
				if err := g.confirmBypass(c, m.Via(c, core.OpUpdate).Warning, core.OpUpdate); err != nil {
					return err
				}
			}
			if err := m.Update(cmd.Context(), c.Ref(), r); err != nil {
				return err
			}
			if g.json {
				return g.printJSON(newUpdateResult(id, r))
			}
			fmt.Fprintln(g.stdout, id)
			return nil
		},
	}
	cmd.Flags().StringVar(&memory, "memory", "", "memory limit (e.g. 256m or 256MiB, 1g; 0 for none)")
	cmd.Flags().StringVar(&pids, "pids", "", "maximum number of processes (0 for none)")
	cmd.Flags().StringVar(&cpus, "cpus", "", "CPU limit in CPUs (e.g. 0.5; 0 for none)")
	cmd.Flags().BoolVar(&force, "force", false, bypassHelp)
	return cmd
}

// updateResult is what `berth update --json` prints: the limits it set,
// under the names stats gives them, 0 for one lifted (core's -1); a limit
// not given is absent.
type updateResult struct {
	ID          string   `json:"id"`
	MemoryLimit *int64   `json:"memoryLimitBytes,omitempty"`
	PidsLimit   *int64   `json:"pidsLimit,omitempty"`
	CPUQuota    *float64 `json:"cpuQuota,omitempty"`
}

func newUpdateResult(id string, r core.Resources) updateResult {
	lifted := func(p *int64) *int64 {
		if p == nil || *p >= 0 {
			return p
		}
		none := int64(0)
		return &none
	}
	return updateResult{ID: id, MemoryLimit: lifted(r.MemoryBytes), PidsLimit: lifted(r.Pids), CPUQuota: r.CPUs}
}
