// Package cli is berth's headless interface: one cobra command per
// operation, each with --json for scripts, errors as one line on stderr
// naming the container, and exit codes 0 (ok), 1 (operation failed) and
// 2 (usage).
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"berth/core"
	"berth/ui/sanitize"

	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// Exit codes.
const (
	ExitOK     = 0
	ExitFailed = 1
	ExitUsage  = 2
)

// usageError marks errors in how berth was invoked.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

// exitError carries a status to exit with, without a message of its own
// (for example a foreground container's exit status).
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// globals are the flags every command shares.
type globals struct {
	stateDir      string
	runtime       string
	runtimeRoot   string
	externalRoots []string
	cgroupParent  string
	startTimeout  time.Duration
	json          bool
	stdout        io.Writer
	stderr        io.Writer
	stdin         io.Reader
	// inUI: the terminal UI takes the screen, and says warnings itself.
	inUI bool
	// handOffAtExit: the command returns once the containers it starts
	// run (core.Options.HandOffAtExit).
	handOffAtExit bool
}

// manager opens the core manager with the global flags. A given external
// root that does not exist is said on stderr (the UI shows it in its
// footer instead): a typo there would hide containers without a word.
func (g *globals) manager(ctx context.Context) (*core.Manager, error) {
	m, err := core.Open(ctx, core.Options{
		StateDir:      g.stateDir,
		Runtime:       g.runtime,
		RuntimeRoot:   g.runtimeRoot,
		ExternalRoots: g.externalRoots,
		CgroupParent:  g.cgroupParent,
		StartTimeout:  g.startTimeout,
		HandOffAtExit: g.handOffAtExit,
	})
	if err == nil && !g.inUI {
		for _, w := range rootWarnings(m) {
			fmt.Fprintln(g.stderr, "berth: "+w)
		}
	}
	return m, err
}

// rootWarnings are the given external roots that do not exist.
func rootWarnings(m *core.Manager) []string {
	_, missing := m.ExternalRoots()
	var out []string
	for _, r := range missing {
		out = append(out, fmt.Sprintf("external root %s does not exist: its containers are not listed", r))
	}
	return out
}

// managerFor validates a container reference from the command line (a
// usage error when bad), opens the manager and resolves the reference to
// the container's Ref.
func (g *globals) managerFor(cmd *cobra.Command, ref string, resolvers ...resolver) (*core.Manager, string, error) {
	if err := checkRef(ref); err != nil {
		return nil, "", err
	}
	m, err := g.manager(cmd.Context())
	if err != nil {
		return nil, "", err
	}
	res := resolve
	if len(resolvers) > 0 {
		res = resolvers[0]
	}
	ref, err = res(cmd.Context(), m, ref)
	return m, ref, err
}

// resolver turns a reference from the command line into a Ref.
type resolver func(context.Context, *core.Manager, string) (string, error)

// resolveCheckpoints is resolve for the commands about checkpoints: a
// container its manager removed is still named by its checkpoints.
func resolveCheckpoints(ctx context.Context, m *core.Manager, ref string) (string, error) {
	c, err := m.ResolveCheckpoints(ctx, ref)
	if err != nil {
		return "", err
	}
	return c.Ref(), nil
}

// resolve turns a container reference (an id, a unique prefix, a
// manager's name, OWNER/ID) into the container's Ref.
func resolve(ctx context.Context, m *core.Manager, ref string) (string, error) {
	c, err := m.Resolve(ctx, ref)
	if err != nil {
		return "", err
	}
	return c.Ref(), nil
}

// printJSONLine writes v as one line of JSON, as a stream of records
// (events, log lines) is printed.
func (g *globals) printJSONLine(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = g.stdout.Write(append(b, '\n'))
	return err
}

