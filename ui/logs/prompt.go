package logs

import (
	"errors"

	"berth/ui/common"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// ask is what the prompt line asks for.
type ask int

const (
	askNone ask = iota
	// askSearch is a regular expression to search for.
	askSearch
	// askJump is a time or a duration back to move to.
	askJump
	// askExport is the file to write the lines to.
	askExport
	// askOverwrite is whether to write over the file an export found.
	askOverwrite
)

// prompts are each ask's prompt, placeholder and enter's help.
var prompts = map[ask]struct{ prompt, placeholder, submit string }{
	askSearch: {"/", "regexp, case-insensitive", "search"},
	askJump:   {"jump to: ", "10m, 2h, 2026-01-02 15:04[:05] or RFC 3339", "jump"},
	askExport: {"export to: ", "file", "export"},
}

// openPrompt opens the prompt for a, holding value.
func (m *Model) openPrompt(a ask, value string) {
	p := prompts[a]
	m.asking, m.promptErr = a, ""
	m.prompt.Prompt, m.prompt.Placeholder = p.prompt, p.placeholder
	m.submit.SetHelp("enter", p.submit)
	m.prompt.SetValue(value)
	m.prompt.CursorEnd()
	m.fitPrompt()
	m.prompt.Focus()
}

// fitPrompt sizes the text field to the page's width less its prompt.
func (m *Model) fitPrompt() {
	m.prompt.Width = max(m.c.Width-2-len(m.prompt.Prompt), 1)
}

func (m *Model) closePrompt() {
	m.asking, m.promptErr, m.overwrite = askNone, "", ""
	m.prompt.Blur()
}

// updatePrompt edits what the prompt asks for; enter commits it, and a
// bad value keeps the prompt open with its error.
func (m *Model) updatePrompt(msg tea.KeyMsg) tea.Cmd {
	if key.Matches(msg, m.c.Keys.Back) {
		m.closePrompt()
		return nil
	}
	if m.asking == askOverwrite {
		path := m.overwrite
		m.closePrompt()
		// Only the key itself says yes: a pasted "y" is not an answer.
		if key.Matches(msg, m.yes) && !msg.Paste {
			return m.export(path, true)
		}
		return nil
	}
	if key.Matches(msg, m.submit) {
		return m.submitPrompt(m.prompt.Value())
	}
	m.promptErr = ""
	m.fitPrompt()
	var cmd tea.Cmd
	m.prompt, cmd = m.prompt.Update(msg)
	return cmd
}

// submitPrompt acts on what was typed.
func (m *Model) submitPrompt(v string) tea.Cmd {
	switch m.asking {
	case askSearch:
		if v == "" {
			m.search = search{}
			m.closePrompt()
			return nil
		}
		re, errText := compileSearch(v)
		if re == nil {
			m.promptErr = errText
			return nil
		}
		m.closePrompt()
		m.setSearch(v, re)
	case askJump:
		t, err := common.ParseWhen(v, m.c.Now)
		switch {
		case v == "" || errors.Is(err, common.ErrBadWhen):
			m.promptErr = "give a time (2026-01-02 15:04[:05], RFC 3339) or a duration back (10m)"
			return nil
		case err != nil:
			m.promptErr = "give a duration back from now, positive (10m)"
			return nil
		}
		if !m.jumpTo(t) {
			m.promptErr = "no line at or after " + t.Local().Format("2006-01-02 15:04:05")
			return nil
		}
		m.closePrompt()
	case askExport:
		if v == "" {
			m.promptErr = "give a file to write to"
			return nil
		}
		m.closePrompt()
		return m.export(v, false)
	}
	return nil
}

// askOverwrite asks whether to write over path, which an export found.
func (m *Model) askOverwrite(path string) {
	m.closePrompt()
	m.asking, m.overwrite = askOverwrite, path
}
