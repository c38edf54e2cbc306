package logs

import tea "github.com/charmbracelet/bubbletea"

// wheelRows is how far one turn of the wheel scrolls.
const wheelRows = 3

// updateMouse scrolls with the wheel (sideways with a horizontal wheel,
// or shift and the wheel); a click does nothing in the logs.
func (m *Model) updateMouse(msg tea.MouseMsg) {
	if msg.Action != tea.MouseActionPress {
		return
	}
	switch msg.Button {
	case tea.MouseButtonWheelUp:
		if msg.Shift {
			m.scrollSideways(-1)
			return
		}
		m.scroll(-wheelRows)
	case tea.MouseButtonWheelDown:
		if msg.Shift {
			m.scrollSideways(1)
			return
		}
		m.scroll(wheelRows)
	case tea.MouseButtonWheelLeft:
		m.scrollSideways(-1)
	case tea.MouseButtonWheelRight:
		m.scrollSideways(1)
	}
}
