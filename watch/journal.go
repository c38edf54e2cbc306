package watch

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"berth/host/statefile"

	"golang.org/x/sys/unix"
)

// JournalFile is the event journal in the state root; it rotates to
// JournalFile+".1" past JournalMax bytes, so history is bounded.
const (
	JournalFile = "events.jsonl"
	JournalMax  = 4 << 20
	journalLock = ".events.lock"
)

// Append adds events to the journal of the state root. Every writer (each
// shim, each berth) appends whole lines under an exclusive lock, which also
// covers rotation, so concurrent writers never interleave or lose lines.
func Append(root string, evs ...Event) error {
	if len(evs) == 0 {
		return nil
	}
	var buf []byte
	for _, ev := range evs {
		b, err := marshalEvent(ev)
		if err != nil {
			return err
		}
		buf = append(append(buf, b...), '\n')
	}
	unlock, err := lockJournal(root, unix.LOCK_EX)
	if err != nil {
		return err
	}
	defer unlock()
	path := filepath.Join(root, JournalFile)
	f, err := openAppend(path)
	if errors.Is(err, errNotRegular) {
		// A symlink, FIFO or directory in the journal's place would drop
		// every event: it is moved aside (Read warns while it is there)
		// and a new journal started.
		if err := os.Rename(path, fmt.Sprintf("%s%s-%d", path, badSuffix, time.Now().UnixNano())); err != nil {
			return fmt.Errorf("journal: move aside: %w", err)
		}
		f, err = openAppend(path)
	}
	if err != nil {
		return err
	}
	st, err := f.Stat()
	if err == nil && st.Size()+int64(len(buf)) > JournalMax && st.Size() > 0 {
		f.Close()
		if err := os.Rename(path, path+".1"); err != nil {
			return fmt.Errorf("rotate journal: %w", err)
		}
		if f, err = openAppend(path); err != nil {
			return err
		}
		st, err = f.Stat()
	}
	if err == nil && st.Size() > 0 && !endsLine(f, st.Size()) {
		// A torn last line (a writer killed mid-write, a truncation): the
		// new events start on a line of their own rather than glued to it.
		buf = append([]byte{'\n'}, buf...)
	}
	_, err = f.Write(buf)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// lockTimeout bounds how long a writer waits for the journal lock: a
// process stopped while holding it must not keep a shim from recording an
// exit.
const lockTimeout = 2 * time.Second

// lockJournal takes the journal's lock (LOCK_EX to write, LOCK_SH to read
// across a rotation) and returns its release.
func lockJournal(root string, how int) (func(), error) {
	lock, err := os.OpenFile(filepath.Join(root, journalLock), os.O_RDWR|os.O_CREATE|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0o600)
	if err != nil {
		return nil, fmt.Errorf("journal lock: %w", err)
	}
	deadline := time.Now().Add(lockTimeout)
	for {
		err := unix.Flock(int(lock.Fd()), how|unix.LOCK_NB)
		if err == nil {
			return func() { lock.Close() }, nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) || time.Now().After(deadline) {
			lock.Close()
			return nil, fmt.Errorf("journal lock: %w", err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// badSuffix names a journal that was not a regular file, moved aside.
const badSuffix = ".bad"

var errNotRegular = errors.New("not a regular file")

// openAppend opens the journal for appending: never through a symlink,
// never blocking on a FIFO, only a regular file (errNotRegular otherwise).
func openAppend(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0o600)
	if err != nil {
		if st, lerr := os.Lstat(path); lerr == nil && !st.Mode().IsRegular() {
			return nil, fmt.Errorf("journal: %s: %w", path, errNotRegular)
		}
		return nil, fmt.Errorf("journal: %w", err)
	}
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("journal: %s: %w", path, errNotRegular)
	}
	return f, nil
}

// endsLine reports whether the file of size bytes ends with a newline.
func endsLine(f *os.File, size int64) bool {
	var b [1]byte
	_, err := f.ReadAt(b[:], size-1)
	return err != nil || b[0] == '\n'
}

// Read returns the journal's events at or after since (all when zero),
// oldest first, and a warning for each line that is truncated or garbage:
// such a line is skipped, never fatal.
func Read(root string, since time.Time) ([]Event, []string) {
	var evs []Event
	var warns []string
	// Shared lock: a rotation between reading the two files would lose
	// one generation.
	if unlock, err := lockJournal(root, unix.LOCK_SH); err == nil {
		defer unlock()
	}
	if bad, _ := filepath.Glob(filepath.Join(root, JournalFile+badSuffix+"-*")); len(bad) > 0 {
		warns = append(warns, fmt.Sprintf("the journal was not a regular file: moved aside to %s; events written to it were lost", filepath.Base(bad[len(bad)-1])))
	}
	for _, name := range []string{JournalFile + ".1", JournalFile} {
		f, err := statefile.Open(filepath.Join(root, name))
		if err != nil {
			if !errors.Is(err, os.ErrNotExist) {
				warns = append(warns, err.Error())
			}
			continue
		}
		_, w := scanJournal(bufio.NewReaderSize(f, 64<<10), name, func(ev Event) {
			if since.IsZero() || !ev.Time.Before(since) {
				evs = append(evs, ev)
			}
		})
		warns = append(warns, w...)
		f.Close()
	}
	return evs, warns
}

// scanJournal decodes complete lines from br, returning the bytes
// consumed; an unterminated last line is left for a later read. Lines are
// read in place in br's buffer (a copy of each was the tail's most
// garbage under churn): nothing kept refers to them.
func scanJournal(br *bufio.Reader, name string, fn func(Event)) (int64, []string) {
	var warns []string
	var n int64
	line := 0
	var long []byte
	for {
		b, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// A line longer than the buffer (never one berth writes):
			// gathered whole, so its length still counts once.
			long = append(long, b...)
			continue
		}
		if long != nil {
			b, long = append(long, b...), nil
		}
		if err != nil {
			return n, warns
		}
		n += int64(len(b))
		line++
		var ev Event
		if err := decodeEvent(b, &ev); err != nil || ev.Kind == "" || ev.ID == "" {
			warns = append(warns, fmt.Sprintf("%s line %d: skipped, not an event", name, line))
			continue
		}
		fn(ev)
	}
}

// Tail follows the journal from its current end, delivering new events
// through the loop's channel as they are appended, across rotation.
func (l *Loop) Tail(root string) error {
	j := &journalTail{path: filepath.Join(root, JournalFile)}
	if f, err := statefile.Open(j.path); err == nil {
		j.f = f
		j.off, _ = f.Seek(0, io.SeekEnd)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	wd, err := l.addWatch(root, unix.IN_MODIFY|unix.IN_CREATE|unix.IN_MOVED_FROM|unix.IN_ONLYDIR|unix.IN_MASK_ADD)
	if err != nil {
		j.close()
		return fmt.Errorf("watch %s: %w", root, err)
	}
	if old := l.wds[wd]; old != nil && old.kind == wdRoot {
		// Same directory as WatchRoot: one watch serves both.
		old.journal = j
		return nil
	}
	l.wds[wd] = &wdTarget{kind: wdRoot, root: root, journal: j, tailOnly: true}
	return nil
}

// journalTail holds the journal file being followed open: after a rotation
// the held file is the old one, read to its end before the new one is
// opened, so no line is lost or read twice.
type journalTail struct {
	path string
	f    *os.File
	off  int64
	br   *bufio.Reader
	// verified is set once a read has checked the held file is still
	// the journal (see read).
	verified bool
}

// read returns the events appended since the last read; rotated says the
// journal was just renamed away, created says a new one appeared, verify
// that events may have been lost (check the file is still the journal).
func (j *journalTail) read(rotated, created, verify bool) []Event {
	var out []Event
	collect := func(ev Event) { out = append(out, ev) }
	if j.f != nil {
		j.f.Seek(j.off, io.SeekStart)
		n, _ := scanJournal(j.reader(j.f), JournalFile, collect)
		j.off += n
	}
	// A rotation whose events were lost (an inotify overflow, or one that
	// landed while Tail was setting up) is found by the file's identity:
	// checked by the first read and after an overflow (resync), not on
	// every append (an open and two stats each, under churn).
	if !rotated && !created && j.f != nil && (!j.verified || verify) {
		j.verified = true
		if cur, err := statefile.Open(j.path); err == nil {
			created = !sameFile(j.f, cur)
			cur.Close()
		}
	}
	if rotated || created || j.f == nil {
		f, err := statefile.Open(j.path)
		if err != nil {
			return out
		}
		if j.f != nil && sameFile(j.f, f) {
			f.Close()
			return out
		}
		j.close()
		j.f, j.off = f, 0
		n, _ := scanJournal(j.reader(f), JournalFile, collect)
		j.off += n
	}
	return out
}

// reader is the tail's one buffered reader, over f from where it is:
// a read per append allocated 64 KiB each, the most garbage a removal of
// many made.
func (j *journalTail) reader(f *os.File) *bufio.Reader {
	if j.br == nil {
		j.br = bufio.NewReaderSize(f, 64<<10)
	} else {
		j.br.Reset(f)
	}
	return j.br
}

func (j *journalTail) close() {
	if j.f != nil {
		j.f.Close()
		j.f = nil
	}
}

func sameFile(a, b *os.File) bool {
	sa, err1 := a.Stat()
	sb, err2 := b.Stat()
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}
