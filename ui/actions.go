package ui

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"berth/core"
	"berth/ui/common"
	"berth/ui/sanitize"

	tea "github.com/charmbracelet/bubbletea"
)

// onAction starts an action a screen (or the palette) asked for: the
// harmless ones run at once, the others ask first.
func (m *Model) onAction(a common.ActionMsg) tea.Cmd {
	if len(a.IDs) == 0 {
		m.say(common.StatusMsg{Text: "nothing to act on: the marked containers are hidden by the filter", Level: common.LevelWarning})
		return nil
	}
	if m.refuseExternal(a) {
		return nil
	}
	if op, ok := bypassOps[a.Action]; ok && !a.Bypassed && m.anyExternal(a.IDs) {
		return m.askBypass(a, op)
	}
	switch a.Action {
	case common.ActKill, common.ActSignalProcess, common.ActUpdate, common.ActCheckpoint, common.ActExec, common.ActPause, common.ActMigrate:
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
			m.say(common.StatusMsg{Text: fmt.Sprintf("%s: %s", m.names(dead), why), Level: common.LevelError})
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
			done = append(done, "paused "+m.names(paused))
		}
		if len(resumed) > 0 {
			done = append(done, "resumed "+m.names(resumed))
		}
		return m.run(a, strings.Join(done, "; "), func(ctx context.Context, cr common.Core, id string) error {
			if resume[id] {
				return cr.Resume(ctx, id)
			}
			return cr.Pause(ctx, id)
		})
	case common.ActKill:
		return m.signalMenu(a, fmt.Sprintf("signal %s", m.names(a.IDs)))
	case common.ActSignalProcess:
		return m.signalMenu(a, fmt.Sprintf("signal %s in %s", processName(a), m.names(a.IDs)))
	case common.ActStart:
		return m.start(a)
	case common.ActRestart:
		return m.confirmRestart(a)
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
	case common.ActMigrate:
		return m.migrateForm(a)
	case common.ActDeleteCheckpoint:
		m.modal = &confirm{
			title:    fmt.Sprintf("Delete checkpoint %s of %s?", sanitize.OneLine(a.Checkpoint), m.names(a.IDs)),
			body:     "Its images are removed from disk.",
			yesLabel: "Delete",
			yes: m.run(a, fmt.Sprintf("checkpoint %s of %s deleted", sanitize.OneLine(a.Checkpoint), m.names(a.IDs)), func(ctx context.Context, cr common.Core, id string) error {
				return cr.DeleteCheckpoint(ctx, id, a.Checkpoint, false)
			}),
		}
	}
	return nil
}

// names lists containers for a prompt by their labels, escaped and
// shortened.
func (m *Model) names(ids []string) string {
	if len(ids) > 3 {
		return fmt.Sprintf("%s, %s and %d more", m.c.Store.Label(ids[0]), m.c.Store.Label(ids[1]), len(ids)-2)
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = m.c.Store.Label(id)
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
		msg := common.DoneMsg{Action: a.Action, IDs: ids, Checkpoint: a.Checkpoint, Text: done}
		if len(errs) > 0 {
			msg.Err = errs[0]
			if len(errs) > 1 {
				msg.Err = fmt.Errorf("%w (and %d more failed)", errs[0], len(errs)-1)
			}
		}
		return msg
	}
}

// start starts the stopped ones of a's containers; a container that runs
// (or is paused, or being created) is said to run, in the footer.
func (m *Model) start(a common.ActionMsg) tea.Cmd {
	var stopped, live []string
	for _, id := range a.IDs {
		if c, ok := m.c.Store.Get(id); ok && (c.Running() || c.Status == core.StatusCreated) {
			live = append(live, id)
		} else {
			stopped = append(stopped, id)
		}
	}
	if len(stopped) == 0 {
		m.say(common.StatusMsg{Text: fmt.Sprintf("%s: already running (%s restarts)", m.names(live), m.c.Keys.Restart.Help().Key), Level: common.LevelError})
		return nil
	}
	a.IDs = stopped
	return m.run(a, "started "+m.names(stopped), func(ctx context.Context, cr common.Core, id string) error {
		_, err := cr.Start(ctx, id)
		return err
	})
}

// confirmRestart asks before a restart stops a running container; one
// that has stopped is started at once.
func (m *Model) confirmRestart(a common.ActionMsg) tea.Cmd {
	live := 0
	for _, id := range a.IDs {
		if c, ok := m.c.Store.Get(id); ok && c.Running() {
			live++
		}
	}
	restart := m.run(a, "restarted "+m.names(a.IDs), func(ctx context.Context, cr common.Core, id string) error {
		_, err := cr.Restart(ctx, id, core.DefaultStopTimeout)
		return err
	})
	if live == 0 {
		return restart
	}
	body := fmt.Sprintf("It is stopped (SIGTERM, SIGKILL after %v) and started again; its logs and checkpoints stay.", core.DefaultStopTimeout)
	if len(a.IDs) > 1 {
		body = fmt.Sprintf("%d of them run: they are stopped (SIGTERM, SIGKILL after %v) and started again; logs and checkpoints stay.", live, core.DefaultStopTimeout)
	}
	m.modal = &confirm{
		title:    fmt.Sprintf("Restart %s?", m.names(a.IDs)),
		body:     body,
		yesLabel: "Restart",
		yes:      restart,
	}
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
		title:    fmt.Sprintf("Delete %s?", m.names(a.IDs)),
		body:     body,
		yesLabel: "Delete",
		yes: m.run(a, "deleted "+m.names(a.IDs), func(ctx context.Context, cr common.Core, id string) error {
			return cr.Delete(ctx, id, true)
		}),
	}
	return nil
}

// onDone reports an action's end and relists.
func (m *Model) onDone(msg common.DoneMsg) tea.Cmd {
	if msg.Err != nil {
		m.say(common.Error(msg.Err))
	} else {
		m.say(common.StatusMsg{Text: msg.Text})
	}
	if msg.Action == common.ActDelete && m.screen == common.ScreenContainer && msg.Err == nil &&
		slices.Contains(msg.IDs, m.id) {
		cmd := m.navigate(common.NavigateMsg{Screen: common.ScreenList})
		m.status = common.StatusMsg{Text: msg.Text} // navigate cleared it (the log has it)
		return tea.Batch(m.requestList(), cmd)
	}
	cmds := []tea.Cmd{m.requestList(), m.forward(msg)}
	if cp := m.tabs[common.TabCheckpoints]; msg.Action == common.ActCheckpoint && m.page() != cp {
		// The checkpoints tab selects the checkpoint made when it next
		// shows, wherever the checkpoint was asked for.
		cmds = append(cmds, cp.Update(msg))
	}
	return tea.Batch(cmds...)
}
