package core

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseRecord(t *testing.T) {
	ts := "2024-01-02T03:04:05.123456789Z"
	wantTime := time.Date(2024, 1, 2, 3, 4, 5, 123456789, time.UTC)
	tests := []struct {
		name        string
		rec         string
		wantOK      bool
		wantStream  string
		wantPartial bool
		wantData    string
	}{
		{"full", ts + " stdout F hello", true, "stdout", false, "hello"},
		{"partial", ts + " stderr P hel", true, "stderr", true, "hel"},
		{"data with spaces", ts + " stdout F  a  b ", true, "stdout", false, " a  b "},
		{"empty data", ts + " stdout F ", true, "stdout", false, ""},
		{"raw bytes", ts + " stdout F \x1b[2J\r\x00\xff", true, "stdout", false, "\x1b[2J\r\x00\xff"},
		{"data that looks like a record", ts + " stdout F " + ts + " stderr P x", true, "stdout", false, ts + " stderr P x"},

		{"empty", "", false, "", false, ""},
		{"time only", ts, false, "", false, ""},
		{"no tag", ts + " stdout", false, "", false, ""},
		{"no data separator", ts + " stdout F", false, "", false, ""},
		{"long tag", ts + " stdout FP data", false, "", false, ""},
		{"empty tag", ts + " stdout  data", false, "", false, ""},
		{"bad time", "yesterday stdout F data", false, "", false, ""},
		{"time without zone", "2024-01-02T03:04:05 stdout F data", false, "", false, ""},
		{"torn time", "4-01-02T03:04:05.12Z stdout F data", false, "", false, ""},
		{"garbage", "\x00\xff \x1b \n x", false, "", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tm, stream, partial, data, ok := parseRecord([]byte(tt.rec))
			if ok != tt.wantOK {
				t.Fatalf("parseRecord(%q) ok = %v, want %v", tt.rec, ok, tt.wantOK)
			}
			if !ok {
				return
			}
			if !tm.Equal(wantTime) {
				t.Errorf("time = %v, want %v", tm, wantTime)
			}
			if stream != tt.wantStream || partial != tt.wantPartial || string(data) != tt.wantData {
				t.Errorf("parseRecord(%q) = %q, %v, %q; want %q, %v, %q",
					tt.rec, stream, partial, data, tt.wantStream, tt.wantPartial, tt.wantData)
			}
		})
	}
}

func TestParseRecordTimeZone(t *testing.T) {
	tm, _, _, _, ok := parseRecord([]byte("2024-01-02T05:04:05+02:00 stdout F x"))
	if !ok || !tm.Equal(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Errorf("parseRecord with an offset = %v, %v", tm, ok)
	}
}

// rec builds a record line (without its newline) at second sec.
func logRec(sec int, stream, tag, data string) string {
	return time.Date(2024, 1, 1, 0, 0, sec, 0, time.UTC).Format(time.RFC3339Nano) + " " + stream + " " + tag + " " + data
}

