package ui

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"strings"

	"berth/core"
	"berth/ui/common"
	"berth/ui/form"
	"berth/ui/format"
	"berth/ui/sanitize"

	tea "github.com/charmbracelet/bubbletea"
	"golang.org/x/sys/unix"
)

// openModalMsg opens a modal: a step of an action that needs another
// answer (a signal, then a confirmation).
type openModalMsg struct{ modal modal }

func open(md modal) tea.Cmd { return func() tea.Msg { return openModalMsg{md} } }

// onAction starts an action a screen (or the palette) asked for: the
// harmless ones run at once, the others ask first.
func (m *Model) onAction(a common.ActionMsg) tea.Cmd {
	if len(a.IDs) == 0 {
		m.status = common.StatusMsg{Text: "nothing to act on: the marked containers are hidden by the filter", Level: common.LevelWarning}
		return nil
	}
	switch a.Action {
	case common.ActKill, common.ActSignalProcess, common.ActUpdate, common.ActCheckpoint, common.ActExec, common.ActPause:
		// Only live containers can take these: say so now rather than
		// after a menu or a form. A paused one cannot run an exec or act
		// on a signal to one of its processes.
		frozenFails := a.Action == common.ActExec || a.Action == common.ActSignalProcess
		var live, dead []string
		for _, id := range a.IDs {
			c, ok := m.c.Store.Get(id)
			if ok && c.Running() && !(frozenFails && c.Status == core.StatusPaused) {
				live = append(live, id)
			} else {
				dead = append(dead, id)
			}
		}
		if len(live) == 0 {
			why := "not running"
			if frozenFails {
				why = "not running (a paused container must be resumed first)"
			}
			m.status = common.StatusMsg{Text: fmt.Sprintf("%s: %s", names(dead), why), Level: common.LevelError}
			return nil
		}
		a.IDs = live
	}
	switch a.Action {
	case common.ActPause:
		// Decided here, from the store as it is now: the command
		// cannot read the store.
		resume := map[string]bool{}
		var paused, resumed []string
		for _, id := range a.IDs {
			if c, ok := m.c.Store.Get(id); ok && c.Status == core.StatusPaused {
				resume[id] = true
				resumed = append(resumed, id)
			} else {
				paused = append(paused, id)
			}
		}
		var done []string
		if len(paused) > 0 {
			done = append(done, "paused "+names(paused))
		}
		if len(resumed) > 0 {
			done = append(done, "resumed "+names(resumed))
		}
		return m.run(a, strings.Join(done, "; "), func(ctx context.Context, cr common.Core, id string) error {
			if resume[id] {
				return cr.Resume(ctx, id)
			}
			return cr.Pause(ctx, id)
		})
	case common.ActKill:
		return m.signalMenu(a, fmt.Sprintf("signal %s", names(a.IDs)))
	case common.ActSignalProcess:
		return m.signalMenu(a, fmt.Sprintf("signal process %d in %s", a.Pid, names(a.IDs)))
	case common.ActDelete:
		return m.confirmDelete(a)
	case common.ActExec:
		return m.exec(a)
	case common.ActUpdate:
		return m.updateForm(a)
	case common.ActCheckpoint:
		return m.checkpointForm(a)
	case common.ActRestore:
		return m.restore(a)
	case common.ActDeleteCheckpoint:
		m.modal = &confirm{
			title:    fmt.Sprintf("Delete checkpoint %s of %s?", sanitize.OneLine(a.Checkpoint), names(a.IDs)),
			body:     "Its images are removed from disk.",
			yesLabel: "Delete",
			yes: m.run(a, fmt.Sprintf("checkpoint %s of %s deleted", sanitize.OneLine(a.Checkpoint), names(a.IDs)), func(ctx context.Context, cr common.Core, id string) error {
				return cr.DeleteCheckpoint(ctx, id, a.Checkpoint, false)
			}),
		}
	}
	return nil
}

// names lists ids for a prompt, escaped and shortened.
func names(ids []string) string {
	if len(ids) > 3 {
		return fmt.Sprintf("%s, %s and %d more", sanitize.OneLine(ids[0]), sanitize.OneLine(ids[1]), len(ids)-2)
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = sanitize.OneLine(id)
	}
	return strings.Join(out, ", ")
}

