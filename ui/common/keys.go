package common

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// KeyMap is every key of berth's screens that the config file can remap.
// Each binding has a name (its key in the config file's keys: section) and
// a scope; bindings that share a scope must not share a key, which the
// config loader checks. Not in it: the keys inside confirmations, menus
// and forms, which are theirs, and ctrl+c, which always quits.
type KeyMap struct {
	// Global keys work on every screen.
	Quit, Back, Help, Palette, Events, Theme, Messages key.Binding
	// Copy copies to the operator's clipboard, through the terminal
	// (OSC 52): the selected container's id (in the events, the event's
	// container's), or in the logs the current match's line.
	Copy key.Binding
	// MuteOOM silences a container's OOM toasts for the session: the
	// newest toast's container, or with none up the container selected
	// (again: heard again).
	MuteOOM key.Binding
	// Navigation in any list.
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
	// The container list; Filter also filters every other table (the
	// processes, checkpoints and events), which meet the same keys.
	Open, Logs, Filter, Mark, Sort, Reverse key.Binding
	// SortBy opens a menu of the columns to sort by, in the list and the
	// processes tab (htop's SortBy, on its keys).
	SortBy key.Binding
	// Actions on the selected (or marked) containers, from the list and
	// the container view.
	Pause, Start, Restart, Exec, Kill, Delete, Checkpoint, Restore, Update, Migrate key.Binding
	// The container view's tabs.
	NextTab, PrevTab key.Binding
	Tab              [6]key.Binding
	// Spec shows the container's config.json whole, from any tab (in
	// the overview tab, over its summary).
	Spec key.Binding
	// The logs tab; Search also searches a checkpoint's memory in its
	// inspect view.
	Search, NextMatch, PrevMatch, Timestamps, Wrap, Follow key.Binding
	// JumpTime moves the logs to a time, Export writes them to a file,
	// ScrollLeft and ScrollRight scroll them sideways while wrap is off.
	JumpTime, Export, ScrollLeft, ScrollRight key.Binding
	// A checkpoint's inspect view: its next and previous sub-view
	// (summary, processes, files, sockets, memory, environment, matches, changes).
	NextView, PrevView key.Binding
}

// Scope says where a binding is live.
type Scope int

// Scopes. Global and Nav keys are live everywhere, so they conflict with
// every other scope.
const (
	ScopeGlobal Scope = iota
	ScopeNav
	ScopeList
	ScopeActions
	ScopeTabs
	ScopeLogs
	// ScopeInspect is a checkpoint's inspect view, inside the container
	// view, where the actions and the tab keys work too.
	ScopeInspect
)

// NamedBinding is a binding with its config name.
type NamedBinding struct {
	Name    string
	Scope   Scope
	Binding *key.Binding
}

// DefaultKeyMap is berth's keys as the README lists them.
func DefaultKeyMap() *KeyMap {
	b := func(help string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(keys[0], help))
	}
	k := &KeyMap{
		Quit:    b("quit", "q", "ctrl+c"),
		Back:    b("back", "esc"),
		Help:    b("help", "?"),
		Palette: b("commands", ":"),
		Events:  b("events", "E"),
		Theme:   b("theme", "T"),
		// Messages opens the log of every footer message, whole.
		Messages: b("messages", "M"),
		MuteOOM:  b("mute OOM toasts", "O"),
		Copy:     b("copy id", "y"),

		Up:       b("up", "up", "ctrl+p"),
		Down:     b("down", "down", "ctrl+n"),
		PageUp:   b("page up", "pgup", "ctrl+b"),
		PageDown: b("page down", "pgdown", "ctrl+f"),
		Top:      b("top", "home", "g"),
		Bottom:   b("bottom", "end", "G"),

		Open:    b("open", "enter"),
		Logs:    b("logs", "l"),
		Filter:  b("filter", "/"),
		Mark:    b("mark", " "),
		Sort:    b("sort", "s"),
		Reverse: b("reverse", "S"),
		SortBy:  b("sort by", ">", "<", "f6"),

		Pause:      b("pause/resume", "p"),
		Start:      b("start", "a"),
		Restart:    b("restart", "R"),
		Migrate:    b("migrate", "m"),
		Exec:       b("exec shell", "e"),
		Kill:       b("kill", "k"),
		Delete:     b("delete", "d"),
		Checkpoint: b("checkpoint", "c"),
		Restore:    b("restore", "r"),
		Update:     b("update limits", "u"),

		NextTab: b("next tab", "tab"),
		PrevTab: b("previous tab", "shift+tab"),
		Spec:    b("spec (config.json)", "v"),

		Search:     b("search", "/"),
		NextMatch:  b("next match", "n"),
		PrevMatch:  b("previous match", "N"),
		Timestamps: b("timestamps", "t"),
		Wrap:       b("wrap", "w"),
		Follow:     b("follow", "f"),

		JumpTime:    b("jump to time", "J"),
		Export:      b("export to file", "x"),
		ScrollLeft:  b("scroll left", "left", "h"),
		ScrollRight: b("scroll right", "right", "l"),

		NextView: b("next view", "]"),
		PrevView: b("previous view", "["),
	}
	k.ScrollLeft.SetHelp("←", "scroll left")
	k.ScrollRight.SetHelp("→", "scroll right")
	k.Mark.SetHelp("space", "mark")
	k.Up.SetHelp("↑", "up")
	k.Down.SetHelp("↓", "down")
	for i := range k.Tab {
		d := string(rune('1' + i))
		k.Tab[i] = b(TabNames[i]+" tab", d)
	}
	return k
}

