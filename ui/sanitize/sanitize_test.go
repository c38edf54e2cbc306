package sanitize

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// hostile is text a container could print to take over a terminal.
var hostile = []struct {
	name string
	in   string
}{
	{"OSC 52 clipboard write", "\x1b]52;c;aGVsbG8=\x07"},
	{"OSC 8 hyperlink", "\x1b]8;;http://evil\x1b\\text\x1b]8;;\x1b\\"},
	{"CSI clear screen", "\x1b[2J"},
	{"CSI cursor home and forged row", "\x1b[H\x1b[1;1Hroot  1  running"},
	{"SGR colour", "\x1b[31mred\x1b[0m"},
	{"carriage return", "\r"},
	{"overwrite with carriage return", "safe\revil"},
	{"lone 0x9C byte", "\x9c"},
	{"C1 ST as UTF-8", "\u009c"},
	{"C1 CSI as UTF-8", "\u009b2J"},
	{"C1 OSC as UTF-8", "\u009d52;c;aGVsbG8=\u009c"},
	{"all C1 as UTF-8", c1Runes()},
	{"invalid UTF-8", "\xff\xfe"},
	{"truncated UTF-8", "\xe4\xb8"},
	{"overlong encoding", "\xc0\xaf"},
	{"UTF-16 surrogate", "\xed\xa0\x80"},
	{"NUL", "\x00"},
	{"DEL", "\x7f"},
	{"bell", "\x07"},
	{"backspace", "abc\b\b\bxyz"},
	{"newline", "a\nb"},
	{"vertical tab and form feed", "\v\f"},
	{"all C0", c0Bytes()},
	{"every byte", everyByte()},
	{"mixed", "héllo\x1b[2J 世界\r\x00\xff\u009c\x7f"},
	{"bidi override", "id\u202egnp.exe"},
	{"bidi isolates", "a\u2066b\u2069c\u200f"},
}

func c0Bytes() string {
	var b strings.Builder
	for c := 0; c < 0x20; c++ {
		b.WriteByte(byte(c))
	}
	return b.String()
}

func c1Runes() string {
	var b strings.Builder
	for r := rune(0x80); r < 0xa0; r++ {
		b.WriteRune(r)
	}
	return b.String()
}

func everyByte() string {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	return string(b)
}

// assertSafe fails when s holds anything a terminal would act on.
func assertSafe(t testing.TB, in, s string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Errorf("output for %q is not valid UTF-8: %q", in, s)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\t' || c == 0x7f {
			t.Errorf("output for %q holds byte %#x at %d: %q", in, c, i, s)
		}
	}
	for _, r := range s {
		if r >= 0x80 && r < 0xa0 || bidi(r) {
			t.Errorf("output for %q holds control %U: %q", in, r, s)
		}
	}
}

func TestLineHostile(t *testing.T) {
	for _, tt := range hostile {
		t.Run(tt.name, func(t *testing.T) {
			out := Line(tt.in)
			assertSafe(t, tt.in, out)
			if out == tt.in {
				t.Errorf("Line(%q) returned its input unchanged", tt.in)
			}
		})
	}
}

func TestOneLineHostile(t *testing.T) {
	for _, tt := range hostile {
		t.Run(tt.name, func(t *testing.T) {
			out := OneLine(tt.in)
			assertSafe(t, tt.in, out)
			if strings.Contains(out, "\t") {
				t.Errorf("OneLine(%q) = %q holds a tab", tt.in, out)
			}
		})
	}
}

