package watch

import (
	"encoding/json"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// decodeEvent is UnmarshalJSON for a caller holding the line itself (the
// journal's readers). A journal line is what json.Marshal wrote of an
// Event, and reading it through encoding/json's reflection was most of
// what a UI spent tailing the journal under churn: fastEvent reads that
// shape by hand, and anything else (a null, a key it does not know or in
// another case, a number with a fraction, half a surrogate pair) goes to
// json.Unmarshal, so the result is json.Unmarshal's on any input.
func decodeEvent(b []byte, e *Event) error {
	var fast Event
	if fastEvent(b, &fast) {
		*e = fast
		return nil
	}
	return jsonEvent(b, e)
}

// jsonEvent reads an event through encoding/json, taking the kill count
// from "oomCount" too: the name it had before, which a shim still running
// an older berth journals.
func jsonEvent(b []byte, e *Event) error {
	type plain Event
	var v struct {
		plain
		OldOOMCount uint64 `json:"oomCount"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*e = Event(v.plain)
	if e.OOMCount == 0 {
		e.OOMCount = v.OldOOMCount
	}
	return nil
}

// fastEvent decodes b into the zero Event e and reports true when b is
// plainly an event as json.Marshal writes one; false leaves the line to
// encoding/json (e is then partly written).
func fastEvent(b []byte, e *Event) bool {
	d := lineDecoder{b: b}
	var old uint64
	ok := d.fields(eventFields, func(k string) bool {
		switch k {
		case "time":
			return d.time(&e.Time)
		case "kind":
			s, ok := d.str()
			e.Kind = kindOf(s)
			return ok
		case "id":
			return d.text(&e.ID)
		case "root":
			return d.text(&e.Root)
		case "pid":
			return d.int(&e.Pid)
		case "exitStatus":
			var st int
			e.ExitStatus = &st
			return d.int(&st)
		case "oomKilled":
			return d.bool(&e.OOMKilled)
		case "detail":
			return d.text(&e.Detail)
		case "oomKills":
			return d.uint(&e.OOMCount)
		case "oomCount":
			return d.uint(&old)
		case "missed":
			return d.bool(&e.Missed)
		case "proc":
			return d.text(&e.Proc)
		}
		e.Forensics = &Forensics{}
		return d.forensics(e.Forensics)
	})
	if !ok || !d.end() {
		return false
	}
	if e.OOMCount == 0 {
		e.OOMCount = old
	}
	return true
}

// The keys fastEvent reads, an Event's and its Forensics'.
var (
	eventFields = []string{"time", "kind", "id", "root", "pid", "exitStatus", "oomKilled", "detail",
		"oomKills", "oomCount", "missed", "proc", "forensics"}
	forensicsFields = []string{"limitBytes", "usageBytes", "peakBytes", "stat", "processes", "likelyVictim", "late", "error"}
	statFields      = []string{"name", "bytes"}
	processFields   = []string{"pid", "command", "rssBytes"}
)

// kindOf is s as a Kind, the known ones without an allocation each.
func kindOf(s []byte) Kind {
	for _, k := range Kinds {
		if string(k) == string(s) {
			return k
		}
	}
	return Kind(s)
}

func (d *lineDecoder) forensics(f *Forensics) bool {
	return d.fields(forensicsFields, func(k string) bool {
		switch k {
		case "limitBytes":
			return d.uint(&f.LimitBytes)
		case "usageBytes":
			return d.uint(&f.UsageBytes)
		case "peakBytes":
			return d.uint(&f.PeakBytes)
		case "late":
			return d.bool(&f.Late)
		case "stat":
			f.Stat = []StatEntry{}
			return d.array(func() bool {
				var s StatEntry
				ok := d.fields(statFields, func(k string) bool {
					if k == "name" {
						return d.text(&s.Name)
					}
					return d.uint(&s.Bytes)
				})
				f.Stat = append(f.Stat, s)
				return ok
			})
		case "processes":
			f.Processes = []ProcessMem{}
			return d.array(func() bool {
				var p ProcessMem
				ok := d.fields(processFields, func(k string) bool {
					switch k {
					case "pid":
						return d.int(&p.Pid)
					case "command":
						return d.text(&p.Command)
					}
					return d.uint(&p.RSSBytes)
				})
				f.Processes = append(f.Processes, p)
				return ok
			})
		case "likelyVictim":
			return d.int(&f.LikelyVictim)
		}
		return d.text(&f.Error)
	})
}

// lineDecoder reads the plain JSON of one journal line: every method
// reports false on anything it does not read exactly as encoding/json
// would, and the line then goes to encoding/json.
type lineDecoder struct {
	b []byte
	i int
}

func (d *lineDecoder) ws() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// next skips white space and takes c if it comes next.
func (d *lineDecoder) next(c byte) bool {
	d.ws()
	if d.i < len(d.b) && d.b[d.i] == c {
		d.i++
		return true
	}
	return false
}

// end reports that nothing but white space is left.
func (d *lineDecoder) end() bool {
	d.ws()
	return d.i == len(d.b)
}

// object reads an object, handing each key to field, which reads its
// value.
func (d *lineDecoder) object(field func(key []byte) bool) bool {
	if !d.next('{') {
		return false
	}
	if d.next('}') {
		return true
	}
	for {
		d.ws()
		k, ok := d.str()
		if !ok || !d.next(':') {
			return false
		}
		d.ws()
		if !field(k) {
			return false
		}
		if d.next(',') {
			continue
		}
		return d.next('}')
	}
}

// fields reads an object whose keys are all among names, each given
// once (json.Unmarshal merges a key given twice, and matches one in
// another case: both left to it), read reading the value of each, named
// as in names.
func (d *lineDecoder) fields(names []string, read func(name string) bool) bool {
	var seen uint64
	return d.object(func(k []byte) bool {
		for i, name := range names {
			if string(k) == name {
				if seen&(1<<i) != 0 {
					return false
				}
				seen |= 1 << i
				return read(name)
			}
		}
		return false
	})
}

// array reads an array, elem reading each element.
func (d *lineDecoder) array(elem func() bool) bool {
	if !d.next('[') {
		return false
	}
	if d.next(']') {
		return true
	}
	for {
		if !elem() {
			return false
		}
		if d.next(',') {
			continue
		}
		return d.next(']')
	}
}

// str reads a string in valid UTF-8 with no control characters, its
// escapes decoded as encoding/json decodes them (a \u escape of half a
// surrogate pair is left to it).
func (d *lineDecoder) str() ([]byte, bool) {
	if d.i >= len(d.b) || d.b[d.i] != '"' {
		return nil, false
	}
	start := d.i + 1
	ascii := true
	for j := start; j < len(d.b); j++ {
		switch c := d.b[j]; {
		case c == '"':
			s := d.b[start:j]
			if !ascii && !utf8.Valid(s) {
				return nil, false
			}
			d.i = j + 1
			return s, true
		case c == '\\':
			return d.unescape(start, j, ascii)
		case c < ' ':
			return nil, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return nil, false
}

// unescape reads the rest of a string whose first escape is at j, into
// a copy.
func (d *lineDecoder) unescape(start, j int, ascii bool) ([]byte, bool) {
	out := make([]byte, 0, len(d.b)-start)
	out = append(out, d.b[start:j]...)
	for j < len(d.b) {
		c := d.b[j]
		switch {
		case c == '"':
			if !ascii && !utf8.Valid(out) {
				return nil, false
			}
			d.i = j + 1
			return out, true
		case c < ' ':
			return nil, false
		case c >= utf8.RuneSelf:
			ascii = false
		case c == '\\':
			if j+1 >= len(d.b) {
				return nil, false
			}
			j++
			switch e := d.b[j]; e {
			case '"', '\\', '/':
				out = append(out, e)
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				r, ok := hex4(d.b[j+1:])
				if !ok || utf16.IsSurrogate(r) {
					return nil, false
				}
				out = utf8.AppendRune(out, r)
				j += 4
			default:
				return nil, false
			}
			j++
			continue
		}
		out = append(out, c)
		j++
	}
	return nil, false
}

// hex4 reads the four hex digits of a \u escape.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

func (d *lineDecoder) text(s *string) bool {
	b, ok := d.str()
	*s = string(b)
	return ok
}

// time reads a time as time.Time's UnmarshalJSON does, from the string's
// own bytes (which, with no escapes, are what encoding/json hands it).
func (d *lineDecoder) time(t *time.Time) bool {
	start := d.i
	if _, ok := d.str(); !ok {
		return false
	}
	return t.UnmarshalJSON(d.b[start:d.i]) == nil
}

func (d *lineDecoder) bool(v *bool) bool {
	switch {
	case d.literal("true"):
		*v = true
	case d.literal("false"):
		*v = false
	default:
		return false
	}
	return true
}

func (d *lineDecoder) literal(s string) bool {
	if len(d.b)-d.i >= len(s) && string(d.b[d.i:d.i+len(s)]) == s {
		d.i += len(s)
		return true
	}
	return false
}

// digits reads a JSON integer's digits (no sign) of at most max of them,
// no leading zero: a longer one, which might overflow, is left to
// encoding/json, as is a fraction or an exponent (whatever follows the
// digits must close the value, which the caller's object checks).
func (d *lineDecoder) digits(max int) (uint64, bool) {
	start := d.i
	var n uint64
	for d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9' {
		n = n*10 + uint64(d.b[d.i]-'0')
		d.i++
	}
	l := d.i - start
	if l == 0 || l > max || l > 1 && d.b[start] == '0' {
		return 0, false
	}
	if d.i < len(d.b) {
		switch d.b[d.i] {
		case '.', 'e', 'E':
			return 0, false
		}
	}
	return n, true
}

func (d *lineDecoder) uint(v *uint64) bool {
	n, ok := d.digits(19)
	*v = n
	return ok
}

func (d *lineDecoder) int(v *int) bool {
	neg := d.i < len(d.b) && d.b[d.i] == '-'
	if neg {
		d.i++
	}
	n, ok := d.digits(18)
	*v = int(n)
	if neg {
		*v = -*v
	}
	return ok
}
