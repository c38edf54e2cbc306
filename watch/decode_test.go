package watch

import (
	"bufio"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// journalLines are events as the journal holds them (json.Marshal's
// output), then hostile and unusual variants: each must read exactly as
// json.Unmarshal reads it, and the plain ones by hand.
func journalLines(t testing.TB) (plain, hostile []string) {
	st := 137
	at := time.Date(2026, 12, 4, 1, 2, 3, 456789000, time.UTC)
	evs := []Event{
		{Time: at, Kind: KindOOM, ID: "oom-001", Pid: 4242, OOMCount: 7, Detail: "largest process: awk",
			Forensics: &Forensics{LimitBytes: 8 << 20, UsageBytes: 8<<20 - 4096,
				Stat:         []StatEntry{{Name: "rss", Bytes: 7 << 20}, {Name: "cache", Bytes: 0}},
				Processes:    []ProcessMem{{Pid: 4300, Command: "awk BEGIN{s=\"x\"; while(1) s=s s}", RSSBytes: 6 << 20}, {Pid: 4242, Command: "sh", RSSBytes: 1 << 20}},
				LikelyVictim: 4300}},
		{Time: at, Kind: KindExit, ID: "rm-0001", Pid: 99, ExitStatus: &st, OOMKilled: true, Proc: "init", Detail: "killed"},
		{Time: at.In(time.FixedZone("", 3600)), Kind: KindDelete, ID: "x", Root: "/run/runc"},
		{Time: at, Kind: KindOOM, ID: "m", Missed: true, OOMCount: 1 << 40, Forensics: &Forensics{Error: "gone"}},
		{Time: at, Kind: "future-kind", ID: "é-ü"},
		{Time: at, Kind: KindExit, ID: "ok"},
		{Kind: KindStart, ID: "a", Forensics: &Forensics{Stat: []StatEntry{}, Processes: []ProcessMem{}}},
	}
	for _, ev := range evs {
		b, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		plain = append(plain, string(b)+"\n")
	}
	// Strings json.Marshal escapes.
	esc, err := json.Marshal(Event{Kind: KindOOM, ID: "m", Detail: "a \"b\" <c> & \u2028 \x7f \t\n\\ é",
		Forensics: &Forensics{Processes: []ProcessMem{{Pid: 1, Command: "sh -c 'x && y'"}}}})
	if err != nil {
		t.Fatal(err)
	}
	plain = append(plain, string(esc)+"\n",
		// A kill as a shim journals it, under the OOM churn benchmark.
		`{"time":"2026-12-04T01:25:16.066654534Z","kind":"oom","id":"oom-046","pid":9341,"detail":"largest process: sh -c while :; do sh -c \"echo 1000 \u003e /proc/self/oom_score_adj; exec awk 'BEGIN{s=\\\"x\\\"; while(1) s=s s}'\"; sleep 1; done","oomKills":29,"forensics":{"limitBytes":8388608,"usageBytes":8388608,"stat":[{"name":"rss","bytes":8056832},{"name":"inactive_anon","bytes":7966720},{"name":"active_anon","bytes":4096}],"processes":[{"pid":9341,"command":"sh -c while :; do sh -c \"echo 1000 \u003e /proc/self/oom_score_adj; exec awk 'BEGIN{s=\\\"x\\\"; while(1) s=s s}'\"; sleep 1; done","rssBytes":1884160}]}}`+"\n",
		// A kill the kernel told of after the init's exit, as a shim journals it.
		`{"kind":"oom","id":"m","pid":7,"oomKills":1,"forensics":{"limitBytes":33554432,"usageBytes":40960,"peakBytes":33554432,"late":true}}`+"\n")
	hostile = []string{
		`{"kind":"oom","id":"m","forensics":{"late":1,"peakBytes":-1}}`,
		`{"kind":"oom","id":"m\/\b\f\r\u00e9\u00E9\u0000"}`,
		`{"kind":"oom","\u0069d":"m"}`,
		`{"kind":"oom","id":"\ud83d\ude00"}`,
		`{"kind":"oom","id":"\ud83d"}`,
		`{"kind":"oom","id":"\u12"}`,
		`{"kind":"oom","id":"\u12g4"}`,
		`{"kind":"oom","id":"\x"}`,
		`{"kind":"oom","id":"m\`,
		"{\"kind\":\"oom\",\"id\":\"\\n\xff\"}",
		`{"kind":"oom","id":"m","time":"2026-12-04T01:02:03\u005a"}`,
		`{"kind":"oom","id":"m","oomCount":3}`,
		`{"kind":"oom","id":"m","oomKills":2,"oomCount":3}`,
		`{"kind":"oom","id":"m","oomKills":0,"oomCount":3}`,
		`{"kind":"oom","id":"m","id":"n"}`,
		`{"kind":"oom","ID":"m"}`,
		`{"kind":"oom","id":"m\u0041"}`,
		`{"kind":"oom","id":"m\n"}`,
		"{\"kind\":\"oom\",\"id\":\"m\xff\"}",
		"{\"kind\":\"oom\",\"id\":\"m\x01\"}",
		`{"kind":"oom","id":"m","pid":null}`,
		`{"kind":"oom","id":"m","pid":1.0}`,
		`{"kind":"oom","id":"m","pid":1e3}`,
		`{"kind":"oom","id":"m","pid":-0}`,
		`{"kind":"oom","id":"m","pid":-}`,
		`{"kind":"oom","id":"m","pid":007}`,
		`{"kind":"oom","id":"m","pid":99999999999999999999}`,
		`{"kind":"oom","id":"m","pid":-123456789012345678}`,
		`{"kind":"oom","id":"m","oomKills":-1}`,
		`{"kind":"oom","id":"m","oomKills":18446744073709551615}`,
		`{"kind":"oom","id":"m","oomKills":18446744073709551616}`,
		`{"kind":"oom","id":"m","oomKills":"3"}`,
		`{"kind":"oom","id":"m","missed":1}`,
		`{"kind":"oom","id":"m","missed":truex}`,
		`{"kind":"oom","id":"m","missed":tru}`,
		`{"kind":"oom","id":"m","time":"2026-12-04T01:02:03Z"}`,
		`{"kind":"oom","id":"m","time":"2026-12-04 01:02:03"}`,
		`{"kind":"oom","id":"m","time":"2026-12-04T01:02:03+01:00"}`,
		`{"kind":"oom","id":"m","time":12}`,
		`{"kind":"oom","id":"m","exitStatus":-1}`,
		`{"kind":"oom","id":"m","exitStatus":null}`,
		`{"kind":"oom","id":"m","other":{"a":[1,2]}}`,
		`{"kind":"oom","id":"m"} x`,
		`{"kind":"oom","id":"m"}}`,
		`{"kind":"oom","id":"m",}`,
		`{"kind":"oom" "id":"m"}`,
		`{"kind":"oom","id":"m"`,
		`{"kind":"oom","id":"m","forensics":null}`,
		`{"kind":"oom","id":"m","forensics":{}}`,
		`{"kind":"oom","id":"m","forensics":{"stat":[{}]}}`,
		`{"kind":"oom","id":"m","forensics":{"stat":[{"name":"a","name":"b"}]}}`,
		`{"kind":"oom","id":"m","forensics":{"stat":[{"name":"a"},]}}`,
		`{"kind":"oom","id":"m","forensics":{"processes":[{"pid":1,"pid":2}]}}`,
		`{"kind":"oom","id":"m","forensics":{"processes":[{"pid":1,"command":"x","rssBytes":1.5}]}}`,
		`{"kind":"oom","id":"m","forensics":{"limitBytes":1,"limitBytes":2}}`,
		`{"kind":"oom","id":"m","forensics":{"Error":"x"}}`,
		`{"kind":"oom","id":"m","forensics":[]}`,
		`{"kind":"oom","id":"m","forensics":{"stat":null}}`,
		" \t{ \"kind\" : \"oom\" , \"id\" : \"m\" } \r\n",
		`{}`, `[]`, `null`, ``, `"x"`, `{"kind":"","id":""}`,
	}
	return plain, hostile
}

// checkDecode fails when the hand reading of b differs from
// json.Unmarshal's, or takes a line json.Unmarshal refuses.
func checkDecode(t testing.TB, b []byte) (fast bool) {
	var want Event
	wantErr := jsonEvent(b, &want)
	var got Event
	fast = fastEvent(b, &got)
	if !fast {
		return false
	}
	if wantErr != nil {
		t.Fatalf("%q: read by hand as %+v, but json.Unmarshal says %v", b, got, wantErr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: read by hand as\n%#v\njson.Unmarshal reads\n%#v", b, got, want)
	}
	return true
}

// The journal's own lines are read by hand; every line, hostile ones
// too, reads as json.Unmarshal reads it (or is refused as it refuses it).
func TestDecodeEventMatchesJSON(t *testing.T) {
	plain, hostile := journalLines(t)
	for _, l := range plain {
		if !checkDecode(t, []byte(l)) {
			t.Errorf("%s: left to encoding/json; want it read by hand", l)
		}
	}
	for _, l := range hostile {
		checkDecode(t, []byte(l))
		var got, want Event
		gotErr, wantErr := decodeEvent([]byte(l), &got), jsonEvent([]byte(l), &want)
		if (gotErr == nil) != (wantErr == nil) || !reflect.DeepEqual(got, want) {
			t.Errorf("%q: decodeEvent %+v, %v; json.Unmarshal %+v, %v", l, got, gotErr, want, wantErr)
		}
	}
}

func FuzzDecodeEvent(f *testing.F) {
	plain, hostile := journalLines(f)
	for _, l := range append(plain, hostile...) {
		f.Add([]byte(l))
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkDecode(t, b) })
}

// BenchmarkDecodeEvent: one OOM kill's journal line, with its
// forensics, by hand and through encoding/json.
func BenchmarkDecodeEvent(b *testing.B) {
	plain, _ := journalLines(b)
	line := []byte(plain[0])
	for _, c := range []struct {
		name string
		fn   func([]byte, *Event) error
	}{{"hand", decodeEvent}, {"json", jsonEvent}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var ev Event
				if err := c.fn(line, &ev); err != nil || !strings.HasPrefix(string(ev.Kind), "oom") {
					b.Fatal(err)
				}
			}
		})
	}
}

// Lines longer than the reader's buffer read whole, an unterminated
// last line is left for later, and garbage is skipped with a warning.
func TestScanJournalLongLines(t *testing.T) {
	plain, _ := journalLines(t)
	text := strings.Join(plain, "") + "garbage\n" + plain[1] + `{"kind":"oom","id":"torn`
	var got []Event
	n, warns := scanJournal(bufio.NewReaderSize(strings.NewReader(text), 16), JournalFile, func(ev Event) { got = append(got, ev) })
	if want := int64(len(text) - len(`{"kind":"oom","id":"torn`)); n != want {
		t.Errorf("consumed %d bytes, want %d", n, want)
	}
	if len(got) != len(plain)+1 || len(warns) != 1 {
		t.Fatalf("%d events and warnings %q; want %d and one", len(got), warns, len(plain)+1)
	}
	for i, l := range append(plain, plain[1]) {
		var want Event
		if err := jsonEvent([]byte(l), &want); err != nil || !reflect.DeepEqual(got[i], want) {
			t.Errorf("line %d: %+v, want %+v (%v)", i, got[i], want, err)
		}
	}
}
