package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"berth/core"
	"berth/ui/format"

	"github.com/spf13/cobra"
)

func newCheckpointCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "checkpoint",
		Short: "Create, list, inspect, remove, export and import checkpoints (CRIU)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return usagef("checkpoint needs a subcommand: create, ls, rm, inspect, diff, export or import")
		},
	}
	cmd.AddCommand(newCheckpointCreateCmd(g), newCheckpointLsCmd(g), newCheckpointRmCmd(g),
		newCheckpointExportCmd(g), newCheckpointImportCmd(g), newCheckpointInspectCmd(g), newCheckpointDiffCmd(g))
	wrapArgs(cmd)
	return cmd
}

func checkName(name string) error {
	if err := core.ValidateName(name); err != nil {
		return usageError{err}
	}
	return nil
}

func newCheckpointCreateCmd(g *globals) *cobra.Command {
	var o core.CheckpointOptions
	cmd := &cobra.Command{
		Use:   "create [--leave-running] [--tcp-established] [--ext-unix-sk] [--shell-job] [--file-locks] [--pre-dump] [--parent NAME] ID [NAME]",
		Short: "Checkpoint a running container (it stops unless --leave-running or --pre-dump)",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, name := args[0], ""
			if err := checkRef(id); err != nil {
				return err
			}
			if len(args) == 2 {
				name = args[1]
				if err := checkName(name); err != nil {
					return err
				}
			}
			if o.Parent != "" {
				if err := checkName(o.Parent); err != nil {
					return err
				}
			}
			m, err := g.manager(cmd.Context())
			if err != nil {
				return err
			}
			if id, err = resolve(cmd.Context(), m, id); err != nil {
				return err
			}
			cp, err := m.CreateCheckpoint(cmd.Context(), id, name, o)
			if err != nil {
				return err
			}
			if g.json {
				return g.printJSON(cp)
			}
			fmt.Fprintln(g.stdout, cp.Name)
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.LeaveRunning, "leave-running", false, "keep the container running after the dump")
	f.BoolVar(&o.TCPEstablished, "tcp-established", false, "checkpoint established TCP connections")
	f.BoolVar(&o.ExtUnixSk, "ext-unix-sk", false, "allow external unix sockets")
	f.BoolVar(&o.ShellJob, "shell-job", false, "allow a shell job (a process attached to a terminal)")
	f.BoolVar(&o.FileLocks, "file-locks", false, "checkpoint file locks")
	f.BoolVar(&o.PreDump, "pre-dump", false, "dump memory only and keep running, as the parent of a later checkpoint")
	f.StringVar(&o.Parent, "parent", "", "an earlier (pre-dump) checkpoint this one builds on")
	return cmd
}

func newCheckpointLsCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "ls ID",
		Short: "List a container's checkpoints, newest first",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, id, err := g.managerFor(cmd, args[0], resolveCheckpoints)
			if err != nil {
				return err
			}
			cps, err := m.Checkpoints(cmd.Context(), id)
			if err != nil {
				return err
			}
			if g.json {
				return g.printJSON(cps)
			}
			tw := tabwriter.NewWriter(g.stdout, 2, 8, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tCREATED\tSIZE\tFROZEN\tPAGES\tPARENT\tOPTIONS")
			now := time.Now()
			for _, cp := range cps {
				if !cp.Valid {
					fmt.Fprintf(tw, "%s\t%s\t-\t-\t-\t-\tunreadable: %s\n", OneLine(cp.Name), format.Ago(now, cp.Created), OneLine(cp.Reason))
					continue
				}
				frozen, pages := "-", "-"
				if cp.Stats != nil {
					frozen = fmt.Sprintf("%.1fms", float64(cp.Stats.FrozenTimeUs)/1000)
					pages = fmt.Sprint(cp.Stats.PagesWritten)
				}
				parent := cp.Parent
				if parent == "" {
					parent = "-"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", cp.Name, format.Ago(now, cp.Created), format.HumanBytes(uint64(cp.SizeBytes)),
					frozen, pages, parent, optionsText(cp))
			}
			return tw.Flush()
		},
	}
}

// optionsText lists a checkpoint's options as words.
func optionsText(cp core.Checkpoint) string {
	var w []string
	o := cp.Options
	for _, f := range []struct {
		on   bool
		name string
	}{{o.PreDump, "pre-dump"}, {cp.LeftRunning && !o.PreDump, "leave-running"}, {o.TCPEstablished, "tcp-established"},
		{o.ExtUnixSk, "ext-unix-sk"}, {o.ShellJob, "shell-job"}, {o.FileLocks, "file-locks"}, {cp.Paused, "was-paused"}} {
		if f.on {
			w = append(w, f.name)
		}
	}
	if len(w) == 0 {
		return "-"
	}
	return strings.Join(w, ",")
}

