// Package ui is berth's terminal UI: the root model that owns the data
// (containers, stats history, events), routes messages and keys to the
// screen on view, runs the actions screens ask for (after a confirmation,
// a signal menu or a form), and draws the footer, modals and toasts.
//
// Update routes in one order: window size; data (containers, stats,
// events: the event wait is re-armed); the refresh tick; action results
// and status; then keys: an open modal takes every key, then a page that
// is taking text, then the global keys, then the page on view. Mouse
// reports go to the page on view, only when the mouse is on, no modal is
// open and they fall on the page (not the tab bar or the footer).
package ui

import (
	"context"
	"errors"
	"os"
	"runtime"
	"sync"
	"time"

	"berth/host/cgroupfs"
	"berth/themes"
	"berth/ui/checkpoints"
	"berth/ui/common"
	"berth/ui/container"
	"berth/ui/containers"
	"berth/ui/events"
	"berth/ui/format"
	"berth/ui/logs"
	"berth/ui/sanitize"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
)

// Options configure the UI.
type Options struct {
	Core common.Core
	// Theme is the palette to start with; ThemeDir holds user themes
	// (for cycling).
	Theme    themes.Palette
	ThemeDir string
	// ThemeNames are the themes to cycle through (read before the UI
	// starts: no directory reads in Update).
	ThemeNames []string
	Keys       *common.KeyMap
	// Refresh is the stats interval (default 1 s).
	Refresh time.Duration
	// Renderer knows the terminal's colour profile.
	Renderer *lipgloss.Renderer
	// TerminalFd is probed every second to notice a dropped terminal; -1
	// turns the probe off (tests).
	TerminalFd int
	// Now is the clock (tests fix it).
	Now func() time.Time
	// Notices are warnings to show as the UI starts (a given external
	// root that does not exist).
	Notices []string
	// Clipboard is where the copy key writes (OSC 52); its W nil turns
	// copying off.
	Clipboard Clipboard
	// Mouse turns on mouse reports: a click selects a row, the wheel
	// scrolls.
	Mouse bool
}

// Model is the root model.
type Model struct {
	c    *common.Common
	opts Options
	ctx  context.Context
	stop context.CancelFunc
	// migrations counts the migrations under way, which Close waits for.
	migrations sync.WaitGroup

	screen  common.Screen
	id      string // the container in view
	tab     common.Tab
	list    *containers.Model
	tabs    [6]common.Page
	journal *events.Model
	// merged is ScreenLogs: the output of several containers.
	merged *logs.Model

	modal    modal
	toasts   []toast
	status   common.StatusMsg
	messages messageLog
	// oomKills counts each container's live OOM kills this session, for
	// its toast; muted are the containers whose kills raise none.
	oomKills map[string]int
	muted    map[string]bool
	// toastMemo is the toasts' box as last drawn; hintsMemo the
	// footer's key hints.
	toastMemo toastMemo
	hintsMemo hintsMemo
	help      help.Model

	refresh
	// limitsGen is the generation of the update form's limits read.
	limitsGen uint64
	// prev is the screen the events timeline was opened from.
	prev common.NavigateMsg

	// termW and termH are the terminal's size; c.Width/Height the page's.
	termW, termH int
	// frame is the last frame drawn; terminal writes each (nil: nothing
	// does, as in tests, which read View).
	frame    string
	terminal *terminal
}

// minWidth and minHeight are the smallest terminal berth draws in; below
// it says so.
const (
	minWidth  = 20
	minHeight = 5
)