func TestLogReaderJoinsPartials(t *testing.T) {
	tests := []struct {
		name    string
		records []string
		want    []string // "stream: data"
	}{
		{
			"full lines",
			[]string{logRec(1, "stdout", "F", "a"), logRec(2, "stderr", "F", "b")},
			[]string{"stdout: a", "stderr: b"},
		},
		{
			"partials then full",
			[]string{logRec(1, "stdout", "P", "hel"), logRec(1, "stdout", "P", "lo "), logRec(1, "stdout", "F", "world")},
			[]string{"stdout: hello world"},
		},
		{
			"partial then empty full",
			[]string{logRec(1, "stdout", "P", "abc"), logRec(1, "stdout", "F", "")},
			[]string{"stdout: abc"},
		},
		{
			"interleaved streams keep apart",
			[]string{
				logRec(1, "stdout", "P", "out1-"),
				logRec(1, "stderr", "P", "err1-"),
				logRec(2, "stdout", "P", "out2-"),
				logRec(2, "stderr", "F", "err3"),
				logRec(3, "stdout", "F", "out3"),
				logRec(3, "stderr", "F", "alone"),
			},
			[]string{"stderr: err1-err3", "stdout: out1-out2-out3", "stderr: alone"},
		},
		{
			"torn record skipped, partial kept",
			[]string{logRec(1, "stdout", "P", "a"), "2024-01-01T00:0", logRec(2, "stdout", "F", "b")},
			[]string{"stdout: ab"},
		},
		{
			"pending partial is not emitted",
			[]string{logRec(1, "stdout", "F", "x"), logRec(2, "stdout", "P", "pending")},
			[]string{"stdout: x"},
		},
		{
			"partial state resets after a full line",
			[]string{logRec(1, "stdout", "P", "a"), logRec(1, "stdout", "F", "b"), logRec(2, "stdout", "F", "c")},
			[]string{"stdout: ab", "stdout: c"},
		},
		{"nothing", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			lr := &logReader{emit: func(l LogLine) error {
				if l.Text != string(l.Data) {
					t.Errorf("Text %q != Data %q", l.Text, l.Data)
				}
				got = append(got, l.Stream+": "+string(l.Data))
				return nil
			}}
			for _, r := range tt.records {
				if err := lr.record([]byte(r)); err != nil {
					t.Fatal(err)
				}
			}
			if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", tt.want) {
				t.Errorf("lines = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestLogReaderCopies checks that an emitted line does not alias the
// record buffer, which the scanner reuses.
func TestLogReaderCopies(t *testing.T) {
	for _, records := range [][]string{
		{logRec(1, "stdout", "F", "keep")},
		{logRec(1, "stdout", "P", "ke"), logRec(1, "stdout", "F", "ep")},
	} {
		var lines []LogLine
		lr := &logReader{emit: func(l LogLine) error { lines = append(lines, l); return nil }}
		for _, r := range records {
			b := []byte(r)
			lr.record(b)
			for i := range b {
				b[i] = 'X'
			}
		}
		if len(lines) != 1 || string(lines[0].Data) != "keep" || lines[0].Text != "keep" {
			t.Errorf("lines = %+v, want one line %q", lines, "keep")
		}
		if len(lines) == 1 && !lines[0].Time.Equal(time.Date(2024, 1, 1, 0, 0, 1, 0, time.UTC)) {
			t.Errorf("time = %v", lines[0].Time)
		}
	}
}

func TestLogReaderEmitError(t *testing.T) {
	stop := errors.New("stop")
	lr := &logReader{emit: func(LogLine) error { return stop }}
	if err := lr.record([]byte(logRec(1, "stdout", "P", "a"))); err != nil {
		t.Errorf("partial record: %v", err)
	}
	if err := lr.record([]byte(logRec(1, "stdout", "F", "b"))); !errors.Is(err, stop) {
		t.Errorf("record error = %v, want the emit error", err)
	}
}

func TestScanRecords(t *testing.T) {
	long := strings.Repeat("L", 100<<10) // longer than scanRecords' buffer
	tests := []struct {
		name     string
		input    string
		want     []string
		consumed int
	}{
		{"two records", logRec(1, "stdout", "F", "a") + "\n" + logRec(2, "stdout", "F", "b") + "\n",
			[]string{"a", "b"}, -1},
		{"unterminated tail left", logRec(1, "stdout", "F", "a") + "\n" + logRec(2, "stdout", "F", "b"),
			[]string{"a"}, len(logRec(1, "stdout", "F", "a")) + 1},
		{"empty", "", nil, 0},
		{"long record", logRec(1, "stdout", "F", long) + "\n", []string{long}, -1},
		{"junk line skipped", "junk\n" + logRec(1, "stdout", "F", "a") + "\n", []string{"a"}, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			lr := &logReader{emit: func(l LogLine) error { got = append(got, string(l.Data)); return nil }}
			n, err := scanRecords(strings.NewReader(tt.input), lr)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.consumed
			if want < 0 {
				want = len(tt.input)
			}
			if n != int64(want) {
				t.Errorf("consumed %d bytes, want %d", n, want)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("%d lines, want %d", len(got), len(tt.want))
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("line %d = %d bytes %.20q..., want %d bytes %.20q...", i, len(got[i]), got[i], len(tt.want[i]), tt.want[i])
				}
			}
		})
	}
}

func TestLineRing(t *testing.T) {
	tests := []struct {
		n     int
		lines int
	}{
		{-1, 0}, {-1, 1}, {-1, 10},
		{0, 0}, {0, 1}, {0, 5},
		{1, 0}, {1, 1}, {1, 2}, {1, 7},
		{3, 0}, {3, 1}, {3, 2}, {3, 3}, {3, 4}, {3, 5}, {3, 6}, {3, 7}, {3, 100},
		{10, 9}, {10, 10}, {10, 11}, {10, 25},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("n=%d/lines=%d", tt.n, tt.lines), func(t *testing.T) {
			r := newLineRing(tt.n)
			for i := 0; i < tt.lines; i++ {
				if err := r.add(LogLine{Data: []byte(fmt.Sprint(i))}); err != nil {
					t.Fatal(err)
				}
			}
			var want []string
			first := 0
			if tt.n >= 0 && tt.lines > tt.n {
				first = tt.lines - tt.n
			}
			for i := first; i < tt.lines; i++ {
				want = append(want, fmt.Sprint(i))
			}
			var got []string
			if err := r.each(func(l LogLine) error { got = append(got, string(l.Data)); return nil }); err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("kept %v, want %v", got, want)
			}
			// each can be called again with the same result.
			var again []string
			r.each(func(l LogLine) error { again = append(again, string(l.Data)); return nil })
			if fmt.Sprint(again) != fmt.Sprint(want) {
				t.Errorf("second each gave %v, want %v", again, want)
			}
		})
	}
}

