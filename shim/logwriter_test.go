package shim

import (
	"berth/shim/proto"

	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// logRecord is one parsed line of output.log.
type logRecord struct {
	time   time.Time
	stream string
	tag    string
	data   []byte
}

// parseLog splits a log file into records, failing on any line that is not
// "<RFC3339Nano time> <stream> <F|P> <data>".
func parseLog(t *testing.T, b []byte) []logRecord {
	t.Helper()
	if len(b) > 0 && b[len(b)-1] != '\n' {
		t.Fatalf("log does not end with a newline: ...%q", b[max(0, len(b)-40):])
	}
	var out []logRecord
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		line := b[:i]
		b = b[i+1:]
		parts := bytes.SplitN(line, []byte{' '}, 4)
		if len(parts) != 4 {
			t.Fatalf("malformed record %q", line)
		}
		ts, err := time.Parse(time.RFC3339Nano, string(parts[0]))
		if err != nil {
			t.Fatalf("record %q: time: %v", line, err)
		}
		if ts.Location() != time.UTC {
			t.Errorf("record %q: time is not UTC", line)
		}
		tag := string(parts[2])
		if tag != "F" && tag != "P" {
			t.Fatalf("record %q: tag %q", line, tag)
		}
		out = append(out, logRecord{time: ts, stream: string(parts[1]), tag: tag, data: parts[3]})
	}
	return out
}

func readLog(t *testing.T, path string) []logRecord {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return parseLog(t, b)
}