// run returns a command doing fn for each id in turn and reporting one
// DoneMsg: the first error (with how many others failed), or done (a
// sentence saying what was done to what).
//
// The command runs off the UI's goroutine: it gets the core and what it
// needs as values, never the model.
func (m *Model) run(a common.ActionMsg, done string, fn func(ctx context.Context, cr common.Core, id string) error) tea.Cmd {
	ctx, cr := m.ctx, m.c.Core
	ids := append([]string(nil), a.IDs...)
	return func() tea.Msg {
		var errs []error
		for _, id := range ids {
			if err := fn(ctx, cr, id); err != nil {
				errs = append(errs, err)
			}
		}
		msg := common.DoneMsg{Action: a.Action, IDs: ids, Text: done}
		if len(errs) > 0 {
			msg.Err = errs[0]
			if len(errs) > 1 {
				msg.Err = fmt.Errorf("%w (and %d more failed)", errs[0], len(errs)-1)
			}
		}
		return msg
	}
}

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
		what := fmt.Sprintf("Send %s to %s?", s.name, names(a.IDs))
		sent := fmt.Sprintf("%s sent to %s", s.name, names(a.IDs))
		if a.Action == common.ActSignalProcess {
			what = fmt.Sprintf("Send %s to process %d in %s?", s.name, a.Pid, names(a.IDs))
			sent = fmt.Sprintf("%s sent to process %d in %s", s.name, a.Pid, names(a.IDs))
		}
		fn := func(ctx context.Context, cr common.Core, id string) error { return cr.Kill(ctx, id, sig) }
		if a.Action == common.ActSignalProcess {
			fn = func(ctx context.Context, cr common.Core, id string) error {
				return cr.SignalProcess(ctx, id, a.Pid, a.Start, sig)
			}
		}
		items[i] = menuItem{label: s.name, hint: s.hint, run: open(&confirm{
			title: what, yesLabel: "Send " + s.name, yes: m.run(a, sent, fn),
		})}
	}
	m.modal = newMenu(title, items, false, m.termW)
	return nil
}

func (m *Model) confirmDelete(a common.ActionMsg) tea.Cmd {
	live := 0
	for _, id := range a.IDs {
		if c, ok := m.c.Store.Get(id); ok && c.Running() {
			live++
		}
	}
	body := "Its state, logs and checkpoints in its bundle stay; berth forgets it."
	switch {
	case live > 0 && len(a.IDs) == 1:
		body = "It still runs: it is killed first."
	case live > 0:
		body = fmt.Sprintf("%d of them still run: they are killed first.", live)
	}
	m.modal = &confirm{
		title:    fmt.Sprintf("Delete %s?", names(a.IDs)),
		body:     body,
		yesLabel: "Delete",
		yes: m.run(a, "deleted "+names(a.IDs), func(ctx context.Context, cr common.Core, id string) error {
			return cr.Delete(ctx, id, true)
		}),
	}
	return nil
}

// execReadyMsg carries the runtime's exec command, built off the UI's
// goroutine (it reads the container's state).
type execReadyMsg struct {
	id  string
	cmd *exec.Cmd
	err error
}

// shell is what e runs in the container.
var shell = []string{"/bin/sh"}

func (m *Model) exec(a common.ActionMsg) tea.Cmd {
	if len(a.IDs) != 1 {
		m.status = common.StatusMsg{Text: "exec works on one container: unmark the others", Level: common.LevelError}
		return nil
	}
	id, ctx, cr := a.IDs[0], m.ctx, m.c.Core
	return func() tea.Msg {
		cmd, err := cr.ExecCommand(ctx, id, core.ExecOptions{Args: shell, Tty: true})
		return execReadyMsg{id: id, cmd: cmd, err: err}
	}
}

// onExecReady hands the terminal to the runtime's exec -t until the shell
// exits, then the UI comes back.
func (m *Model) onExecReady(msg execReadyMsg) tea.Cmd {
	if msg.err != nil {
		m.status = common.Error(msg.err)
		return nil
	}
	id := msg.id
	return tea.ExecProcess(msg.cmd, func(err error) tea.Msg {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			// The shell's own exit status is no failure of berth's.
			err = nil
		}
		return common.DoneMsg{Action: common.ActExec, IDs: []string{id}, Text: "shell in " + sanitize.OneLine(id) + " ended", Err: err}
	})
}

