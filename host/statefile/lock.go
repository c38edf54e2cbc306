package statefile

import (
	"errors"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// ErrLocked is returned by LockDir when another process holds the lock
// after the wait.
var ErrLocked = errors.New("locked by another process")

// lockPoll is how often a waiting LockDir tries again.
const lockPoll = 20 * time.Millisecond

// LockDir takes an exclusive flock on the directory dir (never through a
// symlink), trying for up to wait (once when wait is 0). Closing the file
// releases the lock, as does the death of every process holding it: a lock
// passed to a child (as an inherited file) is held until the last holder
// closes it or exits, so it says "someone is still at work here" without a
// pid that could be reused.
func LockDir(dir string, wait time.Duration) (*os.File, error) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: dir, Err: err}
	}
	deadline := time.Now().Add(wait)
	for {
		err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return os.NewFile(uintptr(fd), dir), nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) && !errors.Is(err, unix.EINTR) {
			unix.Close(fd)
			return nil, &os.PathError{Op: "flock", Path: dir, Err: err}
		}
		if !time.Now().Before(deadline) {
			unix.Close(fd)
			return nil, &os.PathError{Op: "flock", Path: dir, Err: ErrLocked}
		}
		time.Sleep(lockPoll)
	}
}
