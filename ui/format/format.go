// Package format turns numbers, durations and events into the short text
// both the CLI and the terminal UI print, so the two always agree.
package format

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"berth/ui/sanitize"
	"berth/watch"
)

// Ago formats how long ago t was, coarsely.
func Ago(now, t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return HumanDuration(now.Sub(t)) + " ago"
}

// HumanDuration formats d as the largest one or two units: 45s, 3m12s, 5h3m, 2d4h.
func HumanDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	s := int64(d / time.Second)
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm%ds", s/60, s%60)
	case s < 86400:
		return fmt.Sprintf("%dh%dm", s/3600, s%3600/60)
	default:
		return fmt.Sprintf("%dd%dh", s/86400, s%86400/3600)
	}
}

// HumanBytes formats n in binary units: 512B, 1.5KiB, 20.0MiB.
func HumanBytes(n uint64) string {
	if n < 1024 {
		return fmt.Sprintf("%dB", n)
	}
	// Move up a unit when rounding to one decimal would print 1024.0.
	v, u := scaleIEC(n, 0.05)
	return fmt.Sprintf("%.1f%ciB", v, u)
}

// CompactBytes is HumanBytes in at most four digits, for narrow columns:
// one decimal below 100 of a unit, none above (20.5MiB, 512MiB, 1.5GiB).
// The units stay IEC, as everywhere berth prints bytes.
func CompactBytes(n uint64) string {
	if n < 1024 {
		return fmt.Sprintf("%dB", n)
	}
	// Move up a unit when rounding to a whole number would print 1024.
	v, u := scaleIEC(n, 0.5)
	if v >= 99.95 {
		return fmt.Sprintf("%.0f%ciB", v, u)
	}
	return fmt.Sprintf("%.1f%ciB", v, u)
}

// scaleIEC is n (1024 or more) in the largest binary unit that keeps it
// under 1024 once rounded by round, and that unit's letter.
func scaleIEC(n uint64, round float64) (float64, byte) {
	const unit = 1024
	v, exp := float64(n)/unit, 0
	for v >= unit-round && exp < 5 {
		v /= unit
		exp++
	}
	return v, "KMGTPE"[exp]
}

// ParseBytes reads a size: a number with an optional k, m, g or t suffix
// (binary units, with or without "b"/"ib").
func ParseBytes(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	t = strings.TrimSuffix(strings.TrimSuffix(t, "b"), "i")
	mult := int64(1)
	if n := len(t); n > 0 {
		switch t[n-1] {
		case 'k':
			mult, t = 1<<10, t[:n-1]
		case 'm':
			mult, t = 1<<20, t[:n-1]
		case 'g':
			mult, t = 1<<30, t[:n-1]
		case 't':
			mult, t = 1<<40, t[:n-1]
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(v) || v < 0 || v*float64(mult) > 1<<62 {
		return 0, fmt.Errorf("invalid size %q (examples: 512m, 1g, 1048576)", s)
	}
	return int64(v * float64(mult)), nil
}

// Event formats an event for a terminal: time, kind, id, then what the
// kind has to say.
func Event(ev watch.Event) string {
	line := fmt.Sprintf("%s  %-10s %s", ev.Time.Local().Format("2006-01-02 15:04:05.000"), ev.Kind, ShortID(ev.ID))
	if d := EventDetail(ev); d != "" {
		line += "  " + d
	}
	return sanitize.OneLine(line)
}

// EventDetail says what an event's kind has to say, on one escaped line:
// an exit's status, an OOM kill's count, usage and likely victim.
func EventDetail(ev watch.Event) string {
	var parts []string
	if ev.Root != "" {
		parts = append(parts, "root "+ev.Root)
	}
	if ev.Pid > 0 {
		parts = append(parts, "pid "+strconv.Itoa(ev.Pid))
	}
	if ev.Proc != "" && ev.Proc != "init" {
		parts = append(parts, ev.Proc)
	}
	if ev.ExitStatus != nil {
		parts = append(parts, "status "+strconv.Itoa(*ev.ExitStatus))
	}
	if ev.OOMKilled {
		parts = append(parts, "oom-killed")
	}
	if ev.Kind == watch.KindOOM {
		parts = append(parts, "kill #"+strconv.FormatUint(ev.OOMCount, 10))
		if f := ev.Forensics; f != nil {
			// A late snapshot's usage is what the kill left; the
			// peak is what the kill was about.
			use := "usage " + HumanBytes(f.UsageBytes)
			if f.Late && f.PeakBytes > 0 {
				use = "peak " + HumanBytes(f.PeakBytes)
			}
			if f.LimitBytes > 0 {
				use += " of " + HumanBytes(f.LimitBytes)
			}
			parts = append(parts, use)
			if v, ok := OOMVictim(ev); ok {
				parts = append(parts, "killed: "+v)
			} else if len(f.Processes) > 0 {
				p := f.Processes[0]
				parts = append(parts, fmt.Sprintf("largest left: %s (pid %d, %s)", p.Command, p.Pid, HumanBytes(p.RSSBytes)))
			}
		}
	}
	// An OOM kill's detail repeats what the forensics said, unless the
	// kill was found from the counter (then it says so).
	if ev.Detail != "" && !(ev.Kind == watch.KindOOM && ev.Forensics != nil && !ev.Missed) {
		parts = append(parts, ev.Detail)
	}
	return sanitize.OneLine(strings.Join(parts, "  "))
}

// OOMVictim names the process an OOM kill took, when the forensics know
// it: "grower 64m (pid 4130, 30.0MiB)", escaped.
func OOMVictim(ev watch.Event) (string, bool) {
	f := ev.Forensics
	if f == nil || f.LikelyVictim == 0 {
		return "", false
	}
	for _, p := range f.Processes {
		if p.Pid == f.LikelyVictim {
			return sanitize.OneLine(fmt.Sprintf("%s (pid %d, %s)", p.Command, p.Pid, HumanBytes(p.RSSBytes))), true
		}
	}
	return fmt.Sprintf("pid %d", f.LikelyVictim), true
}

// ShortID shortens the 64-hex ids docker, containerd and podman give their
// containers to their first 12 characters, as docker shows them (any
// command takes a unique prefix); other ids are shown whole.
func ShortID(id string) string {
	if len(id) != 64 {
		return id
	}
	for _, r := range id {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return id
		}
	}
	return id[:12]
}

// Progress is a bar of width cells and the sizes: "[=====     ] 12MiB /
// 40MiB" (full when the total is unknown).
func Progress(sent, total int64, width int) string {
	fill := width
	if total > 0 {
		fill = int(min(max(sent, 0)*int64(width)/total, int64(width)))
	}
	return "[" + strings.Repeat("=", fill) + strings.Repeat(" ", width-fill) + "] " +
		HumanBytes(uint64(max(sent, 0))) + " / " + HumanBytes(uint64(max(total, 0)))
}

// OrDash is s, or "-" for a field with nothing to show.
func OrDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
