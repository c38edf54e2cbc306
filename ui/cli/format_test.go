package cli

import (
	"strings"
	"testing"

	"berth/core"
)

func TestOneLine(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a\nb", "a; b"},
		{"  runc: exit status 1\n", "runc: exit status 1"},
		{"a\tb", "a b"},
		{"\x1b[2Jgone", `\x1b[2Jgone`},
		{"x\ry", `x\x0dy`},
		{"bad \xff byte", `bad \xff byte`},
		{"c1 \u009b", `c1 \u009b`},
		{"héllo 世界", "héllo 世界"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := OneLine(tt.in); got != tt.want {
			t.Errorf("OneLine(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// The stats table shows the working set against the limit, the cache in
// a column of its own, and "host" for the network of a container on the
// host's network.
func TestPrintStats(t *testing.T) {
	var out strings.Builder
	g := &globals{stdout: &out}
	rows := []statsRow{
		{Stats: core.Stats{ID: "web", MemoryUsage: 6 << 20, MemoryCache: 97 << 20, MemoryLimit: 64 << 20, PidsCurrent: 3,
			NetRx: 3 << 10, NetTx: 1 << 10}},
		{Stats: core.Stats{ID: "hostnet", MemoryUsage: 1 << 20, PidsCurrent: 1, NetHost: true}},
	}
	if err := printStats(g, rows, false); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	if len(lines) != 3 || !strings.Contains(lines[0], "MEM%  CACHE") {
		t.Fatalf("stats table:\n%s", out.String())
	}
	for i, want := range [][]string{
		{"web", "6.0MiB / 64.0MiB", "9.4", "97.0MiB", "3.0KiB / 1.0KiB"},
		{"hostnet", "1.0MiB / -", "0B", "host"},
	} {
		for _, w := range want {
			if !strings.Contains(lines[i+1], w) {
				t.Errorf("row %q lacks %q", lines[i+1], w)
			}
		}
	}
	if !strings.HasSuffix(strings.TrimSpace(lines[2]), "  host") {
		t.Errorf("hostnet's network is not \"host\": %q", lines[2])
	}
}
