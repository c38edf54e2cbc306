package logs

import (
	"regexp"
	"slices"

	"berth/ui/sanitize"
)

// search is the committed search: a case-insensitive regular expression
// (RE2 syntax, as the container list's filter) matched against the text
// as shown, escapes included, and the lines it matches.
type search struct {
	query string
	re    *regexp.Regexp
	// matches are the seqs of the lines held that match, ascending.
	matches []uint64
	// cur is the seq of the match n and N move from, 0 for none yet.
	cur uint64
}

// compileSearch compiles what the operator typed; the error is one line,
// ready to show.
func compileSearch(q string) (*regexp.Regexp, string) {
	// The query alone, so the error quotes what was typed; (?i) cannot
	// make a valid expression invalid.
	if _, err := regexp.Compile(q); err != nil {
		return nil, "bad regexp: " + sanitize.OneLine(err.Error())
	}
	re, err := regexp.Compile("(?i)" + q)
	if err != nil {
		return nil, "bad regexp: " + sanitize.OneLine(err.Error())
	}
	return re, ""
}

// active reports whether a search is committed.
func (s *search) active() bool { return s.re != nil }

// add records l when it matches.
func (s *search) add(l *line) {
	if s.re != nil && s.re.MatchString(l.text) {
		s.matches = append(s.matches, l.seq)
	}
}

// trim forgets matches on lines the ring let go.
func (s *search) trim(first uint64) {
	i, _ := slices.BinarySearch(s.matches, first)
	if i > 0 {
		s.matches = s.matches[i:]
	}
}

// index is cur's position in matches, or -1.
func (s *search) index() int {
	if s.cur == 0 {
		return -1
	}
	if i, ok := slices.BinarySearch(s.matches, s.cur); ok {
		return i
	}
	return -1
}

// nearest is the first match at or after seq, else the last one before
// it: from the top of the view, the closest match to what is on screen.
func (s *search) nearest(seq uint64) uint64 {
	if len(s.matches) == 0 {
		return 0
	}
	i, _ := slices.BinarySearch(s.matches, seq)
	if i == len(s.matches) {
		i--
	}
	return s.matches[i]
}

// step moves cur to the next (dir 1) or previous (dir -1) match, round
// the ends, starting from the match nearest top when there is no current
// one. It returns the new cur, 0 when nothing matches.
func (s *search) step(dir int, top uint64) uint64 {
	n := len(s.matches)
	if n == 0 {
		return 0
	}
	if i := s.index(); i >= 0 {
		s.cur = s.matches[((i+dir)%n+n)%n]
	} else {
		s.cur = s.nearest(top)
	}
	return s.cur
}

// setSearch commits a search, matching every line held, and shows the
// match nearest the view (without moving when one is on screen).
func (m *Model) setSearch(q string, re *regexp.Regexp) {
	m.search = search{query: q, re: re}
	for seq := m.buf.first(); seq <= m.buf.last(); seq++ {
		m.search.add(m.buf.get(seq))
	}
	if seq := m.search.nearest(m.start().seq); seq != 0 {
		m.search.cur = seq
		m.reveal(seq)
	}
}

// jump moves to the next or previous match.
func (m *Model) jump(dir int) {
	if !m.search.active() {
		return
	}
	if seq := m.search.step(dir, m.start().seq); seq != 0 {
		m.reveal(seq)
	}
}
