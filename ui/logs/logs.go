// Package logs is the container view's logs tab: a container's output,
// followed live, searched, with optional timestamps and wrapping, a jump
// to a time, an export to a file and, unwrapped, sideways scrolling. The
// same page shows several containers' output merged by time (OpenMerged),
// each line after its container's label.
//
// Open starts a goroutine, owned by a context that Close (or the next
// Open) cancels, which reads the last lines and then every new one into a
// bounded queue; a command drains the queue in batches and Update re-arms
// it, so the page never blocks the UI and never loses or hoards a line. A
// generation number drops replies of an earlier Open.
//
// The page keeps the newest 10,000 lines, each escaped with package
// sanitize and cut to 16 KiB when it arrives: the terminal never sees a
// container's escape sequences, and a hostile container cannot make the
// page grow without bound. Lines are numbered as they arrive, so the
// scroll position and the search matches stay on their lines while old
// ones are dropped.
//
// Search is a case-insensitive regular expression (RE2, as the container
// list's filter), matched against the text as shown: an escaped control
// byte is found by searching for its escape, \x1b.
package logs

import (
	"errors"
	"slices"

	"berth/core"
	"berth/ui/common"
	"berth/ui/sanitize"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
)

// Model is the logs tab of one container, or the merged logs of several.
type Model struct {
	c *common.Common

	// ids are the containers shown: one, or several merged by time;
	// labels are their names as shown, escaped, and colors their label
	// styles, fixed by the container's place among ids sorted.
	ids      []string
	labels   []string
	colors   []lipgloss.Style
	labelW   int
	gen      int
	follower *follower
	buf      ring
	// ended is set when the follow ended: endState says how in a word or
	// two for the header, endText why, endErr whether it failed.
	ended             bool
	endState, endText string
	endErr            bool

	// follow keeps the newest line on the last row; otherwise top is the
	// first row shown.
	follow bool
	top    pos

	wrap, timestamps bool
	// left is how many cells of each line are scrolled off to the left
	// while wrap is off.
	left int

	search search
	// prompt is the line the operator types a search, a time to jump to
	// or a file to export to in; asking says which, none when closed.
	prompt    textinput.Model
	asking    ask
	promptErr string
	// overwrite is the file an export found there, to write over if the
	// operator says yes; exportGen drops the answers of an earlier export.
	overwrite string
	exportGen int

	// submit and cancel are the prompt's keys, clearSearch the back key
	// while a search is on: copies with their own help.
	submit, cancel, clearSearch key.Binding
	// yes writes over the file an export found.
	yes key.Binding
}

var (
	_ common.Page   = (*Model)(nil)
	_ common.Backer = (*Model)(nil)
)

// styleInput takes the prompt's styles from the theme in use (it may
// have changed since the tab was made).
func (m *Model) styleInput() {
	m.prompt.PromptStyle = m.c.Styles.Accent
	m.prompt.TextStyle = m.c.Styles.Text
	m.prompt.PlaceholderStyle = m.c.Styles.Muted
}

// New is an empty logs tab; Open starts it on a container.
func New(c *common.Common) *Model {
	ti := common.NewInput()
	ti.Prompt = "/"
	ti.Placeholder = "regexp, case-insensitive"
	ti.CharLimit = 256
	cancel, clearSearch := c.Keys.Back, c.Keys.Back
	cancel.SetHelp(c.Keys.Back.Help().Key, "cancel")
	clearSearch.SetHelp(c.Keys.Back.Help().Key, "clear search")
	return &Model{
		c: c, follow: true, prompt: ti, cancel: cancel, clearSearch: clearSearch,
		// The prompt's enter is fixed, as the text input's own keys are:
		// a remappable key could be one the operator needs to type.
		submit: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "ok")),
		yes:    key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "overwrite")),
	}
}

// Open shows container id's output, starting from its last maxLines (10,000) lines and
// following it. It stops any earlier follow and empties the page; wrap,
// timestamps and the search (re-matched as lines arrive) stay.
func (m *Model) Open(id string) tea.Cmd {
	if id == "" {
		return m.OpenMerged(nil)
	}
	return m.OpenMerged([]string{id})
}

// OpenMerged shows the output of several containers merged by time, as
// Open does one's: each line begins with its container's label, in a
// colour of its own. The newest maxLines lines of them all come first,
// in time order, then every new line as it is written.
func (m *Model) OpenMerged(ids []string) tea.Cmd {
	m.styleInput()
	m.Close()
	m.ids = slices.Clone(ids)
	m.setLabels()
	m.buf = ring{}
	m.ended, m.endState, m.endText, m.endErr = false, "", "", false
	m.follow, m.top, m.left = true, pos{}, 0
	m.search.matches, m.search.cur = nil, 0
	m.closePrompt()
	m.exportGen++ // an export of the output left asks nothing here
	if len(ids) == 0 {
		return nil
	}
	m.follower = startFollow(m.c.Ctx, m.c.Core, m.ids, m.c.Now)
	return m.follower.wait(m.gen)
}

// setLabels names the containers shown and gives each its colour.
func (m *Model) setLabels() {
	st := m.c.Styles
	palette := []lipgloss.Style{st.CPU, st.Memory, st.Pids, st.IO, st.Net, st.Accent}
	sorted := slices.Clone(m.ids)
	slices.Sort(sorted)
	m.labels, m.colors, m.labelW = nil, nil, 0
	for _, id := range m.ids {
		l := m.c.Store.Label(id)
		m.labels = append(m.labels, l)
		m.colors = append(m.colors, palette[slices.Index(sorted, id)%len(palette)])
		m.labelW = max(m.labelW, common.Width(l))
	}
	m.labelW = min(m.labelW, maxLabelWidth)
}

