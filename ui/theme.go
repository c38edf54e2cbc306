package ui

import (
	"berth/themes"
	"berth/ui/common"

	tea "github.com/charmbracelet/bubbletea"
)

// themeMsg is a theme loaded for the cycle key.
type themeMsg struct {
	palette themes.Palette
	err     error
}

// cycleTheme loads the theme after current (user themes are files).
func cycleTheme(current string, names []string, dir string) tea.Cmd {
	if len(names) == 0 {
		names = themes.BuiltinNames
	}
	return func() tea.Msg {
		next := names[0]
		for i, n := range names {
			if n == current {
				next = names[(i+1)%len(names)]
			}
		}
		p, err := themes.Load(next, dir)
		return themeMsg{palette: p, err: err}
	}
}

func (m *Model) onTheme(msg themeMsg) tea.Cmd {
	if msg.err != nil {
		m.say(common.Error(msg.err))
		return nil
	}
	*m.c.Styles = *common.NewStyles(msg.palette, m.opts.Renderer)
	m.styleHelp()
	m.say(common.StatusMsg{Text: "theme: " + msg.palette.Name})
	return m.forward(tea.WindowSizeMsg{Width: m.termW, Height: m.termH})
}
