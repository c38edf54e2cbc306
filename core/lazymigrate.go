package core

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"berth/host/procfs"
	"berth/host/statefile"
	"berth/shim/proto"

	"golang.org/x/sys/unix"
)

// Post-copy migration (MigrateOptions.Lazy). CRIU dumps everything but
// the memory pages, keeps the container frozen and serves the pages from
// a page server; the remote restores at once and a lazy-pages daemon there
// fetches the pages on fault and in the background. The downtime is the
// dump without its pages, the stream of the rest, and a restore without
// pages; the cost is that the container runs there before all its memory
// has arrived.
//
// The page stream goes through the same ssh as the rest: runc's page
// server listens on loopback here (runc offers nothing else), berth holds
// its one connection from the moment it is ready, and ssh forwards a unix
// socket in a private directory on the remote to one in a private
// directory here. If anything fails before every page has moved, berth
// makes CRIU give up the dump, which thaws the tasks: the container runs
// here again, and the remote removes its copy (see pageBridge).

// LazyPipeSize is the pipe size CRIU's page server asks for when it
// serves lazy pages: without CAP_SYS_RESOURCE the host's fs.pipe-max-size
// must allow it, or the server fails at the first request.
const LazyPipeSize = 4 << 20

// lazySocket is the forwarded page stream's name in either private dir.
const lazySocket = "pages.sock"

// lazyCheck is what the remote's check answers for a lazy migration.
type lazyCheck struct {
	// Dir is a private directory there, for the forwarded socket and
	// the checkpoint.
	Dir string `json:"dir"`
}

// CheckLazyPages says why this host cannot serve lazy pages, nil if it
// can.
func CheckLazyPages() error {
	if hasCapability(unix.CAP_SYS_RESOURCE) {
		return nil
	}
	b, err := os.ReadFile("/proc/sys/fs/pipe-max-size")
	if err != nil {
		return err
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil || n < LazyPipeSize {
		return fmt.Errorf("post-copy needs fs.pipe-max-size of at least %d here (CRIU's page server asks for %d-byte pipes and berth runs without CAP_SYS_RESOURCE): sysctl -w fs.pipe-max-size=%d, or migrate without --lazy", LazyPipeSize, LazyPipeSize, LazyPipeSize)
	}
	return nil
}

// hasCapability reports whether this process has capability c in its
// effective set.
func hasCapability(c int) bool {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return false
	}
	bits, err := strconv.ParseUint(procfs.StatusField(b, "CapEff"), 16, 64)
	return err == nil && bits&(1<<uint(c)) != 0
}

// lazyDump is a dump at work: the container frozen, its images (without
// pages) in dir, its page server reached through conn.
type lazyDump struct {
	dir    string
	lock   *os.File
	bridge *pageBridge
	// done receives the runtime's end: nil once every page was served.
	done chan error
	// frozen says snapshotFrozen paused a running container.
	frozen bool
}

