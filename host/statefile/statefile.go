// Package statefile reads and writes berth's small state files safely.
//
// Every state file lives in a directory a root-owned process trusts, but the
// files themselves may have been tampered with or half-written by a crash:
// reads never follow symlinks, never block on a FIFO planted in place of a
// file, and refuse anything that is not a regular file; writes go through a
// temporary file and a rename so a reader sees the old content or the new,
// never a torn mix.
package statefile

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// MaxSize bounds how much of a state file is read; berth's own files are a
// few hundred bytes, so anything larger is treated as corrupt.
const MaxSize = 1 << 20

// ErrNotRegular is returned for a path that exists but is a symlink, FIFO,
// device, socket or directory.
var ErrNotRegular = errors.New("not a regular file")

// Open opens path for reading without following a final symlink and without
// blocking on a FIFO, and checks that it is a regular file.
func Open(path string) (*os.File, error) { return open(path, unix.O_NOFOLLOW) }

// OpenFollow is Open for files a user owns and may link (a bundle's
// config.json): symlinks are followed, but the end must still be a regular
// file, and a FIFO never blocks the open.
func OpenFollow(path string) (*os.File, error) { return open(path, 0) }

func open(path string, flags int) (*os.File, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|flags|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.ELOOP) && flags&unix.O_NOFOLLOW != 0 {
			return nil, fmt.Errorf("%s: %w (symlink)", path, ErrNotRegular)
		}
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, &os.PathError{Op: "stat", Path: path, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		return nil, fmt.Errorf("%s: %w (%s)", path, ErrNotRegular, fileKind(st.Mode))
	}
	// Regular files ignore O_NONBLOCK for reads; clear it anyway so callers
	// that hand the file to other code see ordinary blocking semantics.
	_ = unix.SetNonblock(fd, false)
	return os.NewFile(uintptr(fd), path), nil
}

// fileKind names what a path that is not a regular file is instead.
func fileKind(mode uint32) string {
	switch mode & unix.S_IFMT {
	case unix.S_IFDIR:
		return "a directory"
	case unix.S_IFIFO:
		return "a FIFO"
	case unix.S_IFCHR:
		return "a character device"
	case unix.S_IFBLK:
		return "a block device"
	case unix.S_IFSOCK:
		return "a socket"
	}
	return "not a file"
}

// Read returns the content of a regular file at path, at most MaxSize bytes.
func Read(path string) ([]byte, error) { return read(path, Open, MaxSize) }

// ReadFollow is Read through OpenFollow, for files a user owns and may
// link (a bundle's config.json, the config file, themes) and of at most
// max bytes: the link is followed, but what it reaches must be a regular
// file, so a link to /dev/zero or a FIFO is refused at once rather than
// read forever.
func ReadFollow(path string, max int64) ([]byte, error) { return read(path, OpenFollow, max) }

// TooLargeError is a file past the size its reader bounds it to.
type TooLargeError struct {
	Path string
	Max  int64
}

func (e *TooLargeError) Error() string { return fmt.Sprintf("%s: larger than %d bytes", e.Path, e.Max) }

func read(path string, open func(string) (*os.File, error), max int64) ([]byte, error) {
	f, err := open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, &TooLargeError{Path: path, Max: max}
	}
	return b, nil
}

// ReadJSON decodes the regular file at path into v. An empty or truncated
// file is an error that names the file.
func ReadJSON(path string, v any) error {
	b, err := Read(path)
	if err != nil {
		return err
	}
	if len(b) == 0 {
		return fmt.Errorf("%s: empty", path)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// Write replaces path atomically with data: it writes a temporary file in
// the same directory and renames it over path. It does not sync: state
// lives in /run (tmpfs), which a power loss empties anyway; what matters
// is that a reader never sees a torn file.
func Write(path string, data []byte, perm os.FileMode) error {
	p, err := Prepare(path, perm)
	if err != nil {
		return err
	}
	return p.Commit(data)
}

// Pending is a state file whose temporary file exists before its
// contents: created while the caller waits for something else, so that
// writing it later is a write and a rename (creating a file is the part
// that costs, a tenth of a millisecond or more where the state dir is
// not tmpfs).
type Pending struct {
	tmp  *os.File
	path string
}

// Prepare creates the temporary file Write would, for a Commit or a
// Discard later.
func Prepare(path string, perm os.FileMode) (*Pending, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return nil, err
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, err
	}
	return &Pending{tmp: tmp, path: path}, nil
}

// Commit writes data and renames the file over its path, as Write does;
// on failure the temporary file is removed.
func (p *Pending) Commit(data []byte) error {
	name := p.tmp.Name()
	_, err := p.tmp.Write(data)
	if cerr := p.tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(name, p.path)
	}
	if err != nil {
		os.Remove(name)
	}
	return err
}

// Discard removes a file never committed.
func (p *Pending) Discard() {
	p.tmp.Close()
	os.Remove(p.tmp.Name())
}

// WriteJSON marshals v and writes it atomically to path.
func WriteJSON(path string, v any, perm os.FileMode) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return Write(path, append(b, '\n'), perm)
}
