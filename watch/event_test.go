package watch_test

import (
	"encoding/json"
	"strings"
	"testing"

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
