package core

import (
	"bytes"
	"testing"
)

// The attached exec's stderr filter keeps back only the runtime's error
// log lines, whichever way the bytes arrive, and gives them back when the
// runtime did not fail (they were the command's).
func TestRuntimeStderr(t *testing.T) {
	const logLine = `{"level":"error","msg":"exec failed: unable to start container process: exec: \"nosuch\": executable file not found in $PATH","time":"2026-12-02T14:21:04Z"}` + "\n"
	for _, tc := range []struct {
		name, in string
		failed   bool
		out, msg string
	}{
		{"runtime failure", logLine, true, "", `"nosuch": executable file not found in $PATH`},
		{"command output passes", "plain\n{not json}\n{\"a\":1}\nmid{", true, "plain\n{not json}\n{\"a\":1}\nmid{", ""},
		{"warning passes", `{"level":"warning","msg":"w","time":"t"}` + "\n", true, `{"level":"warning","msg":"w","time":"t"}` + "\n", ""},
		{"command's own error-looking line, success", "a\n" + logLine + "b\n", false, "a\nb\n" + logLine, ""},
		{"unfinished brace line", "{partial", false, "{partial", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Every split of the input into two writes gives the same.
			for cut := 0; cut <= len(tc.in); cut++ {
				var w bytes.Buffer
				r := &runtimeStderr{w: &w}
				r.Write([]byte(tc.in[:cut]))
				r.Write([]byte(tc.in[cut:]))
				msg, failed := r.finish(tc.failed)
				if got := execFailure(msg); w.String() != tc.out || got != tc.msg || failed != (tc.msg != "") {
					t.Fatalf("cut %d: wrote %q, failure %q %v; want %q, %q", cut, w.String(), got, failed, tc.out, tc.msg)
				}
			}
		})
	}
}
