package watch_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"berth/watch"
)

// An OOM kill's count is "oomKills" in an event's JSON, the name ps and
// stats use for the same counter; a journal line written as "oomCount"
// (by a shim still running an older berth) still reads.
func TestEventOOMKillsField(t *testing.T) {
	b, err := json.Marshal(watch.Event{Kind: watch.KindOOM, ID: "m", OOMCount: 3})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"oomKills":3`) || strings.Contains(string(b), "oomCount") {
		t.Errorf("event JSON %s; want oomKills and no oomCount", b)
	}
	for _, line := range []string{`{"kind":"oom","id":"m","oomKills":3}`, `{"kind":"oom","id":"m","oomCount":3}`} {
		var ev watch.Event
		if err := json.Unmarshal([]byte(line), &ev); err != nil || ev.OOMCount != 3 || ev.ID != "m" || ev.Kind != watch.KindOOM {
			t.Errorf("%s read as %+v, %v", line, ev, err)
		}
	}
}

// An event's key is one per event however it is read: the same kill or
// exit from two sources is one key whatever their times, other events
// are told apart by when they happened (instant and offset, as their
// RFC 3339 text), and the key reads as before in messages.
func TestEventKey(t *testing.T) {
	at := time.Date(2026, 12, 4, 1, 2, 3, 4, time.UTC)
	st := 1
	kill := watch.Event{Time: at, Kind: watch.KindOOM, ID: "m", Pid: 7, OOMCount: 3}
	late := kill
	late.Time, late.Forensics = at.Add(time.Second), &watch.Forensics{}
	exit := watch.Event{Time: at, Kind: watch.KindExit, ID: "m", Pid: 7, Proc: "init", ExitStatus: &st}
	exitLater := exit
	exitLater.Time = at.Add(time.Hour)
	del := watch.Event{Time: at, Kind: watch.KindDelete, ID: "m"}
	delElsewhere := del
	delElsewhere.Root = "/run/runc"
	delLater, delOffset := del, del
	delLater.Time = at.Add(time.Nanosecond)
	delOffset.Time = at.In(time.FixedZone("", 3600))
	if kill.Key() != late.Key() || exit.Key() != exitLater.Key() {
		t.Error("one kill or exit from two sources has two keys")
	}
	for _, other := range []watch.Event{delElsewhere, delLater, delOffset, kill, exit} {
		if del.Key() == other.Key() {
			t.Errorf("%v and %v share a key", del, other)
		}
	}
	for ev, want := range map[*watch.Event]string{&kill: "oom/m/7/3", &exit: "exit/m/init/7",
		&delElsewhere: "delete//run/runc/m/2026-12-04T01:02:03.000000004Z", &delOffset: "delete/m/2026-12-04T02:02:03.000000004+01:00"} {
		if got := ev.Key().String(); got != want {
			t.Errorf("key %q, want %q", got, want)
		}
	}
}
