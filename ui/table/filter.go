package table

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"

	"berth/ui/common"
	"berth/ui/sanitize"

	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
)

// Filter is a table's regexp filter and the prompt it is typed in. The
// filter applies as it is typed, whenever what is typed compiles; esc
// puts back the filter the prompt opened on.
type Filter struct {
	re        *regexp.Regexp
	src       string
	prompt    textinput.Model
	prompting bool
	err       string
	// before is the filter as it was when the prompt opened.
	before    *regexp.Regexp
	beforeSrc string
}

func newFilter() Filter {
	ti := common.NewInput()
	ti.Prompt = "/"
	ti.Placeholder = "regexp"
	ti.CharLimit = 256
	return Filter{prompt: ti}
}

// SetPlaceholder says what the filter matches, in the empty prompt.
func (f *Filter) SetPlaceholder(s string) { f.prompt.Placeholder = s }

// Source is the filter as typed ("" when none applies).
func (f *Filter) Source() string { return f.src }

// Summary says the filter applies and how many rows it shows.
func (f *Filter) Summary(shown int) string {
	return fmt.Sprintf("filter /%s/ %d shown", sanitize.OneLine(f.src), shown)
}

// compile is src as a filter: case-insensitive.
func compile(src string) (*regexp.Regexp, error) { return regexp.Compile("(?i)" + src) }

// badRegexp says what is wrong with a filter that does not compile, in
// the terms it was typed in (not with the case-folding flag compile adds).
func badRegexp(err error) string {
	var se *syntax.Error
	if !errors.As(err, &se) {
		return err.Error()
	}
	msg := se.Code.String()
	if e := strings.TrimPrefix(se.Expr, "(?i)"); e != "" {
		msg += ": `" + e + "`"
	}
	return msg
}

func (f *Filter) open() tea.Cmd {
	f.prompting = true
	f.before, f.beforeSrc = f.re, f.src
	f.prompt.SetValue(f.src)
	f.prompt.CursorEnd()
	return f.prompt.Focus()
}

func (f *Filter) close() {
	f.prompting, f.err = false, ""
	f.prompt.Blur()
}

// submit closes the prompt on what was typed; ok is false (and the prompt
// stays open, saying why) when it does not compile.
func (f *Filter) submit() (*regexp.Regexp, string, bool) {
	src := f.prompt.Value()
	if src == "" {
		f.close()
		return nil, "", true
	}
	re, err := compile(src)
	if err != nil {
		f.err = "bad regexp: " + sanitize.OneLine(badRegexp(err))
		return nil, "", false
	}
	f.close()
	return re, src, true
}

// typed takes a key typed in the prompt; ok reports a filter to apply.
func (f *Filter) typed(msg tea.KeyMsg) (*regexp.Regexp, string, tea.Cmd, bool) {
	var cmd tea.Cmd
	f.prompt, cmd = f.prompt.Update(msg)
	re, err := compile(f.prompt.Value())
	if err != nil {
		return nil, "", cmd, false
	}
	f.err = ""
	return re, f.prompt.Value(), cmd, true
}

// cancel closes the prompt, giving back the filter it opened on.
func (f *Filter) cancel() (*regexp.Regexp, string) {
	f.close()
	return f.before, f.beforeSrc
}

func (f *Filter) promptView(st *common.Styles) string {
	line := f.prompt.View()
	if f.err != "" {
		line += "  " + st.Error.Render(f.err)
	}
	return line
}