// printJSON writes v as indented JSON.
func (g *globals) printJSON(v any) error {
	enc := json.NewEncoder(g.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// Main runs the CLI with args and returns the process exit code.
func Main(args []string) int {
	return run(args, os.Stdin, os.Stdout, os.Stderr)
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	g := &globals{stdout: stdout, stderr: stderr, stdin: stdin}
	root := newRoot(g, &tuiFlags{})
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	fmt.Fprintln(stderr, "berth: "+OneLine(err.Error()))
	var ue usageError
	if errors.As(err, &ue) {
		return ExitUsage
	}
	return ExitFailed
}

func newRoot(g *globals, tf *tuiFlags) *cobra.Command {
	root := &cobra.Command{
		Use:   "berth",
		Short: "A terminal container manager for runc",
		Long: "berth lists, inspects and operates runc containers. Every operation is also a\n" +
			"plain command with --json. Containers run under small per-container shims and\n" +
			"outlive berth.",
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return openUI(cmd, g, tf)
		},
	}
	root.CompletionOptions.DisableDefaultCmd = true
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error { return usageError{err} })
	pf := root.PersistentFlags()
	pf.StringVar(&g.stateDir, "state-dir", envOr("BERTH_STATE_DIR", core.DefaultStateDir), "state directory (env BERTH_STATE_DIR)")
	pf.StringVar(&g.runtime, "runtime", envOr("BERTH_RUNTIME", core.DefaultRuntime), "OCI runtime speaking runc's CLI")
	pf.StringVar(&g.runtimeRoot, "runtime-root", "", "runtime root for containers berth starts (default <state-dir>/.runc)")
	pf.StringArrayVar(&g.externalRoots, "external-root", nil, "runtime root (or glob) to list containers berth did not start (repeatable; default "+strings.Join(core.DefaultExternalRoots, ", ")+"; \"\" for none)")
	pf.StringVar(&g.cgroupParent, "cgroup-parent", core.DefaultCgroupParent, "cgroup parent for containers whose bundle sets no cgroupsPath")
	pf.DurationVar(&g.startTimeout, "start-timeout", core.DefaultStartTimeout, "how long a start may take before it is killed")
	pf.BoolVar(&g.json, "json", false, "print JSON")
	root.AddCommand(
		newRunCmd(g), newPsCmd(g), newTopCmd(g), newStatsCmd(g), newLogsCmd(g),
		newExecCmd(g), newStartCmd(g), newRestartCmd(g), newPauseCmd(g), newResumeCmd(g), newKillCmd(g), newRmCmd(g),
		newUpdateCmd(g), newEventsCmd(g), newCheckpointCmd(g), newRestoreCmd(g),
		newMigrateCmd(g), newMigrateReceiveCmd(g), newHostCmd(g), newSpecCmd(g), newDoctorCmd(g), newDemoCmd(g, tf),
	)
	addTUIFlags(root, tf)
	wrapArgs(root)
	return root
}

// wrapArgs makes every subcommand's argument errors usage errors (exit 2).
func wrapArgs(parent *cobra.Command) {
	for _, c := range parent.Commands() {
		c.SilenceUsage = true
		if c.Args == nil {
			c.Args = cobra.ArbitraryArgs
		}
		args := c.Args
		c.Args = func(cmd *cobra.Command, a []string) error {
			if err := args(cmd, a); err != nil {
				return usageError{err}
			}
			return nil
		}
	}
}

func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("unknown command %q (see berth --help)", args[0])
	}
	return nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// checkRef validates a container reference given on the command line as a
// usage error.
func checkRef(ref string) error {
	if err := core.ValidateRef(ref); err != nil {
		return usageError{err}
	}
	return nil
}

// checkID validates a new container's id given on the command line as a
// usage error.
func checkID(id string) error {
	if err := core.ValidateID(id); err != nil {
		return usageError{err}
	}
	return nil
}

// OneLine is sanitize.OneLine: one safe line for errors.
var OneLine = sanitize.OneLine

// isTerminal reports whether w (a reader or a writer) is a terminal.
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
