package core

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// jsonLine builds one json-file record, with its newline, at second sec.
func jsonLine(sec int, stream, log string) string {
	b, err := json.Marshal(map[string]any{
		"log":    log,
		"stream": stream,
		"time":   time.Date(2026, 12, 3, 6, 15, sec, 599570374, time.UTC),
	})
	if err != nil {
		panic(err)
	}
	return string(b) + "\n"
}

// criLine builds one CRI record, with its newline, as podman writes it.
func criLine(sec int, stream, tag, data string) string {
	return time.Date(2026, 12, 3, 6, 15, sec, 599570374, time.UTC).Format("2006-01-02T15:04:05.999999999-07:00") +
		" " + stream + " " + tag + " " + data + "\n"
}

func appendTo(t *testing.T, path, data string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(data); err != nil {
		t.Fatal(err)
	}
}

func writeGzip(t *testing.T, path, data string) {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(data))
	zw.Close()
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

// show is a line as the tests compare it.
func show(l LogLine) string { return l.Stream + ": " + string(l.Data) }

// readAll reads a log without following it.
func readAll(t *testing.T, l ForeignLog, tail int) []string {
	t.Helper()
	var got []string
	err := l.Read(context.Background(), LogOptions{Tail: tail}, func() bool { return false }, func(l LogLine) error {
		if l.Text != string(l.Data) {
			t.Errorf("Text %q != Data %q", l.Text, l.Data)
		}
		got = append(got, show(l))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func sameLines(t *testing.T, got, want []string) {
	t.Helper()
	if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
		t.Errorf("lines\n got %q\nwant %q", got, want)
	}
}

func TestForeignJSONFileTail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "abc-json.log")
	appendTo(t, path, jsonLine(1, "stdout", "one\n")+
		jsonLine(2, "stderr", "two\n")+
		`{"log":"torn`+"\n"+ // a torn record
		"not json at all\n"+
		`{}`+"\n"+
		`{"log":"no stream\n","time":"2026-12-03T06:15:42.599570374Z"}`+"\n"+
		jsonLine(3, "stdout", "lo")+ // a long line split by docker
		jsonLine(3, "stderr", "err between\n")+
		jsonLine(3, "stdout", "ng\n")+
		jsonLine(4, "stdout", "\n")+ // an empty line
		jsonLine(5, "stdout", "raw \x1b[2J\r bytes\n")+
		jsonLine(6, "stderr", "last, without a newline"))
	all := []string{"stdout: one", "stderr: two", "stderr: err between", "stdout: long", "stdout: ", "stdout: raw \x1b[2J\r bytes", "stderr: last, without a newline"}
	for _, format := range []string{LogFormatJSONFile, ""} {
		sameLines(t, readAll(t, ForeignLog{Path: path, Format: format}, -1), all)
	}
	sameLines(t, readAll(t, ForeignLog{Path: path}, 2), all[len(all)-2:])
	sameLines(t, readAll(t, ForeignLog{Path: path}, 0), nil)
	sameLines(t, readAll(t, ForeignLog{Path: path}, 100), all)

	var times []time.Time
	ForeignLog{Path: path}.Read(context.Background(), LogOptions{Tail: 1}, func() bool { return false }, func(l LogLine) error {
		times = append(times, l.Time)
		return nil
	})
	if want := time.Date(2026, 12, 3, 6, 15, 6, 599570374, time.UTC); len(times) != 1 || !times[0].Equal(want) {
		t.Errorf("times %v, want %v", times, want)
	}
}