// New builds the root model.
func New(o Options) *Model {
	if o.Refresh <= 0 {
		o.Refresh = time.Second
	}
	if o.Keys == nil {
		o.Keys = common.DefaultKeyMap()
	}
	if o.Renderer == nil {
		o.Renderer = lipgloss.DefaultRenderer()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &common.Common{
		Ctx: ctx, Core: o.Core, Store: common.NewStore(), Styles: common.NewStyles(o.Theme, o.Renderer),
		Keys: o.Keys, Width: 80, Height: 22, Now: o.Now(), Requests: &common.Requests{},
	}
	m := &Model{c: c, opts: o, ctx: ctx, stop: cancel, help: help.New(), termW: 80, termH: 24,
		oomKills: map[string]int{}, muted: map[string]bool{}}
	m.list = containers.New(c)
	m.journal = events.New(c)
	m.merged = logs.New(c)
	m.tabs = [6]common.Page{
		container.NewOverview(c), container.NewProcesses(c), container.NewStats(c),
		logs.New(c), checkpoints.New(c), events.New(c),
	}
	m.styleHelp()
	return m
}

// Close stops everything the UI started (the watch loop, a log follow).
func (m *Model) Close() {
	m.page().Close()
	m.stop()
	// A migration under way ends as a failure does (it runs here again):
	// let it get there, rather than exit with CRIU's page stream cut.
	m.migrations.Wait()
}

// Init lists the containers, subscribes to events and starts the clock.
func (m *Model) Init() tea.Cmd {
	m.listing = true
	cmds := []tea.Cmd{listCmd(m.ctx, m.c.Core), startEvents(m.ctx, m.c.Core),
		readHost(m.c.Core), tick(m.opts.Refresh, m.c.Core)}
	if m.opts.TerminalFd >= 0 {
		cmds = append(cmds, probeTick())
	}
	for _, n := range m.opts.Notices {
		cmds = append(cmds, msgCmd(common.StatusMsg{Text: n, Level: common.LevelWarning}))
	}
	return tea.Batch(cmds...)
}

// page is the page on view.
func (m *Model) page() common.Page {
	switch m.screen {
	case common.ScreenContainer:
		return m.tabs[m.tab]
	case common.ScreenEvents:
		return m.journal
	case common.ScreenLogs:
		return m.merged
	}
	return m.list
}

// Update routes a message (see the package comment for the order), then
// draws the frame View returns. A tick that only starts a sample draws
// nothing: the stats it brings back draw the frame, so an idle second
// costs one frame, not two.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	cmd, changed := m.step(msg)
	if changed {
		m.draw()
	}
	return m, cmd
}

// step routes a message without drawing; changed reports that the frame
// is to be drawn again (see quiet).
func (m *Model) step(msg tea.Msg) (cmd tea.Cmd, changed bool) {
	n := len(m.toasts)
	_, cmd = m.update(msg)
	return cmd, !m.quiet(msg) || len(m.toasts) != n
}

// draw draws the frame View returns, and hands it to the terminal.
func (m *Model) draw() {
	m.frame = m.render()
	if m.terminal != nil {
		m.terminal.show(m.frame, m.termW, m.termH)
	}
}

// quiet reports messages that change nothing on screen: the terminal
// probe's clock, the end of a pause between samples of new rows, and a
// tick that started a sample (their replies draw).
func (m *Model) quiet(msg tea.Msg) bool {
	switch msg.(type) {
	case probeMsg, newRowsMsg:
		return true
	case tickMsg:
		return m.sampling
	}
	return false
}

