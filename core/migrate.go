package core

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"berth/host/statefile"

	"golang.org/x/sys/unix"
)

// MigrateOptions say where a container goes and how to reach it there.
type MigrateOptions struct {
	// SSH is the ssh client and its options (default: ssh). It is the
	// transport: berth runs no daemon of its own.
	SSH []string
	// Host is [USER@]HOST; StateDir the remote berth's state dir ("" for
	// its default).
	Host, StateDir string
	// RemoteBerth is the berth command on the remote, with any global
	// flags (default: berth, found on the remote PATH).
	RemoteBerth []string
	// Lazy migrates post-copy: the memory pages follow the restore
	// there, fetched as the container touches them (CRIU lazy pages).
	Lazy bool
	// Progress is told the bytes sent of the total, as they go.
	Progress func(sent, total int64)
}

// Migration is how a migration went.
type Migration struct {
	ID         string  `json:"id"`
	Host       string  `json:"host"`
	Checkpoint string  `json:"checkpoint"`
	Bytes      int64   `json:"bytes"`
	DowntimeMs float64 `json:"downtimeMs"`
	// Lazy says the pages followed the restore; PagesBytes is what the
	// page stream carried after it.
	Lazy       bool      `json:"lazy,omitempty"`
	PagesBytes int64     `json:"pagesBytes,omitempty"`
	Remote     Container `json:"remote"`
}

// migratePrefix names the checkpoints a migration takes.
const migratePrefix = "migrate-"

// Migrate moves one of berth's running containers to another host over
// ssh: a portable checkpoint (images, root filesystem, mounted files,
// spec), streamed to the remote berth (migrate-receive), restored there
// under the same id. The local container is removed only once the remote
// reports it running; any failure after the checkpoint restores it here
// from that checkpoint, and the error says what happened.
func (m *Manager) Migrate(ctx context.Context, ref string, o MigrateOptions) (Migration, error) {
	c, err := m.Get(ctx, ref)
	if err != nil {
		return Migration{}, err
	}
	if !c.Managed {
		return Migration{}, idError(ref, ErrUnmanaged, "berth migrates only its own containers (%s's stays with it)", c.Owner)
	}
	if c.Status != StatusRunning {
		return Migration{}, idError(ref, ErrNotRunning, "cannot migrate: container is %s", c.Status)
	}
	if o.Host == "" || strings.HasPrefix(o.Host, "-") {
		return Migration{}, invalidf("migrate: the host %q is not a host ([USER@]HOST)", o.Host)
	}
	mig := Migration{ID: c.ID, Host: o.Host, Lazy: o.Lazy}
	if o.Lazy {
		t, err := m.target(ctx, ref)
		if err != nil {
			return mig, err
		}
		return mig, m.migrateLazy(ctx, t, o, &mig)
	}
	// The remote must have berth and room for the id before the container
	// is touched.
	if _, err := RunRemote(ctx, o, nil, nil, "migrate-receive", "--check", c.ID); err != nil {
		return mig, idError(ref, ErrInvalid, "migrate to %s: the remote refuses: %v (the container was not touched)", o.Host, err)
	}
	start := time.Now()
	cp, err := m.CreateCheckpoint(ctx, ref, migratePrefix+time.Now().UTC().Format("20060102-150405"), CheckpointOptions{Portable: true})
	if err != nil {
		return mig, err
	}
	mig.Checkpoint = cp.Name
	dir, err := checkpointDir(m.checkpointRoot(c), cp.Name)
	if err != nil {
		return mig, err
	}
	pr, written := streamTree(dir, diskUsage(dir), o.Progress)
	out, err := RunRemote(ctx, o, pr, nil, "migrate-receive", c.ID, cp.Name)
	pr.Close() // a writer still at work fails now, and ends
	mig.Bytes = <-written
	if err == nil {
		err = json.Unmarshal(out, &mig.Remote)
		if err == nil && mig.Remote.Status != StatusRunning {
			err = fmt.Errorf("the remote reports it %s", mig.Remote.Status)
		}
	}
	if err != nil {
		// It stopped at the checkpoint: run it here again from that.
		if _, rerr := m.Restore(ctx, ref, cp.Name, RestoreOptions{}); rerr != nil {
			return mig, idError(ref, ErrRuntime, "migrate to %s failed: %v; and restoring it here from checkpoint %s failed too: %v", o.Host, err, cp.Name, rerr)
		}
		return mig, idError(ref, ErrRuntime, "migrate to %s failed: %v; it runs here again, restored from checkpoint %s", o.Host, err, cp.Name)
	}
	mig.DowntimeMs = float64(time.Since(start)) / float64(time.Millisecond)
	// It runs there: it goes from here, with the checkpoint (its copy of
	// the root filesystem is large, and the remote has the container).
	if err := m.DeleteCheckpoint(ctx, ref, cp.Name, true); err != nil {
		return mig, fmt.Errorf("%s: it runs on %s, but removing the checkpoint here failed: %w", ref, o.Host, err)
	}
	if err := m.Delete(ctx, ref, true); err != nil {
		return mig, fmt.Errorf("%s: it runs on %s, but removing it here failed: %w", ref, o.Host, err)
	}
	return mig, nil
}

