package core

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"berth/host/cgroupfs"
	"berth/host/procfs"
	"berth/host/statefile"
	"berth/shim/proto"

	"golang.org/x/sys/unix"
)

// launch starts a shim for one process of a managed container and waits for
// its readiness report. If the shim reports nothing in time it is killed
// with its runtime, and the runtime's state for the container removed.
func (m *Manager) launch(ctx context.Context, rec Record, proc string, cfg proto.Config) (proto.Ready, error) {
	p, err := m.spawnShim(rec.ID, proc)
	if err != nil {
		return proto.Ready{}, err
	}
	return m.launchSpawned(ctx, p, rec, proc, cfg)
}

// shimProc is a shim started ahead of its configuration: it boots (the
// process, the Go runtime, the binary's init) while core writes the
// container's state, and waits on its go pipe before it touches anything.
// A shim whose go pipe closes without a byte exits at once, having created
// nothing, so a berth killed before it said go leaves no shim behind.
type shimProc struct {
	pid int
	// pidfd signals the shim safely even once reaped (-1: the kernel
	// gave none, and the pid is signalled only before the reap).
	pidfd int
	ready *os.File // read end of the readiness pipe
	goW   *os.File // write end of the go pipe
	// told: go was sent; the shim now reports and cleans up itself.
	told bool
	// exited is closed once the shim is reaped.
	exited chan struct{}
}

// spawnShim starts the shim for a process dir that need not exist yet.
// It forks the shim with syscall.ForkExec, not os/exec: a process's first
// os/exec start forks a throwaway child to probe pidfd support and opens
// /dev/null once per descriptor, all of it on every container start's
// path.
func (m *Manager) spawnShim(id, proc string) (*shimProc, error) {
	// The runtime the shim runs moves a process into the container's
	// cgroups: the kernel's wait before that move starts here instead.
	go cgroupfs.PrimeAttach()
	bin, err := exec.LookPath(m.opts.ShimBinary)
	if err != nil {
		return nil, fmt.Errorf("%s: start shim: %w", id, err)
	}
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", id, err)
	}
	defer null.Close()
	readyR, readyW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", id, err)
	}
	goR, goW, err := os.Pipe()
	if err != nil {
		readyR.Close()
		readyW.Close()
		return nil, fmt.Errorf("%s: %w", id, err)
	}
	pidfd := -1
	attr := &syscall.ProcAttr{
		// The process dir may not exist yet: the shim moves into it
		// once told to go.
		Dir: m.opts.StateDir,
		// One P from the first instruction: a Go process starts with a
		// P per CPU, and the runtime's init wakes a thread for each that
		// never exits. The shim takes it out of the runtime's
		// environment again.
		Env:   append(os.Environ(), proto.ShimEnv),
		Files: []uintptr{null.Fd(), null.Fd(), null.Fd(), readyW.Fd(), goR.Fd()}, // proto.ReadyFd, proto.GoFd
		// A session of its own: the shim must not die with the terminal
		// or process group of whoever started it.
		Sys: &syscall.SysProcAttr{Setsid: true, PidFD: &pidfd},
	}
	pid, err := syscall.ForkExec(bin, []string{bin, "shim", m.procDir(id, proc)}, attr)
	readyW.Close()
	goR.Close()
	if err != nil {
		readyR.Close()
		goW.Close()
		return nil, fmt.Errorf("%s: start shim: %w", id, err)
	}
	// Reap the shim if it exits while this process still lives (the UI);
	// a CLI exits first and the shim is re-parented.
	p := &shimProc{pid: pid, pidfd: pidfd, ready: readyR, goW: goW, exited: make(chan struct{})}
	go p.reap()
	return p, nil
}

// reap waits for the shim's exit (a thread, as os/exec's Wait would).
func (p *shimProc) reap() {
	var ws unix.WaitStatus
	for {
		if _, err := unix.Wait4(p.pid, &ws, 0, nil); !errors.Is(err, unix.EINTR) {
			break
		}
	}
	close(p.exited)
}

// kill sends the shim SIGKILL: through its pidfd, which cannot name
// another process, or by pid while it is not reaped yet.
func (p *shimProc) kill() {
	if p.pidfd >= 0 {
		unix.PidfdSendSignal(p.pidfd, unix.SIGKILL, nil, 0)
		return
	}
	select {
	case <-p.exited:
	default:
		unix.Kill(p.pid, unix.SIGKILL)
	}
}

// abandon closes the shim's pipes. A shim that was never told to go exits
// on that, having touched nothing, and is waited for: a start that fails
// early leaves no process either.
func (p *shimProc) abandon() {
	p.goW.Close()
	if p.ready != nil {
		p.ready.Close()
	}
	defer func() {
		if p.pidfd >= 0 {
			unix.Close(p.pidfd)
		}
	}()
	if !p.told {
		select {
		case <-p.exited:
		case <-time.After(5 * time.Second):
		}
	}
}

