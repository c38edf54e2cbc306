package core

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
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

// logReader turns records into lines, joining partial records.
type logReader struct {
	partial map[string][]byte
	emit    func(LogLine) error
}

func (lr *logReader) record(b []byte) error {
	t, stream, partial, data, ok := parseRecord(b)
	if !ok {
		return nil // a torn record (rotation race or corruption): skip it
	}
	if lr.partial == nil {
		lr.partial = map[string][]byte{}
	}
	if partial {
		lr.partial[stream] = append(lr.partial[stream], data...)
		return nil
	}
	if p := lr.partial[stream]; len(p) > 0 {
		data = append(p, data...)
		lr.partial[stream] = nil
	} else {
		data = append([]byte(nil), data...)
	}
	return lr.emit(LogLine{Time: t, Stream: stream, Data: data, Text: string(data)})
}

// scanRecords feeds each newline-terminated record of r to lr and returns
// how many bytes it consumed; an unterminated tail is left for later.
func scanRecords(r io.Reader, lr *logReader) (int64, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var n int64
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line, chunk...)
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil {
			return n, nil // EOF: the unterminated rest is not a record yet
		}
		n += int64(len(line))
		if rerr := lr.record(line[:len(line)-1]); rerr != nil {
			return n, rerr
		}
		line = line[:0]
	}
}

// Logs delivers a managed container's output to fn: the last opts.Tail
// lines, then with opts.Follow every new line until the process exits or
// ctx ends. It follows rotation to output.log.1 without losing lines.
func (m *Manager) Logs(ctx context.Context, id string, opts LogOptions, fn func(LogLine) error) error {
	c, err := m.Get(ctx, id)
	if err != nil {
		return err
	}
	if !c.Managed {
		return idError(id, ErrUnmanaged, "no logs: berth did not start it, so nothing recorded its output")
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

	// Start watching before reading, so nothing written in between is lost.
	var w *watcher
	if opts.Follow {
		if w, err = newWatcher(ctx, dir); err != nil {
			return fmt.Errorf("%s: follow logs: %w", id, err)
		}
		defer w.Close()
	}

	tail := newLineRing(opts.Tail)
	collect := &logReader{emit: tail.add}
	f, err := statefile.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		// A shim that died mid-rotation (an older berth renamed the log
		// away before making the new one) leaves only the older generation.
		f, err = statefile.Open(path + ".1")
	}
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return idError(id, ErrNotFound, "no output log for %s", proc)
		}
		return fmt.Errorf("%s: %w", id, err)
	}
	defer func() { f.Close() }()
	// The older generation first, unless a rotation since the open above
	// made it the very file we hold.
	if old, err := statefile.Open(path + ".1"); err == nil {
		if !sameFile(old, f) {
			scanRecords(old, collect)
		}
		old.Close()
	}
	off, _ := scanRecords(f, collect)
	if err := tail.each(fn); err != nil {
		return err
	}
	if !opts.Follow {
		return nil
	}
	live := &logReader{emit: fn, partial: collect.partial}
	exitPath := filepath.Join(dir, proto.FileExit)
	drain := func() error {
		f.Seek(off, io.SeekStart)
		n, err := scanRecords(f, live)
		off += n
		return err
	}
	for {
		if err := drain(); err != nil {
			return err
		}
		// Rotated: finish the old file through the held fd (done above),
		// read a generation that came and went between two wake-ups, then
		// go on with the current file. While the shim is between its
		// rename and its create there is no current file: wait.
		if cur, err := statefile.Open(path); err == nil {
			if sameFile(cur, f) {
				cur.Close()
			} else {
				if mid, err := statefile.Open(path + ".1"); err == nil {
					if !sameFile(mid, f) && !sameFile(mid, cur) {
						scanRecords(mid, live)
					}
					mid.Close()
				}
				f.Close()
				f, off = cur, 0
				continue
			}
		}
		if _, err := os.Lstat(exitPath); err == nil {
			// The shim writes the exit after the output ends: one last
			// read takes what was flushed since the drain above.
			return drain()
		}
		if err := w.Wait(); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
	}
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
	w := &watcher{f: os.NewFile(uintptr(fd), "inotify"), buf: make([]byte, 4096)}
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