// drain feeds chunks, one write each, through a pipe into lw.Drain under
// stream name, and returns when Drain has returned.
func drain(t *testing.T, lw *LogWriter, name string, chunks ...[]byte) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	errc := make(chan error, 1)
	go func() {
		defer w.Close()
		for _, c := range chunks {
			if _, err := w.Write(c); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	done := make(chan struct{})
	go func() {
		lw.Drain(name, r)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Drain did not return after the writer closed")
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

func openTestLog(t *testing.T, max int64) (*LogWriter, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), proto.FileOutput)
	lw, err := OpenLog(path, max)
	if err != nil {
		t.Fatalf("OpenLog: %v", err)
	}
	t.Cleanup(func() { lw.Close() })
	return lw, path
}

type rec struct{ tag, data string }

func records(rs []logRecord) []rec {
	out := make([]rec, len(rs))
	for i, r := range rs {
		out[i] = rec{r.tag, string(r.data)}
	}
	return out
}

func TestDrainRecords(t *testing.T) {
	tests := []struct {
		name   string
		chunks []string
		want   []rec
	}{
		{"lines and a partial", []string{"a\nb\npartial"}, []rec{{"F", "a"}, {"F", "b"}, {"F", "partial"}}},
		{"terminated", []string{"one\ntwo\n"}, []rec{{"F", "one"}, {"F", "two"}}},
		{"nothing", nil, nil},
		{"empty write", []string{""}, nil},
		{"empty lines", []string{"\n\nx\n"}, []rec{{"F", ""}, {"F", ""}, {"F", "x"}}},
		{"line across writes", []string{"hel", "lo wor", "ld\nnext"}, []rec{{"F", "hello world"}, {"F", "next"}}},
		{"newline alone in its write", []string{"abc", "\n", "\n"}, []rec{{"F", "abc"}, {"F", ""}}},
		{"spaces kept", []string{"  a  b  \n"}, []rec{{"F", "  a  b  "}}},
		{"CRLF kept", []string{"dos\r\n"}, []rec{{"F", "dos\r"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lw, path := openTestLog(t, 0)
			var chunks [][]byte
			for _, c := range tt.chunks {
				chunks = append(chunks, []byte(c))
			}
			before := time.Now().Add(-time.Second)
			drain(t, lw, "stdout", chunks...)
			after := time.Now().Add(time.Second)
			rs := readLog(t, path)
			got := records(rs)
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("records = %q, want %q", got, tt.want)
			}
			for _, r := range rs {
				if r.stream != "stdout" {
					t.Errorf("stream = %q, want stdout", r.stream)
				}
				if r.time.Before(before) || r.time.After(after) {
					t.Errorf("time %v is not around now", r.time)
				}
			}
		})
	}
}

// TestDrainRecordFormat checks the exact bytes of a record.
func TestDrainRecordFormat(t *testing.T) {
	lw, path := openTestLog(t, 0)
	drain(t, lw, "stderr", []byte("oops\n"))
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ts, rest, ok := strings.Cut(string(b), " ")
	if !ok || rest != "stderr F oops\n" {
		t.Fatalf("record = %q, want \"<time> stderr F oops\\n\"", b)
	}
	if _, err := time.Parse(time.RFC3339Nano, ts); err != nil {
		t.Errorf("time %q: %v", ts, err)
	}
}

func TestDrainLongLine(t *testing.T) {
	pattern := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = 'a' + byte(i%26)
		}
		return b
	}
	tests := []struct {
		name   string
		size   int
		chunks int // how many writes the line (and its newline) is cut into
		eol    bool
	}{
		{"one over", MaxLineBytes + 1, 1, true},
		{"two and a half", 2*MaxLineBytes + MaxLineBytes/2, 1, true},
		{"many writes", 5*MaxLineBytes + 7, 13, true},
		{"unterminated", 3*MaxLineBytes + 100, 4, false},
		{"exactly the limit", MaxLineBytes, 1, true},
		{"exactly twice the limit", 2 * MaxLineBytes, 3, true},
		{"large", 200 << 10, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lw, path := openTestLog(t, 0)
			line := pattern(tt.size)
			all := line
			if tt.eol {
				all = append(append([]byte(nil), line...), '\n')
			}
			var chunks [][]byte
			step := (len(all) + tt.chunks - 1) / tt.chunks
			for i := 0; i < len(all); i += step {
				chunks = append(chunks, all[i:min(i+step, len(all))])
			}
			drain(t, lw, "stdout", append(chunks, []byte("after\n"))...)
			rs := readLog(t, path)
			if len(rs) == 0 {
				t.Fatal("no records")
			}
			if tt.eol {
				if n := len(rs); n < 2 || string(rs[n-1].data) != "after" || rs[n-1].tag != "F" {
					t.Fatalf("last record = %s %q, want F after", rs[n-1].tag, rs[n-1].data)
				}
				rs = rs[:len(rs)-1]
			} else {
				// Unterminated: "after" continues the same line.
				line = append(line, "after"...)
			}
			var joined []byte
			for i, r := range rs {
				if len(r.data) > MaxLineBytes {
					t.Errorf("record %d holds %d bytes, more than MaxLineBytes", i, len(r.data))
				}
				wantTag := "P"
				if i == len(rs)-1 {
					wantTag = "F"
				}
				if r.tag != wantTag {
					t.Errorf("record %d of %d: tag %s, want %s", i, len(rs), r.tag, wantTag)
				}
				joined = append(joined, r.data...)
			}
			if tt.size > MaxLineBytes && len(rs) < 2 {
				t.Errorf("a %d-byte line was written as %d record(s)", tt.size, len(rs))
			}
			if !bytes.Equal(joined, line) {
				t.Errorf("joined records = %d bytes, want the %d-byte line", len(joined), len(line))
			}
		})
	}
}

