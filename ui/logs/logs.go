// Package logs is the container view's logs tab: a container's output,
// followed live, searched, with optional timestamps and wrapping.
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

	"berth/core"
	"berth/ui/common"
	"berth/ui/sanitize"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
)

// Model is the logs tab of one container.
type Model struct {
	c *common.Common

	id       string
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

	search    search
	prompt    textinput.Model
	prompting bool
	searchErr string

	// submit and cancel are the prompt's keys, clearSearch the back key
	// while a search is on: copies with their own help.
	submit, cancel, clearSearch key.Binding
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
		submit: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "search")),
	}
}

// Open shows container id's output, starting from its last maxLines (10,000) lines and
// following it. It stops any earlier follow and empties the page; wrap,
// timestamps and the search (re-matched as lines arrive) stay.
func (m *Model) Open(id string) tea.Cmd {
	m.styleInput()
	m.Close()
	m.id = id
	m.buf = ring{}
	m.ended, m.endState, m.endText, m.endErr = false, "", "", false
	m.follow, m.top = true, pos{}
	m.search.matches, m.search.cur = nil, 0
	m.follower = startFollow(m.c.Ctx, m.c.Core, id)
	return m.follower.wait(m.gen)
}

// Close stops the follow; replies already on their way are dropped.
func (m *Model) Close() {
	if m.follower != nil {
		m.follower.stop()
		m.follower = nil
	}
	m.gen++
}

// Capturing reports whether the search prompt is open: it takes every key.
func (m *Model) Capturing() bool { return m.prompting }

// Back closes the search prompt, or else clears the search; it reports
// false when there was neither, for the root to go back.
func (m *Model) Back() bool {
	switch {
	case m.prompting:
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
	case tea.KeyMsg:
		if m.prompting {
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
		m.openPrompt()
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

func (m *Model) openPrompt() {
	m.prompting, m.searchErr = true, ""
	m.prompt.SetValue(m.search.query)
	m.prompt.CursorEnd()
	m.prompt.Width = max(m.c.Width-2, 1)
	m.prompt.Focus()
}

func (m *Model) closePrompt() {
	m.prompting, m.searchErr = false, ""
	m.prompt.Blur()
}

// updatePrompt edits the search; enter commits it (an empty one clears
// the search), and a bad expression keeps the prompt open with its error.
func (m *Model) updatePrompt(msg tea.KeyMsg) tea.Cmd {
	switch {
	case key.Matches(msg, m.c.Keys.Back):
		m.closePrompt()
		return nil
	case key.Matches(msg, m.submit):
		q := m.prompt.Value()
		if q == "" {
			m.search = search{}
			m.closePrompt()
			return nil
		}
		re, errText := compileSearch(q)
		if re == nil {
			m.searchErr = errText
			return nil
		}
		m.closePrompt()
		m.setSearch(q, re)
		return nil
	}
	m.searchErr = ""
	m.prompt.Width = max(m.c.Width-2, 1)
	var cmd tea.Cmd
	m.prompt, cmd = m.prompt.Update(msg)
	return cmd
}

// ShortHelp is the page's main keys, or the prompt's while it is open.
func (m *Model) ShortHelp() []key.Binding {
	if m.prompting {
		return []key.Binding{m.submit, m.cancel}
	}
	k := m.c.Keys
	return []key.Binding{k.Search, k.NextMatch, k.PrevMatch, k.Follow, k.Timestamps, k.Wrap}
}

// FullHelp is every key of the page, by group.
func (m *Model) FullHelp() [][]key.Binding {
	k := m.c.Keys
	return [][]key.Binding{
		k.NavHelp(),
		{k.Search, k.NextMatch, k.PrevMatch, m.clearSearch},
		{k.Follow, k.Timestamps, k.Wrap},
	}
}
