// Package form is a small modal form: a title, a column of text inputs and
// checkboxes, and a hint line of keys. The root opens one when an action
// needs answers first (a checkpoint's name and options, a restore's new
// id), sends it every message while it is open, and reads the answers back
// once Done reports true.
//
// It follows the bubbles pattern: New builds a Model value, Update returns
// the concrete type, and the keys live in a KeyMap that is also a
// help.KeyMap, so the hint line is generated, never hand-written.
package form

import (
	"strings"

	"berth/ui/common"
	"berth/ui/sanitize"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
)

// Kind is what a field asks for.
type Kind int

// Field kinds.
const (
	// KindText is a one-line text input (the zero Kind).
	KindText Kind = iota
	// KindBool is a checkbox, toggled with space.
	KindBool
)

// Field describes one question. Name is how results are read back; Label
// is what the user sees (Name when empty).
type Field struct {
	Name  string
	Label string
	Kind  Kind
	// Placeholder is shown, muted, in an empty text field.
	Placeholder string
	// Value is a text field's initial value.
	Value string
	// Checked is a checkbox's initial state.
	Checked bool
	// Validate checks a text field's value when the form is submitted; its
	// error is shown under the field and keeps the form open. It sees
	// exactly what Text returns. Nil accepts anything.
	Validate func(string) error
	// CharLimit bounds a text field's length in runes; 0 means no limit.
	CharLimit int
}

// field is a Field with its live state.
type field struct {
	Field
	input   textinput.Model
	checked bool
	err     string
	// edited: the operator changed the text (Fill leaves it alone).
	edited bool
}

// state is where the form is in its life.
type state int

const (
	editing state = iota
	submitted
	cancelled
)

// Model is an open form. Its zero value is not usable: build it with New.
type Model struct {
	// KeyMap is the form's keys; the root may remap them.
	KeyMap KeyMap

	title  string
	fields []field
	focus  int
	width  int
	height int // 0: no bound
	styles Styles
	help   help.Model
	state  state
}

// DefaultWidth is the form's width until SetWidth is called.
const DefaultWidth = 50

// New builds a form titled title asking fields, in order, with the first
// field focused, DefaultStyles and DefaultWidth.
func New(title string, fields ...Field) Model {
	m := Model{KeyMap: DefaultKeyMap(), title: title, width: DefaultWidth, help: help.New()}
	m.fields = make([]field, len(fields))
	for i, f := range fields {
		if f.Label == "" {
			f.Label = f.Name
		}
		m.fields[i] = field{Field: f, checked: f.Checked}
		if f.Kind == KindText {
			in := textinput.New()
			in.Prompt = ""
			in.Placeholder = f.Placeholder
			in.CharLimit = f.CharLimit
			// A static cursor needs no blink ticks routed back to the form.
			in.Cursor.SetMode(cursor.CursorStatic)
			// ctrl+v would shell out to a clipboard tool; terminals paste
			// through bracketed paste anyway.
			in.KeyMap.Paste.SetEnabled(false)
			in.SetValue(f.Value)
			in.CursorEnd()
			m.fields[i].input = in
		}
	}
	m.SetStyles(DefaultStyles())
	m.setFocus(0)
	return m
}

// SetStyles sets the form's styles.
func (m *Model) SetStyles(s Styles) {
	m.styles = s
	m.help.Styles.ShortKey = s.Key
	m.help.Styles.ShortDesc = s.KeyDesc
	m.help.Styles.ShortSeparator = s.Muted
	m.help.Styles.Ellipsis = s.Muted
	for i := range m.fields {
		in := &m.fields[i].input
		in.TextStyle = s.Text
		in.PlaceholderStyle = s.Muted
		in.Cursor.Style = s.Cursor
		in.Cursor.TextStyle = s.Text
	}
	m.layout()
}

// SetWidth sets the form's total width, border included. The form stays
// usable down to a few cells and never panics, however small.
func (m *Model) SetWidth(w int) {
	m.width = max(w, 0)
	m.layout()
}

// Width is the form's total width, border included.
func (m Model) Width() int { return m.width }

// SetHeight bounds the form's height, border included (0: no bound).
// When its lines do not fit, the blank lines go first, then the fields
// scroll to keep the focused one (and its error) in view, the title and
// the key hints giving way when even that does not fit.
func (m *Model) SetHeight(h int) { m.height = max(h, 0) }

// Height is the bound SetHeight set.
func (m Model) Height() int { return m.height }

// Done reports that the form was submitted with every field valid; the
// answers are then read with Text and Bool.
func (m Model) Done() bool { return m.state == submitted }

// Cancelled reports that the user dismissed the form (esc).
func (m Model) Cancelled() bool { return m.state == cancelled }

// Closed reports that the form is over, submitted or cancelled: the root
// stops showing it.
func (m Model) Closed() bool { return m.state != editing }

// Text is the value of the text field named name ("" if there is none).
func (m Model) Text(name string) string {
	for _, f := range m.fields {
		if f.Name == name && f.Kind == KindText {
			return f.input.Value()
		}
	}
	return ""
}