// startLazyDump freezes the container, copies what a restore elsewhere
// needs, and starts the runtime's lazy dump, returning once its page
// server is ready and berth holds the connection to it.
func (m *Manager) startLazyDump(ctx context.Context, t target, name string) (*lazyDump, error) {
	root := m.checkpointRoot(t.Container)
	final, err := checkpointDir(root, name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", t.ID, err)
	}
	tmp, lock, err := stageCheckpoint(t.ID, root, final, stagingPrefix+name+"-")
	if err != nil {
		return nil, err
	}
	d := &lazyDump{dir: tmp, lock: lock, done: make(chan error, 1), frozen: t.Status == StatusRunning}
	fail := func(err error) (*lazyDump, error) {
		d.close()
		return nil, err
	}
	meta := Checkpoint{
		Name: name, Container: t.ID, Created: time.Now().UTC(), Valid: true,
		Options: CheckpointOptions{Portable: true}, LazyPages: true, Paused: t.Status == StatusPaused,
		CriuVersion: m.toolVersion(ctx, "criu"), RuntimeVersion: m.toolVersion(ctx, t.runtime),
	}
	work := filepath.Join(tmp, proto.CheckpointWork)
	if err := os.Mkdir(work, 0o700); err != nil {
		return fail(err)
	}
	if err := statefile.WriteJSON(filepath.Join(tmp, checkpointMeta), meta, 0o600); err != nil {
		return fail(err)
	}
	if err := m.snapshotFrozen(ctx, t, tmp); err != nil {
		return fail(fmt.Errorf("%s: %w", t.ID, err))
	}
	thaw := func(err error) (*lazyDump, error) {
		if d.frozen {
			t.run(context.WithoutCancel(ctx), "resume", t.ID)
		}
		return fail(err)
	}
	addr, err := freeLoopbackPort()
	if err != nil {
		return thaw(err)
	}
	ready, readyW, err := os.Pipe()
	if err != nil {
		return thaw(err)
	}
	defer ready.Close()
	stderr, err := os.OpenFile(filepath.Join(work, "runtime.log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND|unix.O_NOFOLLOW, 0o600)
	if err != nil {
		readyW.Close()
		return thaw(err)
	}
	defer stderr.Close()
	argv := append([]string{"--root", t.RuntimeRoot, "--log-format", "json"}, t.globals...)
	argv = append(argv, "checkpoint", "--image-path", tmp, "--work-path", work,
		"--lazy-pages", "--page-server", addr, "--status-fd", "4", t.ID)
	// Not bound to ctx: a dump killed mid-way leaves CRIU's tasks seized;
	// it is ended through the page stream (pageBridge.abandon).
	cmd := exec.CommandContext(context.WithoutCancel(ctx), t.runtime, argv...)
	proto.InOwnGroup(cmd)
	cmd.Stderr = stderr
	cmd.ExtraFiles = []*os.File{lock, readyW} // fds 3 (the staging lock) and 4
	err = cmd.Start()
	readyW.Close()
	if err != nil {
		return thaw(&RuntimeError{Runtime: runtimeName(t.runtime), Op: "checkpoint", Err: err})
	}
	go func() {
		err := cmd.Wait()
		if err != nil {
			err = &RuntimeError{Runtime: runtimeName(t.runtime), Op: "checkpoint", Msg: runtimeMessage(fileTail(stderr.Name(), maxRuntimeStderr)), Err: err}
		}
		d.done <- err
	}()
	// The status fd gets one byte once the page server listens; a dump
	// that fails first closes it with nothing.
	var b [1]byte
	if n, _ := ready.Read(b[:]); n != 1 {
		err := <-d.done
		d.done <- err
		tail := criuLogTail(filepath.Join(work, proto.DumpLog))
		d.abort(ctx, t)
		return nil, dumpError(t.ID, errors.Join(errors.New("the page server never became ready"), err), tail)
	}
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		// Nothing holds the server: the dump waits for a connection.
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		d.abort(ctx, t)
		return nil, idError(t.ID, ErrCheckpoint, "connecting to CRIU's page server: %v", err)
	}
	d.bridge = &pageBridge{conn: conn.(*net.TCPConn)}
	return d, nil
}

// abort ends a lazy dump before its pages all moved: CRIU is sent what
// it refuses, fails the dump and thaws the tasks; the container, paused
// for the snapshot, is resumed. It returns the runtime's end: nil if the
// daemon had every page already.
func (d *lazyDump) abort(ctx context.Context, t target) error {
	if d.bridge != nil {
		d.bridge.abandon()
	}
	err := <-d.done
	d.done <- err
	if err != nil && d.frozen {
		t.run(context.WithoutCancel(ctx), "resume", t.ID)
	}
	d.close()
	return err
}

// close lets go of the staging directory, which a lazy dump never commits.
func (d *lazyDump) close() {
	if d.bridge != nil {
		d.bridge.conn.Close()
	}
	d.lock.Close()
	removeUnmounted(d.dir)
}

// freeLoopbackPort returns a loopback address with a port free now.
func freeLoopbackPort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// migrateLazy is Migrate's post-copy path, from the remote's check on.
func (m *Manager) migrateLazy(ctx context.Context, t target, o MigrateOptions, mig *Migration) error {
	ref := t.Ref()
	if err := CheckLazyPages(); err != nil {
		return idError(ref, ErrInvalid, "%v (the container was not touched)", err)
	}
	out, err := RunRemote(ctx, o, nil, nil, "migrate-receive", "--check", "--lazy", t.ID)
	var check lazyCheck
	if err == nil {
		if err = json.Unmarshal(out, &check); err == nil && (!filepath.IsAbs(check.Dir) || strings.ContainsAny(check.Dir, ":\n")) {
			err = fmt.Errorf("it answered with an unusable directory %q", check.Dir)
		}
	}
	if err != nil {
		return idError(ref, ErrInvalid, "migrate to %s: the remote refuses: %v (the container was not touched)", o.Host, err)
	}
	local, err := os.MkdirTemp("", "berth-migrate-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(local)
	pages, err := net.Listen("unix", filepath.Join(local, lazySocket))
	if err != nil {
		return err
	}
	defer pages.Close()

	var memory int64
	if st, err := m.Stats(ctx, []string{ref}, false); err == nil && len(st) == 1 {
		memory = int64(st[0].MemoryUsage)
	}
	start := time.Now()
	name := migratePrefix + time.Now().UTC().Format("20060102-150405")
	d, err := m.startLazyDump(ctx, t, name)
	if err != nil {
		return err
	}
	mig.Checkpoint = name
	go d.bridge.serve(pages)

	estimate := diskUsage(d.dir) + memory
	pr, written := streamTree(d.dir, estimate, o.Progress)
	forward := []string{"-o", "ExitOnForwardFailure=yes", "-o", "StreamLocalBindUnlink=yes",
		"-R", filepath.Join(check.Dir, lazySocket) + ":" + filepath.Join(local, lazySocket)}
	cmd := remoteCmd(ctx, o, forward, "migrate-receive", "--lazy", "--into", check.Dir, t.ID, name)
	cmd.Stdin = pr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return d.failed(ctx, t, o, err)
	}
	stderr := &tailBuffer{max: maxRuntimeStderr}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		return d.failed(ctx, t, o, err)
	}
	// The remote's first line is the container, once it runs there.
	line, rerr := bufio.NewReaderSize(stdout, 64<<10).ReadBytes('\n')
	if rerr == nil {
		rerr = json.Unmarshal(line, &mig.Remote)
		if rerr == nil && mig.Remote.Status != StatusRunning {
			rerr = fmt.Errorf("the remote reports it %s", mig.Remote.Status)
		}
	}
	if rerr == nil {
		mig.DowntimeMs = float64(time.Since(start)) / float64(time.Millisecond)
	}
	pr.Close()
	mig.Bytes = <-written
	if o.Progress != nil && rerr == nil {
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			tick := time.NewTicker(100 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
					o.Progress(min(mig.Bytes+d.bridge.served.Load(), estimate), estimate)
				}
			}
		}()
	}
	io.Copy(io.Discard, stdout)
	werr := remoteError(cmd.Wait(), stderr)
	if rerr != nil || werr != nil {
		return d.failed(ctx, t, o, errors.Join(werr, rerr))
	}
	// The remote has every page: the runtime's dump ends with the tasks
	// killed here.
	if err := <-d.done; err != nil {
		d.close()
		return fmt.Errorf("%s: it runs on %s, but the dump here ended with an error: %w", ref, o.Host, err)
	}
	mig.PagesBytes = d.bridge.served.Load()
	d.close()
	if err := m.Delete(ctx, ref, true); err != nil {
		return fmt.Errorf("%s: it runs on %s, but removing it here failed: %w", ref, o.Host, err)
	}
	return nil
}

