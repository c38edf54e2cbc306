package cli

import "testing"

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
