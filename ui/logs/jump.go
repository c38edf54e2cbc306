package logs

import "time"

// jumpTo shows the first line held at or after t on the view's first row
// and stops following; it reports false, leaving the view, when there is
// none. Lines without a time are passed over. Lines come in the order
// they were written, so the first at or after t is where t begins.
func (m *Model) jumpTo(t time.Time) bool {
	for seq := m.buf.first(); seq <= m.buf.last(); seq++ {
		l := m.buf.get(seq)
		if !l.time.IsZero() && !l.time.Before(t) {
			m.follow = false
			m.top = pos{seq: seq}
			if b := m.bottom(); !m.top.before(b) {
				m.top = b
			}
			return true
		}
	}
	return false
}