// failed ends a lazy migration that went wrong before every page moved:
// the dump is abandoned, so the container runs here again.
func (d *lazyDump) failed(ctx context.Context, t target, o MigrateOptions, cause error) error {
	if derr := d.abort(ctx, t); derr == nil {
		// The dump had served every page: the tasks here are gone.
		return idError(t.Ref(), ErrRuntime, "migrate to %s failed after every page had moved: %v; the container no longer runs here (its copy there may)", o.Host, cause)
	}
	return idError(t.Ref(), ErrRuntime, "migrate to %s failed: %v; it runs here again (the dump was abandoned and its tasks thawed)", o.Host, cause)
}

// pageBridge carries the page stream between CRIU's page server here and
// the remote's lazy-pages daemon (through ssh). What the daemon sends is a
// run of fixed-size requests, ending with a flush-and-close once it has
// every page. CRIU takes a connection that merely ends for a transfer that
// finished, and kills the tasks; so the bridge never passes on an end
// that came without that last request: it sends CRIU a request it
// refuses instead, which fails the dump and thaws the tasks here.
type pageBridge struct {
	conn   *net.TCPConn
	served atomic.Int64
	mu     sync.Mutex
	ended  bool // the daemon's close, or berth's refusal, went out
}

const (
	psRequestSize   = 24     // struct page_server_iov: cmd, nr_pages, vaddr, dst_id
	psFlushAndClose = 0x1024 // PS_IOV_FLUSH_N_CLOSE
	psRefused       = 0xfffe // no command of CRIU's
)