// TestForeignJSONFileRotatedTail reads a tail across docker's rotated
// files, compressed ones too, with a line split across a rotation.
func TestForeignJSONFileRotatedTail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "abc-json.log")
	writeGzip(t, path+".3.gz", jsonLine(1, "stdout", "g3-a\n")+jsonLine(1, "stdout", "g3-b\n"))
	writeGzip(t, path+".2.gz", jsonLine(2, "stdout", "g2-a\n"))
	// Being compressed: the uncompressed file is whole, its .gz not yet.
	appendTo(t, path+".1", jsonLine(3, "stdout", "g1-a\n")+jsonLine(3, "stderr", "split-"))
	os.WriteFile(path+".1.gz", []byte("\x1f\x8b half written"), 0o600)
	// Past a gap in the numbers nothing is docker's any more.
	writeGzip(t, path+".5.gz", jsonLine(0, "stdout", "stray\n"))
	appendTo(t, path, jsonLine(4, "stderr", "line\n")+jsonLine(4, "stdout", "live-a\n")+jsonLine(4, "stdout", "live-b\n"))

	all := []string{"stdout: g3-a", "stdout: g3-b", "stdout: g2-a", "stdout: g1-a", "stderr: split-line", "stdout: live-a", "stdout: live-b"}
	sameLines(t, readAll(t, ForeignLog{Path: path}, -1), all)
	sameLines(t, readAll(t, ForeignLog{Path: path}, 4), all[3:])
	sameLines(t, readAll(t, ForeignLog{Path: path}, 3), all[4:]) // the live file holds 3 lines, the first the end of a split one
	sameLines(t, readAll(t, ForeignLog{Path: path}, 2), all[5:])
	sameLines(t, readAll(t, ForeignLog{Path: path}, 50), all)
}

func TestForeignCRITail(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ns_pod_uid", "app")
	os.MkdirAll(dir, 0o700)
	path := filepath.Join(dir, "0.log")
	writeGzip(t, path+".20261203-061000.gz", criLine(1, "stdout", "F", "oldest"))
	appendTo(t, path+".20261203-061200", criLine(2, "stdout", "F", "older")+criLine(2, "stdout", "P", "par"))
	appendTo(t, path+".20261203-061200.gz.tmp", criLine(2, "stdout", "F", "compression in progress"))
	appendTo(t, filepath.Join(dir, "1.log"), criLine(2, "stdout", "F", "another restart's log"))
	appendTo(t, path, criLine(3, "stdout", "P", "tial")+
		criLine(3, "stderr", "F", "err")+
		"2026-12-03T06:1\n"+ // torn
		criLine(3, "stdout", "F", "!")+
		criLine(4, "stdout", "F", "x y  z"))
	all := []string{"stdout: oldest", "stdout: older", "stderr: err", "stdout: partial!", "stdout: x y  z"}
	for _, format := range []string{LogFormatCRI, ""} {
		sameLines(t, readAll(t, ForeignLog{Path: path, Format: format}, -1), all)
	}
	sameLines(t, readAll(t, ForeignLog{Path: path}, 2), all[3:])
	sameLines(t, readAll(t, ForeignLog{Path: path}, 3), all[2:])
}

func TestForeignLogErrors(t *testing.T) {
	dir := t.TempDir()
	err := ForeignLog{Path: filepath.Join(dir, "none.log")}.Read(context.Background(), LogOptions{Tail: -1}, func() bool { return false }, func(LogLine) error { return nil })
	if !errors.Is(err, errNoLogFile) {
		t.Errorf("missing log: %v", err)
	}
	path := filepath.Join(dir, "0.log")
	appendTo(t, path, criLine(1, "stdout", "F", "a")+criLine(1, "stdout", "F", "b"))
	err = ForeignLog{Path: path, Format: "syslog"}.Read(context.Background(), LogOptions{Tail: -1}, func() bool { return false }, func(LogLine) error { return nil })
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown format: %v", err)
	}
	stop := errors.New("stop")
	n := 0
	err = ForeignLog{Path: path}.Read(context.Background(), LogOptions{Tail: -1}, func() bool { return false }, func(LogLine) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("fn's error: %v after %d lines", err, n)
	}
}

