package common

import (
	"strconv"
	"strings"

	"berth/core"
	"berth/themes"

	"github.com/charmbracelet/lipgloss"
)

// Styles are the lipgloss styles of one theme, built once when the theme
// is chosen (never per cell or per frame), grouped by where they are used.
type Styles struct {
	Theme string

	Text, Muted, Accent, Title, Bold lipgloss.Style
	// Header is a table's column header row; Selected the cursor row;
	// Marked a row marked for a bulk action.
	Header, Selected, Marked lipgloss.Style
	// Box draws the border of modals and panes; Toast that of a toast.
	Box, Toast lipgloss.Style

	OK, Warning, Error lipgloss.Style
	// Search highlights a match in the logs.
	Search lipgloss.Style

	CPU, Memory, Pids, IO, Net lipgloss.Style
	// Colors are the raw colours for charts, which take them directly.
	Colors Palette

	Tab, TabActive lipgloss.Style
	Key, KeyDesc   lipgloss.Style
	Footer         lipgloss.Style

	// P holds the same styles as Paints, for rows drawn every frame.
	P Paints

	status      map[core.Status]lipgloss.Style
	statusPaint map[core.Status]Paint
}

// Paint is a style's escape sequences, taken once from lipgloss. Render
// with a Paint costs a concatenation; lipgloss's own Render measures and
// lays out its text on every call, which was most of a list frame.
// Only for styles of colour and attributes (no width, padding, border).
type Paint struct{ pre, post string }

// Render wraps s in the paint's sequences.
func (p Paint) Render(s string) string {
	if p.pre == "" {
		return s
	}
	return p.pre + s + p.post
}

func paintOf(st lipgloss.Style) Paint {
	out := st.Render("X")
	i := strings.LastIndexByte(out, 'X')
	if i < 0 {
		return Paint{}
	}
	return Paint{pre: out[:i], post: out[i+1:]}
}

// Paints are the styles hot rows use, as Paints.
type Paints struct {
	Text, Muted, Accent, Header, Selected, Marked, OK, Warning, Error, CPU, Memory Paint
}

// StatusPaint is Status as a Paint.
func (s *Styles) StatusPaint(st core.Status) Paint {
	if v, ok := s.statusPaint[st]; ok {
		return v
	}
	return s.statusPaint[core.StatusUnknown]
}

// Palette holds a theme's colours as lipgloss colours, for components that
// take a colour rather than a style.
type Palette struct {
	CPU, Memory, Pids, IO, Net, Muted, Warning, Error lipgloss.TerminalColor
}

// NewStyles turns a palette into styles for renderer r (which knows the
// terminal's colour profile; tests pass one with a fixed profile).
func NewStyles(p themes.Palette, r *lipgloss.Renderer) *Styles {
	fg := func(c themes.Color) lipgloss.Style {
		s := r.NewStyle()
		if c != "" {
			s = s.Foreground(lipgloss.Color(c))
		}
		return s
	}
	col := func(c themes.Color) lipgloss.TerminalColor {
		if c == "" {
			return lipgloss.NoColor{}
		}
		return lipgloss.Color(c)
	}
	s := &Styles{
		Theme:   p.Name,
		Text:    fg(p.Text),
		Muted:   fg(p.Muted),
		Accent:  fg(p.Accent),
		Title:   fg(p.Title).Bold(true),
		Bold:    fg(p.Text).Bold(true),
		Header:  fg(p.Muted).Bold(true),
		Marked:  fg(p.Marked).Bold(true),
		Box:     r.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(col(p.Border)).Padding(0, 1),
		Toast:   r.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(col(p.Error)).Padding(0, 1),
		OK:      fg(p.OK),
		Warning: fg(p.Warning).Bold(true),
		Error:   fg(p.Error).Bold(true),
		CPU:     fg(p.CPU),
		Memory:  fg(p.Memory),
		Pids:    fg(p.Pids),
		IO:      fg(p.IO),
		Net:     fg(p.Net),
		Colors: Palette{CPU: col(p.CPU), Memory: col(p.Memory), Pids: col(p.Pids), IO: col(p.IO), Net: col(p.Net),
			Muted: col(p.Muted), Warning: col(p.Warning), Error: col(p.Error)},
		Tab:       fg(p.Muted),
		TabActive: fg(p.Accent).Bold(true).Underline(true),
		Key:       fg(p.Accent).Bold(true),
		KeyDesc:   fg(p.Muted),
		Footer:    fg(p.Muted),
		status: map[core.Status]lipgloss.Style{
			core.StatusRunning: fg(p.Running),
			core.StatusPaused:  fg(p.Paused).Bold(true),
			core.StatusStopped: fg(p.Stopped),
			core.StatusCreated: fg(p.Created),
			core.StatusUnknown: fg(p.Unknown).Bold(true),
		},
	}
	if p.SelectedFg == "" && p.SelectedBg == "" {
		s.Selected = r.NewStyle().Reverse(true)
	} else {
		s.Selected = r.NewStyle().Foreground(col(p.SelectedFg)).Background(col(p.SelectedBg))
	}
	s.P = Paints{Text: paintOf(s.Text), Muted: paintOf(s.Muted), Accent: paintOf(s.Accent), Header: paintOf(s.Header),
		Selected: paintOf(s.Selected), Marked: paintOf(s.Marked), OK: paintOf(s.OK), Warning: paintOf(s.Warning), Error: paintOf(s.Error),
		CPU: paintOf(s.CPU), Memory: paintOf(s.Memory)}
	s.statusPaint = map[core.Status]Paint{}
	for k, v := range s.status {
		s.statusPaint[k] = paintOf(v)
	}
	if p.Accent == "" {
		s.Search = r.NewStyle().Reverse(true)
	} else {
		s.Search = r.NewStyle().Foreground(col(p.SelectedFg)).Background(col(p.Marked)).Bold(true)
	}
	return s
}

// Status styles a container status. The word is always shown with its
// symbol: state is never told by colour alone.
func (s *Styles) Status(st core.Status) lipgloss.Style {
	if v, ok := s.status[st]; ok {
		return v
	}
	return s.status[core.StatusUnknown]
}

// StatusLabel is a status's symbol and word, readable without colour.
func StatusLabel(st core.Status) string {
	switch st {
	case core.StatusRunning:
		return "● running"
	case core.StatusPaused:
		return "‖ paused"
	case core.StatusStopped:
		return "■ stopped"
	case core.StatusCreated:
		return "○ created"
	default:
		return "? unknown"
	}
}

// StatusText is the status label, with how a stopped container ended:
// its exit status, or "oom" when the OOM killer took its init.
func StatusText(c core.Container) string {
	s := StatusLabel(c.Status)
	switch {
	case c.Status != core.StatusStopped:
	case c.OOMKilled:
		s += " oom"
	case c.ExitStatus != nil:
		s += " " + strconv.Itoa(*c.ExitStatus)
	}
	return s
}
