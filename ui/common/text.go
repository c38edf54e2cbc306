package common

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/textinput"
	"github.com/charmbracelet/x/ansi"
)

// Common is what the root shares with every screen: styles, keys, the
// screen's size and the clock. The root owns it and changes it only in
// Update; screens read it.
type Common struct {
	// Ctx ends when the UI does: pages derive the contexts of their
	// work from it.
	Ctx context.Context
	// Core is berth's core (or the tests' fake); Store what the root knows.
	Core   Core
	Store  *Store
	Styles *Styles
	Keys   *KeyMap
	// Width and Height are the space the focused screen has (the root's
	// footer excluded).
	Width, Height int
	// Now is the clock as of the last tick: views never read the clock.
	Now time.Time
	// Requests, set by the root, collects what pages Ask of it.
	Requests *Requests
}

// Width is s's width in cells. Text made of ASCII, SGR sequences and the
// one-cell symbols berth draws with (box drawing, blocks, braille,
// arrows, bullets) is counted in one pass; anything else (wide or
// combining characters) goes through full grapheme segmentation, which
// was most of a frame's cost when used for everything.
func Width(s string) int {
	n := 0
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == 0x1b && i+1 < len(s) && s[i+1] == '[':
			// A CSI sequence: parameters, then a final byte.
			j := i + 2
			for j < len(s) && (s[j] < 0x40 || s[j] > 0x7e) {
				j++
			}
			i = j + 1
			continue
		case c >= 0x20 && c < 0x7f:
			n++
			i++
			continue
		case c < 0x80:
			return ansi.StringWidth(s)
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if !narrowSymbol(r) {
			return ansi.StringWidth(s)
		}
		n++
		i += size
	}
	return n
}

// narrowSymbol reports runes that are one cell in every terminal and never
// join a grapheme cluster: Latin-1 letters, general punctuation (…),
// arrows, box drawing, blocks, geometric shapes, braille.
func narrowSymbol(r rune) bool {
	return r >= 0xa0 && r <= 0x2ff || r >= 0x2010 && r <= 0x2027 || r >= 0x2190 && r <= 0x21ff ||
		r >= 0x2500 && r <= 0x25ff || r >= 0x2800 && r <= 0x28ff || r == 0x2713 || r == 0x2717
}

// Fit pads or truncates s (plain or styled) to exactly w cells.
func Fit(s string, w int) string { return fit(s, w, false) }

// FitLeft right-aligns s in w cells, truncating when longer.
func FitLeft(s string, w int) string { return fit(s, w, true) }

func fit(s string, w int, right bool) string {
	if w <= 0 {
		return ""
	}
	n := Width(s)
	switch {
	case n > w:
		return ansi.Truncate(s, w, "…")
	case right:
		return strings.Repeat(" ", w-n) + s
	}
	return s + strings.Repeat(" ", w-n)
}

// Column is one column of a table: a title, a width and its alignment.
type Column struct {
	Title string
	Width int
	Right bool
}

// Row joins cells into one line of a table, one space between columns.
func Row(cols []Column, cells []string) string {
	var b strings.Builder
	for i, c := range cols {
		if i > 0 {
			b.WriteByte(' ')
		}
		v := ""
		if i < len(cells) {
			v = cells[i]
		}
		if c.Right {
			b.WriteString(FitLeft(v, c.Width))
		} else {
			b.WriteString(Fit(v, c.Width))
		}
	}
	return b.String()
}

// Header is a table's column titles.
func Header(cols []Column) string {
	titles := make([]string, len(cols))
	for i, c := range cols {
		titles[i] = c.Title
	}
	return Row(cols, titles)
}

// Flex gives the last column with width 0 what is left of total.
func Flex(cols []Column, total int) []Column {
	out := append([]Column(nil), cols...)
	used := 0
	for _, c := range out {
		used += c.Width + 1
	}
	for i := range out {
		if out[i].Width == 0 {
			out[i].Width = max(total-used+1, 4)
		}
	}
	return out
}

// Lines pads or cuts s to exactly h lines of w cells, so screens fill
// their space and never push the footer off.
func Lines(s string, w, h int) string {
	if h <= 0 {
		return ""
	}
	ls := strings.Split(s, "\n")
	if len(ls) > h {
		ls = ls[:h]
	}
	for i, l := range ls {
		ls[i] = Fit(l, w)
	}
	for len(ls) < h {
		ls = append(ls, strings.Repeat(" ", max(w, 0)))
	}
	return strings.Join(ls, "\n")
}

// Cursor is a selection in a list taller than its window: the selected
// index and the first visible one.
type Cursor struct {
	Index, Offset int
}

// Clamp keeps the cursor inside n items and the window of h rows.
func (c *Cursor) Clamp(n, h int) {
	h = max(h, 1)
	c.Index = min(max(c.Index, 0), max(n-1, 0))
	if c.Index < c.Offset {
		c.Offset = c.Index
	}
	if c.Index >= c.Offset+h {
		c.Offset = c.Index - h + 1
	}
	c.Offset = min(max(c.Offset, 0), max(n-h, 0))
}

// Move moves the cursor by delta within n items shown h at a time.
func (c *Cursor) Move(delta, n, h int) {
	c.Index += delta
	c.Clamp(n, h)
}

// NewInput is a text input for prompts: a steady cursor (a blinking one
// wakes the UI twice a second for nothing) and no ctrl+v, which would run
// a clipboard tool (terminals paste on their own).
func NewInput() textinput.Model {
	ti := textinput.New()
	ti.Cursor.SetMode(cursor.CursorStatic)
	ti.KeyMap.Paste.SetEnabled(false)
	return ti
}
