package core

import (
	"bufio"
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"berth/host/statefile"
	"berth/shim/proto"
	"berth/watch"

	"golang.org/x/sys/unix"
)

// LogLine is one line of container output. Data is raw: it may hold any
// bytes the container wrote, and must be escaped before display.
type LogLine struct {
	Time   time.Time `json:"time"`
	Stream string    `json:"stream"`
	Data   []byte    `json:"-"`
	// Text is Data as a string, for JSON output.
	Text string `json:"line"`
}

// LogOptions select what Logs delivers.
type LogOptions struct {
	// Tail is how many of the last lines to deliver first; < 0 means all.
	Tail int
	// Follow keeps delivering new lines until the process exits or ctx ends.
	Follow bool
	// Proc is the process whose output to read: "init" (default) or an
	// exec's name.
	Proc string
	// Since, when set, skips the lines before it; Tail counts only the
	// lines at or after it.
	Since time.Time
	// Until, when set, skips the lines at or after it, and ends a follow
	// at that time or at the first line past it, whichever comes first:
	// in the past, nothing is followed.
	Until time.Time
}

// keeps reports whether a line at t is within Since and Until.
func (o LogOptions) keeps(t time.Time) bool {
	return (o.Since.IsZero() || !t.Before(o.Since)) && (o.Until.IsZero() || t.Before(o.Until))
}

// over reports whether a follow bounded by Until is done at now.
func (o LogOptions) over(now time.Time) bool {
	return !o.Until.IsZero() && !now.Before(o.Until)
}

// parseRecord parses one CRI log record: "<time> <stream> <F|P> <data>".
func parseRecord(b []byte) (t time.Time, stream string, partial bool, data []byte, ok bool) {
	ts, rest, ok1 := bytes.Cut(b, []byte{' '})
	st, rest, ok2 := bytes.Cut(rest, []byte{' '})
	tag, data, ok3 := bytes.Cut(rest, []byte{' '})
	if !ok1 || !ok2 || !ok3 || len(tag) != 1 || tag[0] != 'F' && tag[0] != 'P' {
		return t, "", false, nil, false
	}
	t, err := time.Parse(time.RFC3339Nano, string(ts))
	if err != nil {
		return t, "", false, nil, false
	}
	return t, string(st), tag[0] == 'P', data, true
}

// maxLogLine bounds one line as it is delivered: a longer one, joined
// from partial records, is cut there and the rest of it dropped, so that a
// hostile log (a line of a gigabyte) cannot make a reader hold it whole.
// Writers split long lines into records far shorter than this (berth's
// shim at shim.MaxLineBytes, docker at 16 KiB), so only a line joined from
// very many of them reaches it.
const maxLogLine = 1 << 20

// maxLogRecord bounds one record (one line of a log file) a reader holds:
// a line of maxLogLine and room for its time and stream. A longer record
// is cut there: in the CRI format it still parses, its data cut; as JSON
// it no longer does and is skipped.
const maxLogRecord = maxLogLine + 4<<10

// recordParser splits one record into its time, stream, data, and whether
// the data is a piece of a longer line; ok is false for a record that is
// not one (torn or corrupt). data may alias the record.
type recordParser func(b []byte) (t time.Time, stream string, partial bool, data []byte, ok bool)

// logReader turns records into lines, joining partial records.
type logReader struct {
	// parse reads one record; nil is the CRI format (parseRecord).
	parse   recordParser
	partial map[string]*pendingLine
	emit    func(LogLine) error
	// bounds drops the lines outside its Since and Until before emit
	// sees them, so that a tail counts only those kept and none outside
	// is held; past is set by a line at or after Until.
	bounds LogOptions
	past   bool
}

// deliver emits l when it is within the bounds.
func (lr *logReader) deliver(l LogLine) error {
	if !lr.bounds.keeps(l.Time) {
		lr.past = lr.past || lr.bounds.over(l.Time)
		return nil
	}
	return lr.emit(l)
}

// pendingLine is the start of a line whose last record is still to come.
type pendingLine struct {
	t    time.Time
	data []byte
}

