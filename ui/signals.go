package ui

import (
	"context"
	"fmt"

	"berth/core"
	"berth/ui/common"
	"berth/ui/sanitize"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"golang.org/x/sys/unix"
)

// signals are the signal menu's choices, the usual first.
var signals = []struct {
	name string
	sig  unix.Signal
	hint string
}{
	{"SIGTERM", unix.SIGTERM, "ask to stop"},
	{"SIGKILL", unix.SIGKILL, "stop now"},
	{"SIGINT", unix.SIGINT, "interrupt"},
	{"SIGHUP", unix.SIGHUP, "hang up / reload"},
	{"SIGQUIT", unix.SIGQUIT, "quit with core"},
	{"SIGUSR1", unix.SIGUSR1, "user 1"},
	{"SIGUSR2", unix.SIGUSR2, "user 2"},
	{"SIGSTOP", unix.SIGSTOP, "suspend"},
	{"SIGCONT", unix.SIGCONT, "continue"},
}

// processName names the process a signals: its pid and its command,
// escaped and shortened, for the menu and the confirmation.
func processName(a common.ActionMsg) string {
	if a.Command == "" {
		return fmt.Sprintf("process %d", a.Pid)
	}
	return fmt.Sprintf("process %d (%s)", a.Pid, ansi.Truncate(sanitize.OneLine(a.Command), 40, "…"))
}

// signalMenu asks which signal, then confirms sending it. A paused
// container takes only SIGKILL (it is thawed so it dies): the menu offers
// nothing else when one of the targets is paused.
func (m *Model) signalMenu(a common.ActionMsg, title string) tea.Cmd {
	choices := signals
	for _, id := range a.IDs {
		if c, ok := m.c.Store.Get(id); ok && c.Status == core.StatusPaused && a.Action == common.ActKill {
			choices = signals[1:2]
			title += " (paused: SIGKILL only)"
			break
		}
	}
	items := make([]menuItem, len(choices))
	for i, s := range choices {
		sig := s.sig
		what := fmt.Sprintf("Send %s to %s?", s.name, m.names(a.IDs))
		sent := fmt.Sprintf("%s sent to %s", s.name, m.names(a.IDs))
		if a.Action == common.ActSignalProcess {
			what = fmt.Sprintf("Send %s to %s in %s?", s.name, processName(a), m.names(a.IDs))
			sent = fmt.Sprintf("%s sent to %s in %s", s.name, processName(a), m.names(a.IDs))
		}
		fn := func(ctx context.Context, cr common.Core, id string) error { return cr.Kill(ctx, id, sig) }
		if a.Action == common.ActSignalProcess {
			fn = func(ctx context.Context, cr common.Core, id string) error {
				return cr.SignalProcess(ctx, id, a.Pid, a.Start, sig)
			}
		}
		items[i] = menuItem{label: s.name, hint: s.hint, next: &confirm{
			title: what, yesLabel: "Send " + s.name, yes: m.run(a, sent, fn),
		}}
	}
	m.modal = newMenu(title, items, false)
	return nil
}