func TestExternalLogs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "abc-json.log")
	appendTo(t, path, jsonLine(1, "stdout", "hi\n"))
	read := func(c Container, opts LogOptions) ([]string, error) {
		var got []string
		err := externalLogs(context.Background(), c, opts, func(l LogLine) error { got = append(got, show(l)); return nil })
		return got, err
	}
	got, err := read(Container{ID: "abc", LogPath: path, LogFormat: LogFormatJSONFile, Status: StatusStopped}, LogOptions{Tail: -1, Follow: true})
	if err != nil {
		t.Fatal(err)
	}
	sameLines(t, got, []string{"stdout: hi"})

	_, err = read(Container{ID: "abc", LogPath: path}, LogOptions{Tail: -1, Proc: "worker"})
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "execs of external containers have no separate logs") {
		t.Errorf("an exec's log: %v", err)
	}
	_, err = read(Container{ID: "abc", LogPath: path + ".gone"}, LogOptions{Tail: -1})
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("a missing log: %v", err)
	}
	for _, owner := range []string{OwnerDocker, OwnerKubernetes, "containerd/default"} {
		_, err = read(Container{ID: "abc", Owner: owner}, LogOptions{Tail: -1})
		if !errors.Is(err, ErrUnmanaged) || !strings.Contains(err.Error(), "and "+owner+" keeps no log file") {
			t.Errorf("no log path, owner %q: %v", owner, err)
		}
	}
}

