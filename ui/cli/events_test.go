package cli_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"berth/watch"
)

// eventLines decodes berth events --json output into "kind id" lines.
func eventLines(t *testing.T, out string) []string {
	t.Helper()
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if l == "" {
			continue
		}
		var ev watch.Event
		if err := json.Unmarshal([]byte(l), &ev); err != nil {
			t.Fatalf("bad line %q: %v", l, err)
		}
		got = append(got, string(ev.Kind)+" "+ev.Ref())
	}
	return got
}

// berth events --id, --kind, --since and --until pick from the history:
// a live container by any reference, a gone one by its id or ROOT/ID, and
// an exact id in the history over a live container it only prefixes.
func TestEventsQuery(t *testing.T) {
	c := newCLI(t)
	c.must("run", "-d", "-b", c.env.Bundle([]string{"sleep", "1000"}, nil), "webapp")
	now := time.Now()
	ext := "/run/other"
	exit := 137
	if err := watch.Append(c.env.StateDir,
		watch.Event{Time: now.Add(-5 * time.Hour), Kind: watch.KindCreate, ID: "web"},
		watch.Event{Time: now.Add(-4 * time.Hour), Kind: watch.KindOOM, ID: "web", Pid: 9, OOMCount: 1},
		watch.Event{Time: now.Add(-3 * time.Hour), Kind: watch.KindExit, ID: "web", Pid: 9, ExitStatus: &exit, Proc: "init"},
		watch.Event{Time: now.Add(-2 * time.Hour), Kind: watch.KindStart, ID: "ext1", Root: ext},
		watch.Event{Time: now.Add(-time.Hour), Kind: watch.KindOOM, ID: "ext1", Root: ext, Pid: 7, OOMCount: 1},
	); err != nil {
		t.Fatal(err)
	}
	local := now.Add(-150 * time.Minute).Local().Format("2006-01-02 15:04")
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--id", "web"}, []string{"create web", "oom web", "exit web"}},
		{[]string{"--id", "webapp", "--kind", "create"}, []string{"create webapp"}},
		{[]string{"--id", "weba", "--kind", "create,start"}, []string{"create webapp", "start webapp"}},
		{[]string{"--id", "berth/webapp", "--kind", "start"}, []string{"start webapp"}},
		{[]string{"--id", ext + "/ext1"}, []string{"start " + ext + "/ext1", "oom " + ext + "/ext1"}},
		{[]string{"--id", "ext1", "--kind", "oom"}, []string{"oom " + ext + "/ext1"}},
		{[]string{"--kind", "oom", "--kind", "exit"}, []string{"oom web", "exit web", "oom " + ext + "/ext1"}},
		{[]string{"--since", "210m", "--until", "90m"}, []string{"exit web", "start " + ext + "/ext1"}},
		{[]string{"--since", local, "--until", now.Add(-30 * time.Minute).Format(time.RFC3339)}, []string{"start " + ext + "/ext1", "oom " + ext + "/ext1"}},
		{[]string{"--id", "gone"}, nil},
	} {
		// --until in the past stops the output without --no-follow.
		args := append([]string{"events", "--json"}, tc.args...)
		if !slices.Contains(tc.args, "--until") {
			args = append(args, "--no-follow")
		}
		if got := eventLines(t, c.must(args...)); !slices.Equal(got, tc.want) {
			t.Errorf("berth %s: %q, want %q", strings.Join(args, " "), got, tc.want)
		}
	}
	// An --until ahead follows live, then ends there by itself.
	out := c.must("events", "--json", "--kind", "oom", "--until", time.Now().Add(time.Second).Format(time.RFC3339Nano))
	if got := eventLines(t, out); len(got) != 2 {
		t.Errorf("events --until ahead: %q", got)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--since", "yesterday"}, `--since "yesterday": give a time`},
		{[]string{"--until", "-5m"}, "--until -5m: give a duration back from now"},
		{[]string{"--kind", "oom,bogus"}, `--kind "bogus": no such kind (one of create, start,`},
		{[]string{"--since", "1m", "--until", "1h"}, "--until 1h is not after --since 1m"},
		{[]string{"--id", "a/../b"}, "container reference"},
	} {
		_, errs, code := c.run(append([]string{"events"}, tc.args...)...)
		if code != 2 || !strings.Contains(errs, tc.want) || strings.Count(strings.TrimSpace(errs), "\n") > 0 {
			t.Errorf("berth events %q: exit %d, stderr %q; want exit 2 and one line with %q", tc.args, code, errs, tc.want)
		}
	}
}