func (m *Model) update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.resize(msg.Width, msg.Height)
		return m, m.forward(msg)
	case common.ContainersMsg:
		return m, m.onContainers(msg)
	case common.StatsMsg:
		return m, m.onStats(msg)
	case eventsStartedMsg:
		return m, m.onEventsStarted(msg)
	case common.EventsMsg:
		return m, m.onEvents(msg)
	case eventsClosedMsg:
		m.eventsLive = false
		text := "live events stopped: the list now refreshes every few seconds"
		if msg.err != nil {
			text = "live events failed (" + msg.err.Error() + "): the list now refreshes every few seconds"
		}
		m.say(common.StatusMsg{Text: text, Level: common.LevelWarning})
		return m, nil
	case containerMsg:
		return m, m.onContainer(msg)
	case newRowsMsg:
		return m, m.onNewRows()
	case probeMsg:
		return m, tea.Batch(probeTerminal(m.opts.TerminalFd), probeTick())
	case tickMsg:
		return m, m.onTick(msg)
	case hostMsg:
		m.onHost(msg)
		return m, nil
	case terminalGoneMsg:
		return m, tea.Quit
	case common.StatusMsg:
		m.say(msg)
		return m, nil
	case common.NavigateMsg:
		return m, m.navigate(msg)
	case common.ActionMsg:
		return m, m.onAction(msg)
	case bypassMsg:
		return m, m.onBypass(msg)
	case migrateMsg:
		m.say(common.StatusMsg{Text: "migrating " + msg.label + " " + format.Progress(msg.sent, msg.total, 20)})
		return m, nextStep(msg.steps)
	case muteMsg:
		m.setMuted(msg.id, msg.on)
		return m, nil
	case common.DoneMsg:
		return m, m.onDone(msg)
	case formLimitsMsg:
		m.onFormLimits(msg)
		return m, nil
	case execReadyMsg:
		return m, m.onExecReady(msg)
	case themeMsg:
		return m, m.onTheme(msg)
	case tea.KeyMsg:
		return m, m.onKeys(msg)
	case tea.MouseMsg:
		return m, m.onMouse(msg)
	}
	return m, m.forward(msg)
}

// onMouse passes a click or a turn of the wheel over the page to it, its
// row counted from the page's top. Over the tab bar or the footer, under
// a modal, or with the mouse off (a report the terminal sends unasked) it
// does nothing: a report is never a key.
func (m *Model) onMouse(msg tea.MouseMsg) tea.Cmd {
	if !m.opts.Mouse || m.modal != nil {
		return nil
	}
	top := m.chromeHeight()
	if msg.Y < top || msg.Y >= top+m.c.Height {
		return nil
	}
	msg.Y -= top
	return m.forward(msg)
}

// forward passes a message to the page on view, then takes what the
// page asked for in it (see common.Requests), in order.
func (m *Model) forward(msg tea.Msg) tea.Cmd {
	cmds := []tea.Cmd{m.page().Update(msg)}
	for _, req := range m.c.Requests.Take() {
		_, cmd := m.update(req)
		cmds = append(cmds, cmd)
	}
	return tea.Batch(cmds...)
}

// resize records the terminal size and gives the page what is left of
// it after the footer (and, in the container view, the tab bar).
func (m *Model) resize(w, h int) {
	m.termW, m.termH = w, h
	m.c.Width = w
	m.c.Height = max(h-1-m.chromeHeight(), 0)
	m.help.Width = w
}

// room is the cells a modal has: the whole terminal, drawn over.
func (m *Model) room() room { return room{w: m.termW, h: m.termH} }

func (m *Model) chromeHeight() int {
	if m.screen == common.ScreenContainer {
		return 1
	}
	return 0
}

// navigate shows a screen; the page left is closed (its follow stops).
func (m *Model) navigate(msg common.NavigateMsg) tea.Cmd {
	if msg.Screen == common.ScreenContainer {
		if _, ok := m.c.Store.Get(msg.ID); !ok {
			m.say(common.StatusMsg{Text: sanitize.OneLine(msg.ID) + ": no such container", Level: common.LevelError})
			return nil
		}
	}
	if msg.Screen == common.ScreenEvents && m.screen != common.ScreenEvents {
		m.prev = common.NavigateMsg{Screen: m.screen, ID: m.id, Tab: m.tab}
		if m.screen == common.ScreenLogs {
			m.prev.IDs = m.merged.IDs()
		}
	}
	m.page().Close()
	m.screen, m.status = msg.Screen, common.StatusMsg{}
	m.sampleGen++
	m.removing = false // a screen opened shows its stats at once, removal or not
	if msg.Screen == common.ScreenContainer {
		m.id, m.tab = msg.ID, msg.Tab
	}
	m.resize(m.termW, m.termH)
	id := m.id
	if msg.Screen != common.ScreenContainer {
		id = ""
	}
	var cmd tea.Cmd
	if msg.Screen == common.ScreenLogs {
		cmd = m.merged.OpenMerged(msg.IDs)
	} else {
		cmd = m.page().Open(id)
	}
	if m.sampling {
		return cmd // the reply in flight is dropped and sampling starts again
	}
	return tea.Batch(cmd, m.sample())
}