// TestForeignHugeLines checks that a line is cut at maxLogLine, whether
// joined from many records or one record alone, and that the lines after
// it are whole.
func TestForeignHugeLines(t *testing.T) {
	dir := t.TempDir()
	jpath := filepath.Join(dir, "abc-json.log")
	piece := strings.Repeat("j", 16<<10)
	var b strings.Builder
	for i := 0; i < maxLogLine/len(piece)+20; i++ {
		b.WriteString(jsonLine(1, "stdout", piece))
	}
	b.WriteString(jsonLine(1, "stdout", "end\n"))
	b.WriteString(jsonLine(2, "stdout", strings.Repeat("x", 3<<20)+"\n")) // one record too long to hold: skipped
	b.WriteString(jsonLine(3, "stdout", "after\n"))
	appendTo(t, jpath, b.String())

	cpath := filepath.Join(dir, "0.log")
	appendTo(t, cpath, criLine(1, "stdout", "F", strings.Repeat("c", 3<<20))+criLine(2, "stdout", "F", "after"))

	for _, tt := range []struct {
		path string
		fill byte
	}{{jpath, 'j'}, {cpath, 'c'}} {
		var lines [][]byte
		err := ForeignLog{Path: tt.path}.Read(context.Background(), LogOptions{Tail: -1}, func() bool { return false }, func(l LogLine) error {
			lines = append(lines, l.Data)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(lines) != 2 || len(lines[0]) != maxLogLine || string(lines[1]) != "after" {
			t.Fatalf("%s: %d lines, the first %d bytes, want 2 lines, the first %d bytes", tt.path, len(lines), len(lines[0]), maxLogLine)
		}
		if strings.Trim(string(lines[0]), string(tt.fill)) != "" {
			t.Errorf("%s: the cut line holds other bytes than the line's", tt.path)
		}
	}
}

// TestRecordScannerHoldsLittle checks that an unterminated record of many
// megabytes is not held whole while it waits for its newline.
func TestRecordScannerHoldsLittle(t *testing.T) {
	var got []int
	s := &recordScanner{lr: &logReader{emit: func(l LogLine) error { got = append(got, len(l.Data)); return nil }}}
	rec := criLine(1, "stdout", "F", strings.Repeat("z", 8<<20))
	for i := 0; i < len(rec); i += 1 << 20 {
		s.scan(strings.NewReader(rec[i:min(i+1<<20, len(rec))]))
		if len(s.rec) > maxLogRecord || cap(s.rec) > 2*maxLogRecord {
			t.Fatalf("holds %d bytes (capacity %d) of a record", len(s.rec), cap(s.rec))
		}
	}
	if len(got) != 1 || got[0] != maxLogLine {
		t.Errorf("lines %v, want one of %d bytes", got, maxLogLine)
	}
}

// follower reads a log with Follow in the background.
type follower struct {
	t     *testing.T
	lines chan string
	done  chan error
	alive atomic.Bool
	stop  context.CancelFunc
}

func follow(t *testing.T, l ForeignLog, tail int) *follower {
	ctx, cancel := context.WithCancel(context.Background())
	fl := &follower{t: t, lines: make(chan string, 10000), done: make(chan error, 1), stop: cancel}
	fl.alive.Store(true)
	go func() {
		fl.done <- l.Read(ctx, LogOptions{Tail: tail, Follow: true}, fl.alive.Load, func(l LogLine) error {
			fl.lines <- show(l)
			return nil
		})
	}()
	t.Cleanup(func() {
		cancel()
		<-fl.done
	})
	return fl
}

// want waits for the next lines, which must be these.
func (fl *follower) want(lines ...string) {
	fl.t.Helper()
	for _, w := range lines {
		select {
		case got := <-fl.lines:
			if got != w {
				fl.t.Fatalf("line %q, want %q", got, w)
			}
		case err := <-fl.done:
			fl.t.Fatalf("follow ended (%v) before %q", err, w)
		case <-time.After(30 * time.Second):
			fl.t.Fatalf("no line %q after 30s", w)
		}
	}
}

// end makes the container stop and checks that the follow ends without
// another line.
func (fl *follower) end() {
	fl.t.Helper()
	fl.alive.Store(false)
	select {
	case err := <-fl.done:
		fl.done <- err // for the cleanup
		if err != nil {
			fl.t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		fl.t.Fatal("follow did not end after 30s with the container stopped")
	}
	if len(fl.lines) > 0 {
		fl.t.Errorf("more lines: %q", <-fl.lines)
	}
}

// TestForeignJSONFileFollowRotation follows docker's rotation: the live
// file renamed to .1 (the older ones moved up, the oldest removed, .1
// compressed on the next round) and a new one made, lines written right
// before and right after.
func TestForeignJSONFileFollowRotation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "abc-json.log")
	appendTo(t, path, jsonLine(0, "stdout", "before\n")+jsonLine(0, "stderr", "also before\n"))
	fl := follow(t, ForeignLog{Path: path}, 1)
	fl.want("stderr: also before")
	const maxFile = 3
	for round := 1; round <= 30; round++ {
		compress := round%2 == 0
		appendTo(t, path, jsonLine(round, "stdout", fmt.Sprintf("round %d a\n", round))+jsonLine(round, "stderr", "split "))
		// Rotate as docker does.
		os.Remove(fmt.Sprintf("%s.%d", path, maxFile-1))
		os.Remove(fmt.Sprintf("%s.%d.gz", path, maxFile-1))
		for i := maxFile - 1; i > 1; i-- {
			os.Rename(fmt.Sprintf("%s.%d", path, i-1), fmt.Sprintf("%s.%d", path, i))
			os.Rename(fmt.Sprintf("%s.%d.gz", path, i-1), fmt.Sprintf("%s.%d.gz", path, i))
		}
		if err := os.Rename(path, path+".1"); err != nil {
			t.Fatal(err)
		}
		appendTo(t, path, jsonLine(round, "stderr", fmt.Sprintf("line %d\n", round))+jsonLine(round, "stdout", fmt.Sprintf("round %d b\n", round)))
		if compress {
			b, _ := os.ReadFile(path + ".1")
			writeGzip(t, path+".1.gz", string(b))
			os.Remove(path + ".1")
		}
		fl.want(fmt.Sprintf("stdout: round %d a", round), fmt.Sprintf("stderr: split line %d", round), fmt.Sprintf("stdout: round %d b", round))
	}
	appendTo(t, path, jsonLine(40, "stdout", "the end, without a newline"))
	fl.alive.Store(false)
	// Docker may copy the last output a moment after the container is
	// gone.
	appendTo(t, path, jsonLine(41, "stderr", "copied after the exit\n"))
	fl.want("stderr: copied after the exit", "stdout: the end, without a newline")
	fl.end()
}

// TestForeignCRIFollowRename follows kubelet's rotation: 0.log renamed to
// 0.log.<timestamp>, a new 0.log made by the runtime a moment later, the
// older generation compressed.
func TestForeignCRIFollowRename(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "0.log")
	appendTo(t, path, criLine(0, "stdout", "F", "start"))
	fl := follow(t, ForeignLog{Path: path, Format: LogFormatCRI}, -1)
	fl.want("stdout: start")
	for round := 1; round <= 20; round++ {
		appendTo(t, path, criLine(round, "stdout", "F", fmt.Sprint("a", round))+criLine(round, "stderr", "P", "par"))
		rotated := fmt.Sprintf("%s.20261203-0615%02d", path, round)
		if err := os.Rename(path, rotated); err != nil {
			t.Fatal(err)
		}
		appendTo(t, path, criLine(round, "stderr", "F", "tial")+criLine(round, "stdout", "F", fmt.Sprint("b", round)))
		if prev := fmt.Sprintf("%s.20261203-0615%02d", path, round-1); round > 1 {
			b, _ := os.ReadFile(prev)
			writeGzip(t, prev+".gz", string(b))
			os.Remove(prev)
		}
		fl.want(fmt.Sprint("stdout: a", round), "stderr: partial", fmt.Sprint("stdout: b", round))
	}
	fl.end()
	// A tail now reads all generations, compressed ones too.
	got := readAll(t, ForeignLog{Path: path}, 4)
	sameLines(t, got, []string{"stdout: b19", "stdout: a20", "stderr: partial", "stdout: b20"})
	if all := readAll(t, ForeignLog{Path: path}, -1); len(all) != 1+3*20 {
		t.Errorf("%d lines in all generations, want %d", len(all), 1+3*20)
	}
}