func newCheckpointRmCmd(g *globals) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "rm [-f] ID NAME",
		Short: "Remove a checkpoint (-f also when a later checkpoint builds on it)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkRef(args[0]); err != nil {
				return err
			}
			if err := checkName(args[1]); err != nil {
				return err
			}
			m, err := g.manager(cmd.Context())
			if err != nil {
				return err
			}
			if args[0], err = resolveCheckpoints(cmd.Context(), m, args[0]); err != nil {
				return err
			}
			if err := m.DeleteCheckpoint(cmd.Context(), args[0], args[1], force); err != nil {
				return err
			}
			if g.json {
				return g.printJSON(map[string]string{"id": args[0], "removed": args[1]})
			}
			fmt.Fprintln(g.stdout, args[1])
			return nil
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "remove even a parent of another checkpoint")
	return cmd
}

func newCheckpointExportCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "export ID NAME FILE",
		Short: "Write a checkpoint to a compressed tar (- for stdout)",
		Args:  cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkRef(args[0]); err != nil {
				return err
			}
			if err := checkName(args[1]); err != nil {
				return err
			}
			m, err := g.manager(cmd.Context())
			if err != nil {
				return err
			}
			if args[0], err = resolveCheckpoints(cmd.Context(), m, args[0]); err != nil {
				return err
			}
			if args[2] == "-" {
				return m.ExportCheckpoint(cmd.Context(), args[0], args[1], g.stdout)
			}
			tmp := args[2] + ".partial"
			f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			err = m.ExportCheckpoint(cmd.Context(), args[0], args[1], f)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err == nil {
				err = os.Rename(tmp, args[2])
			}
			if err != nil {
				os.Remove(tmp)
				return err
			}
			if g.json {
				return g.printJSON(map[string]string{"id": args[0], "checkpoint": args[1], "file": args[2]})
			}
			fmt.Fprintln(g.stdout, args[2])
			return nil
		},
	}
}

func newCheckpointImportCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "import ID FILE [NAME]",
		Short: "Add a checkpoint from a compressed tar made by export (checked, never trusted)",
		Args:  cobra.RangeArgs(2, 3),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, file := args[0], args[1]
			if err := checkRef(id); err != nil {
				return err
			}
			name := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(file), ".gz"), ".tar")
			name = strings.TrimSuffix(name, ".tgz")
			if len(args) == 3 {
				name = args[2]
			}
			if err := checkName(name); err != nil {
				return err
			}
			m, err := g.manager(cmd.Context())
			if err != nil {
				return err
			}
			if id, err = resolve(cmd.Context(), m, id); err != nil {
				return err
			}
			f, err := os.Open(file)
			if err != nil {
				return fmt.Errorf("%s: %w", id, err)
			}
			defer f.Close()
			if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
				return fmt.Errorf("%s: %s is not a regular file", id, file)
			}
			cp, err := m.ImportCheckpoint(cmd.Context(), id, name, f)
			if err != nil {
				return err
			}
			if g.json {
				return g.printJSON(cp)
			}
			fmt.Fprintln(g.stdout, cp.Name)
			return nil
		},
	}
}

func newRestoreCmd(g *globals) *cobra.Command {
	var o core.RestoreOptions
	var detach bool
	cmd := &cobra.Command{
		Use:   "restore [--as NEWID] [-d] [--paused] ID NAME",
		Short: "Restore a container from a checkpoint, in place (once stopped) or as a new container",
		Long: "Restore a container from one of its checkpoints through a new shim; its output\n" +
			"keeps flowing into the container's log. In place needs the container stopped;\n" +
			"--as NEWID makes a new container (a live clone while the original runs). A\n" +
			"checkpoint of a paused container restores paused only with --paused. Without -d\n" +
			"berth prints the output until the container exits, like run.",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, name := args[0], args[1]
			if err := checkRef(id); err != nil {
				return err
			}
			if err := checkName(name); err != nil {
				return err
			}
			if o.As != "" {
				if err := checkID(o.As); err != nil {
					return err
				}
			}
			m, err := g.manager(cmd.Context())
			if err != nil {
				return err
			}
			if id, err = resolveCheckpoints(cmd.Context(), m, id); err != nil {
				return err
			}
			c, err := m.Restore(cmd.Context(), id, name, o)
			if err != nil {
				return err
			}
			if detach {
				if g.json {
					return g.printJSON(c)
				}
				fmt.Fprintln(g.stdout, c.ID)
				return nil
			}
			return foreground(cmd.Context(), g, m, c.ID, false)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.As, "as", "", "restore into a new container with this id")
	f.BoolVarP(&detach, "detach", "d", false, "return once the container runs")
	f.BoolVar(&o.Paused, "paused", false, "keep a checkpoint taken while paused paused")
	f.BoolVar(&o.TCPEstablished, "tcp-established", false, "restore established TCP connections")
	f.BoolVar(&o.ExtUnixSk, "ext-unix-sk", false, "allow external unix sockets")
	f.BoolVar(&o.ShellJob, "shell-job", false, "allow a shell job")
	f.BoolVar(&o.FileLocks, "file-locks", false, "restore file locks")
	return cmd
}