func (m *Model) switchTab(t common.Tab) tea.Cmd {
	if t == m.tab {
		return nil
	}
	return m.navigate(common.NavigateMsg{Screen: common.ScreenContainer, ID: m.id, Tab: t})
}

// onKeys handles a key message. Several runes read at once (typed fast
// over a slow link) come as one message: each is handled as a key of its
// own, in order, until a text field has the focus (a filter just opened,
// a form); the rest of the batch is then its text. A paste is text the
// operator did not type key by key: it goes to a text field with the
// focus, and with none it presses no key at all (a pasted "ping" must not
// pause a container).
func (m *Model) onKeys(msg tea.KeyMsg) tea.Cmd {
	if msg.Paste {
		if m.takingText() {
			return m.onKey(msg)
		}
		return nil
	}
	if msg.Type != tea.KeyRunes || len(msg.Runes) < 2 {
		return m.onKey(msg)
	}
	var cmds []tea.Cmd
	for i, r := range msg.Runes {
		if m.takingText() {
			rest := msg
			rest.Runes = msg.Runes[i:]
			return tea.Batch(append(cmds, m.onKey(rest))...)
		}
		if k, ok := runeKey(r); ok {
			cmds = append(cmds, m.onKey(k))
		}
	}
	return tea.Batch(cmds...)
}

// runeKey is one rune of a batch as the key message bubbletea would have
// sent had it come alone. Control characters come only in a paste (typed
// ones arrive as keys of their own) and are dropped: pasted text never
// presses enter.
func runeKey(r rune) (tea.KeyMsg, bool) {
	switch {
	case r == ' ':
		return tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}}, true
	case r < ' ' || r == 0x7f:
		return tea.KeyMsg{}, false
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}}, true
}

// takingText reports that what is typed now is text: an open modal's
// text field, or a page's prompt, has the focus.
func (m *Model) takingText() bool {
	if m.modal != nil {
		return m.modal.takingText()
	}
	return m.page().Capturing()
}

// onKey: an open modal takes every key; a page taking text takes every
// key; then the mute key (before a key dismisses the toasts it mutes);
// then global keys; then the sort menu of a page whose table sorts; then
// the page.
func (m *Model) onKey(msg tea.KeyMsg) tea.Cmd {
	if m.status.Level != common.LevelError || m.modal == nil {
		m.status = common.StatusMsg{}
	}
	if msg.Type == tea.KeyCtrlC {
		return tea.Quit
	}
	// The mute key acts on the toasts, so it comes before a key takes them.
	if m.modal == nil && !m.page().Capturing() && key.Matches(msg, m.c.Keys.MuteOOM) {
		m.muteOOM()
		return nil
	}
	m.seeToasts()
	if m.modal != nil {
		var cmd tea.Cmd
		m.modal, cmd = m.modal.update(msg, m.c, m.room())
		return cmd
	}
	if m.page().Capturing() {
		if key.Matches(msg, m.c.Keys.Back) {
			if b, ok := m.page().(common.Backer); ok {
				b.Back()
			}
			return nil
		}
		return m.forward(msg)
	}
	k := m.c.Keys
	switch {
	case key.Matches(msg, k.Quit):
		return tea.Quit
	case key.Matches(msg, k.Back):
		return m.back()
	case key.Matches(msg, k.Help):
		m.modal = m.helpModal()
		return nil
	case key.Matches(msg, k.Palette):
		m.modal = m.palette()
		return nil
	case key.Matches(msg, k.Messages):
		m.modal = newMessagesModal(&m.messages)
		return nil
	case key.Matches(msg, k.Events):
		return m.navigate(common.NavigateMsg{Screen: common.ScreenEvents})
	case key.Matches(msg, k.Theme):
		return cycleTheme(m.c.Styles.Theme, m.opts.ThemeNames, m.opts.ThemeDir)
	case key.Matches(msg, k.Copy):
		return m.copySelection()
	}
	if s, ok := m.page().(common.Sorter); ok && key.Matches(msg, k.SortBy) {
		m.modal = sortMenu(s)
		return nil
	}
	if m.screen == common.ScreenContainer {
		if cmd, ok := m.containerKey(msg); ok {
			return cmd
		}
	}
	return m.forward(msg)
}

