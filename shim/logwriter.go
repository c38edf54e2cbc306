package shim

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// MaxLineBytes is the longest log record the shim writes; longer lines are
// split into partial ("P") records, as the CRI log format does.
const MaxLineBytes = 16 << 10

// LogWriter appends container output to output.log in the CRI log format,
// one record a line: "<RFC3339Nano time> <stream> <F|P> <bytes>". F closes a
// line, P is a piece of a longer one. The bytes are what the container wrote,
// unmodified; escaping is the reader's job. When the file passes half of the
// limit it is rotated to output.log.1, so the two together stay under it.
type LogWriter struct {
	mu   sync.Mutex
	path string
	max  int64
	f    *os.File
	// w is borrowed from writers while records are written, nil between.
	w       *bufio.Writer
	size    int64
	stamp   []byte
	stampAt time.Time
}

// readBufs and writers hold the buffers of every stream of every log,
// borrowed only while output is read and written: an idle container's
// streams wait in the netpoller holding none, so an idle shim's heap keeps
// no buffers for output that does not come.
var (
	readBufs = sync.Pool{New: func() any { b := make([]byte, 16<<10); return &b }}
	writers  = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 16<<10) }}
)

// borrow takes a record writer for the file. Called with mu held.
func (lw *LogWriter) borrow() {
	lw.w = writers.Get().(*bufio.Writer)
	lw.w.Reset(lw.f)
}

// giveBack flushes the records written and returns the writer. Called with
// mu held.
func (lw *LogWriter) giveBack() {
	lw.w.Flush()
	lw.w.Reset(nil)
	writers.Put(lw.w)
	lw.w = nil
}

// logFlags open a log for appending: never through a symlink, never
// blocking on a FIFO planted in its place.
const logFlags = os.O_WRONLY | os.O_APPEND | os.O_CREATE | syscall.O_NOFOLLOW | syscall.O_NONBLOCK

// OpenLog opens (appending) or creates the log at path with a total limit.
func OpenLog(path string, max int64) (*LogWriter, error) {
	f, err := os.OpenFile(path, logFlags, 0o600)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &LogWriter{path: path, max: max, f: f, size: st.Size()}, nil
}

// stream collects one stream's bytes into lines.
type stream struct {
	name    string
	partial []byte
}

// Drain copies r (one of the container's stdio pipes) into the log until
// EOF, then flushes a last unterminated line. r is in the netpoller (a pipe
// from os.Pipe), and each wait for it starts with a read: that read is
// into a small buffer of the stream's, and only reads after one that
// filled its buffer borrow a large one, so a stream that waits holds none.
func (lw *LogWriter) Drain(name string, r *os.File) {
	st := &stream{name: name}
	rc, err := r.SyscallConn()
	if err == nil {
		// Only a file in the netpoller takes deadlines.
		err = r.SetReadDeadline(time.Time{})
	}
	if err != nil {
		lw.drainBlocking(st, r)
		return
	}
	small := make([]byte, smallRead)
	large := false
	for {
		var buf *[]byte
		var n int
		var rerr error
		err := rc.Read(func(fd uintptr) bool {
			b := small
			if large {
				buf = readBufs.Get().(*[]byte)
				b = *buf
			}
			for {
				n, rerr = unix.Read(int(fd), b)
				if !errors.Is(rerr, unix.EINTR) {
					break
				}
			}
			if errors.Is(rerr, unix.EAGAIN) {
				if buf != nil {
					readBufs.Put(buf)
					buf, large = nil, false
				}
				return false
			}
			return true
		})
		if err == nil && rerr == nil && n > 0 {
			b := small
			if buf != nil {
				b = *buf
			}
			lw.write(st, b[:n])
			large = n == len(b)
		}
		if buf != nil {
			readBufs.Put(buf)
		}
		if err != nil || rerr != nil || n <= 0 {
			break
		}
	}
	lw.finish(st)
}

// smallRead is the size of a stream's own read buffer.
const smallRead = 512

