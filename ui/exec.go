package ui

import (
	"errors"
	"os/exec"

	"berth/core"
	"berth/ui/common"

	tea "github.com/charmbracelet/bubbletea"
)

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
		m.say(common.StatusMsg{Text: "exec works on one container: unmark the others", Level: common.LevelError})
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
		m.say(common.Error(msg.err))
		return nil
	}
	id, label := msg.id, m.c.Store.Label(msg.id)
	done := func(err error) tea.Msg {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			// The shell's own exit status is no failure of berth's.
			err = nil
		}
		return common.DoneMsg{Action: common.ActExec, IDs: []string{id}, Text: "shell in " + label + " ended", Err: err}
	}
	if m.terminal == nil {
		return tea.ExecProcess(msg.cmd, done)
	}
	return tea.Exec(handedOver{cmd: msg.cmd, t: m.terminal}, done)
}
