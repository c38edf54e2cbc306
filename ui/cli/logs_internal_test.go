package cli

import (
	"strings"
	"testing"
	"time"

	"berth/core"
)

func TestMergeByTime(t *testing.T) {
	at := func(sec int) time.Time { return time.Date(2024, 1, 1, 0, 0, sec, 0, time.UTC) }
	line := func(label string, sec int) taggedLine {
		return taggedLine{LogLine: core.LogLine{Time: at(sec)}, label: label}
	}
	got := mergeByTime([][]taggedLine{
		{line("a", 1), line("a", 3), line("a", 3)},
		{line("b", 2), line("b", 3), line("b", 5)},
		nil,
	})
	var s []string
	for _, l := range got {
		s = append(s, l.label+l.Time.Format(":05"))
	}
	if g, want := strings.Join(s, " "), "a:01 b:02 a:03 a:03 b:03 b:05"; g != want {
		t.Errorf("merged %s, want %s", g, want)
	}
}