func TestLineExact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"\x1b[2J", `\x1b[2J`},
		{"\x1b]52;c;aGVsbG8=\x07", `\x1b]52;c;aGVsbG8=\x07`},
		{"\x1b]8;;http://evil\x1b\\text\x1b]8;;\x1b\\", `\x1b]8;;http://evil\x1b\text\x1b]8;;\x1b\`},
		{"\r", `\x0d`},
		{"a\nb", `a\x0ab`},
		{"\x9c", `\x9c`},
		{"\u009c", `\u009c`},
		{"\u0080\u009f", `\u0080\u009f`},
		{"\xff\xfe", `\xff\xfe`},
		{"\x00", `\x00`},
		{"\x7f", `\x7f`},
		{"a\tb", "a\tb"},
		{"\t\x1b\t", "\t\\x1b\t"},
		{"é\xe9", `é\xe9`},
		{"\xe4\xb8", `\xe4\xb8`},
	}
	for _, tt := range tests {
		if got := Line(tt.in); got != tt.want {
			t.Errorf("Line(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPassThrough(t *testing.T) {
	tests := []string{
		"",
		"hello world",
		"plain ASCII with punctuation: !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
		"tab\tseparated\tcolumns",
		"héllo 世界",
		"Ünïcödé ñ ß ø æ",
		"日本語テキスト",
		"emoji 🚀🐳",
		"non-breaking\u00a0space",
		"\u00a0\u00ff\u0100",
		"combining e\u0301",
		"replacement char as text \ufffd",
		"right-to-left שלום مرحبا",
	}
	for _, in := range tests {
		if got := Line(in); got != in {
			t.Errorf("Line(%q) = %q, want it unchanged", in, got)
		}
		if in == strings.TrimSpace(in) && !strings.Contains(in, "\t") {
			if got := OneLine(in); got != in {
				t.Errorf("OneLine(%q) = %q, want it unchanged", in, got)
			}
		}
	}
}

func TestOneLine(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a\nb", "a; b"},
		{"  a\nb  ", "a; b"},
		{"\n\nmessage\n", "message"},
		{"a\n\nb", "a; ; b"},
		{"a\tb", "a b"},
		{"\ta\t", "a"},
		{"a\r\nb", `a\x0d; b`},
		{"exit status 1\n\x1b[2J", `exit status 1; \x1b[2J`},
		{"héllo\n世界", "héllo; 世界"},
		{"", ""},
		{" \n\t ", ""},
		{"plain", "plain"},
	}
	for _, tt := range tests {
		if got := OneLine(tt.in); got != tt.want {
			t.Errorf("OneLine(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestEverySingleRune checks every byte and every rune of the first planes,
// alone and between letters.
func TestEverySingleRune(t *testing.T) {
	for c := 0; c < 256; c++ {
		s := string([]byte{'a', byte(c), 'b'})
		assertSafe(t, s, Line(s))
		assertSafe(t, s, OneLine(s))
	}
	for r := rune(0); r < 0x3000; r++ {
		s := "a" + string(r) + "b"
		out := Line(s)
		assertSafe(t, s, out)
		ctl := r < 0x20 && r != '\t' || r == 0x7f || r >= 0x80 && r < 0xa0 || bidi(r)
		if !ctl && out != s {
			t.Errorf("Line(%q) = %q, want it unchanged", s, out)
		}
	}
}

func TestLongLine(t *testing.T) {
	const size = 1 << 20
	clean := repeatTo("abcdefgh世界", size)
	clean = strings.ToValidUTF8(clean, "x")
	if got := Line(clean); got != clean {
		t.Errorf("Line of a clean %d-byte line changed it", len(clean))
	}
	dirty := repeatTo("ab\x1b[2Jcd\r\x00\xff\u009c", size)
	out := Line(dirty)
	assertSafe(t, "1 MB hostile line", out)
	if len(out) < len(dirty) {
		t.Errorf("escaped line is %d bytes, shorter than its %d-byte input", len(out), len(dirty))
	}
	out = OneLine(dirty)
	assertSafe(t, "1 MB hostile line", out)
}

// repeatTo repeats p and cuts the result to exactly n bytes.
func repeatTo(p string, n int) string { return strings.Repeat(p, n/len(p)+1)[:n] }

func TestCleanDoesNotAllocate(t *testing.T) {
	s := strings.Repeat("héllo 世界 ", 100)
	if n := testing.AllocsPerRun(100, func() { _ = Line(s) }); n != 0 {
		t.Errorf("Line of clean text allocates %v times", n)
	}
}

func FuzzLine(f *testing.F) {
	for _, tt := range hostile {
		f.Add(tt.in)
	}
	f.Add("héllo 世界")
	f.Fuzz(func(t *testing.T, s string) {
		assertSafe(t, s, Line(s))
		assertSafe(t, s, OneLine(s))
	})
}

// The benchmarks run Line over one 1 MB line: clean text (the common case,
// checked without allocating) and text full of controls to escape.

func BenchmarkLineClean(b *testing.B) {
	s := strings.ToValidUTF8(repeatTo("2024-01-01T00:00:00Z GET /index.html 200 1234 héllo 世界\t", 1<<20), "x")
	b.SetBytes(int64(len(s)))
	b.ReportAllocs()
	for b.Loop() {
		_ = Line(s)
	}
}

func BenchmarkLineHostile(b *testing.B) {
	s := repeatTo("\x1b[31mred\x1b[0m\r\x00\xff\u009c ", 1<<20)
	b.SetBytes(int64(len(s)))
	b.ReportAllocs()
	for b.Loop() {
		_ = Line(s)
	}
}
