package format

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestParseLimits(t *testing.T) {
	show := func(p *int64) string {
		if p == nil {
			return "-"
		}
		return fmt.Sprint(*p)
	}
	for _, tc := range []struct {
		mem, pids, cpus string
		want            string // memory pids cpus, "-" for unchanged
		err             string
	}{
		{"512m", "", "", "536870912 - -", ""},
		{" 1g ", "100", "0.5", "1073741824 100 0.5", ""},
		{"0", "0", "0", "-1 -1 0", ""},
		{"-1", "-1", "", "-1 -1 -", ""},
		{"", "", "2", "- - 2", ""},
		{"", "", "", "", "nothing to update"},
		{"lots", "", "", "", `memory: "lots": give a size`},
		{"-5m", "", "", "", "memory:"},
		{"", "1.5", "", "", `pids: "1.5": give a whole number`},
		{"", "-2", "", "", "pids:"},
		{"", "", "NaN", "", `cpus: "NaN"`},
		{"", "", "-1", "", "cpus:"},
		{"", "", "1e9", "", "cpus:"},
	} {
		r, err := ParseLimits(tc.mem, tc.pids, tc.cpus)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseLimits(%q, %q, %q) = %v, want error %q", tc.mem, tc.pids, tc.cpus, err, tc.err)
			}
			continue
		}
		cpus := "-"
		if r.CPUs != nil {
			cpus = fmt.Sprint(*r.CPUs)
		}
		if got := show(r.MemoryBytes) + " " + show(r.Pids) + " " + cpus; err != nil || got != tc.want {
			t.Errorf("ParseLimits(%q, %q, %q) = %s, %v; want %s", tc.mem, tc.pids, tc.cpus, got, err, tc.want)
		}
	}
	if _, err := ParseLimits("", " ", ""); !errors.Is(err, ErrNoLimits) {
		t.Errorf("blank: %v", err)
	}
}

// The update form is filled with MemoryLimitText: it must read back as
// the same limit.
func TestMemoryLimitText(t *testing.T) {
	for n, want := range map[uint64]string{32 << 20: "32m", 1 << 30: "1g", 1536 << 10: "1536k", 4097: "4097", 3 << 40: "3t"} {
		got := MemoryLimitText(n)
		if got != want {
			t.Errorf("MemoryLimitText(%d) = %q, want %q", n, got, want)
		}
		if v, err := ParseMemoryLimit(got); err != nil || uint64(v) != n {
			t.Errorf("%q reads back as %d, %v", got, v, err)
		}
	}
}