// RunRemote runs the berth on o's host over ssh with args (and sshArgs
// for ssh itself), stdin from in, and returns its stdout; a failure
// carries the last line it said.
func RunRemote(ctx context.Context, o MigrateOptions, in io.Reader, sshArgs []string, args ...string) ([]byte, error) {
	cmd := remoteCmd(ctx, o, sshArgs, args...)
	var stdout bytes.Buffer
	stderr := &tailBuffer{max: maxRuntimeStderr}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = in, &stdout, stderr
	if err := remoteError(cmd.Run(), stderr); err != nil {
		return nil, err
	}
	return stdout.Bytes(), nil
}

// remoteCmd is the ssh command that runs the remote berth with args.
func remoteCmd(ctx context.Context, o MigrateOptions, sshArgs []string, args ...string) *exec.Cmd {
	ssh := o.SSH
	if len(ssh) == 0 {
		ssh = []string{"ssh"}
	}
	berth := o.RemoteBerth
	if len(berth) == 0 {
		berth = []string{"berth"}
	}
	command := append([]string{}, berth...)
	if o.StateDir != "" {
		command = append(command, "--state-dir", o.StateDir)
	}
	command = append(command, args...)
	quoted := make([]string, len(command))
	for i, a := range command {
		quoted[i] = shellQuote(a)
	}
	argv := append(append(append([]string{}, ssh[1:]...), sshArgs...), "-o", "BatchMode=yes", "--", o.Host, strings.Join(quoted, " "))
	return exec.CommandContext(ctx, ssh[0], argv...)
}

// remoteError is a remote command's failure as the last line it said.
func remoteError(err error, stderr *tailBuffer) error {
	if err == nil {
		return nil
	}
	msg := lastLine(stderr.Bytes())
	if msg == "" {
		msg = err.Error()
	}
	return errors.New(strings.TrimPrefix(msg, "berth: "))
}

// shellQuote quotes a word for the remote shell ssh hands the command to.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:@,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// streamTree writes dir as WriteTree does into the pipe it returns, in a
// goroutine of its own, telling progress (if any) the bytes sent of total;
// the channel gets the bytes sent once it ended. Closing the reader ends
// a writer still at work.
func streamTree(dir string, total int64, progress func(sent, total int64)) (*io.PipeReader, <-chan int64) {
	pr, pw := io.Pipe()
	written := make(chan int64, 1)
	go func() {
		var sent int64
		err := WriteTree(pw, dir, func(n int64) {
			sent = n
			if progress != nil {
				progress(n, total)
			}
		})
		pw.CloseWithError(err)
		written <- sent
	}()
	return pr, written
}

// WriteTree writes dir as a tar stream: directories, regular files,
// symlinks and device nodes (a root filesystem has all of them), with
// their owners and modes; progress, when given, is told the bytes of file
// data written so far.
func WriteTree(w io.Writer, dir string, progress func(sent int64)) error {
	var sent int64
	tw := tar.NewWriter(w)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel == "." {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		link := ""
		if info.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(p); err != nil {
				return err
			}
		}
		hdr, err := tar.FileInfoHeader(info, link)
		if err != nil {
			return err
		}
		hdr.Name = filepath.ToSlash(rel)
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if !info.Mode().IsRegular() {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		n, err := io.Copy(tw, f)
		sent += n
		if progress != nil {
			progress(sent)
		}
		return err
	})
	if err != nil {
		return err
	}
	return tw.Close()
}

