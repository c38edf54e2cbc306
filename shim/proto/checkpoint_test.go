package proto

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDumpSucceeded(t *testing.T) {
	for _, tc := range []struct {
		name, log string
		want      bool
	}{
		{"dump", "(00.43) Writing stats\n(00.44) Dumping finished successfully\n", true},
		{"pre-dump", "(00.30) Writing stats\n(00.31) Pre-dumping finished successfully\n", true},
		{"failed", "(00.10) Error (criu/cr-dump.c:2093): Dumping FAILED.\n", false},
		{"success then more", "(00.44) Dumping finished successfully\n(00.45) Error: later\n", false},
		{"long log", strings.Repeat("(00.01) line of a long log\n", 10000) + "(09.00) Dumping finished successfully\n", true},
		{"no log", "", false},
	} {
		staging := t.TempDir()
		if tc.log != "" {
			os.MkdirAll(filepath.Join(staging, CheckpointWork), 0o700)
			os.WriteFile(filepath.Join(staging, CheckpointWork, DumpLog), []byte(tc.log), 0o600)
		}
		if got := DumpSucceeded(staging); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
