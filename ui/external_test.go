package ui

import (
	"strings"
	"testing"

	"berth/ui/uitest"
)

// An external container (found in another manager's runtime root) shows
// what is known of it and who owns it; a delete, its manager's business,
// is refused up front with the reason and not offered, while a checkpoint
// is (restored as a new berth container).
func TestExternalContainer(t *testing.T) {
	m, f := app(t, 120, 40, "dark", false)
	press(m, "down", "down", "down", "down") // ext-redis
	if m.list.Selected() != uitest.ExtRedis {
		t.Fatalf("selected %q", m.list.Selected())
	}
	press(m, "d")
	if v := uitest.Strip(m.View()); m.modal != nil || !strings.Contains(v, "ext-redis is docker's, not berth's: delete it with docker rm ext-redis") {
		t.Fatalf("d on an external container is not refused up front:\n%s", v)
	}
	press(m, "a")
	if v := uitest.Strip(m.View()); m.modal != nil || !strings.Contains(v, "ext-redis is docker's, not berth's: start it with docker start ext-redis") {
		t.Fatalf("a on an external container is not refused up front:\n%s", v)
	}
	press(m, "R")
	if v := uitest.Strip(m.View()); m.modal != nil || !strings.Contains(v, "ext-redis is docker's, not berth's: restart it with docker restart ext-redis") {
		t.Fatalf("R on an external container is not refused up front:\n%s", v)
	}
	press(m, "c")
	if v := uitest.Strip(m.View()); m.modal == nil || !strings.Contains(v, "Checkpoint cache (docker)") {
		t.Fatalf("c on an external container does not open the checkpoint form:\n%s", v)
	}
	press(m, "esc", ":")
	labels := map[string]bool{}
	for _, it := range m.modal.(*menu).items {
		labels[it.label] = true
	}
	if labels["delete"] || labels["start"] || labels["restart (stop, then start)"] || !labels["checkpoint"] {
		t.Errorf("the palette offers %v", labels)
	}
	press(m, "esc", "enter")
	v := uitest.Strip(m.View())
	for _, want := range []string{"pid", "3001", "bundle", "/var/lib/other/redis", "/run/docker/runtime-runc/moby", "running", "docker"} {
		if !strings.Contains(v, want) {
			t.Errorf("the overview misses %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, "container.json") || strings.Contains(v, "spec:") {
		t.Errorf("the overview shows an internal error:\n%s", v)
	}
	press(m, "d")
	if m.modal != nil || !strings.Contains(uitest.Strip(m.View()), "ext-redis is docker's") {
		t.Fatalf("delete from the container view is not refused:\n%s", uitest.Strip(m.View()))
	}
	if len(f.Calls) != 0 {
		t.Fatalf("calls %v", f.Calls)
	}
}

// An action another manager should do asks first, saying what goes out of
// step, when berth would go behind the manager's back; with the manager's
// CLI at hand (no warning) it goes at once.
func TestBypassAsksFirst(t *testing.T) {
	m, f := app(t, 120, 40, "dark", false)
	f.ViaWarning = "docker will not know it is paused"
	press(m, "down", "down", "down", "down", "p") // ext-redis
	v := uitest.Strip(m.View())
	if m.modal == nil || !strings.Contains(v, "cache (docker): docker will not know it is paused.") {
		t.Fatalf("pause behind docker's back did not ask:\n%s", v)
	}
	if len(f.Calls) != 0 {
		t.Fatalf("acted before the answer: %v", f.Calls)
	}
	press(m, "n")
	if m.modal != nil || len(f.Calls) != 0 {
		t.Fatalf("no still acted: %v", f.Calls)
	}
	press(m, "p", "y")
	if len(f.Calls) != 1 || !strings.Contains(f.Calls[0], "pause") {
		t.Fatalf("yes did not pause: %v", f.Calls)
	}
	f.ViaWarning = ""
	press(m, "p")
	if m.modal != nil || len(f.Calls) != 2 {
		t.Fatalf("with the manager's CLI the resume asked or did nothing: %v", f.Calls)
	}
}

// m migrates the selected container: a form for where, a confirmation,
// the progress in the footer, the result; another manager's container is
// refused up front.
func TestMigrateKey(t *testing.T) {
	m, f := app(t, 120, 40, "dark", false)
	press(m, "m")
	if v := uitest.Strip(m.View()); m.modal == nil || !strings.Contains(v, "Migrate demo-cpu") {
		t.Fatalf("m opened no form:\n%s", v)
	}
	press(m, "r", "o", "o", "t", "@", "h", "2", ":", "/", "s", "d", "enter")
	if v := uitest.Strip(m.View()); !strings.Contains(v, "Migrate demo-cpu to root@h2?") {
		t.Fatalf("no confirmation:\n%s", v)
	}
	press(m, "y")
	if len(f.Calls) != 1 || f.Calls[0] != "migrate demo-cpu root@h2:/sd" {
		t.Fatalf("calls %v", f.Calls)
	}
	if v := uitest.Strip(m.View()); !strings.Contains(v, "migrated demo-cpu to root@h2 (2.0MiB sent, 800 ms") {
		t.Fatalf("no result:\n%s", v)
	}
	// Post-copy is a box in the same form.
	press(m, "m", "h", "3", "tab", "tab", "tab", " ")
	if v := uitest.Strip(m.View()); !strings.Contains(v, "> post-copy (lazy)      [x]") {
		t.Fatalf("the post-copy box:\n%s", v)
	}
	press(m, "enter")
	if v := uitest.Strip(m.View()); !strings.Contains(v, "Post-copy: it is checkpointed without its memory") {
		t.Fatalf("no post-copy confirmation:\n%s", v)
	}
	press(m, "y")
	if len(f.Calls) != 2 || !strings.HasSuffix(f.Calls[1], " h3 lazy") {
		t.Fatalf("calls %v", f.Calls)
	}
	if v := uitest.Strip(m.View()); !strings.Contains(v, "post-copy (300 ms from freeze to running there; 3.0MiB of pages after)") {
		t.Fatalf("no post-copy result:\n%s", v)
	}
	press(m, "down", "down", "m") // ext-redis, now the third row
	if v := uitest.Strip(m.View()); m.modal != nil || !strings.Contains(v, "berth migrates only its own containers") {
		t.Fatalf("migrate of docker's container:\n%s", v)
	}
}