// IDs are the containers shown.
func (m *Model) IDs() []string { return m.ids }

// Close stops the follow; replies already on their way are dropped.
func (m *Model) Close() {
	if m.follower != nil {
		m.follower.stop()
		m.follower = nil
	}
	m.gen++
}

// Capturing reports whether the prompt is open: it takes every key.
func (m *Model) Capturing() bool { return m.asking != askNone }

// Back closes the prompt, or else clears the search; it reports false
// when there was neither, for the root to go back.
func (m *Model) Back() bool {
	switch {
	case m.asking != askNone:
		m.closePrompt()
		return true
	case m.search.active():
		m.search = search{}
		return true
	}
	return false
}

// Update takes new lines, the end of the output, and keys.
func (m *Model) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case linesMsg:
		if msg.gen != m.gen || m.follower == nil {
			return nil
		}
		m.append(msg.lines)
		return m.follower.wait(m.gen)
	case endMsg:
		if msg.gen == m.gen {
			m.end(msg.err)
		}
	case tea.WindowSizeMsg:
		// Sent on a resize and when the theme changes.
		m.styleInput()
		m.setLabels()
	case exportExistsMsg:
		if msg.gen == m.exportGen {
			m.askOverwrite(msg.path)
		}
	case tea.MouseMsg:
		m.updateMouse(msg)
	case tea.KeyMsg:
		if m.asking != askNone {
			return m.updatePrompt(msg)
		}
		m.updateKey(msg)
	}
	return nil
}

// append adds a batch to the ring, matching it against the search.
func (m *Model) append(lines []line) {
	for i := range lines {
		m.buf.add(lines[i])
		m.search.add(m.buf.get(m.buf.last()))
	}
	m.search.trim(m.buf.first())
}

// end records why the output ended, in one escaped line.
func (m *Model) end(err error) {
	m.ended = true
	if m.follower != nil {
		m.follower.stop() // its goroutine is done: release the context
		m.follower = nil
	}
	switch {
	case err == nil && m.merged():
		m.endState, m.endText = "ended", "end of output: the processes exited"
	case err == nil:
		m.endState, m.endText = "ended", "end of output: the process exited"
	case errors.Is(err, core.ErrUnmanaged):
		m.endState, m.endErr = "no logs", true
		// core says which manager keeps none berth reads.
		m.endText = sanitize.OneLine(err.Error())
	default:
		m.endState, m.endText, m.endErr = "failed", "logs: "+sanitize.OneLine(err.Error()), true
	}
}

func (m *Model) updateKey(msg tea.KeyMsg) {
	k := m.c.Keys
	page := max(m.bodyHeight()-1, 1)
	switch {
	case key.Matches(msg, k.Up):
		m.scroll(-1)
	case key.Matches(msg, k.Down):
		m.scroll(1)
	case key.Matches(msg, k.PageUp):
		m.scroll(-page)
	case key.Matches(msg, k.PageDown):
		m.scroll(page)
	case key.Matches(msg, k.Top):
		m.scrollTop()
	case key.Matches(msg, k.Bottom):
		m.follow = true
	case key.Matches(msg, k.Follow):
		if m.follow {
			m.top = m.start()
		}
		m.follow = !m.follow
	case key.Matches(msg, k.Search):
		m.openPrompt(askSearch, m.search.query)
	case key.Matches(msg, k.JumpTime):
		m.openPrompt(askJump, "")
	case key.Matches(msg, k.Export):
		m.openPrompt(askExport, m.exportName())
	case key.Matches(msg, k.ScrollLeft):
		m.scrollSideways(-1)
	case key.Matches(msg, k.ScrollRight):
		m.scrollSideways(1)
	case key.Matches(msg, k.NextMatch):
		m.jump(1)
	case key.Matches(msg, k.PrevMatch):
		m.jump(-1)
	case key.Matches(msg, k.Timestamps):
		m.keepTop(func() { m.timestamps = !m.timestamps })
	case key.Matches(msg, k.Wrap):
		m.keepTop(func() { m.wrap = !m.wrap })
	}
}

// keepTop applies a change to the layout keeping the first visible line
// first (its row may no longer exist).
func (m *Model) keepTop(change func()) {
	if !m.follow {
		m.top = pos{seq: m.start().seq}
	}
	change()
}

// ShortHelp is the page's main keys, or the prompt's while it is open.
func (m *Model) ShortHelp() []key.Binding {
	switch m.asking {
	case askNone:
	case askOverwrite:
		return []key.Binding{m.yes, m.cancel}
	default:
		return []key.Binding{m.submit, m.cancel}
	}
	k := m.c.Keys
	return []key.Binding{k.Search, k.NextMatch, k.PrevMatch, k.Follow, k.Timestamps, k.Wrap, k.JumpTime, k.Export}
}

// FullHelp is every key of the page, by group.
func (m *Model) FullHelp() [][]key.Binding {
	k := m.c.Keys
	return [][]key.Binding{
		k.NavHelp(),
		{k.Search, k.NextMatch, k.PrevMatch, m.clearSearch},
		{k.Follow, k.JumpTime, k.Export, k.Copy},
		{k.Timestamps, k.ScrollLeft, k.ScrollRight, k.Wrap},
	}
}

// CopyText is the current match's line, as shown (escaped), for the copy
// key: with a search on, the line › marks is the one selected.
func (m *Model) CopyText() (text, what string, ok bool) {
	if !m.search.active() {
		return "", "", false
	}
	l := m.buf.get(m.search.cur)
	if l == nil {
		return "", "", false
	}
	return l.text, "the line", true
}
