package cli

import (
	"fmt"
	"io"
	"regexp"
	"strings"
	"text/tabwriter"

	"berth/core"
	"berth/ui/format"
	"berth/ui/sanitize"

	"github.com/spf13/cobra"
)

func newCheckpointInspectCmd(g *globals) *cobra.Command {
	var o core.InspectOptions
	var psTree bool
	cmd := &cobra.Command{
		Use:   "inspect [--ps-tree] [--files] [--sockets] [--mem] [--env] [--search RE] ID NAME",
		Short: "Show what a checkpoint holds: its processes, their files, sockets, memory and environment",
		Long: "Decode a checkpoint's CRIU images: its process tree (pid, parent, command, state and\n" +
			"command line), and with the flags each process's open files, sockets, memory\n" +
			"mappings with their resident pages, and environment. --search looks for a regular\n" +
			"expression in the processes' memory and prints each match's address and the bytes\n" +
			"around it, escaped. Corrupt or hostile images fail with one line, never a crash.",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkName(args[1]); err != nil {
				return err
			}
			if _, err := regexp.Compile(o.Search); err != nil {
				return usagef("--search: %v", err)
			}
			m, id, err := g.managerFor(cmd, args[0], resolveCheckpoints)
			if err != nil {
				return err
			}
			in, err := m.InspectCheckpoint(cmd.Context(), id, args[1], o)
			if err != nil {
				return err
			}
			if g.json {
				return g.printJSON(in)
			}
			printInspection(g.stdout, in, psTree || !(o.Files || o.Sockets || o.Mem || o.Env || o.Search != ""), o)
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&psTree, "ps-tree", false, "the process tree (shown when no other part is asked for)")
	f.BoolVar(&o.Files, "files", false, "each process's open files")
	f.BoolVar(&o.Sockets, "sockets", false, "each process's sockets with addresses and states")
	f.BoolVar(&o.Mem, "mem", false, "each process's memory mappings with sizes and resident pages")
	f.BoolVar(&o.Env, "env", false, "each process's environment")
	f.StringVar(&o.Search, "search", "", "a regular expression to look for in the processes' memory")
	f.IntVar(&o.SearchContext, "context", 32, "bytes shown each side of a match")
	f.IntVar(&o.MaxMatches, "max-matches", 1000, "stop the search after this many matches")
	return cmd
}

// printInspection writes an inspection as text, every string from the
// images escaped.
func printInspection(w io.Writer, in core.CheckpointInspection, tree bool, o core.InspectOptions) {
	esc := sanitize.OneLine
	fmt.Fprintf(w, "checkpoint %s of %s: %d processes\n", esc(in.Checkpoint.Name), esc(in.Checkpoint.Container), len(in.Processes))
	if tree {
		tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
		fmt.Fprintln(tw, "PID\tPPID\tSTATE\tCOMMAND\tARGS")
		for _, p := range in.Processes {
			args := strings.Join(p.Args, " ")
			if p.ArgsTruncated {
				args += " …"
			}
			fmt.Fprintf(tw, "%s%d\t%d\t%s\t%s\t%s\n", strings.Repeat("  ", depth(in.Processes, p)), p.Pid, p.Ppid,
				p.State, esc(p.Command), format.OrDash(esc(args)))
		}
		tw.Flush()
	}
	for _, p := range in.Processes {
		if !(o.Files || o.Sockets || o.Mem || o.Env) {
			break
		}
		fmt.Fprintf(w, "\nprocess %d (%s)\n", p.Pid, esc(p.Command))
		if o.Env {
			fmt.Fprintln(w, "  environment:")
			for _, e := range p.Env {
				fmt.Fprintf(w, "    %s\n", esc(e))
			}
		}
		if o.Files {
			tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
			fmt.Fprintln(tw, "  FD\tTYPE\tPATH")
			for _, f := range p.Files {
				fmt.Fprintf(tw, "  %s\t%s\t%s\n", esc(f.Fd), format.OrDash(esc(f.Type)), esc(f.Path))
			}
			tw.Flush()
		}
		if o.Sockets {
			tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
			fmt.Fprintln(tw, "  FD\tKIND\tPROTO\tTYPE\tSTATE\tLOCAL\tREMOTE")
			for _, s := range p.Sockets {
				fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s\t%s\t%s\n", s.Fd, esc(s.Kind), format.OrDash(esc(s.Protocol)), format.OrDash(esc(s.Type)),
					format.OrDash(esc(s.State)), SocketAddr(s.Src, s.SrcPort), SocketAddr(s.Dst, s.DstPort))
			}
			tw.Flush()
		}
		if o.Mem {
			tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
			fmt.Fprintln(tw, "  START\tEND\tPROT\tSIZE\tRESIDENT\tRESOURCE")
			for _, mp := range p.Mappings {
				fmt.Fprintf(tw, "  %x\t%x\t%s\t%s\t%s\t%s\n", mp.Start, mp.End, mp.Protection, format.HumanBytes(mp.Size),
					format.HumanBytes(mp.ResidentPages*uint64(in.PageSize)), format.OrDash(esc(mp.Resource)))
			}
			tw.Flush()
			fmt.Fprintf(w, "  resident in the images: %s\n", format.HumanBytes(p.ResidentBytes))
		}
	}
	if o.Search != "" {
		fmt.Fprintf(w, "\n%d matches of %s\n", len(in.Matches), esc(o.Search))
		for _, mt := range in.Matches {
			fmt.Fprintf(w, "%d\t0x%x\t%s[%s]%s\n", mt.Pid, mt.Address, mt.Before, mt.Match, mt.After)
		}
		if in.MatchesTruncated {
			fmt.Fprintln(w, "(stopped at --max-matches)")
		}
	}
}

