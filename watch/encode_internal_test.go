package watch

import (
	"encoding/json"
	"testing"
	"time"
)

// marshalEventCases are events marshalEvent writes by hand, and some it
// hands to json.Marshal.
func marshalEventCases() []Event {
	status, neg := 137, -1
	t := time.Date(2026, 12, 4, 3, 31, 54, 697389594, time.UTC)
	return []Event{
		{Time: t, Kind: KindStart, ID: "web", Pid: 30838},
		{Time: t, Kind: KindCreate, ID: "web", Detail: "/srv/bundles/web"},
		{Time: t.Truncate(time.Second), Kind: KindExit, ID: "a.b_c-1", Pid: 1, ExitStatus: &status, OOMKilled: true, Proc: "init"},
		{Time: t, Kind: KindExit, ID: "x", ExitStatus: &neg, Proc: "exec-1"},
		{Time: t, Kind: KindOOM, ID: "x", Root: "/run/runc", OOMCount: 18446744073709551615, Missed: true},
		{Time: t.In(time.FixedZone("", 5*3600+30*60)), Kind: KindStart, ID: "zone"},
		{Time: time.Time{}, Kind: "", ID: ""},
		{Time: t, Kind: KindDelete, ID: "h", Detail: "a <b> & \"c\" \\ \n\t\u2028 \xff é"},
		{Time: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), Kind: KindStart, ID: "y10k"},
		{Time: t, Kind: KindOOM, ID: "f", Forensics: &Forensics{LikelyVictim: 7}},
	}
}

// TestMarshalEvent holds the journal's hand encoder to json.Marshal.
func TestMarshalEvent(t *testing.T) {
	for _, ev := range marshalEventCases() {
		checkMarshalEvent(t, ev)
	}
}

func checkMarshalEvent(t *testing.T, ev Event) {
	t.Helper()
	want, werr := json.Marshal(ev)
	got, gerr := marshalEvent(ev)
	if string(got) != string(want) || (werr == nil) != (gerr == nil) {
		t.Fatalf("marshalEvent(%+v) = %s, %v; json.Marshal: %s, %v", ev, got, gerr, want, werr)
	}
}

func FuzzMarshalEvent(f *testing.F) {
	for _, ev := range marshalEventCases() {
		f.Add(ev.Time.UnixNano(), string(ev.Kind), ev.ID, ev.Root, ev.Pid, ev.ExitStatus != nil, ev.OOMKilled, ev.Detail, ev.OOMCount, ev.Missed, ev.Proc, 0)
	}
	f.Fuzz(func(t *testing.T, nanos int64, kind, id, root string, pid int, exited, oom bool, detail string, count uint64, missed bool, proc string, zone int) {
		ev := Event{Time: time.Unix(0, nanos).In(time.FixedZone("", zone%(48*3600))), Kind: Kind(kind), ID: id, Root: root,
			Pid: pid, OOMKilled: oom, Detail: detail, OOMCount: count, Missed: missed, Proc: proc}
		if exited {
			ev.ExitStatus = &pid
		}
		checkMarshalEvent(t, ev)
	})
}
