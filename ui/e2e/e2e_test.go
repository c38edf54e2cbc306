// Package e2e_test drives the real berth binary in tmux over real
// containers: the list, the container view's tabs, pause, a checkpoint,
// an OOM toast, hostile container output, a dropped terminal, copy
// through OSC 52 and the mouse.
package e2e_test

import (
	"context"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"berth/core"
	"berth/core/coretest"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

var fixture *coretest.Fixture

func TestMain(m *testing.M) {
	os.Exit(coretest.Main(m, func(f *coretest.Fixture) { fixture = f }))
}

func berth(env *coretest.Env, args ...string) []string {
	return append([]string{fixture.Berth, "--state-dir", env.StateDir, "--cgroup-parent", env.CgroupParent, "--external-root", ""}, args...)
}

// The operator's tour over berth demo: the list shows the demo, Enter
// then the processes tab lists the real init, the stats tab draws a
// graph, p pauses, a checkpoint made in the checkpoints tab appears
// there, and the grower's OOM kill raises a toast.
func TestDemoTour(t *testing.T) {
	coretest.SkipWithoutCriu(t)
	env := coretest.NewEnv(t, fixture, nil)
	tm := startTerm(t, 160, 48, berth(env, "demo")...)
	tm.waitText(60*time.Second, "demo-cpu", "demo-mem", "demo-log", "demo-sleep")
	ctx := context.Background()
	cpu, err := env.M.Get(ctx, "demo-cpu")
	if err != nil {
		t.Fatal(err)
	}

	// The list is sorted by id: demo-cpu is first and selected.
	tm.keys("Enter")
	tm.waitText(10*time.Second, "1 overview", "args")
	tm.keys("2")
	s := tm.waitText(10*time.Second, "PID")
	pidRow := regexp.MustCompile(`(?m)^\s*>?\s*` + strconv.Itoa(cpu.Pid) + `\s+1\s`)
	s = tm.waitFor("demo-cpu's init in the processes tab", 10*time.Second, func(s string) bool { return pidRow.MatchString(s) })

	tm.keys("3")
	tm.waitFor("a cpu graph", 15*time.Second, func(s string) bool {
		return strings.Contains(s, "cpu ") && strings.Contains(s, "└") && strings.ContainsAny(s, "⠁⠂⠄⡀⠈⠐⠠⢀⣀⠉⠒⠤")
	})

	// A checkpoint from the checkpoints tab (leave-running, the default).
	tm.keys("5")
	tm.waitText(10*time.Second, "checkpoint")
	tm.keys("c")
	tm.waitText(5*time.Second, "leave running")
	tm.keys("Enter")
	s = tm.waitFor("the new checkpoint listed", 60*time.Second, func(s string) bool {
		return regexp.MustCompile(`cp-\d{8}-\d{6}`).MatchString(s) && strings.Contains(s, "✓")
	})
	cps, err := env.M.Checkpoints(ctx, "demo-cpu")
	if err != nil || len(cps) != 1 || !cps[0].Valid {
		t.Fatalf("checkpoints after the UI made one: %+v %v\n%s", cps, err, s)
	}

	// Back to the list; pause demo-sleep (fourth by id).
	tm.keys("Escape")
	tm.waitText(5*time.Second, "LAST MIN")
	tm.keys("Down", "Down", "Down", "p")
	tm.waitFor("demo-sleep paused in the list", 15*time.Second, func(s string) bool {
		return strings.Contains(line(s, "demo-sleep"), "paused")
	})
	if c, _ := env.M.Get(ctx, "demo-sleep"); c.Status != core.StatusPaused {
		t.Fatalf("demo-sleep is %s after p", c.Status)
	}

	// The grower's child is OOM-killed every few seconds.
	tm.waitText(40*time.Second, "demo-mem OOM-killed ×")

	tm.quit()
}

// Output built to attack a terminal, printed by a container and shown in
// the logs tab: none of it reaches the terminal raw, and the UI keeps
// answering keys after a 1 MB line.
func TestHostileOutput(t *testing.T) {
	env := coretest.NewEnv(t, fixture, nil)
	script, err := os.ReadFile("../../testdata/hostile/output.sh")
	if err != nil {
		t.Fatal(err)
	}
	env.Run("hostile", []string{"sh", "-c", string(script)}, nil)
	tm := startTerm(t, 120, 30, berth(env)...)
	tm.waitText(30*time.Second, "hostile")
	tm.keys("l")
	tm.waitText(20*time.Second, "after the long line")
	// Still answering: toggle timestamps and see it.
	tm.keys("t")
	tm.waitText(5*time.Second, "time on")
	tm.keys("/")
	tm.keys("MARKCLEAR", "Enter")
	tm.waitText(5*time.Second, `\x1b[2JMARKCLEAR`)

	out := tm.output()
	if !strings.Contains(string(out), "after the long line") {
		t.Fatalf("the terminal's output was not captured (%d bytes)", len(out))
	}
	for _, raw := range []string{"\x1b]52", "\x1b]8;", "\x1b[2JMARKCLEAR", "abc\rXYZFORGED", "\u009cMARKC1"} {
		if strings.Contains(string(out), raw) {
			t.Errorf("the terminal received %q raw", raw)
		}
	}
	for i := 0; i < len(out); {
		r, n := utf8.DecodeRune(out[i:])
		if r == utf8.RuneError && n == 1 {
			t.Fatalf("invalid UTF-8 reached the terminal at byte %d: %q", i, out[max(i-20, 0):min(i+20, len(out))])
		}
		if r >= 0x80 && r <= 0x9f {
			t.Fatalf("C1 control U+%04X reached the terminal at byte %d", r, i)
		}
		i += n
	}
	tm.quit()
}

// An ssh session that drops takes the terminal with it: berth must exit
// rather than live on. Killing the tmux server hangs up the pane's
// terminal.
func TestTerminalGone(t *testing.T) {
	env := coretest.NewEnv(t, fixture, nil)
	env.Run("quiet", []string{"sleep", "100000"}, nil)
	tm := startTerm(t, 100, 30, berth(env)...)
	tm.waitText(30*time.Second, "quiet")
	pid := tm.pid()
	tm.tmux("kill-server")
	if !gone(pid, 10*time.Second) {
		t.Fatal("berth lives on after its terminal went away")
	}
	// The container outlives the UI.
	if c, err := env.M.Get(context.Background(), "quiet"); err != nil || c.Status != core.StatusRunning {
		t.Fatalf("quiet after the UI died: %v %v", c.Status, err)
	}
}

// Keys that reach berth in one read (typed fast over ssh, or pasted) are
// each handled, in order: / opens the filter and the rest is its text, so
// the Enter after it applies the filter instead of opening a container.
func TestKeysInOneRead(t *testing.T) {
	env := coretest.NewEnv(t, fixture, nil)
	env.Run("alpha", []string{"sleep", "100000"}, nil)
	env.Run("quiet", []string{"sleep", "100000"}, nil)
	tm := startTerm(t, 120, 30, berth(env)...)
	tm.waitText(30*time.Second, "alpha", "quiet")
	tm.tmux("send-keys", "-l", "/qui")
	tm.keys("Enter")
	s := tm.waitText(5*time.Second, "filter /qui/ 1 shown")
	if strings.Contains(s, "1 overview") || strings.Contains(s, "alpha") {
		t.Fatalf("the keys read together were not all handled:\n%s", s)
	}
	tm.quit()
}

// A container with a memory limit only: the overview shows it as the
// cgroup has it, and the update form opens filled with it, the stats tab
// never opened.
func TestMemoryOnlyLimits(t *testing.T) {
	env := coretest.NewEnv(t, fixture, nil)
	env.Run("memonly", []string{"sleep", "100000"}, func(s *specs.Spec) {
		limit := int64(48 << 20)
		s.Linux.Resources.Memory = &specs.LinuxMemory{Limit: &limit}
	})
	tm := startTerm(t, 120, 40, berth(env)...)
	tm.waitText(30*time.Second, "memonly")
	tm.keys("Enter")
	s := tm.waitText(10*time.Second, "Limits now")
	if !strings.Contains(line(s, "  memory "), "48.0MiB") {
		t.Fatalf("the overview misses the memory limit:\n%s", s)
	}
	tm.keys("u")
	s = tm.waitText(10*time.Second, "Update limits of memonly")
	if !strings.Contains(line(s, "> memory"), "48m") || !strings.Contains(line(s, "cpus  "), "no limit now") {
		t.Fatalf("the form is not filled with the limits:\n%s", s)
	}
	tm.keys("Escape")
	tm.quit()
}

// In a real terminal (tmux, with set-clipboard on so that it takes OSC
// 52 itself): y puts the selected container's id on tmux's clipboard; a
// click, as the terminal reports it, selects a row; with --no-mouse the
// same report is dropped, never read as keys.
func TestCopyAndMouse(t *testing.T) {
	env := coretest.NewEnv(t, fixture, nil)
	env.Run("alpha", []string{"sleep", "100000"}, nil)
	env.Run("bravo", []string{"sleep", "100000"}, nil)
	tm := startTerm(t, 120, 30, berth(env)...)
	tm.tmux("set-option", "-s", "set-clipboard", "on")
	tm.waitText(30*time.Second, "alpha", "bravo")
	tm.keys("y")
	tm.waitText(5*time.Second, "copied alpha")
	tm.waitFor("alpha on tmux's clipboard", 5*time.Second, func(string) bool {
		out, _ := exec.Command("tmux", "-L", tm.socket, "show-buffer").Output()
		return string(out) == "alpha"
	})
	// An SGR press and release of the left button on the list's second
	// row (the title and the header come first; rows count from 1).
	click := "\x1b[<0;10;4M\x1b[<0;10;4m"
	tm.tmux("send-keys", "-l", click)
	tm.waitFor("bravo selected by the click", 5*time.Second, func(s string) bool {
		return regexp.MustCompile(`(?m)^>\s+bravo`).MatchString(s)
	})
	tm.quit()

	off := startTerm(t, 120, 30, berth(env, "--no-mouse")...)
	off.waitText(30*time.Second, "alpha", "bravo")
	off.tmux("send-keys", "-l", click)
	off.keys("j") // a key after it, to know the report was read
	s := off.screen()
	if !regexp.MustCompile(`(?m)^>\s+alpha`).MatchString(s) || strings.Contains(s, "[<0") {
		t.Fatalf("with --no-mouse, the click moved the list or showed as text:\n%s", s)
	}
	off.quit()
}
