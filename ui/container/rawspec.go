package container

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"berth/ui/common"
	"berth/ui/sanitize"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
)

// rawSpec is the overview's view of the container's config.json whole
// (k9s's yaml view): indented, escaped, long lines wrapped at the width
// under their own indentation, scrolled with the navigation keys and
// searched with a regexp as the logs are.
type rawSpec struct {
	gen    uint64
	loaded bool
	path   string
	// lines are the file's lines, escaped; errText the load's error, one
	// line.
	lines   []string
	errText string

	// rows are lines wrapped at width; row[i] came from line from[i].
	rows  []string
	from  []int
	width int

	scroll common.Scroll

	prompt    textinput.Model
	prompting bool
	searchErr string
	re        *regexp.Regexp
	// matches are the rows that match, ascending; cur indexes them (-1:
	// none chosen yet).
	matches []int
	cur     int
}

// specJSONMsg is the config.json of container id, loaded for generation
// gen, split into escaped lines.
type specJSONMsg struct {
	id    string
	gen   uint64
	path  string
	lines []string
	err   error
}

// loadSpecJSON reads the container's config.json off the UI's goroutine;
// the lines are split and escaped there too.
func loadSpecJSON(ctx context.Context, in common.Inspector, id string, gen uint64) tea.Cmd {
	return func() tea.Msg {
		path, js, err := in.SpecJSON(ctx, id)
		return specJSONMsg{id: id, gen: gen, path: path, lines: specLines(js), err: err}
	}
}

// specLines splits indented JSON into escaped lines. JSON escapes C0
// controls inside strings but may carry C1 and bidirectional controls
// and invalid UTF-8 raw: every line goes through sanitize.
func specLines(js []byte) []string {
	text := strings.TrimRight(string(js), "\n")
	if text == "" {
		return nil
	}
	out := strings.Split(text, "\n")
	for i, l := range out {
		out[i] = strings.ReplaceAll(sanitize.Line(l), "\t", "    ")
	}
	return out
}

// wrapSpecLine cuts l into rows of at most w cells; the rows after the
// first are indented two more than l is (within half the width), so a
// long argument reads as the continuation it is.
func wrapSpecLine(l string, w int, out []string) []string {
	if w <= 0 || ansi.StringWidth(l) <= w {
		return append(out, l)
	}
	indent := min(len(l)-len(strings.TrimLeft(l, " "))+2, w/2)
	pad := strings.Repeat(" ", indent)
	rest := l
	for first := true; rest != ""; first = false {
		room := w
		if !first {
			room = w - indent
		}
		piece := ansi.Truncate(rest, room, "")
		if piece == "" {
			// A character wider than the room left: it goes alone.
			_, n := utf8.DecodeRuneInString(rest)
			piece = rest[:n]
		}
		rest = rest[len(piece):]
		if !first {
			piece = pad + piece
		}
		out = append(out, piece)
	}
	return out
}

// openRaw opens the raw view and loads the file.
func (o *Overview) openRaw() tea.Cmd {
	o.rawGen++
	ti := common.NewInput()
	ti.Prompt = "/"
	ti.Placeholder = "regexp, case-insensitive"
	ti.CharLimit = 256
	ti.PromptStyle, ti.TextStyle, ti.PlaceholderStyle = o.c.Styles.Accent, o.c.Styles.Text, o.c.Styles.Muted
	o.raw = &rawSpec{gen: o.rawGen, prompt: ti, cur: -1, width: -1}
	return loadSpecJSON(o.c.Ctx, o.c.Core, o.id, o.rawGen)
}

// setRaw takes a load's reply if it is for the raw view on screen.
func (o *Overview) setRaw(msg specJSONMsg) {
	r := o.raw
	if r == nil || msg.gen != r.gen || msg.id != o.id {
		return
	}
	r.loaded, r.path, r.lines, r.errText = true, sanitize.OneLine(msg.path), msg.lines, ""
	if msg.err != nil {
		r.lines, r.errText = nil, sanitize.OneLine(msg.err.Error())
	}
	r.width = -1
	o.wrapRaw()
}