// Fill sets the text field named name to value, as its answer when the
// form opened, unless the operator has already changed it: answers that
// arrive after the form opened (read from the host) never overwrite what
// was typed. It reports whether it set the field.
func (m *Model) Fill(name, value string) bool {
	for i := range m.fields {
		f := &m.fields[i]
		if f.Name != name || f.Kind != KindText || f.edited {
			continue
		}
		f.input.SetValue(value)
		f.input.CursorEnd()
		return true
	}
	return false
}

// SetPlaceholder sets what the empty text field named name shows.
func (m *Model) SetPlaceholder(name, text string) {
	for i := range m.fields {
		if f := &m.fields[i]; f.Name == name && f.Kind == KindText {
			f.Placeholder = text
			f.input.Placeholder = text
		}
	}
}

// Bool is the state of the checkbox named name (false if there is none).
func (m Model) Bool(name string) bool {
	for _, f := range m.fields {
		if f.Name == name && f.Kind == KindBool {
			return f.checked
		}
	}
	return false
}

// Err is the validation error shown under the field named name, "" when
// there is none.
func (m Model) Err(name string) string {
	for _, f := range m.fields {
		if f.Name == name {
			return f.err
		}
	}
	return ""
}

// Focused is the name of the focused field ("" for a form without fields).
func (m Model) Focused() string {
	if m.focus < len(m.fields) {
		return m.fields[m.focus].Name
	}
	return ""
}

// TakingText reports that a text field has the focus: what is typed is
// its text (a checkbox takes keys).
func (m Model) TakingText() bool {
	return m.state == editing && len(m.fields) > 0 && m.focusedKind() == KindText
}

// Init does nothing: the form needs nothing loaded.
func (m Model) Init() tea.Cmd { return nil }

// Update handles a key while the form is open; once it is closed every
// message is ignored.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	if m.state != editing {
		return m, nil
	}
	k, ok := msg.(tea.KeyMsg)
	if !ok {
		return m.updateInput(msg)
	}
	switch {
	case key.Matches(k, m.KeyMap.Cancel):
		m.state = cancelled
	case key.Matches(k, m.KeyMap.Submit):
		m.submit()
	case key.Matches(k, m.KeyMap.Next):
		m.setFocus(m.focus + 1)
	case key.Matches(k, m.KeyMap.Prev):
		m.setFocus(m.focus - 1)
	case m.focusedKind() == KindBool:
		if key.Matches(k, m.KeyMap.Toggle) {
			f := &m.fields[m.focus]
			f.checked, f.err = !f.checked, ""
		}
	default:
		return m.updateInput(msg)
	}
	return m, nil
}

// updateInput hands msg to the focused text input, clearing the field's
// error when its value changes.
func (m Model) updateInput(msg tea.Msg) (Model, tea.Cmd) {
	if m.focusedKind() != KindText || m.focus >= len(m.fields) {
		return m, nil
	}
	f := &m.fields[m.focus]
	before := f.input.Value()
	var cmd tea.Cmd
	f.input, cmd = f.input.Update(msg)
	if f.input.Value() != before {
		f.err, f.edited = "", true
	}
	return m, cmd
}

// submit runs every validator; the form closes only when all pass, else
// the first invalid field takes the focus.
func (m *Model) submit() {
	first := -1
	for i := range m.fields {
		f := &m.fields[i]
		f.err = ""
		if f.Kind != KindText || f.Validate == nil {
			continue
		}
		if err := f.Validate(f.input.Value()); err != nil {
			f.err = sanitize.OneLine(err.Error())
			if first < 0 {
				first = i
			}
		}
	}
	if first >= 0 {
		m.setFocus(first)
		return
	}
	m.state = submitted
}

func (m Model) focusedKind() Kind {
	if m.focus < len(m.fields) {
		return m.fields[m.focus].Kind
	}
	return KindBool
}

// setFocus focuses field i, wrapping around the ends.
func (m *Model) setFocus(i int) {
	n := len(m.fields)
	if n == 0 {
		m.focus = 0
		return
	}
	m.focus = ((i % n) + n) % n
	for j := range m.fields {
		if m.fields[j].Kind != KindText {
			continue
		}
		if j == m.focus {
			m.fields[j].input.Focus()
		} else {
			m.fields[j].input.Blur()
		}
	}
}

// Layout: "> " marker, the label column, two spaces, the value column.
const (
	markerWidth = 2
	labelGap    = 2
)

// inner is the width inside the box's border and padding.
func (m Model) inner() int {
	return m.width - m.styles.Box.GetHorizontalFrameSize()
}

// labelWidth is the label column's width: the longest label, at most a
// third of the inner width.
func (m Model) labelWidth() int {
	w := 0
	for _, f := range m.fields {
		w = max(w, ansi.StringWidth(sanitize.OneLine(f.Label)))
	}
	return min(w, max(m.inner()/3, 1))
}