func TestLineRingEachError(t *testing.T) {
	r := newLineRing(3)
	for i := 0; i < 5; i++ {
		r.add(LogLine{Data: []byte{byte('0' + i)}})
	}
	stop := errors.New("stop")
	var got [][]byte
	err := r.each(func(l LogLine) error {
		got = append(got, l.Data)
		if len(got) == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Errorf("each error = %v, want stop", err)
	}
	if !bytes.Equal(bytes.Join(got, nil), []byte("23")) {
		t.Errorf("delivered %q before stopping, want 2 then 3", got)
	}
}

// TestReadLogShimStartOver follows berth's own log through a shim that
// could not rotate and emptied the file in place instead, and ends at the
// exit record.
func TestReadLogShimStartOver(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "output.log")
	exitPath := filepath.Join(dir, "exit")
	appendTo(t, path, logRec(1, "stdout", "F", "first, long enough to be past the new lines")+"\n")
	src := logSource{
		name:  "c",
		live:  path,
		older: func() []string { return []string{path + ".1"} },
		ended: func() bool { _, err := os.Lstat(exitPath); return err == nil },
	}
	lines := make(chan string, 100)
	done := make(chan error, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		done <- readLog(ctx, src, LogOptions{Tail: -1, Follow: true}, func(l LogLine) error {
			lines <- string(l.Data)
			return nil
		})
	}()
	want := func(w string) {
		t.Helper()
		select {
		case got := <-lines:
			if got != w {
				t.Fatalf("line %q, want %q", got, w)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("no line %q after 30s", w)
		}
	}
	want("first, long enough to be past the new lines")
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	appendTo(t, path, logRec(2, "stdout", "F", "again")+"\n")
	want("again")
	appendTo(t, path, logRec(3, "stdout", "F", "last")+"\n")
	os.WriteFile(exitPath, []byte("{}"), 0o600)
	want("last")
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("follow did not end at the exit record")
	}
}

func TestLogOptionsKeeps(t *testing.T) {
	at := func(sec int) time.Time { return time.Date(2024, 1, 1, 0, 0, sec, 0, time.UTC) }
	tests := []struct {
		name         string
		since, until time.Time
		sec          int
		want         bool
	}{
		{"no bounds", time.Time{}, time.Time{}, 5, true},
		{"since is included", at(5), time.Time{}, 5, true},
		{"before since", at(5), time.Time{}, 4, false},
		{"until is left out", time.Time{}, at(5), 5, false},
		{"before until", time.Time{}, at(5), 4, true},
		{"within both", at(2), at(5), 3, true},
		{"past both", at(2), at(5), 6, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := LogOptions{Since: tt.since, Until: tt.until}
			if got := o.keeps(at(tt.sec)); got != tt.want {
				t.Errorf("keeps(%d) = %v, want %v", tt.sec, got, tt.want)
			}
		})
	}
}