// formModal is an open form and what its submission runs.
type formModal struct {
	f      form.Model
	submit func(form.Model) tea.Cmd
}

func (m *formModal) update(msg tea.KeyMsg, c *common.Common) (modal, tea.Cmd) {
	var cmd tea.Cmd
	m.f, cmd = m.f.Update(msg)
	switch {
	case m.f.Cancelled():
		return nil, nil
	case m.f.Done():
		return nil, m.submit(m.f)
	}
	return m, cmd
}

func (m *formModal) view(c *common.Common) string { return m.f.View() }

func (m *Model) newForm(title string, submit func(form.Model) tea.Cmd, fields ...form.Field) {
	f := form.New(title, fields...)
	f.SetStyles(form.StylesFrom(m.c.Styles))
	f.SetWidth(min(max(m.termW-4, 20), 64))
	m.modal = &formModal{f: f, submit: submit}
}

// updateForm asks for new limits, showing the current ones.
func (m *Model) updateForm(a common.ActionMsg) tea.Cmd {
	// The limits as last seen: memory in every sample, the pids limit
	// and quota in full ones (taken while the container is on screen).
	var cur core.Stats
	var full common.Point
	if len(a.IDs) == 1 {
		if h := m.c.Store.History[a.IDs[0]]; h != nil {
			cur = h.Sample()
			full, _ = h.LastFull()
		}
	}
	memHint, pidsHint, cpuHint := "unchanged (e.g. 512m, 0 = none)", "unchanged (0 = none)", "unchanged (e.g. 0.5, 0 = none)"
	if cur.MemoryLimit > 0 {
		memHint = "now " + format.HumanBytes(cur.MemoryLimit) + "; 0 = none"
	}
	if full.PidsLimit > 0 {
		pidsHint = "now " + strconv.FormatUint(full.PidsLimit, 10) + "; 0 = none"
	}
	if full.CPUQuota > 0 {
		cpuHint = "now " + strconv.FormatFloat(full.CPUQuota, 'g', 3, 64) + "; 0 = none"
	}
	m.newForm("Update limits of "+names(a.IDs), func(f form.Model) tea.Cmd {
		r, err := format.ParseLimits(f.Text("memory"), f.Text("pids"), f.Text("cpus"))
		if err != nil {
			m.status = common.Error(err)
			return nil
		}
		m.status = common.StatusMsg{Text: "updating limits of " + names(a.IDs) + "…"}
		return m.run(a, "limits of "+names(a.IDs)+" updated", func(ctx context.Context, cr common.Core, id string) error { return cr.Update(ctx, id, r) })
	},
		form.Field{Name: "memory", Label: "memory", Placeholder: memHint, Validate: optional(func(s string) error { _, err := format.ParseMemoryLimit(s); return err })},
		form.Field{Name: "pids", Label: "pids", Placeholder: pidsHint, Validate: optional(func(s string) error { _, err := format.ParsePidsLimit(s); return err })},
		form.Field{Name: "cpus", Label: "cpus", Placeholder: cpuHint, Validate: optional(func(s string) error { _, err := format.ParseCPUs(s); return err })},
	)
	return nil
}

// optional accepts an empty field (unchanged) or what check accepts; that
// at least one field is filled is checked on submit, by ParseLimits.
func optional(check func(string) error) func(string) error {
	return func(s string) error {
		if strings.TrimSpace(s) == "" {
			return nil
		}
		return check(strings.TrimSpace(s))
	}
}