// valueWidth is the value column's width.
func (m Model) valueWidth() int {
	return max(m.inner()-markerWidth-m.labelWidth()-labelGap, 0)
}

// layout sizes the text inputs to the value column (the input draws its
// cursor one cell past Width).
func (m *Model) layout() {
	w := max(m.valueWidth()-1, 1)
	for i := range m.fields {
		in := &m.fields[i].input
		in.Width = w
		in.SetCursor(in.Position()) // recomputes the visible window
	}
	m.help.Width = max(m.inner(), 0)
}

// View renders the form, exactly Width cells wide. Below a usable width
// it drops the box and shows what fits.
func (m Model) View() string {
	inner := m.inner()
	if inner < 1 {
		return common.Lines(sanitize.OneLine(m.title), m.width, 1)
	}
	s := m.styles
	labelW, valueW := m.labelWidth(), m.valueWidth()
	head := []string{s.Title.Render(common.Fit(sanitize.OneLine(m.title), inner)), ""}
	indent := strings.Repeat(" ", markerWidth+labelW+labelGap)
	var rows []string
	focusFrom, focusTo := 0, 0 // the focused field's lines in rows
	for i, f := range m.fields {
		marker, label := "  ", s.Label
		if i == m.focus {
			marker, label = "> ", s.Focused
			focusFrom = len(rows)
		}
		row := s.Focused.Render(marker) + label.Render(common.Fit(sanitize.OneLine(f.Label), labelW)) +
			strings.Repeat(" ", labelGap) + m.value(f, valueW)
		rows = append(rows, common.Fit(row, inner))
		if f.err != "" {
			rows = append(rows, common.Fit(indent+s.Error.Render("✗ "+f.err), inner))
		}
		if i == m.focus {
			focusTo = len(rows)
		}
	}
	foot := []string{"", common.Fit(m.help.ShortHelpView(m.hints()), inner)}
	if m.height > 0 {
		head, rows, foot = m.squeeze(head, rows, foot, focusFrom, focusTo)
	}
	lines := append(append(head, rows...), foot...)
	box := s.Box.Width(inner + s.Box.GetHorizontalPadding())
	return box.Render(strings.Join(lines, "\n"))
}

// squeeze fits the form's lines into its height: the blank lines go,
// then the rows scroll to keep the focused field's lines (from, to) in
// view, the title and then the hints going when those would not show.
func (m Model) squeeze(head, rows, foot []string, from, to int) ([]string, []string, []string) {
	room := m.height - m.styles.Box.GetVerticalFrameSize()
	if len(head)+len(rows)+len(foot) <= room {
		return head, rows, foot
	}
	head, foot = head[:1], foot[1:]
	avail := room - len(head) - len(foot)
	if avail < to-from {
		head, avail = nil, avail+1
	}
	if avail < to-from {
		foot, avail = nil, avail+1
	}
	avail = max(avail, 1)
	if len(rows) <= avail {
		return head, rows, foot
	}
	start := max(to-avail, 0)
	start = min(start, from)
	return head, rows[start:min(start+avail, len(rows))], foot
}

// value renders a field's value column.
func (m Model) value(f field, w int) string {
	if f.Kind == KindBool {
		box := "[ ]"
		if f.checked {
			box = "[x]"
		}
		return m.styles.Text.Render(common.Fit(box, w))
	}
	if w < 1 {
		return ""
	}
	return common.Fit(f.input.View(), w)
}

// hints is the hint line's keys: toggle only on a checkbox.
func (m Model) hints() []key.Binding {
	k := m.KeyMap
	k.Toggle.SetEnabled(m.focusedKind() == KindBool && len(m.fields) > 0)
	return k.ShortHelp()
}

// Styles are the form's looks.
type Styles struct {
	// Box frames the form (border and padding).
	Box                         lipgloss.Style
	Title, Label, Focused, Text lipgloss.Style
	Muted, Error, Key, KeyDesc  lipgloss.Style
	Cursor                      lipgloss.Style
}

// DefaultStyles are plain styles: a rounded box, a bold title, reverse
// video for the cursor.
func DefaultStyles() Styles {
	n := lipgloss.NewStyle()
	return Styles{
		Box:   n.Border(lipgloss.RoundedBorder()).Padding(0, 1),
		Title: n.Bold(true), Label: n, Focused: n.Bold(true), Text: n,
		Muted: n.Faint(true), Error: n.Bold(true), Key: n.Bold(true), KeyDesc: n.Faint(true),
		Cursor: n.Reverse(true),
	}
}

// StylesFrom takes the form's styles from the theme's, so a form looks
// like the screen it opens over.
func StylesFrom(s *common.Styles) Styles {
	return Styles{
		Box: s.Box, Title: s.Title, Label: s.Text, Focused: s.Accent, Text: s.Text,
		Muted: s.Muted, Error: s.Error, Key: s.Key, KeyDesc: s.KeyDesc,
		Cursor: s.Text,
	}
}
