package format

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestParseBytes(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{"512m", 512 << 20, false},
		{"512M", 512 << 20, false},
		{"512mb", 512 << 20, false},
		{"512MiB", 512 << 20, false},
		{"1g", 1 << 30, false},
		{"1G", 1 << 30, false},
		{"1gb", 1 << 30, false},
		{"1GB", 1 << 30, false},
		{"1GiB", 1 << 30, false},
		{"1gi", 1 << 30, false},
		{"2t", 2 << 40, false},
		{"1k", 1024, false},
		{"1K", 1024, false},
		{"1kib", 1024, false},
		{"1.5k", 1536, false},
		{"0.5g", 512 << 20, false},
		{"100", 100, false},
		{"100b", 100, false},
		{"100B", 100, false},
		{"0", 0, false},
		{" 64m ", 64 << 20, false},
		{"1048576", 1048576, false},
		{"4194304t", 1 << 62, false},

		{"", 0, true},
		{"   ", 0, true},
		{"-1", 0, true},
		{"-1m", 0, true},
		{"lots", 0, true},
		{"m", 0, true},
		{"mb", 0, true},
		{"gib", 0, true},
		{"1x", 0, true},
		{"1 m", 0, true},
		{"1mm", 0, true},
		{"1p", 0, true},
		{"1e30", 0, true},
		{"4194305t", 0, true},
		{"9999999999999999999", 0, true},
		{"inf", 0, true},
		{"-inf", 0, true},
		{"0x10", 0, true},
		{"nan", 0, true},
		{"NaN", 0, true},
		{"nanm", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseBytes(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("ParseBytes(%q) = %d, nil; want an error", tt.in, got)
				}
				if !strings.Contains(err.Error(), "invalid size") {
					t.Errorf("ParseBytes(%q) error %q does not say it is an invalid size", tt.in, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ParseBytes(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
			}
		})
	}
}

// TestParseBytesNeverNegative: whatever it accepts is a size.
func TestParseBytesNeverNegative(t *testing.T) {
	for _, in := range []string{"nan", "NaN", "+nan", "-nan", "nank", "infinity", "-0", "-0.0", "1e-300", "+5", "1e18", "4e18"} {
		got, err := ParseBytes(in)
		if err == nil && (got < 0 || got > 1<<62) {
			t.Errorf("ParseBytes(%q) = %d, nil; want an error or a size in [0, 2^62]", in, got)
		}
	}
}

func TestHumanBytes(t *testing.T) {
	tests := []struct {
		in   uint64
		want string
	}{
		{0, "0B"},
		{1, "1B"},
		{1023, "1023B"},
		{1024, "1.0KiB"},
		{1536, "1.5KiB"},
		{10 * 1024, "10.0KiB"},
		{1 << 20, "1.0MiB"},
		{1572864, "1.5MiB"},
		{20 << 20, "20.0MiB"},
		{1 << 30, "1.0GiB"},
		{3 << 40, "3.0TiB"},
		{1 << 50, "1.0PiB"},
		{1 << 60, "1.0EiB"},
		{math.MaxUint64, "16.0EiB"},
	}
	for _, tt := range tests {
		if got := HumanBytes(tt.in); got != tt.want {
			t.Errorf("HumanBytes(%d) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestHumanBytesParseBytes: what HumanBytes prints for whole units,
// ParseBytes reads back.
func TestHumanBytesParseBytes(t *testing.T) {
	for _, n := range []uint64{1 << 10, 3 << 20, 1 << 30, 5 << 40} {
		s := HumanBytes(n)
		got, err := ParseBytes(s)
		if err != nil || uint64(got) != n {
			t.Errorf("ParseBytes(HumanBytes(%d) = %q) = %d, %v", n, s, got, err)
		}
	}
}

func TestHumanDuration(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "0s"},
		{-time.Hour, "0s"},
		{999 * time.Millisecond, "0s"},
		{time.Second, "1s"},
		{59 * time.Second, "59s"},
		{59*time.Second + 999*time.Millisecond, "59s"},
		{60 * time.Second, "1m0s"},
		{61 * time.Second, "1m1s"},
		{3*time.Minute + 12*time.Second, "3m12s"},
		{59*time.Minute + 59*time.Second, "59m59s"},
		{time.Hour, "1h0m"},
		{3 * time.Hour, "3h0m"},
		{5*time.Hour + 3*time.Minute + 59*time.Second, "5h3m"},
		{23*time.Hour + 59*time.Minute, "23h59m"},
		{24 * time.Hour, "1d0h"},
		{48 * time.Hour, "2d0h"},
		{2*24*time.Hour + 4*time.Hour + 30*time.Minute, "2d4h"},
		{400 * 24 * time.Hour, "400d0h"},
	}
	for _, tt := range tests {
		if got := HumanDuration(tt.in); got != tt.want {
			t.Errorf("HumanDuration(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestAgo(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		t    time.Time
		want string
	}{
		{time.Time{}, "-"},
		{now, "0s ago"},
		{now.Add(-90 * time.Second), "1m30s ago"},
		{now.Add(time.Hour), "0s ago"},
	}
	for _, tt := range tests {
		if got := Ago(now, tt.t); got != tt.want {
			t.Errorf("Ago(%v) = %q, want %q", tt.t, got, tt.want)
		}
	}
}

// TestCompactBytes: IEC units as HumanBytes, in at most four digits, so
// a narrow column never shows a bare K or M.
func TestCompactBytes(t *testing.T) {
	for _, tt := range []struct {
		in   uint64
		want string
	}{
		{0, "0B"},
		{1023, "1023B"},
		{1024, "1.0KiB"},
		{1536, "1.5KiB"},
		{20 << 20, "20.0MiB"},
		{99<<20 + 1000<<10, "100MiB"},
		{512 << 20, "512MiB"},
		{1023 << 20, "1023MiB"},
		{1024<<20 - 1, "1.0GiB"},
		{3 << 30, "3.0GiB"},
		{math.MaxUint64, "16.0EiB"},
	} {
		if got := CompactBytes(tt.in); got != tt.want {
			t.Errorf("CompactBytes(%d) = %q, want %q", tt.in, got, tt.want)
		}
		if got := CompactBytes(tt.in); len(got) > 7 {
			t.Errorf("CompactBytes(%d) = %q: wider than 7", tt.in, got)
		}
	}
}