// drainBlocking is Drain for a reader with no descriptor to poll.
func (lw *LogWriter) drainBlocking(st *stream, r io.Reader) {
	buf := readBufs.Get().(*[]byte)
	defer readBufs.Put(buf)
	for {
		n, err := r.Read(*buf)
		if n > 0 {
			lw.write(st, (*buf)[:n])
		}
		if err != nil {
			break
		}
	}
	lw.finish(st)
}

// finish writes a stream's last unterminated line, as an F record.
func (lw *LogWriter) finish(st *stream) {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	if len(st.partial) > 0 {
		lw.borrow()
		lw.record(st.name, 'F', st.partial)
		lw.giveBack()
		st.partial = st.partial[:0]
	}
}

// write splits chunk into records. All records of one read share one
// timestamp: formatting it once per read, not per line, keeps a flood of
// short lines cheap.
func (lw *LogWriter) write(st *stream, chunk []byte) {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	lw.borrow()
	defer lw.giveBack()
	now := time.Now()
	if !now.Equal(lw.stampAt) {
		lw.stamp = now.UTC().AppendFormat(lw.stamp[:0], time.RFC3339Nano)
		lw.stampAt = now
	}
	for len(chunk) > 0 {
		i := bytes.IndexByte(chunk, '\n')
		if i < 0 {
			st.partial = append(st.partial, chunk...)
			// Keep up to MaxLineBytes pending so the line's last record,
			// at a newline or at EOF, is always an F.
			for len(st.partial) > MaxLineBytes {
				lw.record(st.name, 'P', st.partial[:MaxLineBytes])
				st.partial = append(st.partial[:0], st.partial[MaxLineBytes:]...)
			}
			break
		}
		line := chunk[:i]
		chunk = chunk[i+1:]
		if len(st.partial) > 0 {
			st.partial = append(st.partial, line...)
			line = st.partial
		}
		for len(line) > MaxLineBytes {
			lw.record(st.name, 'P', line[:MaxLineBytes])
			line = line[MaxLineBytes:]
		}
		lw.record(st.name, 'F', line)
		st.partial = st.partial[:0]
	}
}

// record writes one log record, rotating first when it would pass the limit.
func (lw *LogWriter) record(name string, tag byte, b []byte) {
	n := int64(len(lw.stamp) + 1 + len(name) + 3 + len(b) + 1)
	if lw.max > 0 && lw.size+n > lw.max/2 && lw.size > 0 {
		lw.rotate()
	}
	lw.w.Write(lw.stamp)
	lw.w.WriteByte(' ')
	lw.w.WriteString(name)
	lw.w.WriteByte(' ')
	lw.w.WriteByte(tag)
	lw.w.WriteByte(' ')
	lw.w.Write(b)
	lw.w.WriteByte('\n')
	lw.size += n
}

// rotate makes the current file the older generation, path.1 (replacing
// an older one), and starts a new one, so that path always exists: the new
// file is made under a hidden name, the current one gets path.1 as a second
// name, and the new one is renamed over path. A reader that opens path
// while both names are one file sees that and reads it once. On failure it
// truncates in place rather than grow past the limit.
func (lw *LogWriter) rotate() {
	lw.w.Flush()
	dir, base := filepath.Dir(lw.path), filepath.Base(lw.path)
	next := filepath.Join(dir, "."+base+".new")
	f, err := os.OpenFile(next, logFlags|os.O_TRUNC, 0o600)
	if err != nil {
		lw.startOver()
		return
	}
	older, link := lw.path+".1", filepath.Join(dir, "."+base+".1.new")
	os.Remove(link)
	if err := os.Link(lw.path, link); err == nil {
		if err := os.Rename(link, older); err != nil {
			os.Remove(link)
		}
	}
	if err := os.Rename(next, lw.path); err != nil {
		f.Close()
		os.Remove(next)
		lw.startOver()
		return
	}
	lw.f.Close()
	lw.f = f
	lw.w.Reset(f)
	lw.size = 0
}

// startOver empties the current file when a rotation cannot be made, so
// draining goes on (the container never blocks) within the limit.
func (lw *LogWriter) startOver() {
	lw.f.Truncate(0)
	lw.size = 0
}

// Close closes the log; every write has been flushed already.
func (lw *LogWriter) Close() error {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	return lw.f.Close()
}
