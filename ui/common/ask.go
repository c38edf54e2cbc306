package common

import tea "github.com/charmbracelet/bubbletea"

// Requests is where pages leave what they ask of the root (a screen, an
// action, a footer message) for the root to take as soon as the page's
// Update returns. A request sent as a command would arrive after every
// key already read: of "k2y" typed in one go, the 2 and the y would meet
// no signal menu.
type Requests struct{ asked []tea.Msg }

// Ask is how a page asks the root for msg: left in c.Requests when the
// root takes them, else (a page on its own, in its tests) a command that
// delivers msg.
func (c *Common) Ask(msg tea.Msg) tea.Cmd {
	if c.Requests == nil {
		return func() tea.Msg { return msg }
	}
	c.Requests.asked = append(c.Requests.asked, msg)
	return nil
}

// Take returns what was asked since the last Take, oldest first.
func (r *Requests) Take() []tea.Msg {
	out := r.asked
	r.asked = nil
	return out
}
