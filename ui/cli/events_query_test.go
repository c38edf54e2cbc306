package cli

import (
	"errors"
	"slices"
	"testing"
	"time"

	"berth/watch"
)

// The times --since and --until take: a duration back from now, RFC 3339,
// or a local date and time; anything else is a usage error.
func TestParseWhen(t *testing.T) {
	now := time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Time
		bad  bool
	}{
		{in: "", want: time.Time{}},
		{in: "10m", want: now.Add(-10 * time.Minute)},
		{in: "2h", want: now.Add(-2 * time.Hour)},
		{in: "2026-03-04T10:30:00Z", want: time.Date(2026, 3, 4, 10, 30, 0, 0, time.UTC)},
		{in: "2026-03-04T10:30:00.5+02:00", want: time.Date(2026, 3, 4, 8, 30, 0, 5e8, time.UTC)},
		{in: "2026-03-04 10:30", want: time.Date(2026, 3, 4, 10, 30, 0, 0, time.Local)},
		{in: "2026-03-04 10:30:15", want: time.Date(2026, 3, 4, 10, 30, 15, 0, time.Local)},
		{in: "-5m", bad: true},
		{in: "yesterday", bad: true},
		{in: "2026-03-04", bad: true},
		{in: "10", bad: true},
	} {
		got, err := parseWhen("since", tc.in, now)
		var ue usageError
		switch {
		case tc.bad && !errors.As(err, &ue):
			t.Errorf("%q: error %v, want a usage error", tc.in, err)
		case !tc.bad && (err != nil || !got.Equal(tc.want)):
			t.Errorf("%q: %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

// The kinds come repeated or comma-separated and are checked; the window
// must not be empty; keep applies every part of the query.
func TestEventQuery(t *testing.T) {
	now := time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)
	q, err := parseEventQuery("", []string{"oom", " exit"}, "2h", "1h", now)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(q.kinds, []watch.Kind{watch.KindOOM, watch.KindExit}) {
		t.Errorf("kinds %v", q.kinds)
	}
	at := func(ago time.Duration, k watch.Kind) watch.Event {
		return watch.Event{Time: now.Add(-ago), Kind: k, ID: "x"}
	}
	for _, tc := range []struct {
		ev   watch.Event
		want bool
	}{
		{at(90*time.Minute, watch.KindOOM), true},
		{at(2*time.Hour, watch.KindExit), true}, // since is included
		{at(time.Hour, watch.KindOOM), false},   // until is not
		{at(3*time.Hour, watch.KindOOM), false},
		{at(90*time.Minute, watch.KindStart), false},
	} {
		if got := q.keep(tc.ev); got != tc.want {
			t.Errorf("keep(%s %v ago) = %v", tc.ev.Kind, now.Sub(tc.ev.Time), got)
		}
	}
	for _, bad := range []struct{ id, kind, since, until string }{
		{kind: "bogus"}, {since: "1m", until: "5m"}, {since: "1h", until: "1h"}, {id: "a/../b"}, {until: "soon"},
	} {
		var kinds []string
		if bad.kind != "" {
			kinds = []string{bad.kind}
		}
		var ue usageError
		if _, err := parseEventQuery(bad.id, kinds, bad.since, bad.until, now); !errors.As(err, &ue) {
			t.Errorf("%+v: error %v, want a usage error", bad, err)
		}
	}
}