// rawBodyHeight is the rows of the file on screen: all but the title
// line, and the prompt's or the search's line when there is one.
func (o *Overview) rawBodyHeight() int {
	h := o.c.Height - 1
	if r := o.raw; r.prompting || r.searchErr != "" || r.re != nil {
		h--
	}
	return max(h, 0)
}

// wrapRaw wraps the file at the page's width, when that changed, and
// matches the search again over the new rows (in Update: View only
// reads the rows).
func (o *Overview) wrapRaw() {
	r := o.raw
	if r == nil || r.width == o.c.Width {
		return
	}
	r.width = o.c.Width
	r.rows, r.from = r.rows[:0], r.from[:0]
	for i, l := range r.lines {
		n := len(r.rows)
		r.rows = wrapSpecLine(l, r.width, r.rows)
		for range len(r.rows) - n {
			r.from = append(r.from, i)
		}
	}
	r.match()
}

// match finds the rows the search matches; a match a wrap cut in two is
// found on the rows' line whole, and shown at its first row.
func (r *rawSpec) match() {
	r.matches, r.cur = r.matches[:0], -1
	if r.re == nil {
		return
	}
	for i, from := range r.from {
		if (i == 0 || r.from[i-1] != from) && r.re.MatchString(r.lines[from]) {
			r.matches = append(r.matches, i)
		}
	}
}

// step moves to the next (dir 1) or previous (-1) match, round the ends,
// from the first match at or after the top when none is chosen yet.
func (o *Overview) step(dir int) {
	r := o.raw
	n := len(r.matches)
	if n == 0 {
		return
	}
	if r.cur < 0 {
		top := r.scroll.Clamped(len(r.rows), o.rawBodyHeight())
		r.cur = 0
		for r.cur < n && r.matches[r.cur] < top {
			r.cur++
		}
		if dir < 0 {
			r.cur--
		}
		r.cur = (r.cur + n) % n
	} else {
		r.cur = (r.cur + dir + n) % n
	}
	// The match goes a third of the way down, with what leads to it above.
	r.scroll.Top = r.matches[r.cur] - o.rawBodyHeight()/3
	r.scroll.Top = r.scroll.Clamped(len(r.rows), o.rawBodyHeight())
}

// updateRaw takes a key in the raw view: the prompt's while it is open,
// else search, the navigation keys, and the spec key again to close.
func (o *Overview) updateRaw(msg tea.KeyMsg) tea.Cmd {
	r, k := o.raw, o.c.Keys
	if r.prompting {
		return o.updateRawPrompt(msg)
	}
	switch {
	case key.Matches(msg, k.Spec):
		o.raw = nil
	case key.Matches(msg, k.Search):
		r.prompting, r.searchErr = true, ""
		r.prompt.Width = max(o.c.Width-2, 1)
		r.prompt.CursorEnd()
		r.prompt.Focus()
	case key.Matches(msg, k.NextMatch):
		o.step(1)
	case key.Matches(msg, k.PrevMatch):
		o.step(-1)
	default:
		r.scroll.Nav(msg, k, len(r.rows), o.rawBodyHeight())
	}
	return nil
}

// updateRawPrompt edits the search: enter commits it (empty, it clears
// the search) and goes to the first match; a bad expression keeps the
// prompt open with its error; esc closes it (see Back).
func (o *Overview) updateRawPrompt(msg tea.KeyMsg) tea.Cmd {
	r := o.raw
	if msg.Type == tea.KeyEnter {
		q := r.prompt.Value()
		if q == "" {
			r.re, r.prompting, r.searchErr = nil, false, ""
			r.prompt.Blur()
			r.match()
			return nil
		}
		if _, err := regexp.Compile(q); err != nil {
			r.searchErr = "bad regexp: " + sanitize.OneLine(err.Error())
			return nil
		}
		r.re = regexp.MustCompile("(?i)" + q)
		r.prompting, r.searchErr = false, ""
		r.prompt.Blur()
		r.match()
		o.step(1)
		return nil
	}
	r.searchErr = ""
	var cmd tea.Cmd
	r.prompt, cmd = r.prompt.Update(msg)
	return cmd
}