func (lr *logReader) record(b []byte) error {
	parse := lr.parse
	if parse == nil {
		parse = parseRecord
	}
	t, stream, partial, data, ok := parse(b)
	if !ok {
		return nil // a torn record (rotation race or corruption): skip it
	}
	if lr.partial == nil {
		lr.partial = map[string]*pendingLine{}
	}
	p := lr.partial[stream]
	if partial {
		if p == nil {
			p = &pendingLine{}
			lr.partial[stream] = p
		}
		p.t, p.data = t, appendCapped(p.data, data)
		return nil
	}
	if p != nil {
		data = appendCapped(p.data, data)
		delete(lr.partial, stream)
	} else {
		data = appendCapped(nil, data)
	}
	return lr.deliver(LogLine{Time: t, Stream: stream, Data: data, Text: string(data)})
}

// flush delivers the lines still waiting for their last record, oldest
// first, for a log that has ended: docker keeps a last line written
// without a newline as a partial record for good.
func (lr *logReader) flush() error {
	streams := make([]string, 0, len(lr.partial))
	for s := range lr.partial {
		streams = append(streams, s)
	}
	slices.SortFunc(streams, func(a, b string) int {
		return cmp.Or(lr.partial[a].t.Compare(lr.partial[b].t), cmp.Compare(a, b))
	})
	for _, s := range streams {
		p := lr.partial[s]
		delete(lr.partial, s)
		if err := lr.deliver(LogLine{Time: p.t, Stream: s, Data: p.data, Text: string(p.data)}); err != nil {
			return err
		}
	}
	return nil
}

// appendCapped appends b to line, keeping line within maxLogLine.
func appendCapped(line, b []byte) []byte {
	if room := maxLogLine - len(line); len(b) > room {
		b = b[:max(room, 0)]
	}
	return append(line, b...)
}

// recordScanner cuts a log file into its newline-terminated records for a
// logReader, holding at most maxLogRecord bytes of one. The start of a
// record whose newline has not been written yet is kept for the next
// scan, so a follower reads every byte once.
type recordScanner struct {
	lr   *logReader
	br   *bufio.Reader
	rec  []byte // the unterminated record so far, cut at maxLogRecord
	held int64  // how many bytes of it were read, cut ones too
}

