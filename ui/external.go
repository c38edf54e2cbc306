package ui

import (
	"fmt"
	"strings"

	"berth/core"
	"berth/ui/common"
	"berth/ui/sanitize"

	tea "github.com/charmbracelet/bubbletea"
)

// managedOnly are the actions only berth's own containers take: another
// manager removes and starts its containers itself, so a delete, start or
// restart is refused before anything is asked rather than after a
// confirmation.
var managedOnly = map[common.Action]string{
	common.ActDelete:  "delete",
	common.ActStart:   "start",
	common.ActRestart: "restart",
	common.ActMigrate: "migrate",
}

// refuseExternal reports (in the footer) that a names an external
// container for an action that cannot work on one.
func (m *Model) refuseExternal(a common.ActionMsg) bool {
	verb, ok := managedOnly[a.Action]
	if !ok {
		return false
	}
	for _, id := range a.IDs {
		c, ok := m.c.Store.Get(id)
		if !ok || c.Managed {
			continue
		}
		text := externalReason(c, a.Action, verb)
		if len(a.IDs) > 1 {
			text += " (unmark it to act on the others)"
		}
		m.say(common.StatusMsg{Text: text, Level: common.LevelError})
		return true
	}
	return false
}

// externalReason says why action (verb) cannot be done to external
// container c, and who can.
func externalReason(c core.Container, action common.Action, verb string) string {
	owner := sanitize.OneLine(c.Owner)
	id := sanitize.OneLine(c.ID)
	command := core.RemoveCommand(c)
	switch action {
	case common.ActStart, common.ActRestart:
		command = core.StartCommand(c, action == common.ActRestart)
	case common.ActMigrate:
		return fmt.Sprintf("%s is %s's, not berth's: berth migrates only its own containers", id, owner)
	}
	return fmt.Sprintf("%s is %s's, not berth's: %s it with %s", id, owner, verb, sanitize.OneLine(command))
}

// anyExternal reports whether any of ids is an external container.
func (m *Model) anyExternal(ids []string) bool {
	for _, id := range ids {
		if c, ok := m.c.Store.Get(id); ok && !c.Managed {
			return true
		}
	}
	return false
}

// bypassOps are the actions another manager should do itself, by the core
// op that says how berth would (core.Manager.Via).
var bypassOps = map[common.Action]string{
	common.ActPause:  core.OpPause,
	common.ActKill:   core.OpKill,
	common.ActUpdate: core.OpUpdate,
}

// bypassMsg is how an action on other managers' containers would go: the
// warnings of those it would do behind their manager's back, by id.
type bypassMsg struct {
	a        common.ActionMsg
	warnings map[string]string
}

// askBypass finds, off the Update loop (it looks for the managers' CLIs),
// whether a goes behind another manager's back; the answer comes as a
// bypassMsg.
func (m *Model) askBypass(a common.ActionMsg, op string) tea.Cmd {
	var ext []core.Container
	for _, id := range a.IDs {
		if c, ok := m.c.Store.Get(id); ok && !c.Managed {
			ext = append(ext, c)
		}
	}
	cr := m.c.Core
	return func() tea.Msg {
		w := map[string]string{}
		for _, c := range ext {
			o := op
			if op == core.OpPause && c.Status == core.StatusPaused {
				o = core.OpResume
			}
			if v := cr.Via(c, o); v.Warning != "" {
				w[c.Ref()] = v.Warning
			}
		}
		return bypassMsg{a: a, warnings: w}
	}
}

// onBypass asks the operator before an action goes behind a manager's
// back, saying what goes out of step; with nothing to say it goes on.
func (m *Model) onBypass(msg bypassMsg) tea.Cmd {
	a := msg.a
	a.Bypassed = true
	if len(msg.warnings) == 0 {
		return m.onAction(a)
	}
	var lines []string
	for _, id := range a.IDs {
		if w, ok := msg.warnings[id]; ok {
			lines = append(lines, m.c.Store.Label(id)+": "+sanitize.OneLine(w)+".")
		}
	}
	m.modal = &confirm{
		title:    fmt.Sprintf("%s behind its manager's back?", actionVerb(a.Action)),
		body:     strings.Join(lines, "\n"),
		yesLabel: "Go on",
		yes:      func() tea.Msg { return a },
	}
	return nil
}

func actionVerb(a common.Action) string {
	switch a {
	case common.ActPause:
		return "Pause or resume"
	case common.ActKill:
		return "Signal"
	}
	return "Update"
}
