package cli

import (
	"fmt"
	"os"
	"os/signal"
	"strings"

	"berth/core"
	"berth/ui/format"

	"github.com/spf13/cobra"
)

func newMigrateCmd(g *globals) *cobra.Command {
	var ssh, remoteBerth string
	var lazy bool
	cmd := &cobra.Command{
		Use:   "migrate [--lazy] [--ssh CMD] [--remote-berth CMD] ID [USER@]HOST[:STATE_DIR]",
		Short: "Move a running container to another host over ssh (checkpoint, stream, restore there)",
		Long: "Checkpoint the container with a copy of its root filesystem, stream it over the\n" +
			"system's ssh to the berth on HOST (on its PATH, or --remote-berth), restore it there\n" +
			"under the same id, and remove it here once the remote reports it running. Any\n" +
			"failure after the checkpoint restores it here and says what happened.\n\n" +
			"--lazy migrates post-copy: the memory pages are not in the checkpoint but follow\n" +
			"the restore there through the same ssh (CRIU lazy pages), so the container is\n" +
			"frozen only for the rest; until every page has moved it needs both hosts, and a\n" +
			"failure before that thaws it here and removes the copy there.",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkRef(args[0]); err != nil {
				return err
			}
			o, err := remoteTarget("migrate", args[1], ssh, remoteBerth)
			if err != nil {
				return err
			}
			o.Lazy = lazy
			m, err := g.manager(cmd.Context())
			if err != nil {
				return err
			}
			id, err := resolve(cmd.Context(), m, args[0])
			if err != nil {
				return err
			}
			if isTerminal(g.stderr) && !g.json {
				o.Progress = func(sent, total int64) {
					fmt.Fprintf(g.stderr, "\r%s", format.Progress(sent, total, 30))
				}
			}
			// An interrupt ends the migration the way a failure does (the
			// container runs here again), never half-way: a berth killed
			// while the pages stream would leave CRIU taking the closed
			// connection for a finished transfer.
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
			defer stop()
			mig, err := m.Migrate(ctx, id, o)
			if o.Progress != nil {
				fmt.Fprintln(g.stderr)
			}
			if err != nil {
				return err
			}
			if g.json {
				return g.printJSON(mig)
			}
			if mig.Lazy {
				fmt.Fprintf(g.stdout, "%s runs on %s (%s sent before it ran there, %.0f ms from freeze to running there; %s of pages after)\n",
					OneLine(mig.ID), OneLine(mig.Host), format.HumanBytes(uint64(mig.Bytes)), mig.DowntimeMs, format.HumanBytes(uint64(mig.PagesBytes)))
				return nil
			}
			fmt.Fprintf(g.stdout, "%s runs on %s (%s sent, %.0f ms from freeze to running there)\n",
				OneLine(mig.ID), OneLine(mig.Host), format.HumanBytes(uint64(mig.Bytes)), mig.DowntimeMs)
			return nil
		},
	}
	cmd.Flags().StringVar(&ssh, "ssh", "ssh", "the ssh command and its options (\"ssh -p 2222 -i key\")")
	cmd.Flags().StringVar(&remoteBerth, "remote-berth", "berth", "the berth command on the remote, with any global flags")
	cmd.Flags().BoolVar(&lazy, "lazy", false, "post-copy: restore there first, the memory pages following (CRIU lazy pages)")
	return cmd
}

// remoteTarget is where [USER@]HOST[:STATE_DIR] and the ssh and remote
// berth commands point, for migrate and doctor --remote.
func remoteTarget(cmd, target, ssh, remoteBerth string) (core.MigrateOptions, error) {
	host, stateDir, _ := strings.Cut(target, ":")
	if host == "" || strings.HasPrefix(host, "-") {
		return core.MigrateOptions{}, usagef("%s: %q is not [USER@]HOST[:STATE_DIR]", cmd, target)
	}
	if len(strings.Fields(ssh)) == 0 || len(strings.Fields(remoteBerth)) == 0 {
		return core.MigrateOptions{}, usagef("%s: --ssh and --remote-berth need a command", cmd)
	}
	return core.MigrateOptions{SSH: strings.Fields(ssh), Host: host, StateDir: stateDir, RemoteBerth: strings.Fields(remoteBerth)}, nil
}

// newMigrateReceiveCmd is the remote side of migrate, run by it over ssh:
// a checkpoint on stdin, restored here; the container as JSON on stdout.
func newMigrateReceiveCmd(g *globals) *cobra.Command {
	var check, lazy bool
	var into string
	cmd := &cobra.Command{
		Use:    "migrate-receive [--check] [--lazy [--into DIR]] ID [NAME]",
		Short:  "The remote side of migrate (run by it over ssh)",
		Hidden: true,
		Args:   cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkID(args[0]); err != nil {
				return err
			}
			if !check && len(args) != 2 {
				return usagef("migrate-receive: give the checkpoint's NAME")
			}
			m, err := g.manager(cmd.Context())
			if err != nil {
				return err
			}
			switch {
			case check && lazy:
				dir, err := m.PrepareLazyReceive(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				return g.printJSON(map[string]string{"dir": dir})
			case check:
				_, err := m.ReceiveMigration(cmd.Context(), args[0], "", nil)
				return err
			case lazy:
				return m.ReceiveLazyMigration(cmd.Context(), into, args[0], args[1], g.stdin, func(c core.Container) {
					g.printJSONLine(c)
				})
			}
			c, err := m.ReceiveMigration(cmd.Context(), args[0], args[1], g.stdin)
			if err != nil {
				return err
			}
			return g.printJSON(c)
		},
	}
	cmd.Flags().BoolVar(&check, "check", false, "only check that ID can be received here")
	cmd.Flags().BoolVar(&lazy, "lazy", false, "post-copy: with --check, prepare a directory for it; else receive into --into")
	cmd.Flags().StringVar(&into, "into", "", "the directory --check --lazy prepared")
	return cmd
}
