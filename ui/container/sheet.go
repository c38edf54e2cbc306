package container

import (
	"strings"

	"berth/ui/common"
	"berth/ui/sanitize"

	"github.com/charmbracelet/x/ansi"
)

// labelWidth is the width of a sheet's labels.
const labelWidth = 12

// sheet builds the overview's lines: section titles, labelled fields and
// small aligned tables. Every value handed to it as plain text is
// sanitized here, so the overview never shows a container's string raw;
// styled text (a status label) goes in through styled and line only.
type sheet struct {
	st    *common.Styles
	width int
	lines []string
}

func newSheet(st *common.Styles, width int) *sheet {
	return &sheet{st: st, width: width}
}

// title starts a section, after a blank line unless it is the first.
func (s *sheet) title(t string) {
	if len(s.lines) > 0 {
		s.blank()
	}
	s.lines = append(s.lines, s.st.Title.Render(sanitize.OneLine(t)))
}

// field is one labelled value.
func (s *sheet) field(label, value string) {
	s.styled(label, sanitize.OneLine(value))
}

// styled is one labelled value already made safe (and maybe styled).
func (s *sheet) styled(label, value string) {
	s.lines = append(s.lines, "  "+s.st.Muted.Render(common.Fit(label, labelWidth))+" "+value)
}

// list is a label over several values, one a line; "none" when empty.
func (s *sheet) list(label string, values []string) {
	if len(values) == 0 {
		s.field(label, "none")
		return
	}
	for i, v := range values {
		if i > 0 {
			label = ""
		}
		s.field(label, v)
	}
}

// note is a muted remark under the current section.
func (s *sheet) note(text string) {
	s.lines = append(s.lines, "  "+s.st.Muted.Render(sanitize.OneLine(text)))
}

// line adds a line already made safe.
func (s *sheet) line(l string) { s.lines = append(s.lines, l) }

// blank adds an empty line.
func (s *sheet) blank() { s.lines = append(s.lines, "") }

// table adds rows under a muted header, each column as wide as its widest
// cell (up to a third of the sheet), the last taking what is left.
func (s *sheet) table(header []string, rows [][]string) {
	if len(rows) == 0 {
		s.note("none")
		return
	}
	clean := make([][]string, len(rows))
	for i, r := range rows {
		clean[i] = make([]string, len(r))
		for j, v := range r {
			clean[i][j] = sanitize.OneLine(v)
		}
	}
	cols := make([]common.Column, len(header))
	for j, h := range header {
		w := len(h)
		for _, r := range clean {
			if j < len(r) {
				w = max(w, ansi.StringWidth(r[j]))
			}
		}
		cols[j] = common.Column{Title: h, Width: min(w, max(s.width/3, 8))}
	}
	cols[len(cols)-1].Width = 0
	cols = common.Flex(cols, s.width-2)
	s.lines = append(s.lines, "  "+s.st.Muted.Render(common.Header(cols)))
	for _, r := range clean {
		s.lines = append(s.lines, "  "+strings.TrimRight(common.Row(cols, r), " "))
	}
}
