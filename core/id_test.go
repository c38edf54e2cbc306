package core

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateID(t *testing.T) {
	tests := []struct {
		name    string
		id      string
		wantErr bool
	}{
		{"single letter", "a", false},
		{"single digit", "7", false},
		{"max length", strings.Repeat("a", MaxIDLen), false},
		{"76 mixed", "A" + strings.Repeat("b_.-9", 15), false},
		{"underscore dot dash inside", "web_1.prod-2", false},
		{"trailing dot", "a.", false},
		{"dots after first", "a..", false},
		{"reserved prefix only as substring", "my-events.jsonl", false},

		{"empty", "", true},
		{"dot", ".", true},
		{"dotdot", "..", true},
		{"slash", "a/b", true},
		{"parent traversal", "../x", true},
		{"leading dash", "-a", true},
		{"leading underscore", "_a", true},
		{"leading dot", ".a", true},
		{"too long", strings.Repeat("a", MaxIDLen+1), true},
		{"escape byte", "a\x1b[2J", true},
		{"escape byte first", "\x1b", true},
		{"newline", "a\nb", true},
		{"newline only", "\n", true},
		{"NUL", "a\x00", true},
		{"DEL", "a\x7f", true},
		{"non-ASCII", "é", true},
		{"non-ASCII inside", "caf\u00e9", true},
		{"C1 control", "a\u009c", true},
		{"invalid UTF-8", "a\xff", true},
		{"space", "a b", true},
		{"leading space", " a", true},
		{"colon", "a:b", true},
		{"reserved external", "external", true},
		{"reserved events.jsonl", "events.jsonl", true},
		{"reserved rotated events.jsonl", "events.jsonl.1", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateID(tt.id)
			if !tt.wantErr {
				if err != nil {
					t.Fatalf("ValidateID(%q) = %v, want nil", tt.id, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("ValidateID(%q) = nil, want an error", tt.id)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("ValidateID(%q) = %v, does not match ErrInvalid", tt.id, err)
			}
			assertNoRawControls(t, err.Error())
		})
	}
}

func TestValidateName(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr bool
	}{
		{"single char", "c", false},
		{"max length", strings.Repeat("9", MaxIDLen), false},
		{"with separators", "cp_1.before-upgrade", false},
		// Reserved container names are fine as checkpoint names.
		{"external is fine", "external", false},
		{"events.jsonl is fine", "events.jsonl", false},

		{"empty", "", true},
		{"dot", ".", true},
		{"dotdot", "..", true},
		{"slash", "a/b", true},
		{"parent traversal", "../x", true},
		{"leading dash", "-a", true},
		{"leading underscore", "_a", true},
		{"leading dot", ".a", true},
		{"too long", strings.Repeat("a", MaxIDLen+1), true},
		{"too long with controls", strings.Repeat("\x1b", MaxIDLen+1), true},
		{"escape", "\x1b", true},
		{"newline", "\n", true},
		{"non-ASCII", "é", true},
		{"space", "a b", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateName(tt.in)
			if !tt.wantErr {
				if err != nil {
					t.Fatalf("ValidateName(%q) = %v, want nil", tt.in, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("ValidateName(%q) = nil, want an error", tt.in)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("ValidateName(%q) = %v, does not match ErrInvalid", tt.in, err)
			}
			assertNoRawControls(t, err.Error())
		})
	}
}

// TestValidateIDMessages checks that error messages say what is wrong and
// quote the input escaped.
func TestValidateIDMessages(t *testing.T) {
	tests := []struct {
		id   string
		want []string
	}{
		{"", []string{"empty"}},
		{strings.Repeat("a", 77), []string{"77 characters", "76"}},
		{"a\x1bb", []string{`"a\x1bb"`, `'\x1b'`, "at 1"}},
		{"a\nb", []string{`"a\nb"`, "at 1"}},
		{"-a", []string{`'-'`, "at 0"}},
		{"external", []string{"reserved"}},
		{"events.jsonl", []string{"reserved"}},
	}
	for _, tt := range tests {
		err := ValidateID(tt.id)
		if err == nil {
			t.Errorf("ValidateID(%q) = nil, want an error", tt.id)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("ValidateID(%q) = %q, want it to contain %q", tt.id, err, w)
			}
		}
	}
}

// assertNoRawControls fails when s holds a C0 control byte, DEL, or a C1
// control rune: errors quote their input with %q.
func assertNoRawControls(t *testing.T, s string) {
	t.Helper()
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			t.Errorf("error %q holds raw control byte %#x at %d", s, c, i)
		}
	}
	for _, r := range s {
		if r >= 0x80 && r < 0xa0 {
			t.Errorf("error %q holds raw C1 control %U", s, r)
		}
	}
}