// rawBack closes the prompt, or the search, or the raw view.
func (o *Overview) rawBack() {
	r := o.raw
	switch {
	case r.prompting:
		r.prompting, r.searchErr = false, ""
		r.prompt.Blur()
	case r.re != nil:
		r.re = nil
		r.match()
	default:
		o.raw = nil
	}
}

// rawView is the title line (the file and where in it the view is), the
// rows on screen, and the prompt's or the search's line.
func (o *Overview) rawView() string {
	st, w, h := o.c.Styles, o.c.Width, o.rawBodyHeight()
	r := o.raw
	top := r.scroll.Clamped(len(r.rows), h)
	end := min(top+h, len(r.rows))
	lines := make([]string, 0, h+2)
	lines = append(lines, o.rawTitle(top, end))
	switch {
	case !r.loaded:
		lines = append(lines, st.Muted.Render("loading config.json…"))
	case r.errText != "":
		lines = append(lines, common.Fit(st.Error.Render("✗ "+r.errText), w))
	default:
		for i := top; i < end; i++ {
			if r.cur >= 0 && r.matches[r.cur] == i {
				lines = append(lines, st.Accent.Render(r.rows[i]))
			} else {
				lines = append(lines, r.rows[i])
			}
		}
	}
	for len(lines) < h+1 {
		lines = append(lines, "")
	}
	switch {
	case r.prompting:
		line := r.prompt.View()
		if r.searchErr != "" {
			// The error keeps its room; the prompt gives way.
			e := st.Error.Render(r.searchErr)
			line = ansi.Truncate(line, max(w-common.Width(e)-2, min(w, 8)), "") + "  " + e
		}
		lines = append(lines, common.Fit(line, w))
	case r.re != nil:
		pos := "no match"
		if n := len(r.matches); n > 0 && r.cur >= 0 {
			pos = fmt.Sprintf("match %d of %d", r.cur+1, n)
		} else if n > 0 {
			pos = fmt.Sprintf("%d matches", n)
		}
		q := strings.TrimPrefix(r.re.String(), "(?i)")
		lines = append(lines, common.Fit(st.Accent.Render("/"+sanitize.OneLine(q))+"  "+st.Muted.Render(pos), w))
	}
	return common.Lines(strings.Join(lines, "\n"), w, o.c.Height)
}

// rawTitle names the file and, when it scrolls, the rows on view.
func (o *Overview) rawTitle(top, end int) string {
	st, w, r := o.c.Styles, o.c.Width, o.raw
	title := st.Title.Render("config.json") + " " + st.Muted.Render("of "+o.c.Store.Label(o.id))
	if r.path != "" {
		title += st.Muted.Render(" · " + r.path)
	}
	if !r.loaded || end-top >= len(r.rows) {
		return common.Fit(title, w)
	}
	pos := fmt.Sprintf("rows %d-%d of %d", top+1, end, len(r.rows))
	if w < len(pos)+14 {
		return common.Fit(title, w)
	}
	return common.Fit(title, w-len(pos)-1) + " " + st.Muted.Render(pos)
}

// rawHelp is the raw view's keys (the root adds esc, which goes back to
// the summary); while the prompt is open, the prompt's.
func (o *Overview) rawHelp() []key.Binding {
	k := o.c.Keys
	if o.raw.prompting {
		cancel := k.Back
		cancel.SetHelp(k.Back.Help().Key, "cancel")
		return []key.Binding{key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "search")), cancel}
	}
	return []key.Binding{k.Search, k.NextMatch, k.PrevMatch, k.Up, k.Down}
}