// boundedLog writes a log of lines at seconds 1 to 6 and returns its
// source; ended is true, so a follow reads what is there and ends.
func boundedLog(t *testing.T) logSource {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "output.log")
	var b strings.Builder
	for sec := 1; sec <= 6; sec++ {
		fmt.Fprintf(&b, "%s\n", logRec(sec, "stdout", "F", fmt.Sprint("line ", sec)))
	}
	appendTo(t, path, b.String())
	return logSource{
		name:  "c",
		live:  path,
		older: func() []string { return []string{path + ".1"} },
		ended: func() bool { return true },
	}
}

func TestReadLogSinceUntil(t *testing.T) {
	at := func(sec int) time.Time { return time.Date(2024, 1, 1, 0, 0, sec, 0, time.UTC) }
	tests := []struct {
		name string
		opts LogOptions
		want string
	}{
		{"since", LogOptions{Tail: -1, Since: at(4)}, "line 4,line 5,line 6"},
		{"until", LogOptions{Tail: -1, Until: at(3)}, "line 1,line 2"},
		{"both", LogOptions{Tail: -1, Since: at(2), Until: at(5)}, "line 2,line 3,line 4"},
		{"tail counts the lines kept", LogOptions{Tail: 2, Until: at(5)}, "line 3,line 4"},
		{"tail within since", LogOptions{Tail: 10, Since: at(5)}, "line 5,line 6"},
		{"nothing in range", LogOptions{Tail: -1, Since: at(7)}, ""},
		// The log goes on past until: the follow ends there, though
		// the writer is still writing.
		{"follow ends at a line past until", LogOptions{Tail: -1, Follow: true, Until: at(3)}, "line 1,line 2"},
		// An until in the past ends a follow once the tail is read.
		{"follow until in the past", LogOptions{Tail: 1, Follow: true, Until: at(100)}, "line 6"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := boundedLog(t)
			if tt.opts.Follow {
				src.ended = func() bool { return false }
			}
			var got []string
			err := readLog(context.Background(), src, tt.opts, func(l LogLine) error {
				got = append(got, string(l.Data))
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if g := strings.Join(got, ","); g != tt.want {
				t.Errorf("lines %q, want %q", g, tt.want)
			}
		})
	}
}

func TestUntilWait(t *testing.T) {
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		poll  time.Duration
		until time.Time
		want  time.Duration
	}{
		{"no until", time.Second, time.Time{}, time.Second},
		{"no poll, no until", 0, time.Time{}, 0},
		{"until sooner than the poll", time.Second, now.Add(300 * time.Millisecond), 300 * time.Millisecond},
		{"poll sooner than until", time.Second, now.Add(time.Hour), time.Second},
		{"no poll: until", 0, now.Add(time.Minute), time.Minute},
		{"until passed: a moment", 0, now.Add(-time.Minute), time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := untilWait(tt.poll, tt.until, now); got != tt.want {
				t.Errorf("untilWait = %v, want %v", got, tt.want)
			}
		})
	}
}

// A follow whose until is ahead ends at that time, though the log stays
// quiet and its writer alive: the wait wakes for it.
func TestReadLogFollowEndsAtUntil(t *testing.T) {
	src := boundedLog(t)
	src.ended = func() bool { return false }
	done := make(chan error, 1)
	var got []string
	go func() {
		done <- readLog(context.Background(), src, LogOptions{Tail: 2, Follow: true, Until: time.Now().Add(100 * time.Millisecond)},
			func(l LogLine) error { got = append(got, string(l.Data)); return nil })
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the follow went on past until")
	}
	// The lines are of 2024: before until, so the tail shows.
	if g := strings.Join(got, ","); g != "line 5,line 6" {
		t.Errorf("lines %q", g)
	}
}
