package logs

import (
	"bufio"
	"errors"
	"os"
	"strings"
	"time"

	"berth/ui/common"
	"berth/ui/format"
	"berth/ui/sanitize"

	tea "github.com/charmbracelet/bubbletea"
)

// An export writes the lines held, as the page shows them: escaped (a
// file of them is as safe to cat as the page is to look at), tabs
// expanded, a cut line with its marker, the time first (RFC 3339, local)
// when the time column is on, and in a merged view the container's label.
// Not the raw bytes: berth logs ID > file gives those. The search only
// highlights, so every line held is written, the dropped ones not.

// exportExistsMsg says the export numbered gen found path already there.
type exportExistsMsg struct {
	gen  int
	path string
}

// exportName is the file an export offers: the container's short id (or
// "merged") and the time, in the current directory.
func (m *Model) exportName() string {
	name := "merged"
	if len(m.ids) == 1 {
		name = m.ids[0]
		if c, ok := m.c.Store.Get(name); ok {
			name = c.ID
		}
		name = format.ShortID(name)
	}
	return fileSafe(name) + "-" + m.c.Now.Format("20060102-150405") + ".log"
}

// fileSafe keeps letters, digits, '.', '-' and '_' of s, others made '_'.
func fileSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, s)
}

// export is the command that writes the lines held to path: a file there
// already is written over only with overwrite, else the page is asked.
// The lines are copied now (their text is shared, not copied), so the
// write sees them as they were when asked for.
func (m *Model) export(path string, overwrite bool) tea.Cmd {
	m.exportGen++
	gen := m.exportGen
	lines := make([]line, 0, m.buf.len())
	for seq := m.buf.first(); seq <= m.buf.last(); seq++ {
		lines = append(lines, *m.buf.get(seq))
	}
	var labels []string
	if len(m.ids) > 1 {
		labels = m.labels
	}
	timestamps := m.timestamps
	return func() tea.Msg {
		err := writeLines(path, overwrite, lines, labels, timestamps)
		shown := sanitize.OneLine(path)
		switch {
		case errors.Is(err, os.ErrExist):
			return exportExistsMsg{gen: gen, path: path}
		case err != nil:
			return common.StatusMsg{Text: "export: " + sanitize.OneLine(err.Error()), Level: common.LevelError}
		}
		return common.StatusMsg{Text: "exported " + plural(len(lines), "line") + " to " + shown}
	}
}

// writeLines writes lines to path, one a line, as export describes; the
// file is made private to the operator (logs may hold secrets).
func writeLines(path string, overwrite bool, lines []line, labels []string, timestamps bool) error {
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if overwrite {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(path, flags, 0o600)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	for i := range lines {
		l := &lines[i]
		if labels != nil && l.src < len(labels) {
			w.WriteString(labels[l.src])
			w.WriteString(" | ")
		}
		if timestamps && !l.time.IsZero() {
			w.WriteString(l.time.Local().Format(time.RFC3339Nano))
			w.WriteByte(' ')
		}
		w.WriteString(l.text)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
