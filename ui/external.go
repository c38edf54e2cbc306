package ui

import (
	"fmt"

	"berth/core"
	"berth/ui/common"
	"berth/ui/sanitize"
)

// managedOnly are the actions that need what berth keeps only for the
// containers it starts (the record, the bundle, the shim): on an
// external container they are refused before anything is asked, rather
// than failing after a confirmation (delete) or in CRIU (a checkpoint of
// another manager's mounts).
var managedOnly = map[common.Action]string{
	common.ActDelete:     "delete",
	common.ActCheckpoint: "checkpoint",
	common.ActRestore:    "restore",
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
		text := externalReason(c, verb)
		if len(a.IDs) > 1 {
			text += " (unmark it to act on the others)"
		}
		m.say(common.StatusMsg{Text: text, Level: common.LevelError})
		return true
	}
	return false
}

// externalReason says why verb cannot be done to external container c,
// and who can.
func externalReason(c core.Container, verb string) string {
	owner := sanitize.OneLine(c.Owner)
	id := sanitize.OneLine(c.ID)
	who := fmt.Sprintf("%s is %s's, not berth's", id, owner)
	switch verb {
	case "delete":
		return who + ": remove it with " + sanitize.OneLine(core.RemoveCommand(c))
	case "checkpoint":
		return who + ": berth checkpoints only the containers it started (it needs their bundle and mounts)"
	}
	return who + ": berth restores only the containers it started"
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