// checkpointForm asks for a name and the dump's options. Without
// leave-running the dump stops the container: the form says so.
func (m *Model) checkpointForm(a common.ActionMsg) tea.Cmd {
	if len(a.IDs) != 1 {
		m.status = common.StatusMsg{Text: "checkpoint works on one container: unmark the others", Level: common.LevelError}
		return nil
	}
	name := "cp-" + m.c.Now.Format("20060102-150405")
	m.newForm("Checkpoint "+names(a.IDs), func(f form.Model) tea.Cmd {
		o := core.CheckpointOptions{
			LeaveRunning: f.Bool("leave-running"), TCPEstablished: f.Bool("tcp"), ExtUnixSk: f.Bool("unix"),
			ShellJob: f.Bool("shell-job"), FileLocks: f.Bool("file-locks"),
		}
		n := strings.TrimSpace(f.Text("name"))
		do := m.run(a, "checkpoint "+sanitize.OneLine(n)+" of "+names(a.IDs)+" created", func(ctx context.Context, cr common.Core, id string) error {
			_, err := cr.CreateCheckpoint(ctx, id, n, o)
			return err
		})
		// The status first, then the work: its result replaces it.
		do = tea.Sequence(status("checkpointing "+names(a.IDs)+"…"), do)
		if o.LeaveRunning {
			return do
		}
		return open(&confirm{
			title: fmt.Sprintf("Checkpoint and stop %s?", names(a.IDs)), body: "Without leave-running the dump ends the container; restore brings it back.",
			yesLabel: "Checkpoint and stop", yes: do,
		})
	},
		form.Field{Name: "name", Label: "name", Value: name, CharLimit: 128, Validate: core.ValidateName},
		form.Field{Name: "leave-running", Label: "leave running", Kind: form.KindBool, Checked: true},
		form.Field{Name: "tcp", Label: "tcp established", Kind: form.KindBool},
		form.Field{Name: "unix", Label: "unix sockets", Kind: form.KindBool},
		form.Field{Name: "shell-job", Label: "shell job", Kind: form.KindBool},
		form.Field{Name: "file-locks", Label: "file locks", Kind: form.KindBool},
	)
	return nil
}

func status(text string) tea.Cmd {
	return func() tea.Msg { return common.StatusMsg{Text: text} }
}

// restore restores a chosen checkpoint in place or as a new container.
// From the list (no checkpoint chosen) it opens the checkpoints tab.
func (m *Model) restore(a common.ActionMsg) tea.Cmd {
	if len(a.IDs) != 1 {
		m.status = common.StatusMsg{Text: "restore works on one container: unmark the others", Level: common.LevelError}
		return nil
	}
	if a.Checkpoint == "" {
		return tea.Batch(m.navigate(common.NavigateMsg{Screen: common.ScreenContainer, ID: a.IDs[0], Tab: common.TabCheckpoints}),
			status("choose a checkpoint and press "+m.c.Keys.Restore.Help().Key))
	}
	id := a.IDs[0]
	inPlace := "empty: in place (it has stopped)"
	if c, ok := m.c.Store.Get(id); ok && c.Running() {
		inPlace = "it runs: give a new id"
	}
	m.newForm("Restore "+sanitize.OneLine(a.Checkpoint)+" of "+sanitize.OneLine(id), func(f form.Model) tea.Cmd {
		as := strings.TrimSpace(f.Text("as"))
		o := core.RestoreOptions{As: as, Paused: f.Bool("paused")}
		label := fmt.Sprintf("restored %s from %s", sanitize.OneLine(id), sanitize.OneLine(a.Checkpoint))
		if as != "" {
			label = fmt.Sprintf("restored %s of %s as %s", sanitize.OneLine(a.Checkpoint), sanitize.OneLine(id), sanitize.OneLine(as))
		}
		return tea.Sequence(status("restoring…"), m.run(a, label, func(ctx context.Context, cr common.Core, id string) error {
			_, err := cr.Restore(ctx, id, a.Checkpoint, o)
			return err
		}))
	},
		form.Field{Name: "as", Label: "new id", Placeholder: inPlace, CharLimit: 1024, Validate: optional(core.ValidateID)},
		form.Field{Name: "paused", Label: "stay paused", Kind: form.KindBool},
	)
	return nil
}

// onDone reports an action's end and relists.
func (m *Model) onDone(msg common.DoneMsg) tea.Cmd {
	if msg.Err != nil {
		m.status = common.Error(msg.Err)
	} else {
		m.status = common.StatusMsg{Text: msg.Text}
	}
	if msg.Action == common.ActDelete && m.screen == common.ScreenContainer && msg.Err == nil &&
		slices.Contains(msg.IDs, m.id) {
		cmd := m.navigate(common.NavigateMsg{Screen: common.ScreenList})
		m.status = common.StatusMsg{Text: msg.Text} // navigate cleared it
		return tea.Batch(m.requestList(), cmd)
	}
	return tea.Batch(m.requestList(), m.forward(msg))
}