// SocketAddr shows an address and port, "-" for none; the address is
// escaped (a unix socket's name comes from the images).
func SocketAddr(addr string, port uint32) string {
	switch {
	case addr == "" && port == 0:
		return "-"
	case port == 0:
		return sanitize.OneLine(addr)
	case strings.Contains(addr, ":"):
		return fmt.Sprintf("[%s]:%d", sanitize.OneLine(addr), port)
	}
	return fmt.Sprintf("%s:%d", sanitize.OneLine(addr), port)
}

// depth is how far p is below the tree's root (bounded: the images are
// not trusted to be a tree).
func depth(ps []core.InspectProcess, p core.InspectProcess) int {
	parent := map[uint32]uint32{}
	for _, q := range ps {
		parent[q.Pid] = q.Ppid
	}
	d := 0
	for pp := p.Ppid; pp != 0 && d < 32; pp = parent[pp] {
		d++
	}
	return d
}

func newCheckpointDiffCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "diff ID FROM TO",
		Short: "What changed between two checkpoints of a container: processes, open files, memory by mapping",
		Args:  cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, n := range args[1:] {
				if err := checkName(n); err != nil {
					return err
				}
			}
			m, id, err := g.managerFor(cmd, args[0], resolveCheckpoints)
			if err != nil {
				return err
			}
			d, err := m.DiffCheckpoints(cmd.Context(), id, args[1], args[2], core.InspectOptions{})
			if err != nil {
				return err
			}
			if g.json {
				return g.printJSON(d)
			}
			printDiff(g.stdout, d)
			return nil
		},
	}
}

// printDiff writes a diff as text, every string from the images escaped.
func printDiff(w io.Writer, d core.CheckpointDiff) {
	esc := sanitize.OneLine
	fmt.Fprintf(w, "from %s to %s\n", esc(d.From), esc(d.To))
	for _, part := range []struct {
		what string
		ps   []core.InspectProcess
	}{{"added", d.ProcessesAdded}, {"gone", d.ProcessesGone}} {
		fmt.Fprintf(w, "processes %s: %d\n", part.what, len(part.ps))
		for _, p := range part.ps {
			fmt.Fprintf(w, "  %d (parent %d) %s: %s\n", p.Pid, p.Ppid, esc(p.Command), format.OrDash(esc(strings.Join(p.Args, " "))))
		}
	}
	for _, p := range d.Processes {
		fmt.Fprintf(w, "process %d %s: resident %s -> %s (%s)\n", p.Pid, esc(p.Command), format.HumanBytes(p.ResidentBefore),
			format.HumanBytes(p.ResidentAfter), signedBytes(int64(p.ResidentAfter)-int64(p.ResidentBefore)))
		for _, f := range p.FilesOpened {
			fmt.Fprintf(w, "  opened  fd %s %s\n", esc(f.Fd), esc(f.Path))
		}
		for _, f := range p.FilesClosed {
			fmt.Fprintf(w, "  closed  fd %s %s\n", esc(f.Fd), esc(f.Path))
		}
		for _, mp := range p.Mappings {
			fmt.Fprintf(w, "  %-7s %x %s: size %s -> %s, resident %s -> %s (%s)\n", mp.Change, mp.Start, format.OrDash(esc(mp.Resource)),
				format.HumanBytes(mp.SizeBefore), format.HumanBytes(mp.SizeAfter), format.HumanBytes(mp.ResidentBefore),
				format.HumanBytes(mp.ResidentAfter), signedBytes(int64(mp.ResidentAfter)-int64(mp.ResidentBefore)))
		}
	}
}

// signedBytes is a change in bytes with its sign.
func signedBytes(n int64) string {
	if n < 0 {
		return "-" + format.HumanBytes(uint64(-n))
	}
	return "+" + format.HumanBytes(uint64(n))
}