// scan feeds each record of r to the logReader until r ends and returns
// how many bytes it read. A read error ends the scan as the end of r does;
// only the logReader's errors are returned.
func (s *recordScanner) scan(r io.Reader) (int64, error) {
	if s.br == nil {
		s.br = bufio.NewReaderSize(r, 64<<10)
	} else {
		s.br.Reset(r)
	}
	var n int64
	for {
		chunk, err := s.br.ReadSlice('\n')
		n += int64(len(chunk))
		s.held += int64(len(chunk))
		if room := maxLogRecord - len(s.rec); room > 0 {
			s.rec = append(s.rec, chunk[:min(len(chunk), room)]...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil {
			return n, nil // the unterminated rest is not a record yet
		}
		rec := s.rec
		if s.held <= maxLogRecord {
			rec = rec[:len(rec)-1] // whole, with its newline
		}
		s.rec, s.held = s.rec[:0], 0
		if rerr := s.lr.record(rec); rerr != nil {
			return n, rerr
		}
	}
}

// reset drops an unterminated record: the file it was in is done with.
func (s *recordScanner) reset() { s.rec, s.held = s.rec[:0], 0 }

// scanRecords feeds each newline-terminated record of r to lr and returns
// how many bytes it consumed; an unterminated tail is left for later.
func scanRecords(r io.Reader, lr *logReader) (int64, error) {
	s := &recordScanner{lr: lr}
	n, err := s.scan(r)
	return n - s.held, err
}

// Logs delivers a container's output to fn: the last opts.Tail lines, then
// with opts.Follow every new line until the process exits or ctx ends. For
// a container berth started that is its shim's log, followed through
// rotation to output.log.1 without losing lines; for another manager's,
// the log that manager keeps (see ForeignLog).
func (m *Manager) Logs(ctx context.Context, id string, opts LogOptions, fn func(LogLine) error) error {
	c, err := m.Get(ctx, id)
	if err != nil {
		return err
	}
	if !c.Managed {
		return externalLogs(ctx, c, opts, fn)
	}
	proc := opts.Proc
	if proc == "" {
		proc = proto.ProcInit
	}
	if proc != proto.ProcInit && ValidateName(proc) != nil {
		return idError(id, ErrInvalid, "no process %q", proc)
	}
	dir := m.procDir(id, proc)
	path := filepath.Join(dir, proto.FileOutput)
	exitPath := filepath.Join(dir, proto.FileExit)
	src := logSource{
		name:  id,
		live:  path,
		older: func() []string { return []string{path + ".1"} },
		// The shim writes the exit after the output ends.
		ended: func() bool { _, err := os.Lstat(exitPath); return err == nil },
	}
	err = readLog(ctx, src, opts, fn)
	if errors.Is(err, errNoLogFile) {
		return idError(id, ErrNotFound, "no output log for %s", proc)
	}
	return err
}

// logSource is one log as its writer keeps it: its files, their format,
// and how to tell that the writer has finished.
type logSource struct {
	// name is the log's container, for error messages.
	name string
	// live is the file the writer appends to.
	live string
	// older lists the generations rotation made of live, newest first;
	// compressed ones (".gz") are read for a tail only.
	older func() []string
	// parse reads one record; nil is the CRI format.
	parse recordParser
	// ended reports that the writer will write no more, or with poll >
	// 0 that the container is gone and its writer will write no more once
	// the log has been quiet for poll. It is asked when the log is quiet:
	// after each wake-up, and every poll when poll > 0 (for a writer whose
	// end makes no change in the log's directory).
	ended func() bool
	poll  time.Duration
	// flush delivers a line left without its last record when the log
	// ends: another manager may keep a last unterminated line that way.
	flush bool
}

// errNoLogFile is readLog finding neither the live file nor a generation.
var errNoLogFile = errors.New("no log file")

// readLog delivers src's lines to fn: the last opts.Tail, then with
// opts.Follow every new one until src has ended, ctx ends or opts.Until
// is reached. Lines outside opts.Since and opts.Until are skipped as they
// are read. It follows rotation (the live file renamed and a new one
// made) and truncation in place (copytruncate) without losing or
// repeating lines.
func readLog(ctx context.Context, src logSource, opts LogOptions, fn func(LogLine) error) error {
	// Start watching before reading, so nothing written in between is lost.
	var w *watcher
	if opts.Follow {
		var err error
		if w, err = newWatcher(ctx, filepath.Dir(src.live)); err != nil {
			return fmt.Errorf("%s: follow logs: %w", src.name, err)
		}
		defer w.Close()
	}
	f, err := openLive(src)
	if errors.Is(err, errNoLogFile) {
		return err
	}
	if err != nil {
		return fmt.Errorf("%s: %w", src.name, err)
	}
	lr := &logReader{parse: src.parse, bounds: opts}
	lf := &logFollower{f: f, scan: &recordScanner{lr: lr}}
	defer func() { lf.f.Close() }()
	if err := lf.readTail(src, opts.Tail, src.flush && !opts.Follow, fn); err != nil {
		return err
	}
	if !opts.Follow || lr.past || opts.over(time.Now()) {
		return nil
	}
	// A writer that is not berth's may still copy the container's last
	// output after the container is gone: its end is taken once the log
	// has then been quiet for a poll.
	ending := false
	for {
		if err := lf.drain(src); err != nil {
			return err
		}
		if lr.past {
			return nil
		}
		if rotated, err := lf.rotated(src); err != nil || rotated {
			if err != nil {
				return err
			}
			continue
		}
		if !ending && src.ended() {
			if src.poll <= 0 {
				// One last read takes what was written since the drain.
				return lf.finish(src)
			}
			ending = true
		}
		changed, err := w.WaitFor(untilWait(src.poll, opts.Until, time.Now()))
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		if ending && !changed || opts.over(time.Now()) {
			return lf.finish(src)
		}
	}
}

// untilWait bounds a follower's wait of poll (0: none) so that it wakes
// at until, when that is set.
func untilWait(poll time.Duration, until, now time.Time) time.Duration {
	if until.IsZero() {
		return poll
	}
	left := max(until.Sub(now), time.Millisecond)
	if poll <= 0 || left < poll {
		return left
	}
	return poll
}

// finish reads the log a last time, its writer done.
func (lf *logFollower) finish(src logSource) error {
	if err := lf.drain(src); err != nil {
		return err
	}
	if src.flush {
		return lf.scan.lr.flush()
	}
	return nil
}

// openLive opens src's live file, or when there is none its newest
// generation: a writer that died mid-rotation (an older berth's shim
// renamed the log away before making the new one) leaves only that.
func openLive(src logSource) (*os.File, error) {
	f, err := statefile.Open(src.live)
	if errors.Is(err, os.ErrNotExist) {
		for _, p := range src.older() {
			if !isCompressed(p) {
				if f, err = statefile.Open(p); !errors.Is(err, os.ErrNotExist) {
					break
				}
			}
		}
	}
	if errors.Is(err, os.ErrNotExist) {
		return nil, errNoLogFile
	}
	return f, err
}

func isCompressed(path string) bool { return strings.HasSuffix(path, ".gz") }

// openGeneration opens a log file for reading whole, through gzip when it
// is compressed.
func openGeneration(path string) (io.ReadCloser, *os.File, error) {
	f, err := statefile.Open(path)
	if err != nil {
		return nil, nil, err
	}
	if !isCompressed(path) {
		return f, f, nil
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return struct {
		io.Reader
		io.Closer
	}{zr, f}, f, nil
}

// seenBytes is how much of the end of what was read a follower keeps to
// recognise its file: a truncated file no longer has those bytes there,
// and a copy made before the truncation does.
const seenBytes = 64

// logFollower reads one log file as it grows.
type logFollower struct {
	f    *os.File
	off  int64  // how much of f was read
	seen []byte // the last bytes read from f, up to seenBytes
	scan *recordScanner
}

// Read reads f on, noting where it is and what it last read.
func (lf *logFollower) Read(p []byte) (int, error) {
	n, err := lf.f.Read(p)
	lf.off += int64(n)
	if b := p[:n]; len(b) >= seenBytes {
		lf.seen = append(lf.seen[:0], b[len(b)-seenBytes:]...)
	} else {
		lf.seen = append(lf.seen, b...)
		lf.seen = lf.seen[len(lf.seen)-min(len(lf.seen), seenBytes):]
	}
	return n, err
}

// restart makes f the file to read, from its start.
func (lf *logFollower) restart(f *os.File) {
	if f != lf.f {
		lf.f.Close()
		lf.f = f
	}
	f.Seek(0, io.SeekStart)
	lf.off, lf.seen = 0, lf.seen[:0]
	lf.scan.reset()
}

// readTail delivers the last tail lines (all when tail < 0) of the log
// and its generations, and leaves f read to its end for following. When
// the live file alone holds more than tail lines it is the only one read;
// otherwise the generations are read too, oldest first, so that a line
// split across a rotation is joined. With flush, a line left without its
// last record counts as the last line. All lines go straight to fn, and
// only a tail's worth is ever held.
func (lf *logFollower) readTail(src logSource, tail int, flush bool, fn func(LogLine) error) error {
	lr := lf.scan.lr
	if tail >= 0 {
		ring := newLineRing(tail)
		// The first line of each stream may be the end of one begun in
		// the older generation: the live file alone will do when those
		// are not among the lines kept.
		lines, lastFirst := 0, 0
		firsts := map[string]bool{}
		lr.emit = func(l LogLine) error {
			if !firsts[l.Stream] {
				firsts[l.Stream], lastFirst = true, lines
			}
			lines++
			return ring.add(l)
		}
		if _, err := lf.scan.scan(lf); err != nil {
			return err
		}
		if lines-tail > lastFirst || tail == 0 {
			if flush {
				lr.flush()
			}
			lr.emit = fn
			return ring.each(fn)
		}
		lf.restart(lf.f)
		lr.partial = nil
	}
	ring := newLineRing(tail)
	lr.emit = fn
	if tail >= 0 {
		lr.emit = ring.add
	}
	older := src.older()
	for i := len(older) - 1; i >= 0; i-- {
		if err := lf.readGeneration(older[i], older); err != nil {
			return err
		}
	}
	if _, err := lf.scan.scan(lf); err != nil {
		return err
	}
	if flush {
		if err := lr.flush(); err != nil {
			return err
		}
	}
	lr.emit = fn
	if tail >= 0 {
		return ring.each(fn)
	}
	return nil
}

// readGeneration reads one older generation whole, unless it is the file
// held (a rotation since the open made it so) or an uncompressed twin of
// it is among all (a compression under way: the twin is whole).
func (lf *logFollower) readGeneration(path string, all []string) error {
	if isCompressed(path) && slices.Contains(all, strings.TrimSuffix(path, ".gz")) {
		if _, err := os.Lstat(strings.TrimSuffix(path, ".gz")); err == nil {
			return nil
		}
	}
	r, f, err := openGeneration(path)
	if err != nil {
		return nil // gone or unreadable: rotation moved on
	}
	defer r.Close()
	if sameFile(f, lf.f) {
		return nil
	}
	_, err = lf.scan.scan(r)
	lf.scan.reset()
	return err
}

// drain reads what was added to f since the last read. A file that was
// truncated in place (copytruncate) is first finished in its copy, the
// newest generation that holds what was read at the same place, then
// read again from its start.
func (lf *logFollower) drain(src logSource) error {
	if lf.truncated(lf.f) {
		if err := lf.finishCopy(src); err != nil {
			return err
		}
		lf.restart(lf.f)
	}
	_, err := lf.scan.scan(lf)
	return err
}

// truncated reports whether f no longer holds what was read of it: it is
// shorter, or the bytes last read are not where they were.
func (lf *logFollower) truncated(f *os.File) bool {
	if lf.off == 0 {
		return false
	}
	st, err := f.Stat()
	if err != nil {
		return false
	}
	return st.Size() < lf.off || !lf.holdsSeen(f)
}

// holdsSeen reports whether f has the bytes last read just before lf.off.
func (lf *logFollower) holdsSeen(f *os.File) bool {
	b := make([]byte, len(lf.seen))
	n, _ := f.ReadAt(b, lf.off-int64(len(b)))
	return n == len(b) && bytes.Equal(b, lf.seen)
}

// finishCopy reads, from where f was left, the generation that is a copy
// of f made before f was truncated, if there is one.
func (lf *logFollower) finishCopy(src logSource) error {
	for _, p := range src.older() {
		if isCompressed(p) {
			continue
		}
		c, err := statefile.Open(p)
		if err != nil {
			continue
		}
		if !sameFile(c, lf.f) && lf.holdsSeen(c) {
			c.Seek(lf.off, io.SeekStart)
			_, err := lf.scan.scan(c)
			c.Close()
			return err
		}
		c.Close()
	}
	return nil
}

// rotated switches to a new live file when the held one was rotated away,
// after reading the generations that came and went between two reads. It
// reports false when there is nothing new to switch to, which includes a
// writer between its rename and its create.
func (lf *logFollower) rotated(src logSource) (bool, error) {
	cur, err := statefile.Open(src.live)
	if err != nil {
		return false, nil
	}
	if sameFile(cur, lf.f) {
		cur.Close()
		return false, nil
	}
	// The writer moved on to cur: what it wrote to the held file since
	// the last drain is there to read through the held fd. The
	// generations newer than it are those before it in older; when it is
	// not among them any more (removed, or compressed into a new file),
	// those written after it was.
	var between, later []string
	found := false
	heldAt := modTime(lf.f)
	for _, p := range src.older() {
		if isCompressed(p) {
			continue
		}
		g, err := statefile.Open(p)
		if err != nil {
			continue
		}
		held, isCur, at := sameFile(g, lf.f), sameFile(g, cur), modTime(g)
		g.Close()
		if held {
			found = true
			break
		}
		if !isCur {
			between = append(between, p)
			if at.After(heldAt) {
				later = append(later, p)
			}
		}
	}
	if !found {
		between = later
	}
	if _, err := lf.scan.scan(lf); err != nil {
		cur.Close()
		return false, err
	}
	lf.restart(cur)
	for i := len(between) - 1; i >= 0; i-- {
		g, err := statefile.Open(between[i])
		if err != nil {
			continue
		}
		_, err = lf.scan.scan(g)
		lf.scan.reset()
		g.Close()
		if err != nil {
			return false, err
		}
	}
	return true, nil
}

// modTime is when f was last written, zero when that cannot be told.
func modTime(f *os.File) time.Time {
	st, err := f.Stat()
	if err != nil {
		return time.Time{}
	}
	return st.ModTime()
}

func sameFile(a, b *os.File) bool {
	sa, err1 := a.Stat()
	sb, err2 := b.Stat()
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}

// waitForFile waits up to d for name to appear in dir, through inotify.
func waitForFile(ctx context.Context, dir, name string, d time.Duration) bool {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	w, err := newWatcher(ctx, dir)
	if err != nil {
		return false
	}
	defer w.Close()
	for {
		if _, err := os.Lstat(filepath.Join(dir, name)); err == nil {
			return true
		}
		if w.Wait() != nil {
			return false
		}
	}
}

// watcher waits for changes in a process directory through inotify, and
// ends its wait when the context does.
type watcher struct {
	ctx  context.Context
	f    *os.File
	stop func() bool
	buf  []byte
}

func newWatcher(ctx context.Context, dir string) (*watcher, error) {
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		return nil, err
	}
	mask := uint32(unix.IN_MODIFY | unix.IN_CREATE | unix.IN_MOVED_TO | unix.IN_MOVED_FROM | unix.IN_DELETE_SELF)
	if _, err := unix.InotifyAddWatch(fd, dir, mask); err != nil {
		unix.Close(fd)
		return nil, err
	}
	// A non-blocking fd wrapped in os.File uses the runtime poller, so a
	// read deadline can interrupt it when ctx ends.
	w := &watcher{ctx: ctx, f: os.NewFile(uintptr(fd), "inotify"), buf: make([]byte, 4096)}
	w.stop = context.AfterFunc(ctx, func() { w.f.SetReadDeadline(time.Unix(1, 0)) })
	return w, nil
}

// Wait blocks until something changes in the directory.
func (w *watcher) Wait() error {
	n, err := w.f.Read(w.buf)
	if err != nil {
		return err
	}
	removed := false
	watch.EachInotify(w.buf[:n], func(_ int32, mask uint32, _ string) {
		removed = removed || mask&unix.IN_DELETE_SELF != 0
	})
	if removed {
		return errors.New("container removed")
	}
	return nil
}

// WaitFor waits as Wait does, but for at most d when d > 0, and reports
// whether something changed: a directory quiet for d ends the wait
// without an error. Setting the deadline may undo the one ctx's end set;
// the wait then still ends within d.
func (w *watcher) WaitFor(d time.Duration) (bool, error) {
	if d > 0 {
		w.f.SetReadDeadline(time.Now().Add(d))
	}
	err := w.Wait()
	if d > 0 && errors.Is(err, os.ErrDeadlineExceeded) && w.ctx.Err() == nil {
		return false, nil
	}
	return err == nil, err
}

func (w *watcher) Close() {
	w.stop()
	w.f.Close()
}

// lineRing keeps the last n lines (all when n < 0).
type lineRing struct {
	n     int
	lines []LogLine
	next  int
	full  bool
}

func newLineRing(n int) *lineRing { return &lineRing{n: n} }

func (r *lineRing) add(l LogLine) error {
	switch {
	case r.n < 0:
		r.lines = append(r.lines, l)
	case r.n == 0:
	case len(r.lines) < r.n:
		r.lines = append(r.lines, l)
	default:
		r.lines[r.next] = l
		r.next = (r.next + 1) % r.n
		r.full = true
	}
	return nil
}

// each delivers the kept lines oldest first.
func (r *lineRing) each(fn func(LogLine) error) error {
	start := 0
	if r.full {
		start = r.next
	}
	for i := range r.lines {
		if err := fn(r.lines[(start+i)%len(r.lines)]); err != nil {
			return err
		}
	}
	return nil
}
