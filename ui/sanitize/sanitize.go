// Package sanitize is the one place where text that came from a container
// (output, commands, ids, runtime messages) is made safe for a terminal.
//
// Terminals act on escape sequences: OSC 52 writes the clipboard, OSC 8
// hides a link's target, CSI moves the cursor and forges rows, and a bare
// carriage return overwrites a line. Every string from a container passes
// through Line (or OneLine) before it is printed or rendered, so none of
// those bytes reaches the terminal raw; they are shown escaped instead.
package sanitize

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Line escapes every C0 control byte except tab, DEL, every C1 control
// (U+0080-U+009F) and bidirectional control (as \uNNNN), and invalid
// UTF-8, as \xNN. Newlines are escaped too:
// Line is for one line of output.
func Line(s string) string {
	if clean(s) {
		return s
	}
	return escape(s, `\x0a`)
}

// OneLine makes a message fit one line: surrounding space trimmed, each
// newline shown as "; ", tabs as spaces, and other controls escaped as in
// Line.
func OneLine(s string) string {
	s = strings.TrimSpace(s)
	s = strings.ReplaceAll(s, "\t", " ")
	if clean(s) {
		return s
	}
	return escape(s, "; ")
}

// clean reports whether s needs no escaping: the common case, checked
// without allocating.
func clean(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 && c != '\t' || c == 0x7f || c >= 0x80 {
			if c >= 0x80 {
				return cleanUTF8(s[i:])
			}
			return false
		}
	}
	return true
}

func cleanUTF8(s string) bool {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r < 0x20 && r != '\t' || r == 0x7f || r >= 0x80 && r < 0xa0 || bidi(r) {
			return false
		}
		i += size
	}
	return true
}

func escape(s, newline string) string {
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n':
			b.WriteString(newline)
		case r == '\t':
			b.WriteByte('\t')
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r >= 0x80 && r < 0xa0 || bidi(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// bidi reports the bidirectional controls: they reorder the text around
// them on screen, so an id or a log line could show something other than
// what it holds (CVE-2021-42574, "Trojan Source").
func bidi(r rune) bool {
	return r == 0x061c || r == 0x200e || r == 0x200f || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069
}
