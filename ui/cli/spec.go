package cli

import (
	"strings"

	"berth/ui/sanitize"

	"github.com/spf13/cobra"
)

func newSpecCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "spec ID",
		Short: "Print the OCI config.json a container runs with, indented",
		Long: "Print the OCI config.json a container runs with, indented, as the UI's y shows it:\n" +
			"for berth's own containers the runtime bundle berth wrote (the user's config with\n" +
			"root.path made absolute and the cgroup path set), for another manager's the\n" +
			"config.json in the bundle its runtime state names. It is JSON with or without --json.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, ref, err := g.managerFor(cmd, args[0])
			if err != nil {
				return err
			}
			_, js, err := m.SpecJSON(cmd.Context(), ref)
			if err != nil {
				return err
			}
			if isTerminal(g.stdout) {
				// JSON may carry C1 and bidirectional controls raw.
				lines := strings.Split(string(js), "\n")
				for i, l := range lines {
					lines[i] = sanitize.Line(l)
				}
				js = []byte(strings.Join(lines, "\n"))
			}
			_, err = g.stdout.Write(append(js, '\n'))
			return err
		},
	}
}