// TestDrainPartialAtEOF checks that output ending, without a newline,
// exactly on a MaxLineBytes boundary still ends with an F record: a reader
// joins P records until an F, so a trailing P would never be shown.
func TestDrainPartialAtEOF(t *testing.T) {
	for _, size := range []int{MaxLineBytes - 1, MaxLineBytes, MaxLineBytes + 1, 2 * MaxLineBytes} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			lw, path := openTestLog(t, 0)
			data := bytes.Repeat([]byte("z"), size)
			drain(t, lw, "stdout", data)
			rs := readLog(t, path)
			if len(rs) == 0 {
				t.Fatal("no records")
			}
			var joined []byte
			for _, r := range rs {
				joined = append(joined, r.data...)
			}
			if !bytes.Equal(joined, data) {
				t.Errorf("joined records = %d bytes, want %d", len(joined), size)
			}
			if last := rs[len(rs)-1]; last.tag != "F" {
				t.Errorf("%d bytes without a newline at EOF: last record is %s (%d bytes), want an F record closing the line",
					size, last.tag, len(last.data))
			}
		})
	}
}

func TestDrainRawBytes(t *testing.T) {
	tests := []struct {
		name string
		line string
	}{
		{"escape sequences", "\x1b[2J\x1b]52;c;aGVsbG8=\x07"},
		{"carriage return", "progress\r50%\r100%"},
		{"NUL", "a\x00b\x00"},
		{"invalid UTF-8", "\xff\xfe\xc3"},
		{"C1 control", "\u009c\x9c"},
		{"DEL and tab", "\x7f\tx"},
		{"all bytes but newline", allBytesButNewline()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lw, path := openTestLog(t, 0)
			drain(t, lw, "stdout", []byte(tt.line+"\n"+tt.line))
			rs := readLog(t, path)
			if len(rs) != 2 {
				t.Fatalf("%d records, want 2", len(rs))
			}
			for _, r := range rs {
				if r.tag != "F" || string(r.data) != tt.line {
					t.Errorf("record %s %q, want F %q", r.tag, r.data, tt.line)
				}
			}
		})
	}
}

func allBytesButNewline() string {
	var b []byte
	for c := 0; c < 256; c++ {
		if c != '\n' {
			b = append(b, byte(c))
		}
	}
	return string(b)
}

func TestDrainRotation(t *testing.T) {
	const max = 64 << 10
	lw, path := openTestLog(t, max)
	var chunks [][]byte
	total, n := 0, 0
	var last string
	for total < 1<<20 {
		var chunk []byte
		for len(chunk) < 4000 {
			last = fmt.Sprintf("line %06d %s", n, strings.Repeat("x", n%50))
			chunk = append(chunk, last+"\n"...)
			n++
		}
		chunks = append(chunks, chunk)
		total += len(chunk)
	}
	drain(t, lw, "stdout", chunks...)

	cur, err := os.Stat(path)
	if err != nil {
		t.Fatalf("output.log: %v", err)
	}
	old, err := os.Stat(path + ".1")
	if err != nil {
		t.Fatalf("output.log.1: %v", err)
	}
	if sum := cur.Size() + old.Size(); sum > max {
		t.Errorf("output.log (%d) + output.log.1 (%d) = %d bytes, more than the %d limit", cur.Size(), old.Size(), sum, max)
	}
	if _, err := os.Stat(path + ".2"); err == nil {
		t.Error("output.log.2 exists")
	}
	curRecs := readLog(t, path)
	oldRecs := readLog(t, path+".1")
	if len(curRecs) == 0 || len(oldRecs) == 0 {
		t.Fatalf("records: %d in output.log, %d in output.log.1", len(curRecs), len(oldRecs))
	}
	if got := string(curRecs[len(curRecs)-1].data); got != last {
		t.Errorf("newest record in output.log = %q, want %q", got, last)
	}
	// The two files hold a contiguous run of lines, oldest first.
	all := append(oldRecs, curRecs...)
	var first int
	if _, err := fmt.Sscanf(string(all[0].data), "line %d", &first); err != nil {
		t.Fatalf("first record %q: %v", all[0].data, err)
	}
	for i, r := range all {
		want := fmt.Sprintf("line %06d %s", first+i, strings.Repeat("x", (first+i)%50))
		if r.tag != "F" || string(r.data) != want {
			t.Fatalf("record %d = %s %q, want F %q", i, r.tag, r.data, want)
		}
	}
}

