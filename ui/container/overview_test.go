package container

import (
	"errors"
	"strings"
	"testing"

	"berth/ui/uitest"
)

func TestOverviewSpecError(t *testing.T) {
	f := uitest.New()
	f.Fail["Spec"] = errors.New("demo-mem: record:\nunreadable")
	c := uitest.NewCommon(t, f, 80, 24, "dark", false)
	p := open(NewOverview(c), "demo-mem")
	v := p.View()
	var errLines []string
	for _, l := range strings.Split(v, "\n") {
		if strings.Contains(l, "spec:") {
			errLines = append(errLines, strings.TrimSpace(l))
		}
	}
	want := "spec: demo-mem: record:; unreadable"
	if len(errLines) != 1 || errLines[0] != want {
		t.Errorf("spec error lines = %q, want one %q", errLines, want)
	}
	if !strings.Contains(v, "by berth") {
		t.Errorf("the record is not shown beside the error:\n%s", v)
	}
}

func TestOverviewStaleSpecDropped(t *testing.T) {
	c := uitest.NewCommon(t, uitest.New(), 80, 200, "dark", false)
	o := NewOverview(c)
	stale := uitest.Run(o.Open("demo-cpu"))
	fresh := uitest.Run(o.Open("demo-log"))
	feed(o, stale...)
	if o.loaded {
		t.Fatal("the spec of the container opened before was taken")
	}
	feed(o, fresh...)
	if !o.loaded || o.spec.Hostname != "demo-log" {
		t.Fatalf("spec not taken: loaded %v", o.loaded)
	}
	if !strings.Contains(o.View(), "hostname     demo-log") {
		t.Errorf("hostname not shown:\n%s", o.View())
	}
}

func TestOverviewScroll(t *testing.T) {
	c := uitest.NewCommon(t, uitest.New(), 80, 10, "dark", false)
	o := open(NewOverview(c), "demo-mem").(*Overview)
	n := len(o.lines)
	tests := []struct {
		key  string
		want int
	}{
		{"down", 1}, {"down", 2}, {"up", 1}, {"pgdown", 10}, {"end", n - 10}, {"down", n - 10}, {"g", 0}, {"up", 0},
	}
	for _, tt := range tests {
		o.Update(keyMsg(tt.key))
		if o.scroll.Top != tt.want {
			t.Fatalf("after %s: top %d, want %d", tt.key, o.scroll.Top, tt.want)
		}
	}
	if last := lastLine(o.View()); !strings.Contains(last, "more lines") {
		t.Errorf("no note on the lines below: %q", last)
	}
	o.Update(keyMsg("end"))
	if last := lastLine(o.View()); strings.Contains(last, "more lines") {
		t.Errorf("a note on lines below at the bottom: %q", last)
	}
}

func TestOverviewStoppedRecord(t *testing.T) {
	c := uitest.NewCommon(t, uitest.New(), 100, 60, "dark", false)
	v := open(NewOverview(c), "web-old").View()
	for _, want := range []string{"■ stopped", "exit         status 137, oom-killed"} {
		if !strings.Contains(v, want) {
			t.Errorf("no %q in:\n%s", want, v)
		}
	}
}

func lastLine(v string) string {
	ls := strings.Split(v, "\n")
	return ls[len(ls)-1]
}

// Another manager's container's overview summarises the config.json in
// its bundle; a bundle without one is one line, beside the record.
func TestOverviewExternalSpec(t *testing.T) {
	c := uitest.NewCommon(t, uitest.New(), 80, 48, "dark", false)
	p := open(NewOverview(c), uitest.ExtRedis)
	v := uitest.Strip(p.View())
	for _, want := range []string{"its bundle's config.json", "redis-server --save 60", "hostname     cache"} {
		if !strings.Contains(v, want) {
			t.Errorf("the external overview lacks %q:\n%s", want, v)
		}
	}
	uitest.Golden(t, "overview-external-80x48", p.View())
	f := uitest.New()
	f.SpecFiles = nil
	c = uitest.NewCommon(t, f, 120, 48, "dark", false)
	v = uitest.Strip(open(NewOverview(c), uitest.ExtRedis).View())
	if !strings.Contains(v, "spec: "+uitest.ExtRedis+": /var/lib/other/redis/config.json does not exist") || !strings.Contains(v, "docker") {
		t.Errorf("a missing config.json:\n%s", v)
	}
}