// TestForeignCRIFollowCopytruncate follows a log rotated by copying it
// and truncating it in place: what the follower had not read yet is taken
// from the copy, then the file is read again from its start.
func TestForeignCRIFollowCopytruncate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ctr.log")
	appendTo(t, path, criLine(0, "stdout", "F", "start of a long enough first line"))
	fl := follow(t, ForeignLog{Path: path}, 1)
	fl.want("stdout: start of a long enough first line")
	for round := 1; round <= 20; round++ {
		appendTo(t, path, criLine(round, "stdout", "F", fmt.Sprint("read ", round)))
		fl.want(fmt.Sprint("stdout: read ", round))
		// Written just before the copy: the follower may not have read it.
		appendTo(t, path, criLine(round, "stderr", "F", fmt.Sprint("unread ", round)))
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(fmt.Sprintf("%s.20261203-0615%02d", path, round), b, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(path, 0); err != nil {
			t.Fatal(err)
		}
		appendTo(t, path, criLine(round, "stdout", "F", fmt.Sprint("new ", round)))
		fl.want(fmt.Sprint("stderr: unread ", round), fmt.Sprint("stdout: new ", round))
	}
	fl.end()
}

// TestForeignFollowEnds checks that a follow of a stopped container ends
// after its tail, and that cancelling ends a follow of a running one.
func TestForeignFollowEnds(t *testing.T) {
	path := filepath.Join(t.TempDir(), "abc-json.log")
	appendTo(t, path, jsonLine(1, "stdout", "a\n"))
	var got []string
	err := ForeignLog{Path: path}.Read(context.Background(), LogOptions{Tail: -1, Follow: true}, func() bool { return false }, func(l LogLine) error {
		got = append(got, show(l))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sameLines(t, got, []string{"stdout: a"})

	fl := follow(t, ForeignLog{Path: path}, -1)
	fl.want("stdout: a")
	appendTo(t, path, jsonLine(2, "stderr", "b\n"))
	fl.want("stderr: b")
	fl.stop()
	select {
	case err := <-fl.done:
		fl.done <- err
		if err != nil {
			t.Errorf("a cancelled follow: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("follow did not end after 30s with its context cancelled")
	}
}

func FuzzJSONFileLine(f *testing.F) {
	for _, seed := range []string{
		jsonLine(1, "stdout", "hello\n"),
		jsonLine(1, "stderr", "partial"),
		jsonLine(1, "stdout", "\n"),
		jsonLine(1, "stdout", "\x00\xff\x1b[2J\n"),
		`{"log":"a\n","stream":"stdout","time":"2026-12-03T06:15:42.599570374Z","attrs":{"k":"v"}}`,
		`{"log":"a\n","stream":"stdout","time":"2026-12-03T06:15:42+02:00"}`,
		`{"log":"a\n","stream":"stdout","time":"yesterday"}`,
		`{"log":5,"stream":"stdout","time":"2026-12-03T06:15:42Z"}`,
		`{"log":"a","stream":"","time":"2026-12-03T06:15:42Z"}`,
		`{"log":"a"`,
		`[]`,
		`null`,
		``,
	} {
		f.Add([]byte(strings.TrimSuffix(seed, "\n")))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		tm, stream, partial, data, ok := parseJSONFileLine(b)
		if !ok {
			return
		}
		if stream == "" || tm.IsZero() {
			t.Fatalf("ok with stream %q, time %v", stream, tm)
		}
		// What it read, written again, reads the same.
		log := string(data)
		if !partial {
			log += "\n"
		}
		again, err := json.Marshal(map[string]any{"log": log, "stream": stream, "time": tm})
		if err != nil {
			t.Fatal(err)
		}
		tm2, stream2, partial2, data2, ok2 := parseJSONFileLine(again)
		if !ok2 || !tm2.Equal(tm) || stream2 != stream || partial2 != partial || !bytes.Equal(data2, []byte(string(data))) {
			t.Fatalf("%q read as %v %q %v %q, written again as %q and read as %v %q %v %q", b, tm, stream, partial, data, again, tm2, stream2, partial2, data2)
		}
	})
}

// Since and Until bound another manager's log as they do berth's own,
// across its rotated generations, a tail counting only the lines kept.
func TestForeignSinceUntil(t *testing.T) {
	path := filepath.Join(t.TempDir(), "abc-json.log")
	writeGzip(t, path+".2.gz", jsonLine(1, "stdout", "g2-a\n"))
	appendTo(t, path+".1", jsonLine(2, "stdout", "g1-a\n")+jsonLine(3, "stdout", "g1-b\n"))
	appendTo(t, path, jsonLine(4, "stdout", "live-a\n")+jsonLine(5, "stdout", "live-b\n"))
	at := func(sec int) time.Time { return time.Date(2026, 12, 3, 6, 15, sec, 0, time.UTC) }
	read := func(opts LogOptions) []string {
		var got []string
		err := ForeignLog{Path: path}.Read(context.Background(), opts, func() bool { return false }, func(l LogLine) error {
			got = append(got, show(l))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	sameLines(t, read(LogOptions{Tail: -1, Since: at(2), Until: at(5)}), []string{"stdout: g1-a", "stdout: g1-b", "stdout: live-a"})
	sameLines(t, read(LogOptions{Tail: 2, Until: at(5)}), []string{"stdout: g1-b", "stdout: live-a"})
	sameLines(t, read(LogOptions{Tail: -1, Since: at(5)}), []string{"stdout: live-b"})
}
