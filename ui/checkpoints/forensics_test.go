package checkpoints_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"berth/core"
	"berth/ui/checkpoints"
	"berth/ui/uitest"
)

// TestInspectViews: the view keys go through the sub-views, each showing
// what the images decode to; the first decoded view decodes, once.
func TestInspectViews(t *testing.T) {
	f := uitest.New()
	_, m := open(t, f, "demo-cpu", 120, 30)
	press(m, "enter")
	for _, want := range []struct{ view, text string }{
		{"processes", "server --port 8080"},
		{"files", "/var/log/server.log"},
		{"sockets", "10.0.0.7:51122"},
		{"memory", "/usr/bin/server"},
		{"environment", "API_TOKEN=s3cr3t"},
		{"matches", "to search the processes' memory"},
		{"changes", "no older checkpoint of this container to compare with"},
		{"summary", "Dumping finished successfully"},
	} {
		press(m, "]")
		v := uitest.Strip(m.View())
		if !strings.Contains(v, "["+want.view+"]") || !strings.Contains(v, want.text) {
			t.Errorf("%s view lacks %q:\n%s", want.view, want.text, v)
		}
	}
	press(m, "[")
	if v := uitest.Strip(m.View()); !strings.Contains(v, "[changes]") {
		t.Errorf("V did not go back:\n%s", v)
	}
	press(m, "[", "[", "[", "[", "[", "[")
	if v := uitest.Strip(m.View()); !strings.Contains(v, "[processes]") || !strings.Contains(v, "Zombie") {
		t.Errorf("the zombie is not shown:\n%s", v)
	}
}

// TestChanges: the changes view compares the checkpoint with the valid
// one taken before it.
func TestChanges(t *testing.T) {
	f := uitest.New()
	richer(f)
	_, m := open(t, f, "demo-cpu", 160, 40)
	press(m, "enter", "[")
	v := uitest.Strip(m.View())
	for _, want := range []string{"[changes]", "changes since pre-2", "processes started: 1", "worker --queue jobs",
		"process 7 server: resident 20.0MiB → 52.0MiB (+32.0MiB)", "+ fd 5     socket:[52002]", "/usr/lib/libssl.so.3"} {
		if !strings.Contains(v, want) {
			t.Errorf("changes lack %q:\n%s", want, v)
		}
	}
}

// TestMemorySearch: / opens the prompt, which takes every key; enter
// searches and the matches show with their process and address; a bad
// regexp keeps the prompt open, saying why; esc closes it.
func TestMemorySearch(t *testing.T) {
	f := uitest.New()
	_, m := open(t, f, "demo-cpu", 120, 30)
	press(m, "enter", "/")
	if !m.Capturing() {
		t.Fatal("the search prompt did not open")
	}
	press(m, "(", "enter")
	if v := uitest.Strip(m.View()); !m.Capturing() || !strings.Contains(v, "bad regexp") {
		t.Fatalf("a bad regexp:\n%s", v)
	}
	press(m, "backspace")
	for _, r := range "Bearer" {
		press(m, string(r))
	}
	press(m, "enter")
	v := uitest.Strip(m.View())
	if m.Capturing() || !strings.Contains(v, "1 matches of /Bearer/") || !strings.Contains(v, "0xc000012340") ||
		!strings.Contains(v, `Authorization: [Bearer s3cr3t-42]\r\nHost`) {
		t.Fatalf("matches:\n%s", v)
	}
	press(m, "/")
	if !m.Back() || m.Capturing() || !m.Inspecting() {
		t.Error("esc did not close only the prompt")
	}
}

// TestStaleDecodeDropped: a decode for an inspect view since closed is
// not shown in the one opened after.
func TestStaleDecodeDropped(t *testing.T) {
	f := uitest.New()
	_, m := open(t, f, "demo-cpu", 80, 24)
	press(m, "enter")
	stale := uitest.Run(m.Update(keyMsg("]")))
	m.Back()
	press(m, "enter")
	for _, msg := range stale {
		if im, ok := msg.(checkpoints.InspectMsg); ok {
			im.Err = errors.New("STALE")
			m.Update(im)
		}
	}
	press(m, "]")
	if v := uitest.Strip(m.View()); strings.Contains(v, "STALE") || !strings.Contains(v, "server") {
		t.Errorf("a stale decode was shown:\n%s", v)
	}
}

func TestInspectErrors(t *testing.T) {
	f := uitest.New()
	f.Fail["InspectCheckpoint"] = errors.New("demo-cpu: checkpoint before-upgrade: corrupt checkpoint image: mm-1.img: truncated\nmore")
	_, m := open(t, f, "demo-cpu", 100, 24)
	press(m, "enter", "]")
	if v := uitest.Strip(m.View()); !strings.Contains(v, "✗ demo-cpu: checkpoint before-upgrade: corrupt checkpoint image: mm-1.img: truncated; more") {
		t.Errorf("the decode's error:\n%s", v)
	}
}

// TestInspectHostile: what the images hold reaches the views escaped.
func TestInspectHostile(t *testing.T) {
	f := uitest.New()
	in := uitest.FixtureInspection()
	p := &in.Processes[1]
	p.Command, p.Args, p.Env = hostile, []string{hostile}, []string{hostile}
	p.Files[1].Path, p.Sockets[0].Src, p.Mappings[0].Resource = hostile, hostile, hostile
	in.Matches[0].Match, in.Matches[0].Before, in.Matches[0].After = "Bearer"+hostile, hostile, hostile
	f.Inspections = map[string]core.CheckpointInspection{"demo-cpu/before-upgrade": in}
	_, m := open(t, f, "demo-cpu", 160, 48)
	press(m, "enter")
	check := func(v string) {
		t.Helper()
		for _, bad := range []string{"\x1b]", "\x1b[2J", "\r", "\x07", "\u009c", "\u009b"} {
			if strings.Contains(v, bad) {
				t.Errorf("%q reached the view:\n%q", bad, v)
			}
		}
	}
	for range 6 {
		press(m, "]")
		check(m.View())
	}
	press(m, "/")
	for _, r := range "Bearer" {
		press(m, string(r))
	}
	press(m, "enter")
	check(m.View())
	if !strings.Contains(m.View(), `\x1b]52`) {
		t.Errorf("the escaped sequence is not shown:\n%s", m.View())
	}
}

func TestInspectGoldens(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {160, 48}} {
		suffix := fmt.Sprintf("-%dx%d", size[0], size[1])
		f := uitest.New()
		_, m := open(t, f, "demo-cpu", size[0], size[1])
		press(m, "enter")
		for _, name := range []string{"processes", "files", "sockets", "memory", "environment"} {
			press(m, "]")
			uitest.Golden(t, "checkpoint-inspect-"+name+suffix, uitest.Strip(m.View()))
		}
		press(m, "/")
		for _, r := range "s3cr3t" {
			press(m, string(r))
		}
		press(m, "enter")
		uitest.Golden(t, "checkpoint-inspect-matches"+suffix, uitest.Strip(m.View()))
		richer(f)
		_, m = open(t, f, "demo-cpu", size[0], size[1])
		press(m, "enter", "[")
		uitest.Golden(t, "checkpoint-inspect-changes"+suffix, uitest.Strip(m.View()))
	}
}