// launchSpawned writes a spawned shim's configuration, tells it to go and
// waits for its readiness report, as launch.
func (m *Manager) launchSpawned(ctx context.Context, p *shimProc, rec Record, proc string, cfg proto.Config) (proto.Ready, error) {
	defer p.abandon()
	dir := m.procDir(rec.ID, proc)
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return proto.Ready{}, fmt.Errorf("%s: %w", rec.ID, err)
	}
	cfg.ID = rec.ID
	cfg.Runtime = rec.Runtime
	cfg.RuntimeRoot = rec.RuntimeRoot
	cfg.RuntimeArgs = rec.RuntimeArgs
	cfg.StartTimeout = m.opts.StartTimeout
	cfg.LogMaxBytes = m.opts.LogMaxBytes
	cfg.Path = os.Getenv("PATH")
	b, err := json.Marshal(cfg)
	if err != nil {
		return proto.Ready{}, fmt.Errorf("%s: %w", rec.ID, err)
	}
	if len(b) > proto.MaxConfig {
		return proto.Ready{}, idError(rec.ID, ErrInvalid, "the shim's configuration is %d bytes, more than %d", len(b), proto.MaxConfig)
	}
	r := p.ready
	// The configuration is the go: the shim keeps it as FileConfig. A
	// shim that died already fails the write; its silence is reported
	// below like any other.
	p.told = true
	p.goW.Write(b)
	p.goW.Close()

	// The shim enforces the start timeout itself; this deadline only
	// catches a shim that is itself stuck.
	r.SetReadDeadline(time.Now().Add(m.launchWait()))
	// A caller that gives up (SIGTERM to the CLI) stops the wait now, and
	// what was started is removed below.
	stop := context.AfterFunc(ctx, func() { r.SetReadDeadline(time.Now()) })
	defer stop()
	// One line: a shim that started its process keeps the pipe open
	// behind its report until core closes it (the shim's reportStarted).
	// End of file before a newline is no error here: what came, if
	// anything, is the report.
	line, rerr := bufio.NewReaderSize(r, 64<<10).ReadSlice('\n')
	if errors.Is(rerr, io.EOF) {
		rerr = nil
	}
	// A shim that started its process waits for this close before its
	// own clean-up, leaving the CPU to this process.
	p.ready = nil
	m.handOff(r)
	var ready proto.Ready
	if len(line) > 0 {
		if err := json.Unmarshal(line, &ready); err != nil {
			ready.Error = "shim: malformed readiness report"
		}
	} else if rerr != nil && ctx.Err() != nil {
		ready.Error = "start abandoned: " + ctx.Err().Error()
	} else if rerr != nil {
		ready.Error = fmt.Sprintf("shim did not report within %v", m.launchWait())
	} else {
		ready.Error = "shim exited without reporting: " + lastShimError(filepath.Join(dir, proto.FileShimLog))
	}
	if ready.Error == "" && ready.Pid > 0 {
		return ready, nil
	}
	// Failure: make sure neither the shim nor the runtime lingers. The
	// shim leads a session of its own, which holds the runtime and its
	// hooks too (in their own process group).
	killSession(p)
	// A failed start leaves no process: the shim closes the readiness pipe
	// before it exits, so it may still be dying.
	select {
	case <-p.exited:
	case <-time.After(5 * time.Second):
	}
	if proc == proto.ProcInit {
		runRuntime(context.Background(), rec.Runtime, rec.RuntimeRoot, rec.RuntimeArgs, "delete", "--force", rec.ID)
		// A runtime killed before it recorded the container leaves a
		// cgroup its delete does not know: berth's own is removed (never
		// one the user's bundle named).
		cgroupfs.RemoveCgroup(cfg.OwnCgroup)
	}
	return proto.Ready{}, idError(rec.ID, ErrRuntime, "%s", ready.Error)
}

// handOff lets a shim go on with its own work by closing the launcher's
// end of its readiness pipe: now, or with this process's exit under
// HandOffAtExit.
func (m *Manager) handOff(ready *os.File) {
	if !m.opts.HandOffAtExit {
		ready.Close()
		return
	}
	m.handOffs.Lock()
	m.handOffs.files = append(m.handOffs.files, ready)
	m.handOffs.Unlock()
}

// launchWait is the longest a start takes before berth gives up on its
// shim: the runtime's start timeout, which the shim enforces, and some
// room for the shim itself. A container younger than that with no record
// or shim yet is still being started.
func (m *Manager) launchWait() time.Duration { return m.opts.StartTimeout + 10*time.Second }

// killSession kills a shim that leads its own session and every process
// left in that session. The session id cannot name another session while
// any member lives, so a pid reused since is never hit; the shim itself is
// signalled through its pidfd. A process forked while the kill landed
// (the runtime, a hook) may miss one scan of /proc, so the session is
// scanned again until one finds nobody alive, for at most a second.
func killSession(p *shimProc) {
	p.kill()
	for deadline := time.Now().Add(time.Second); killMembers(p.pid) > 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
}

// killMembers sends SIGKILL to every live process of session sid but its
// leader, and returns how many it found.
func killMembers(sid int) int {
	n := 0
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == sid {
			continue
		}
		if st, err := procfs.ReadStat(pid); err == nil && st.Session == sid && st.State != 'Z' && st.State != 'X' {
			unix.Kill(pid, unix.SIGKILL)
			n++
		}
	}
	return n
}

// lastShimError returns the last error a shim logged.
func lastShimError(path string) string {
	b, err := statefile.Read(path)
	if errors.Is(err, os.ErrNotExist) {
		// The shim creates its log with its first line.
		return "it logged nothing"
	}
	if err != nil {
		return "no shim log"
	}
	if msg, _ := proto.LastLogError(b); msg != "" {
		return msg
	}
	return "no error logged"
}