// ReceiveMigration is the remote side of Migrate: a portable checkpoint
// of container id read from r (as writeTree wrote it), unpacked under the
// state dir and restored as id. With nil r it only checks that id can be
// received here.
func (m *Manager) ReceiveMigration(ctx context.Context, id, name string, r io.Reader) (Container, error) {
	if err := ValidateID(id); err != nil {
		return Container{}, err
	}
	if _, ok := m.managed(id); ok {
		return Container{}, idError(id, ErrExists, "a container with this id already exists here")
	}
	if err := m.idFree(id); err != nil {
		return Container{}, err
	}
	if r == nil {
		m.sweepMigrations()
		return Container{}, nil
	}
	if err := ValidateName(name); err != nil {
		return Container{}, err
	}
	tmp, err := os.MkdirTemp(m.opts.StateDir, migrateDirPrefix)
	if err != nil {
		return Container{}, err
	}
	lock, err := statefile.LockDir(tmp, 0)
	if err != nil {
		os.Remove(tmp)
		return Container{}, err
	}
	defer func() {
		removeUnmounted(tmp)
		lock.Close()
	}()
	cp := filepath.Join(tmp, name)
	if err := readTree(r, cp, MaxImportBytes); err != nil {
		return Container{}, idError(id, ErrInvalid, "receiving the checkpoint: %v", err)
	}
	meta, err := readCheckpoint(cp)
	if err != nil || !meta.Valid || !meta.Options.Portable || meta.LazyPages {
		return Container{}, idError(id, ErrInvalid, "what arrived is not a portable checkpoint of berth's (%v)", err)
	}
	rt, err := m.runtimePath()
	if err != nil {
		return Container{}, err
	}
	if err := m.requireCheckpoint(ctx, id, rt, "restore"); err != nil {
		return Container{}, err
	}
	rec, err := m.adoptRecord(ctx, cp, id, "migrated/"+name, true)
	if err != nil {
		return Container{}, err
	}
	return m.restoreInto(ctx, rec, cp, meta, RestoreOptions{}, id, true)
}

// readTree unpacks a tar stream into dir (made here), refusing entries
// that would land outside it: absolute names, "..", and any path through
// a symlink an earlier entry made (a root filesystem's links are kept, and
// must never be followed while unpacking). It stops at limit bytes.
func readTree(r io.Reader, dir string, limit int64) error {
	if err := os.Mkdir(dir, 0o700); err != nil {
		return err
	}
	tr := tar.NewReader(r)
	var total int64
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		name := filepath.FromSlash(hdr.Name)
		if filepath.IsAbs(name) || name != filepath.Clean(name) || name == ".." || strings.HasPrefix(name, ".."+string(filepath.Separator)) {
			return fmt.Errorf("entry %q is outside the checkpoint", hdr.Name)
		}
		p := filepath.Join(dir, name)
		if err := realParents(dir, filepath.Dir(p)); err != nil {
			return fmt.Errorf("entry %q: %w", hdr.Name, err)
		}
		mode := uint32(hdr.Mode & 0o7777)
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := os.Mkdir(p, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
				return err
			}
		case tar.TypeReg:
			if total += hdr.Size; total > limit {
				return fmt.Errorf("more than %d bytes", limit)
			}
			f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL|unix.O_NOFOLLOW, 0o600)
			if err != nil {
				return err
			}
			_, err = io.Copy(f, io.LimitReader(tr, hdr.Size))
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		case tar.TypeSymlink:
			if err := os.Symlink(hdr.Linkname, p); err != nil {
				return err
			}
		case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
			kind := map[byte]uint32{tar.TypeChar: unix.S_IFCHR, tar.TypeBlock: unix.S_IFBLK, tar.TypeFifo: unix.S_IFIFO}[hdr.Typeflag]
			if err := unix.Mknod(p, kind|mode, int(unix.Mkdev(uint32(hdr.Devmajor), uint32(hdr.Devminor)))); err != nil {
				return err
			}
		default:
			return fmt.Errorf("entry %q is of a kind berth does not unpack (%c)", hdr.Name, hdr.Typeflag)
		}
		if err := unix.Lchown(p, hdr.Uid, hdr.Gid); err != nil {
			return err
		}
		if hdr.Typeflag != tar.TypeSymlink {
			if err := unix.Chmod(p, mode); err != nil {
				return err
			}
			t := unix.NsecToTimespec(hdr.ModTime.UnixNano())
			unix.UtimesNanoAt(unix.AT_FDCWD, p, []unix.Timespec{t, t}, unix.AT_SYMLINK_NOFOLLOW)
		}
	}
}

// realParents checks that every directory from base down to dir is a
// real directory, not a symlink.
func realParents(base, dir string) error {
	rel, err := filepath.Rel(base, dir)
	if err != nil || rel == "." {
		return err
	}
	p := base
	for _, part := range strings.Split(rel, string(filepath.Separator)) {
		p = filepath.Join(p, part)
		st, err := os.Lstat(p)
		if err != nil {
			return err
		}
		if !st.IsDir() {
			return fmt.Errorf("%s is not a directory (a symlink?)", part)
		}
	}
	return nil
}
