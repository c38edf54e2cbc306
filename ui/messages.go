package ui

import (
	"fmt"
	"strings"
	"time"

	"berth/ui/common"
	"berth/ui/sanitize"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// maxMessages bounds the message log: the newest are kept.
const maxMessages = 200

// message is one footer message as the log keeps it: whole, with when it
// came and how many times in a row.
type message struct {
	at    time.Time
	level common.Level
	text  string
	count int
}

// messageLog is every message the footer showed, which the footer cuts
// to one line and the next key clears: the log keeps them to be read.
type messageLog struct {
	entries []message
}

// add records s at time at; a repeat of the newest message counts on it.
func (l *messageLog) add(at time.Time, s common.StatusMsg) {
	if n := len(l.entries); n > 0 && l.entries[n-1].text == s.Text && l.entries[n-1].level == s.Level {
		l.entries[n-1].count++
		l.entries[n-1].at = at
		return
	}
	l.entries = append(l.entries, message{at: at, level: s.Level, text: s.Text, count: 1})
	if over := len(l.entries) - maxMessages; over > 0 {
		l.entries = append(l.entries[:0], l.entries[over:]...)
	}
}

// say shows s in the footer and keeps it in the message log.
func (m *Model) say(s common.StatusMsg) {
	m.status = s
	if s.Text != "" {
		m.messages.add(m.opts.Now(), s)
	}
}

// messagesModal shows the message log, oldest first, each message whole
// and wrapped; it opens on the newest and stays on the newest as more
// come, until scrolled up.
type messagesModal struct {
	log    *messageLog
	scroll scroller
	// bottom holds the view on the newest message.
	bottom bool
}

// messagesCloseKey closes the log (as does the messages key); the
// navigation keys scroll it.
var messagesCloseKey = key.NewBinding(key.WithKeys("esc", "q"), key.WithHelp("esc", "closes"))

func newMessagesModal(l *messageLog) *messagesModal {
	return &messagesModal{log: l, bottom: true}
}

func (m *messagesModal) update(msg tea.KeyMsg, c *common.Common, r room) (modal, tea.Cmd) {
	if key.Matches(msg, messagesCloseKey, c.Keys.Messages) {
		return nil, nil
	}
	w, h := r.inner()
	n, page := len(m.lines(c, w)), h-2
	if m.bottom {
		m.scroll.Top = n
	}
	if m.scroll.update(msg, c.Keys, n, page) {
		m.bottom = m.scroll.Top >= max(n-page, 0)
	}
	return m, nil
}

// lines are the messages, wrapped to width: the time and level on the
// first line of each, its continuation indented under the text.
func (m *messagesModal) lines(c *common.Common, width int) []string {
	st := c.Styles
	indent := strings.Repeat(" ", min(9, width/3))
	var out []string
	for _, e := range m.log.entries {
		head := e.at.Local().Format("15:04:05") + " "
		style := st.Text
		switch e.level {
		case common.LevelWarning:
			head, style = head+"warning: ", st.Warning
		case common.LevelError:
			head, style = head+"error: ", st.Error
		}
		if e.count > 1 {
			head += fmt.Sprintf("(×%d) ", e.count)
		}
		var text []string
		for _, l := range strings.Split(strings.TrimRight(e.text, "\n"), "\n") {
			text = append(text, sanitize.Line(l))
		}
		for i, l := range wrap(head+strings.Join(text, "\n"), width-len(indent)) {
			if i > 0 {
				l = indent + l
			}
			out = append(out, style.Render(l))
		}
	}
	if len(out) == 0 {
		out = append(out, st.Muted.Render("no messages yet"))
	}
	return out
}

func (m *messagesModal) takingText() bool { return false }

func (m *messagesModal) view(c *common.Common, r room) string {
	st := c.Styles
	w, h := r.inner()
	all := m.lines(c, w)
	page := max(h-2, 1)
	s := m.scroll
	if m.bottom {
		s.Top = len(all)
	}
	shown, where := s.window(all, page)
	foot := hints(st, messagesCloseKey)
	if where != "" {
		foot = hints(st, messagesCloseKey, helpScrollKey) + st.Muted.Render(" · "+where)
	}
	lines := append([]string{st.Title.Render(fmt.Sprintf("messages (%d)", len(m.log.entries)))}, shown...)
	return boxed(st, append(lines, foot), w)
}
