package procfs

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// statLine builds a /proc/PID/stat line with the given pid and comm (the
// parentheses are added here) and realistic fields 3..52.
func statLine(pid, comm string) string {
	return pid + " (" + comm + ") S 1 1234 1234 0 -1 4194560 100 0 0 0 7 3 0 0 20 0 4 0 987654 12345678 321 " +
		"18446744073709551615 94000000000000 94000000020000 140720000000000 0 0 0 0 0 0 0 0 0 17 2 0 0 0 0 0 " +
		"94000000030000 94000000031000 94000000040000 140720000001000 140720000001020 140720000001020 140720000002000 0\n"
}

func TestParseStat(t *testing.T) {
	want := Stat{Pid: 1234, State: 'S', PPid: 1, Session: 1234, UTime: 7, STime: 3, Threads: 4, StartTime: 987654, RSSPages: 321, Flags: 4194560}
	tests := []struct {
		name string
		line string
		comm string
	}{
		{"plain", statLine("1234", "sh"), "sh"},
		{"comm with space", statLine("1234", "tmux: server"), "tmux: server"},
		{"comm with parentheses", statLine("1234", "a) (b"), "a) (b"},
		{"comm that looks like fields", statLine("1234", "x) R 99 99 99 (y"), "x) R 99 99 99 (y"},
		{"empty comm", statLine("1234", ""), ""},
		{"comm with newline", statLine("1234", "a\nb"), "a\nb"},
		{"leading space before pid", " " + statLine("1234", "sh"), "sh"},
		{"no trailing newline", strings.TrimSuffix(statLine("1234", "sh"), "\n"), "sh"},
		{"exactly 24 fields", "1234 (sh) S 1 1234 1234 0 -1 4194560 100 0 0 0 7 3 0 0 20 0 4 0 987654 12345678 321", "sh"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseStat([]byte(tt.line))
			if err != nil {
				t.Fatalf("ParseStat(%q): %v", tt.line, err)
			}
			w := want
			w.Comm = tt.comm
			if got != w {
				t.Errorf("ParseStat(%q) =\n %+v\nwant\n %+v", tt.line, got, w)
			}
		})
	}
}

func TestParseStatStates(t *testing.T) {
	for _, st := range []string{"R", "S", "D", "Z", "T", "t", "X", "I"} {
		line := strings.Replace(statLine("5", "p"), ") S ", ") "+st+" ", 1)
		got, err := ParseStat([]byte(line))
		if err != nil {
			t.Fatalf("state %s: %v", st, err)
		}
		if got.State != st[0] {
			t.Errorf("state %s: got %q", st, got.State)
		}
	}
}

func TestParseStatMalformed(t *testing.T) {
	full := statLine("1234", "sh")
	fields := strings.Fields(full[strings.Index(full, ")")+1:])
	tooFew := "1234 (sh) " + strings.Join(fields[:21], " ")
	tests := []struct {
		name string
		line string
	}{
		{"empty", ""},
		{"newline only", "\n"},
		{"no parentheses", "1234 sh S 1 2 3"},
		{"no closing parenthesis", "1234 (sh S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22"},
		{"no opening parenthesis", "1234 sh) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22"},
		{"reversed parentheses", "1234 )sh( S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22"},
		{"non-numeric pid", strings.Replace(full, "1234", "abc", 1)},
		{"missing pid", strings.Replace(full, "1234 ", "", 1)},
		{"nothing after comm", "1234 (sh)"},
		{"too few fields", tooFew},
		{"one field", "1234 (sh) S"},
		{"garbage", "\x00\xff\x1b[2J"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseStat([]byte(tt.line))
			if err == nil {
				t.Fatalf("ParseStat(%q) = %+v, want an error", tt.line, got)
			}
		})
	}
}

