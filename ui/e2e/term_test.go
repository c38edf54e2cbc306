package e2e_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"berth/core/coretest"
)

// term is the real berth binary running in a tmux pane of its own tmux
// server (its own socket), driven with send-keys and read with
// capture-pane, the way an operator's terminal would.
type term struct {
	t      testing.TB
	socket string
	// raw receives every byte berth writes to the terminal (pipe-pane).
	raw string
}

// startTerm runs argv in a w x h tmux pane; the server is killed when
// the test ends.
func startTerm(t testing.TB, w, h int, argv ...string) *term {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		if coretest.Required() {
			t.Fatal("BERTH_REQUIRE_INTEGRATION is set but tmux is missing (make deps)")
		}
		t.Skip("end-to-end tests need tmux (make deps)")
	}
	tm := &term{t: t, socket: "berth-e2e-" + coretest.RandomID(), raw: t.TempDir() + "/raw"}
	quoted := make([]string, len(argv))
	for i, a := range argv {
		quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	tm.tmux("-f", "/dev/null", "new-session", "-d", "-x", strconv.Itoa(w), "-y", strconv.Itoa(h),
		"-e", "TERM=xterm-256color", "-e", "COLORTERM=truecolor", strings.Join(quoted, " "))
	tm.tmux("set-option", "-g", "remain-on-exit", "on")
	tm.tmux("pipe-pane", "-o", "cat >> "+tm.raw)
	t.Cleanup(func() {
		exec.Command("tmux", "-L", tm.socket, "kill-server").Run()
		os.Remove(tm.socketPath())
	})
	return tm
}

// socketPath is where tmux keeps this server's socket: the server
// leaves it behind when killed.
func (tm *term) socketPath() string {
	dir := os.Getenv("TMUX_TMPDIR")
	if dir == "" {
		dir = "/tmp"
	}
	return filepath.Join(dir, fmt.Sprintf("tmux-%d", os.Getuid()), tm.socket)
}

func (tm *term) tmux(args ...string) string {
	tm.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", tm.socket}, args...)...).CombinedOutput()
	if err != nil {
		tm.t.Fatalf("tmux %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// screen is what the pane shows now.
func (tm *term) screen() string { return tm.tmux("capture-pane", "-p") }

// keys sends tmux key names (Enter, Escape, Down, Space) or literal text.
func (tm *term) keys(keys ...string) {
	for _, k := range keys {
		tm.tmux("send-keys", k)
		time.Sleep(150 * time.Millisecond)
	}
}

// waitFor waits until cond holds for the screen, failing with the screen
// after d.
func (tm *term) waitFor(what string, d time.Duration, cond func(string) bool) string {
	tm.t.Helper()
	deadline := time.Now().Add(d)
	for {
		s := tm.screen()
		if cond(s) {
			return s
		}
		if time.Now().After(deadline) {
			tm.t.Fatalf("waited %s for %s; the screen:\n%s", d, what, s)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (tm *term) waitText(d time.Duration, texts ...string) string {
	tm.t.Helper()
	return tm.waitFor(fmt.Sprintf("%q", texts), d, func(s string) bool {
		for _, x := range texts {
			if !strings.Contains(s, x) {
				return false
			}
		}
		return true
	})
}

// pid is the pane's process: berth itself.
func (tm *term) pid() int {
	n, err := strconv.Atoi(strings.TrimSpace(tm.tmux("display-message", "-p", "#{pane_pid}")))
	if err != nil {
		tm.t.Fatal(err)
	}
	return n
}

// quit presses q and waits for berth to exit.
func (tm *term) quit() {
	tm.t.Helper()
	pid := tm.pid()
	tm.keys("q")
	if !gone(pid, 10*time.Second) {
		tm.t.Fatal("berth did not quit on q")
	}
}

// output is everything berth has written to the terminal so far.
func (tm *term) output() []byte {
	b, _ := os.ReadFile(tm.raw)
	return b
}

// line returns the screen's line containing s.
func line(screen, s string) string {
	for _, l := range strings.Split(screen, "\n") {
		if strings.Contains(l, s) {
			return l
		}
	}
	return ""
}

func gone(pid int, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); err != nil {
			return true
		}
		// A zombie (reaped by tmux later) has exited too.
		if b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); err == nil && strings.Contains(string(b), ") Z ") {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}
