package ui

import (
	"slices"
	"strings"

	"berth/themes"
	"berth/ui/common"
	"berth/ui/format"
	"berth/ui/sanitize"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// targets are the containers the palette's actions apply to: the one in
// view, or the list's marked (or selected) ones.
func (m *Model) targets() []string {
	if m.screen == common.ScreenContainer {
		return []string{m.id}
	}
	if m.screen == common.ScreenList {
		return m.list.Targets()
	}
	return nil
}

func msgCmd(msg tea.Msg) tea.Cmd { return func() tea.Msg { return msg } }

// muteMsg is the palette's choice to mute (on) or unmute a container's
// OOM toasts.
type muteMsg struct {
	id string
	on bool
}

// palette lists every action and screen as a command, each with its key
// (from the key map, so remapped keys show), filtered as the operator
// types: a container's id or name typed offers to go to it, and a table
// that sorts offers each of its columns.
func (m *Model) palette() modal {
	k := m.c.Keys
	items := m.jumpItems()
	if ids := m.targets(); len(ids) > 0 {
		who := m.names(ids)
		for _, a := range []struct {
			label string
			b     key.Binding
			act   common.Action
		}{
			{"pause / resume", k.Pause, common.ActPause}, {"start", k.Start, common.ActStart},
			{"restart (stop, then start)", k.Restart, common.ActRestart}, {"kill (choose a signal)", k.Kill, common.ActKill},
			{"delete", k.Delete, common.ActDelete}, {"exec a shell", k.Exec, common.ActExec},
			{"update limits", k.Update, common.ActUpdate}, {"checkpoint", k.Checkpoint, common.ActCheckpoint},
			{"restore a checkpoint", k.Restore, common.ActRestore}, {"migrate to another host", k.Migrate, common.ActMigrate},
		} {
			if _, ok := managedOnly[a.act]; ok && m.anyExternal(ids) {
				continue // refused for an external container: not offered
			}
			items = append(items, menuItem{label: a.label, hint: who + "  [" + a.b.Help().Key + "]",
				run: msgCmd(common.ActionMsg{Action: a.act, IDs: ids})})
		}
		if len(ids) == 1 {
			id := ids[0]
			mute := menuItem{label: "mute OOM toasts", hint: who + "  [" + k.MuteOOM.Help().Key + "]",
				run: msgCmd(muteMsg{id: id, on: true})}
			if m.muted[id] {
				mute.label, mute.run = "unmute OOM toasts", msgCmd(muteMsg{id: id})
			}
			items = append(items, mute)
			for i, name := range common.TabNames {
				items = append(items, menuItem{label: "show " + name, hint: who + "  [" + k.Tab[i].Help().Key + "]",
					run: msgCmd(common.NavigateMsg{Screen: common.ScreenContainer, ID: ids[0], Tab: common.Tab(i)})})
			}
		}
	}
	items = append(items, m.sortItems()...)
	items = append(items,
		menuItem{label: "container list", hint: "[" + k.Back.Help().Key + "]", run: msgCmd(common.NavigateMsg{Screen: common.ScreenList})},
		menuItem{label: "events timeline", hint: "[" + k.Events.Help().Key + "]", run: msgCmd(common.NavigateMsg{Screen: common.ScreenEvents})},
		menuItem{label: "help", hint: "[" + k.Help.Help().Key + "]", next: m.helpModal()},
		menuItem{label: "message log", hint: "[" + k.Messages.Help().Key + "]", next: newMessagesModal(&m.messages)},
	)
	for _, name := range m.opts.ThemeNames {
		items = append(items, menuItem{label: "theme " + name, hint: "[" + k.Theme.Help().Key + " cycles]", run: loadTheme(name, m.opts.ThemeDir)})
	}
	items = append(items, menuItem{label: "quit", hint: "[" + k.Quit.Help().Key + "]", run: tea.Quit})
	return newMenu("commands", items, true)
}

// jumpItems are a "go to" command for every container, by name, shown
// once what is typed is in its id or name (first, so enter on a typed
// name opens that container's view).
func (m *Model) jumpItems() []menuItem {
	items := make([]menuItem, 0, len(m.c.Store.Containers))
	for _, c := range m.c.Store.Containers {
		hint := string(c.Status)
		if c.Name != "" || format.ShortID(c.ID) != c.ID {
			hint = sanitize.OneLine(format.ShortID(c.ID)) + " · " + hint
		}
		items = append(items, menuItem{label: "go to " + common.ContainerLabel(c), hint: hint,
			match: []string{c.ID, c.Name},
			run:   msgCmd(common.NavigateMsg{Screen: common.ScreenContainer, ID: c.Ref(), Tab: common.TabOverview})})
	}
	slices.SortStableFunc(items, func(a, b menuItem) int { return strings.Compare(a.label, b.label) })
	return items
}

func loadTheme(name, dir string) tea.Cmd {
	return func() tea.Msg {
		p, err := themes.Load(name, dir)
		return themeMsg{palette: p, err: err}
	}
}