func TestParseIdent(t *testing.T) {
	tests := []struct {
		in      string
		want    Ident
		wantErr bool
	}{
		{"123 456\n", Ident{Pid: 123, Start: 456}, false},
		{"123 456", Ident{Pid: 123, Start: 456}, false},
		{"  123\t456  \n", Ident{Pid: 123, Start: 456}, false},
		{"123", Ident{Pid: 123}, false},
		{"123\n", Ident{Pid: 123}, false},
		{"1 18446744073709551615", Ident{Pid: 1, Start: 18446744073709551615}, false},

		{"", Ident{}, true},
		{"\n", Ident{}, true},
		{"abc", Ident{}, true},
		{"1 2 3", Ident{}, true},
		{"-5", Ident{}, true},
		{"0", Ident{}, true},
		{"0 5", Ident{}, true},
		{"12 abc", Ident{}, true},
		{"12 -1", Ident{}, true},
		{"12 18446744073709551616", Ident{}, true},
		{"99999999999999999999", Ident{}, true},
	}
	for _, tt := range tests {
		got, err := ParseIdent([]byte(tt.in))
		if tt.wantErr {
			if err == nil {
				t.Errorf("ParseIdent(%q) = %+v, want an error", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseIdent(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

func TestIdentRoundTrip(t *testing.T) {
	for _, id := range []Ident{{Pid: 1}, {Pid: 1, Start: 2}, {Pid: 4194304, Start: 18446744073709551615}} {
		s := id.String()
		if !strings.HasSuffix(s, "\n") {
			t.Errorf("%+v.String() = %q, want a trailing newline", id, s)
		}
		got, err := ParseIdent([]byte(s))
		if err != nil || got != id {
			t.Errorf("ParseIdent(%q) = %+v, %v; want %+v", s, got, err, id)
		}
	}
	if got, want := (Ident{Pid: 123, Start: 456}).String(), "123 456\n"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

// missingPid is a pid above any pid_max, so it never exists.
const missingPid = 1 << 30

func TestReadStatSelf(t *testing.T) {
	pid := os.Getpid()
	s, err := ReadStat(pid)
	if err != nil {
		t.Fatalf("ReadStat(self): %v", err)
	}
	if s.Pid != pid {
		t.Errorf("Pid = %d, want %d", s.Pid, pid)
	}
	if s.PPid != os.Getppid() {
		t.Errorf("PPid = %d, want %d", s.PPid, os.Getppid())
	}
	if s.StartTime == 0 {
		t.Error("StartTime = 0")
	}
	if s.Threads < 1 {
		t.Errorf("Threads = %d", s.Threads)
	}
	if s.RSSPages <= 0 {
		t.Errorf("RSSPages = %d", s.RSSPages)
	}
	if s.State != 'R' && s.State != 'S' {
		t.Errorf("State = %q, want R or S", s.State)
	}
	st, err := StartTime(pid)
	if err != nil || st != s.StartTime {
		t.Errorf("StartTime(self) = %d, %v; want %d", st, err, s.StartTime)
	}
}

func TestReadStatGone(t *testing.T) {
	for _, pid := range []int{missingPid, 0, -1} {
		if _, err := ReadStat(pid); !errors.Is(err, ErrGone) {
			t.Errorf("ReadStat(%d) error = %v, want ErrGone", pid, err)
		}
		if _, err := StartTime(pid); !errors.Is(err, ErrGone) {
			t.Errorf("StartTime(%d) error = %v, want ErrGone", pid, err)
		}
	}
}

func TestAlive(t *testing.T) {
	pid := os.Getpid()
	start, err := StartTime(pid)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		pid   int
		start uint64
		want  bool
	}{
		{"self with its start time", pid, start, true},
		{"self with zero start matches any", pid, 0, true},
		{"self with a wrong start time", pid, start + 1, false},
		{"self with an earlier start time", pid, start - 1, false},
		{"missing pid", missingPid, 0, false},
		{"pid zero", 0, 0, false},
		{"negative pid", -1, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Alive(tt.pid, tt.start); got != tt.want {
				t.Errorf("Alive(%d, %d) = %v, want %v", tt.pid, tt.start, got, tt.want)
			}
			if got := (Ident{Pid: tt.pid, Start: tt.start}).Alive(); got != tt.want {
				t.Errorf("Ident{%d, %d}.Alive() = %v, want %v", tt.pid, tt.start, got, tt.want)
			}
		})
	}
}

// TestAliveZombie checks that an exited but unreaped child is not alive.
func TestAliveZombie(t *testing.T) {
	path, err := exec.LookPath("true")
	if err != nil {
		t.Skip("no true binary")
	}
	cmd := exec.Command(path)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	pid := cmd.Process.Pid
	deadline := time.Now().Add(5 * time.Second)
	for {
		s, err := ReadStat(pid)
		if err != nil {
			t.Fatalf("ReadStat(child): %v", err)
		}
		if s.State == 'Z' {
			if Alive(pid, s.StartTime) {
				t.Error("Alive(zombie) = true, want false")
			}
			return
		}
		if time.Now().After(deadline) {
			t.Skipf("child %d did not become a zombie in time (state %q)", pid, s.State)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestStatusField(t *testing.T) {
	status := []byte("Name:\tsh\nState:\tS (sleeping)\nUid:\t0\t0\t0\t0\nNSpid:\t4101\t1\nSigPnd:\t0000000000000100\n")
	for name, want := range map[string]string{
		"State": "S (sleeping)", "Uid": "0\t0\t0\t0", "NSpid": "4101\t1", "SigPnd": "0000000000000100", "ShdPnd": "", "Na": "",
	} {
		if got := StatusField(status, name); got != want {
			t.Errorf("StatusField(%q) = %q, want %q", name, got, want)
		}
	}
}
