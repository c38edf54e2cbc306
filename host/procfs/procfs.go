// Package procfs reads the few /proc facts berth needs to recognise a
// process it recorded earlier: its start time, parent, state and memory.
//
// A pid alone names nothing once the process is gone and the number is
// reused; berth always pairs a pid with its start time (field 22 of
// /proc/PID/stat, in clock ticks since boot) and checks both before it trusts
// or signals the process.
package procfs

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Stat is the part of /proc/PID/stat berth uses.
type Stat struct {
	Pid       int
	Comm      string
	State     byte
	PPid      int
	Session   int
	UTime     uint64 // clock ticks
	STime     uint64 // clock ticks
	Threads   int
	StartTime uint64 // clock ticks since boot
	RSSPages  int64
	// Flags are the kernel's task flags (PF_*); Pending the signals
	// pending for the task itself (a fatal signal is put there for every
	// thread), 0 where the kernel no longer writes the field.
	Flags   uint64
	Pending uint64
}

// ErrGone means the process no longer exists.
var ErrGone = errors.New("process does not exist")

// ReadStat parses /proc/PID/stat.
func ReadStat(pid int) (Stat, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, os.ErrInvalid) {
			return Stat{}, ErrGone
		}
		return Stat{}, err
	}
	return ParseStat(b)
}

// ParseStat parses the content of a /proc/PID/stat file. The command name
// may itself contain spaces and parentheses, so fields are counted from the
// last ')'.
func ParseStat(b []byte) (Stat, error) {
	var s Stat
	open := bytes.IndexByte(b, '(')
	closing := bytes.LastIndexByte(b, ')')
	if open < 0 || closing < open {
		return s, fmt.Errorf("malformed stat %q", truncate(b))
	}
	pid, err := strconv.Atoi(string(bytes.TrimSpace(b[:open])))
	if err != nil {
		return s, fmt.Errorf("malformed stat pid: %w", err)
	}
	s.Pid = pid
	s.Comm = string(b[open+1 : closing])
	f := strings.Fields(string(b[closing+1:]))
	// f[0] is field 3 (state); field N is f[N-3].
	if len(f) < 22 {
		return s, fmt.Errorf("malformed stat: %d fields", len(f)+2)
	}
	s.State = f[0][0]
	num := func(field int) uint64 {
		v, _ := strconv.ParseUint(f[field-3], 10, 64)
		return v
	}
	s.PPid = int(num(4))
	s.Session = int(num(6))
	s.UTime = num(14)
	s.STime = num(15)
	s.Threads = int(num(20))
	s.StartTime = num(22)
	rss, _ := strconv.ParseInt(f[24-3], 10, 64)
	s.RSSPages = rss
	s.Flags = num(9)
	if len(f) > 31-3 {
		s.Pending = num(31)
	}
	return s, nil
}

func truncate(b []byte) []byte {
	if len(b) > 64 {
		return b[:64]
	}
	return b
}

// StartTime returns the start time of pid, or ErrGone.
func StartTime(pid int) (uint64, error) {
	s, err := ReadStat(pid)
	if err != nil {
		return 0, err
	}
	return s.StartTime, nil
}

// Alive reports whether pid exists, is not a zombie, and started at start.
// A zero start matches any start time, for records that predate it.
func Alive(pid int, start uint64) bool {
	if pid <= 0 {
		return false
	}
	s, err := ReadStat(pid)
	if err != nil {
		return false
	}
	if s.State == 'Z' || s.State == 'X' {
		return false
	}
	return start == 0 || s.StartTime == start
}

// Ident is a process identity that survives pid reuse: the pid and the start
// time it had when berth recorded it.
type Ident struct {
	Pid   int
	Start uint64
}

// String formats the identity as it is stored in pid files: "PID START".
func (id Ident) String() string {
	return strconv.Itoa(id.Pid) + " " + strconv.FormatUint(id.Start, 10) + "\n"
}

// ParseIdent reads a "PID START" record. A bare "PID" (as runc writes) is
// accepted with a zero start time.
func ParseIdent(b []byte) (Ident, error) {
	f := strings.Fields(string(b))
	if len(f) == 0 || len(f) > 2 {
		return Ident{}, fmt.Errorf("malformed pid record %q", truncate(b))
	}
	pid, err := strconv.Atoi(f[0])
	if err != nil || pid <= 0 {
		return Ident{}, fmt.Errorf("malformed pid %q", f[0])
	}
	id := Ident{Pid: pid}
	if len(f) == 2 {
		st, err := strconv.ParseUint(f[1], 10, 64)
		if err != nil {
			return Ident{}, fmt.Errorf("malformed start time %q", f[1])
		}
		id.Start = st
	}
	return id, nil
}

// Alive reports whether the recorded process still runs.
func (id Ident) Alive() bool { return Alive(id.Pid, id.Start) }

var pageSize = uint64(os.Getpagesize())

// RSS is the resident set in bytes.
func (s Stat) RSS() uint64 {
	if s.RSSPages <= 0 {
		return 0
	}
	return uint64(s.RSSPages) * pageSize
}

// Command returns a process's command line, arguments joined by spaces and
// cut at max bytes (max <= 0: whole), or comm when the command line is
// empty or unreadable (kernel threads, zombies).
func Command(pid int, comm string, max int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil || len(b) == 0 {
		return comm
	}
	b = bytes.TrimRight(bytes.ReplaceAll(b, []byte{0}, []byte{' '}), " ")
	if max > 0 && len(b) > max {
		b = b[:max]
	}
	return string(b)
}

// StatusField returns the value of a /proc/PID/status line ("Uid",
// "NSpid", "State", "SigPnd"...), trimmed; "" when there is none.
func StatusField(status []byte, name string) string {
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, name+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
