package cli

import (
	"fmt"
	"os"
	"text/tabwriter"

	"berth/core"
	"berth/demo"
	"berth/doctor"

	"github.com/spf13/cobra"
)

func newDoctorCmd(g *globals) *cobra.Command {
	var remote, ssh, remoteBerth string
	cmd := &cobra.Command{
		Use:   "doctor [--remote [USER@]HOST[:STATE_DIR] [--ssh CMD] [--remote-berth CMD]]",
		Short: "Check the runtime, CRIU, cgroups, kernel and permissions, each with a fix",
		Long: "Check what berth needs from this host, each finding with a fix. With --remote, check\n" +
			"the host a migration would go to instead, over the ssh and remote berth migrate uses.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var checks []doctor.Check
			if remote != "" {
				o, err := remoteTarget("doctor --remote", remote, ssh, remoteBerth)
				if err != nil {
					return err
				}
				checks = doctor.Remote(cmd.Context(), o)
			} else {
				checks = doctor.Doctor(cmd.Context(), core.Options{StateDir: g.stateDir, Runtime: g.runtime})
			}
			failed := false
			for _, c := range checks {
				failed = failed || c.Status == doctor.CheckFail
			}
			if g.json {
				if err := g.printJSON(checks); err != nil {
					return err
				}
			} else {
				tw := tabwriter.NewWriter(g.stdout, 2, 8, 2, ' ', 0)
				fmt.Fprintln(tw, "CHECK\tSTATUS\tDETAIL")
				for _, c := range checks {
					fmt.Fprintf(tw, "%s\t%s\t%s\n", c.Name, c.Status, OneLine(c.Detail))
					if c.Fix != "" {
						fmt.Fprintf(tw, "\t\tfix: %s\n", c.Fix)
					}
				}
				tw.Flush()
			}
			if failed {
				return exitError{ExitFailed}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&remote, "remote", "", "check the host a migration would go to, over ssh")
	cmd.Flags().StringVar(&ssh, "ssh", "ssh", "with --remote: the ssh command and its options")
	cmd.Flags().StringVar(&remoteBerth, "remote-berth", "berth", "with --remote: the berth command there, with any global flags")
	return cmd
}

func newDemoCmd(g *globals, tf *tuiFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "demo",
		Short: "Start four demo containers (cpu burner, OOM-ing memory grower, chatty logger, sleeper), then open the UI",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := g.manager(cmd.Context())
			if err != nil {
				return err
			}
			if _, err := demo.Start(cmd.Context(), m); err != nil {
				return err
			}
			// On a terminal the demo ends in the UI; piped (scripts,
			// tests) it prints the list.
			if isTerminal(g.stdout) && isTerminal(os.Stdin) {
				return openUI(cmd, g, tf)
			}
			return newPsCmd(g).RunE(cmd, nil)
		},
	}
}