// serve accepts one connection on l (ssh's, forwarding the daemon) and
// carries the stream until either side ends.
func (b *pageBridge) serve(l net.Listener) {
	peer, err := l.Accept()
	l.Close()
	if err != nil {
		b.abandon()
		return
	}
	defer peer.Close()
	go func() {
		io.Copy(&countingWriter{w: peer, n: &b.served}, b.conn)
		if u, ok := peer.(*net.UnixConn); ok {
			u.CloseWrite()
		}
	}()
	var req [psRequestSize]byte
	for {
		if _, err := io.ReadFull(peer, req[:]); err != nil {
			b.abandon()
			return
		}
		b.mu.Lock()
		if b.ended {
			b.mu.Unlock()
			return
		}
		_, err := b.conn.Write(req[:])
		if binary.LittleEndian.Uint32(req[:4])&0xffff == psFlushAndClose {
			b.ended = true
			b.conn.CloseWrite()
		}
		b.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// abandon makes CRIU give the dump up unless the daemon already said it
// has every page.
func (b *pageBridge) abandon() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ended {
		return
	}
	b.ended = true
	var req [psRequestSize]byte
	binary.LittleEndian.PutUint32(req[:4], psRefused)
	b.conn.Write(req[:])
	b.conn.CloseWrite()
}

// countingWriter counts what passes through it. A write is counted as it
// is handed on and what did not pass is taken back after: whoever has
// received bytes through it finds them counted already (counting after
// the write left a reader woken by the bytes to find them missing, as
// the cgroup v2 guest's TestPageBridge did once).
type countingWriter struct {
	w io.Writer
	n *atomic.Int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n.Add(int64(len(p)))
	n, err := c.w.Write(p)
	c.n.Add(int64(n - len(p)))
	return n, err
}

// PrepareLazyReceive is the remote's check for a lazy migration of id: the
// id is free, CRIU can restore lazily here, and a private directory is
// made for the forwarded page stream and the checkpoint.
func (m *Manager) PrepareLazyReceive(ctx context.Context, id string) (string, error) {
	if _, err := m.ReceiveMigration(ctx, id, "", nil); err != nil {
		return "", err
	}
	criu, err := lazyCRIU(id)
	if err != nil {
		return "", err
	}
	if out, err := exec.CommandContext(ctx, criu, "check", "--feature", "uffd-noncoop").CombinedOutput(); err != nil {
		return "", idError(id, ErrInvalid, "post-copy needs userfaultfd here, and CRIU says it cannot: %s", strings.TrimSpace(string(out)))
	}
	dir, err := os.MkdirTemp(m.opts.StateDir, migrateDirPrefix)
	if err != nil {
		return "", err
	}
	return dir, nil
}

// migrateDirPrefix names the directories a receiving berth works in,
// under its state dir.
const migrateDirPrefix = ".migrate-"

// staleMigration is how long a receiving directory nobody holds may stay:
// one a check prepared for a migration that then failed on its own side,
// or one a receiver killed mid-way left.
const staleMigration = 10 * time.Minute

// sweepMigrations removes the receiving directories left behind: older
// than staleMigration and not locked by a receiver at work.
func (m *Manager) sweepMigrations() {
	dirs, _ := filepath.Glob(filepath.Join(m.opts.StateDir, migrateDirPrefix+"*"))
	for _, dir := range dirs {
		st, err := os.Lstat(dir)
		if err != nil || !st.IsDir() || time.Since(st.ModTime()) < staleMigration {
			continue
		}
		lock, err := statefile.LockDir(dir, 0)
		if err != nil {
			continue
		}
		removeUnmounted(dir)
		lock.Close()
	}
}

// lazyCRIU is the CRIU a post-copy receive of id runs its daemon with.
func lazyCRIU(id string) (string, error) {
	criu, err := exec.LookPath("criu")
	if err != nil {
		return "", idError(id, ErrInvalid, "post-copy needs CRIU here, and it is not installed")
	}
	return criu, nil
}

// ReceiveLazyMigration is the remote side of a lazy migration into dir
// (PrepareLazyReceive's): the checkpoint without its pages read from r,
// a lazy-pages daemon fed through dir's forwarded socket, and the restore;
// running is told the container once it runs. It returns once every page
// has arrived; if they do not, the container is removed here (its tasks
// run on where it came from).
func (m *Manager) ReceiveLazyMigration(ctx context.Context, dir, id, name string, r io.Reader, running func(Container)) error {
	if err := ValidateName(name); err != nil {
		return err
	}
	if rel, err := filepath.Rel(m.opts.StateDir, dir); err != nil || !strings.HasPrefix(rel, migrateDirPrefix) || strings.Contains(rel, string(filepath.Separator)) {
		return invalidf("migrate-receive: %q is not a directory this berth prepared", dir)
	}
	// Held while it works, so a sweep leaves it alone however long the
	// pages take.
	lock, err := statefile.LockDir(dir, 0)
	if err != nil {
		return idError(id, ErrInvalid, "migrate-receive: %v", err)
	}
	defer func() {
		removeUnmounted(dir)
		lock.Close()
	}()
	// The same check as the first, again: the id may have been taken
	// since.
	if _, err := m.ReceiveMigration(ctx, id, "", nil); err != nil {
		return err
	}
	cp := filepath.Join(dir, name)
	if err := readTree(r, cp, MaxImportBytes); err != nil {
		return idError(id, ErrInvalid, "receiving the checkpoint: %v", err)
	}
	meta, err := readCheckpoint(cp)
	if err != nil || !meta.Valid || !meta.Options.Portable || !meta.LazyPages {
		return idError(id, ErrInvalid, "what arrived is not a lazy checkpoint of berth's (%v)", err)
	}
	rt, err := m.runtimePath()
	if err != nil {
		return err
	}
	if err := m.requireCheckpoint(ctx, id, rt, "restore"); err != nil {
		return err
	}
	criu, err := lazyCRIU(id)
	if err != nil {
		return err
	}
	conn, err := net.Dial("unix", filepath.Join(dir, lazySocket))
	if err != nil {
		return idError(id, ErrRuntime, "reaching the page stream: %v", err)
	}
	defer conn.Close()
	sock, err := conn.(*net.UnixConn).File()
	if err != nil {
		return err
	}
	defer sock.Close()
	work := filepath.Join(dir, "restore-work")
	if err := os.Mkdir(work, 0o700); err != nil {
		return err
	}
	daemon := exec.CommandContext(context.WithoutCancel(ctx), criu, "lazy-pages", "--page-server", "--ps-socket", "3",
		"-D", cp, "-W", work, "-o", "lazy-pages.log", "-v4")
	proto.InOwnGroup(daemon)
	daemon.ExtraFiles = []*os.File{sock}
	if err := daemon.Start(); err != nil {
		return idError(id, ErrRuntime, "starting CRIU's lazy-pages daemon: %v", err)
	}
	sock.Close()
	exited := make(chan error, 1)
	go func() { exited <- daemon.Wait() }()
	daemonErr := func(err error) error {
		return fmt.Errorf("CRIU's lazy-pages daemon: %v%s", err, criuLogTail(filepath.Join(work, "lazy-pages.log")))
	}
	if !waitForFile(ctx, work, "lazy-pages.socket", 10*time.Second) {
		daemon.Process.Kill()
		return idError(id, ErrRuntime, "%v", daemonErr(errors.New("it never listened")))
	}
	rec, err := m.adoptRecord(ctx, cp, id, "migrated/"+name, true)
	if err != nil {
		daemon.Process.Kill()
		return err
	}
	c, err := m.restoreInto(ctx, rec, cp, meta, RestoreOptions{lazyWork: work}, id, true)
	if err != nil {
		daemon.Process.Kill()
		<-exited
		return err
	}
	running(c)
	select {
	case err = <-exited:
	case <-ctx.Done():
		daemon.Process.Kill()
		err = ctx.Err()
	}
	if err != nil {
		// Pages it will never get: its processes would wait forever.
		m.Delete(context.WithoutCancel(ctx), id, true)
		return idError(id, ErrRuntime, "%v; the copy here was removed", daemonErr(err))
	}
	return nil
}

// removeUnmounted removes one of berth's own directories, first
// detaching what a CRIU killed mid-restore left mounted there (its cgroup
// yard in the work dir): removing through that mount would empty other
// cgroups' or the root filesystem's files. A mount that will not go
// leaves the directory in place.
func removeUnmounted(dir string) error {
	procfs.UnmountUnder(dir)
	if left, err := procfs.MountsUnder(nil, dir); err != nil || len(left) > 0 {
		return fmt.Errorf("%s is left in place: %v is mounted under it (%v)", dir, left, err)
	}
	return os.RemoveAll(dir)
}