// Named lists every binding with its config name, in help order.
func (k *KeyMap) Named() []NamedBinding {
	n := []NamedBinding{
		{"quit", ScopeGlobal, &k.Quit}, {"back", ScopeGlobal, &k.Back}, {"help", ScopeGlobal, &k.Help},
		{"palette", ScopeGlobal, &k.Palette}, {"events", ScopeGlobal, &k.Events}, {"theme", ScopeGlobal, &k.Theme},
		{"messages", ScopeGlobal, &k.Messages}, {"mute-oom", ScopeGlobal, &k.MuteOOM},
		{"copy", ScopeGlobal, &k.Copy},
		{"up", ScopeNav, &k.Up}, {"down", ScopeNav, &k.Down}, {"page-up", ScopeNav, &k.PageUp},
		{"page-down", ScopeNav, &k.PageDown}, {"top", ScopeNav, &k.Top}, {"bottom", ScopeNav, &k.Bottom},
		{"open", ScopeList, &k.Open}, {"logs", ScopeList, &k.Logs}, {"filter", ScopeList, &k.Filter},
		{"mark", ScopeList, &k.Mark}, {"sort", ScopeList, &k.Sort}, {"reverse", ScopeList, &k.Reverse},
		{"sort-by", ScopeList, &k.SortBy},
		{"pause", ScopeActions, &k.Pause}, {"start", ScopeActions, &k.Start}, {"restart", ScopeActions, &k.Restart},
		{"exec", ScopeActions, &k.Exec}, {"kill", ScopeActions, &k.Kill},
		{"delete", ScopeActions, &k.Delete}, {"checkpoint", ScopeActions, &k.Checkpoint},
		{"restore", ScopeActions, &k.Restore}, {"update", ScopeActions, &k.Update}, {"migrate", ScopeActions, &k.Migrate},
		{"next-tab", ScopeTabs, &k.NextTab}, {"prev-tab", ScopeTabs, &k.PrevTab},
	}
	for i := range k.Tab {
		n = append(n, NamedBinding{"tab-" + string(rune('1'+i)), ScopeTabs, &k.Tab[i]})
	}
	n = append(n, NamedBinding{"spec", ScopeTabs, &k.Spec})
	return append(n,
		NamedBinding{"search", ScopeLogs, &k.Search}, NamedBinding{"next-match", ScopeLogs, &k.NextMatch},
		NamedBinding{"prev-match", ScopeLogs, &k.PrevMatch}, NamedBinding{"timestamps", ScopeLogs, &k.Timestamps},
		NamedBinding{"wrap", ScopeLogs, &k.Wrap}, NamedBinding{"follow", ScopeLogs, &k.Follow},
		NamedBinding{"jump-time", ScopeLogs, &k.JumpTime}, NamedBinding{"export", ScopeLogs, &k.Export},
		NamedBinding{"scroll-left", ScopeLogs, &k.ScrollLeft}, NamedBinding{"scroll-right", ScopeLogs, &k.ScrollRight},
		NamedBinding{"next-view", ScopeInspect, &k.NextView}, NamedBinding{"prev-view", ScopeInspect, &k.PrevView},
	)
}

// conflicts reports whether two scopes are ever live at once. The list's
// keys meet the actions on the list, and the tab keys in the container
// view (whose processes tab sorts and whose checkpoints tab opens with
// them); the logs tab lives beside the tabs and the actions. The list's
// filter and the logs' search may share a key: they never meet.
func conflicts(a, b Scope) bool {
	if a == ScopeGlobal || a == ScopeNav || b == ScopeGlobal || b == ScopeNav {
		return true
	}
	if a == b {
		return true
	}
	pair := func(x, y Scope) bool { return a == x && b == y || a == y && b == x }
	return pair(ScopeList, ScopeActions) || pair(ScopeList, ScopeTabs) || pair(ScopeTabs, ScopeActions) ||
		pair(ScopeLogs, ScopeTabs) || pair(ScopeLogs, ScopeActions) ||
		pair(ScopeInspect, ScopeTabs) || pair(ScopeInspect, ScopeActions) || pair(ScopeInspect, ScopeLogs)
}

// GlobalHelp is the global keys, for every screen's help.
func (k *KeyMap) GlobalHelp() []key.Binding {
	return []key.Binding{k.Help, k.Palette, k.Events, k.Messages, k.MuteOOM, k.Copy, k.Theme, k.Back, k.Quit}
}

// NavHelp is the navigation keys.
func (k *KeyMap) NavHelp() []key.Binding {
	return []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}
}

// ActionHelp is the container actions.
func (k *KeyMap) ActionHelp() []key.Binding {
	return []key.Binding{k.Pause, k.Start, k.Restart, k.Exec, k.Kill, k.Delete, k.Checkpoint, k.Restore, k.Update, k.Migrate}
}

// ActionFor maps an action key to its action, for every screen that
// offers the container actions.
func (k *KeyMap) ActionFor(msg tea.KeyMsg) (Action, bool) {
	for _, a := range []struct {
		b   key.Binding
		act Action
	}{
		{k.Pause, ActPause}, {k.Start, ActStart}, {k.Restart, ActRestart}, {k.Exec, ActExec}, {k.Kill, ActKill}, {k.Delete, ActDelete},
		{k.Checkpoint, ActCheckpoint}, {k.Restore, ActRestore}, {k.Update, ActUpdate}, {k.Migrate, ActMigrate},
	} {
		if key.Matches(msg, a.b) {
			return a.act, true
		}
	}
	return "", false
}