// TestRotationKeepsTheLog checks that output.log exists at every moment
// of many rotations (a reader opening it mid-rotation found none before),
// and that no hidden file is left.
func TestRotationKeepsTheLog(t *testing.T) {
	lw, path := openTestLog(t, 8<<10)
	stop := make(chan struct{})
	missing := make(chan int, 1)
	go func() {
		n := 0
		for {
			select {
			case <-stop:
				missing <- n
				return
			default:
			}
			if _, err := os.Lstat(path); err != nil {
				n++
			}
		}
	}()
	var chunks [][]byte
	for i := 0; i < 2000; i++ {
		chunks = append(chunks, []byte(fmt.Sprintf("line %06d %s\n", i, strings.Repeat("y", 200))))
	}
	drain(t, lw, "stdout", chunks...)
	close(stop)
	if n := <-missing; n > 0 {
		t.Fatalf("output.log was missing %d times during rotation", n)
	}
	ents, _ := os.ReadDir(filepath.Dir(path))
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("%s left behind", e.Name())
		}
	}
}

// TestOpenLogAppends checks that reopening a log appends to it and counts
// its existing size towards the limit.
func TestOpenLogAppends(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, proto.FileOutput)

	lw, err := OpenLog(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	drain(t, lw, "stdout", []byte("first\n"))
	lw.Close()
	lw, err = OpenLog(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	drain(t, lw, "stdout", []byte("second\n"))
	lw.Close()
	if got, want := records(readLog(t, path)), []rec{{"F", "first"}, {"F", "second"}}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("records = %q, want %q", got, want)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", st.Mode().Perm())
	}

	// An existing file past half the limit rotates on the first record.
	const max = 1 << 10
	big := filepath.Join(dir, "big.log")
	old := strings.Repeat("2024-01-01T00:00:00Z stdout F old\n", 20) // 680 bytes
	if err := os.WriteFile(big, []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	lw, err = OpenLog(big, max)
	if err != nil {
		t.Fatal(err)
	}
	drain(t, lw, "stdout", []byte("new\n"))
	lw.Close()
	if b, err := os.ReadFile(big + ".1"); err != nil || string(b) != old {
		t.Errorf("big.log.1 = %q, %v; want the old content", b, err)
	}
	if got, want := records(readLog(t, big)), []rec{{"F", "new"}}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("records = %q, want %q", got, want)
	}
}

func TestOpenLogError(t *testing.T) {
	if _, err := OpenLog(filepath.Join(t.TempDir(), "missing", proto.FileOutput), 0); err == nil {
		t.Error("OpenLog in a missing directory succeeded")
	}
}

// TestDrainTwoStreams drains stdout and stderr into one log at once: every
// line keeps its stream and each stream keeps its order.
func TestDrainTwoStreams(t *testing.T) {
	lw, path := openTestLog(t, 0)
	gen := func(name string) [][]byte {
		var chunks [][]byte
		for i := 0; i < 200; i++ {
			// Lines cut mid-way across writes, so partials of both
			// streams are pending at once.
			chunks = append(chunks, []byte(fmt.Sprintf("%s %d he", name, i)), []byte("llo\n"))
		}
		return chunks
	}
	var wg sync.WaitGroup
	for _, name := range []string{"stdout", "stderr"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			drain(t, lw, name, gen(name)...)
		}()
	}
	wg.Wait()
	next := map[string]int{}
	for _, r := range readLog(t, path) {
		want := fmt.Sprintf("%s %d hello", r.stream, next[r.stream])
		if r.tag != "F" || string(r.data) != want {
			t.Fatalf("record %s %s %q, want F %q", r.stream, r.tag, r.data, want)
		}
		next[r.stream]++
	}
	if next["stdout"] != 200 || next["stderr"] != 200 {
		t.Errorf("lines per stream = %v, want 200 each", next)
	}
}
