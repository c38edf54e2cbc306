package ui

import (
	"encoding/base64"
	"io"
	"os"
	"strings"

	"berth/ui/common"
	"berth/ui/format"
	"berth/ui/sanitize"

	tea "github.com/charmbracelet/bubbletea"
)

// Copying goes through the operator's own terminal, with OSC 52: the
// terminal puts the text on its clipboard, so it works over ssh, where
// berth has no clipboard of its own. It is only ever done when asked (the
// copy key), and only with text berth made safe: a container's id, or a
// log line as the page shows it (escaped), base64 in the sequence as the
// protocol wants, so nothing of a container's reaches the terminal raw.

// Clipboard is where and how copies are written.
type Clipboard struct {
	// W is the terminal; nil turns copying off.
	W io.Writer
	// Tmux sends the sequence twice: through tmux's passthrough, to the
	// terminal tmux runs in (tmux's allow-passthrough on), and as it is,
	// for tmux to take (set-clipboard on), since either may be what the
	// operator's tmux allows; what neither allows tmux drops.
	Tmux bool
}

// TerminalClipboard is the terminal berth draws on, in tmux when TMUX or
// TERM says so. Its writes are single writes to the terminal, each whole
// between two frames (a tty takes one write at a time).
func TerminalClipboard() Clipboard {
	return Clipboard{W: os.Stdout, Tmux: os.Getenv("TMUX") != "" || strings.HasPrefix(os.Getenv("TERM"), "tmux")}
}

// osc52 is the sequence that sets the clipboard to text, in tmux
// wrapped in its passthrough and then as it is.
func osc52(text string, tmux bool) string {
	seq := "\x1b]52;c;" + base64.StdEncoding.EncodeToString([]byte(text)) + "\x07"
	if tmux {
		// Passthrough: every ESC inside doubled, the whole in a DCS.
		return "\x1bPtmux;" + strings.ReplaceAll(seq, "\x1b", "\x1b\x1b") + "\x1b\\" + seq
	}
	return seq
}

// copyCmd writes text to the clipboard and says so with what (escaped
// already) in the footer.
func copyCmd(cb Clipboard, text, what string) tea.Cmd {
	seq := osc52(text, cb.Tmux)
	return func() tea.Msg {
		if _, err := io.WriteString(cb.W, seq); err != nil {
			return common.StatusMsg{Text: "copy: " + sanitize.OneLine(err.Error()), Level: common.LevelError}
		}
		return common.StatusMsg{Text: "copied " + what}
	}
}

// copySelection copies what the copy key names on the screen in view:
// the page's own choice (the logs' current match, the event selected's
// container), else the container in view or selected, by id.
func (m *Model) copySelection() tea.Cmd {
	if m.opts.Clipboard.W == nil {
		m.say(common.StatusMsg{Text: "copying is off (clipboard: false in the config)", Level: common.LevelWarning})
		return nil
	}
	if c, ok := m.page().(common.Copier); ok {
		if text, what, ok := c.CopyText(); ok {
			return copyCmd(m.opts.Clipboard, text, what)
		}
	}
	ref := ""
	switch m.screen {
	case common.ScreenContainer:
		ref = m.id
	case common.ScreenList:
		ref = m.list.Selected()
	}
	c, ok := m.c.Store.Get(ref)
	if !ok {
		m.say(common.StatusMsg{Text: "nothing to copy here", Level: common.LevelWarning})
		return nil
	}
	id := sanitize.OneLine(c.ID)
	return copyCmd(m.opts.Clipboard, id, format.ShortID(id))
}
