package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"berth/ui/common"
	"berth/ui/uitest"
)

// An error too long for the footer is kept whole in the message log,
// which the messages key opens as an overlay that wraps it; the log keeps
// the newest maxMessages, each with its time.
func TestMessageLog(t *testing.T) {
	m, _ := app(t, 80, 24, "dark", false)
	long := "checkpoint demo-cpu: criu dump failed: " + strings.Repeat("a step of the dump went wrong, ", 8) + "TAIL-END"
	m.Update(common.StatusMsg{Text: long, Level: common.LevelError})
	if v := uitest.Strip(m.View()); strings.Contains(v, "TAIL-END") || !strings.Contains(v, "(m: whole)") {
		t.Fatalf("the footer had room for it all, or does not say where to read it whole:\n%s", v)
	}
	press(m, m.c.Keys.Messages.Keys()[0])
	v := uitest.Strip(m.View())
	if m.modal == nil || !strings.Contains(v, "TAIL-END") || !strings.Contains(v, "criu dump failed") ||
		!strings.Contains(v, uitest.Epoch.Local().Format("15:04:05")) {
		t.Fatalf("the log does not show the error whole, with its time:\n%s", v)
	}
	for _, l := range strings.Split(v, "\n") {
		if n := len([]rune(l)); n > 80 {
			t.Fatalf("a line of %d cells: not wrapped", n)
		}
	}
	press(m, "esc")
	if m.modal != nil {
		t.Fatal("esc left the log open")
	}
	for i := range maxMessages + 50 {
		m.Update(common.StatusMsg{Text: fmt.Sprintf("notice %d", i)})
	}
	if n := len(m.messages.entries); n != maxMessages {
		t.Fatalf("the log keeps %d messages, want %d", n, maxMessages)
	}
	if got := m.messages.entries[0].text; got != "notice 50" {
		t.Fatalf("oldest kept %q, want notice 50", got)
	}
}

// The log scrolls, opening on the newest; it shows what comes while open.
func TestMessageLogScrolls(t *testing.T) {
	m, _ := app(t, 40, 12, "dark", false)
	for i := range 30 {
		m.Update(common.StatusMsg{Text: fmt.Sprintf("notice %d", i)})
	}
	press(m, m.c.Keys.Messages.Keys()[0])
	if v := uitest.Strip(m.View()); !strings.Contains(v, "notice 29") || strings.Contains(v, "notice 0 ") {
		t.Fatalf("the log does not open on the newest:\n%s", v)
	}
	press(m, "home")
	if v := uitest.Strip(m.View()); !strings.Contains(v, "notice 0") || m.modal == nil {
		t.Fatalf("home did not scroll to the oldest:\n%s", v)
	}
	m.opts.Now = func() time.Time { return uitest.Epoch.Add(time.Minute) }
	press(m, "end")
	m.Update(common.StatusMsg{Text: "late news", Level: common.LevelWarning})
	if v := uitest.Strip(m.View()); !strings.Contains(v, "late news") {
		t.Fatalf("a message that came while open is not shown:\n%s", v)
	}
}

// The messages key is remapped like any other: the log opens on the new
// key, and the old one is free.
func TestMessagesKeyRemaps(t *testing.T) {
	m, _ := app(t, 80, 24, "dark", false)
	if err := m.c.Keys.Apply(map[string][]string{"messages": {"M"}}); err != nil {
		t.Fatal(err)
	}
	press(m, "m")
	if _, ok := m.modal.(*messagesModal); ok {
		t.Fatal("the old key still opens the log")
	}
	press(m, "esc", "M")
	if _, ok := m.modal.(*messagesModal); !ok {
		t.Fatal("the new key does not open the log")
	}
}