// containerKey handles the container view's own keys: tabs, and the
// container actions (unless the tab has its own use for the key).
func (m *Model) containerKey(msg tea.KeyMsg) (tea.Cmd, bool) {
	k := m.c.Keys
	switch {
	case key.Matches(msg, k.NextTab):
		return m.switchTab((m.tab + 1) % 6), true
	case key.Matches(msg, k.PrevTab):
		return m.switchTab((m.tab + 5) % 6), true
	}
	for i, b := range k.Tab {
		if key.Matches(msg, b) {
			return m.switchTab(common.Tab(i)), true
		}
	}
	// The spec key opens the config.json over the overview, from any
	// tab (the overview itself takes it as its own key).
	if key.Matches(msg, k.Spec) && m.tab != common.TabOverview {
		cmd := m.switchTab(common.TabOverview)
		return tea.Batch(cmd, m.forward(msg)), true
	}
	// The processes tab signals a process with the kill key; the
	// checkpoints tab restores and deletes checkpoints with its keys.
	if m.tab == common.TabProcesses && key.Matches(msg, k.Kill) ||
		m.tab == common.TabCheckpoints && key.Matches(msg, k.Restore, k.Delete, k.Checkpoint) {
		return nil, false
	}
	if act, ok := k.ActionFor(msg); ok {
		return m.onAction(common.ActionMsg{Action: act, IDs: []string{m.id}}), true
	}
	return nil, false
}

// back leaves a sub-view of the page, or the screen, or does nothing on
// the list.
func (m *Model) back() tea.Cmd {
	if b, ok := m.page().(common.Backer); ok && b.Back() {
		return nil
	}
	switch m.screen {
	case common.ScreenList:
		return nil
	case common.ScreenEvents:
		if _, ok := m.c.Store.Get(m.prev.ID); ok || m.prev.Screen != common.ScreenContainer {
			return m.navigate(m.prev)
		}
	}
	return m.navigate(common.NavigateMsg{Screen: common.ScreenList})
}

// Run opens the UI on the terminal and returns when the operator quits
// or the terminal goes away.
func Run(ctx context.Context, o Options) error {
	o.TerminalFd = int(os.Stdin.Fd())
	// The UI's work is one pipeline (the watch loop hands batches to the
	// program, which draws): a second P runs nothing beside it, and only
	// costs a thread woken and a scheduler spinning for each goroutine
	// that becomes runnable, several times a batch. On one P the
	// scheduler, the runtime's monitor and the futexes of that handoff
	// took much less of the UI's CPU under OOM churn. GOMAXPROCS
	// set in the environment still wins.
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(1)
	}
	// The UI reads the same cgroup files of the rows on screen every
	// second: keep them open.
	cgroupfs.HoldFiles()
	m := New(o)
	defer m.Close()
	// berth draws on the terminal itself, not through bubbletea's
	// renderer (see terminal): each frame as the UI draws it.
	tt := newTerminal(os.Stdin, os.Stdout, o.Mouse)
	if err := tt.open(); err != nil {
		return err
	}
	defer tt.release()
	m.terminal = tt
	p := tea.NewProgram(&paced{m: m}, tea.WithContext(ctx), tea.WithoutRenderer())
	sctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); tt.run(sctx) }()
	go func() { defer wg.Done(); tt.watchSize(sctx, p.Send) }()
	_, err := p.Run()
	stop()
	wg.Wait()
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return nil
	}
	return err
}
