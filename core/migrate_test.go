package core_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"berth/core"
	"berth/core/coretest"
	"berth/doctor"
	"berth/host/statefile"
)

// A counter migrated over a real sshd to "another host" (this machine,
// another state dir and cgroup parent) goes on counting there, and is gone
// here; a remote that fails mid-restore leaves it running here, counting
// on.
func TestMigrate(t *testing.T) {
	coretest.SkipWithoutCriu(t)
	sshd := coretest.StartSSHD(t)
	local := coretest.NewEnv(t, fixture, nil)
	remote := coretest.NewEnv(t, fixture, nil)
	o := core.MigrateOptions{SSH: sshd.SSH, Host: sshd.Host, StateDir: remote.StateDir,
		RemoteBerth: []string{fixture.Berth, "--cgroup-parent", remote.CgroupParent, "--external-root", ""}}

	local.Run("count", counter, nil)
	before := waitCount(t, local.M, "count", 5)

	// A remote whose runtime cannot restore fails after the checkpoint:
	// the container runs here again, from it.
	again := failRemoteRestore(t, local, o, "count", before)

	var bars int
	o.Progress = func(sent, total int64) { bars++ }
	mig, err := local.M.Migrate(ctx, "count", o)
	if err != nil {
		t.Fatal(err)
	}
	if mig.Remote.Status != core.StatusRunning || mig.Remote.ID != "count" || mig.Bytes == 0 || bars == 0 || mig.DowntimeMs <= 0 {
		t.Fatalf("migration %+v (%d progress calls)", mig, bars)
	}
	if _, err := local.M.Get(ctx, "count"); err == nil {
		t.Fatal("the migrated container is still here")
	}
	last := again[len(again)-1]
	there := waitCount(t, remote.M, "count", 3)
	if there[0] <= last {
		t.Fatalf("the counter started again there: %d after %d here", there[0], last)
	}
	// The id is taken there now: a second migration is refused before the
	// container is touched.
	remote.Run("taken", counter, nil)
	local.Run("taken", counter, nil)
	_, err = local.M.Migrate(ctx, "taken", o)
	if err == nil || !strings.Contains(err.Error(), "was not touched") {
		t.Fatalf("migrating onto a taken id: %v", err)
	}
	local.WaitStatus("taken", core.StatusRunning, time.Second)
}

// failRemoteRestore migrates id to a remote whose runtime cannot
// restore, and returns the counter's numbers once it counts here again,
// on from before.
func failRemoteRestore(t *testing.T, local *coretest.Env, o core.MigrateOptions, id string, before []int) []int {
	t.Helper()
	broken := o
	broken.RemoteBerth = append(append([]string{}, o.RemoteBerth...), "--runtime", "/bin/true")
	_, err := local.M.Migrate(ctx, id, broken)
	if err == nil || !strings.Contains(err.Error(), "it runs here again") {
		t.Fatalf("a failed remote restore: %v", err)
	}
	local.WaitStatus(id, core.StatusRunning, 10*time.Second)
	again := waitCount(t, local.M, id, len(numbers(t, local.M, id))+3)
	if again[len(again)-1] <= before[len(before)-1] {
		t.Fatalf("running here again, the counter went back: %v then %v", before, again)
	}
	return again
}

// lazyPipes makes the host's fs.pipe-max-size allow CRIU's lazy page
// server (berth runs without CAP_SYS_RESOURCE here) for the test, and puts
// it back after.
func lazyPipes(t testing.TB) {
	const knob = "/proc/sys/fs/pipe-max-size"
	old, err := os.ReadFile(knob)
	if err != nil {
		t.Skip(err)
	}
	if n, _ := strconv.Atoi(strings.TrimSpace(string(old))); n >= core.LazyPipeSize {
		return
	}
	if err := os.WriteFile(knob, []byte(strconv.Itoa(core.LazyPipeSize)), 0o644); err != nil {
		t.Skipf("cannot raise %s: %v", knob, err)
	}
	t.Cleanup(func() { os.WriteFile(knob, old, 0o644) })
}

// Post-copy: the counter migrated with lazy pages goes on counting there,
// its pages having followed the restore through the same ssh; a remote
// that cannot restore leaves it running here, the dump abandoned and its
// tasks thawed; a host whose pipes are too small for CRIU's page server is
// refused before the container is touched.
func TestMigrateLazy(t *testing.T) {
	coretest.SkipWithoutCriu(t)
	sshd := coretest.StartSSHD(t)
	local := coretest.NewEnv(t, fixture, nil)
	remote := coretest.NewEnv(t, fixture, nil)
	o := core.MigrateOptions{SSH: sshd.SSH, Host: sshd.Host, StateDir: remote.StateDir, Lazy: true,
		RemoteBerth: []string{fixture.Berth, "--cgroup-parent", remote.CgroupParent, "--external-root", ""}}

	local.Run("lazy", counter, nil)
	before := waitCount(t, local.M, "lazy", 5)

	if core.CheckLazyPages() != nil {
		_, err := local.M.Migrate(ctx, "lazy", o)
		if err == nil || !strings.Contains(err.Error(), "fs.pipe-max-size") || !strings.Contains(err.Error(), "was not touched") {
			t.Fatalf("lazy migration with small pipes: %v", err)
		}
	}
	lazyPipes(t)

	again := failRemoteRestore(t, local, o, "lazy", before)
	if left, _ := filepath.Glob(filepath.Join(remote.StateDir, ".migrate-*")); len(left) != 0 {
		t.Fatalf("the remote kept %v", left)
	}

	var bars int
	o.Progress = func(sent, total int64) { bars++ }
	mig, err := local.M.Migrate(ctx, "lazy", o)
	if err != nil {
		t.Fatal(err)
	}
	if mig.Remote.Status != core.StatusRunning || !mig.Lazy || mig.PagesBytes == 0 || mig.Bytes == 0 || bars == 0 || mig.DowntimeMs <= 0 {
		t.Fatalf("migration %+v (%d progress calls)", mig, bars)
	}
	if _, err := local.M.Get(ctx, "lazy"); err == nil {
		t.Fatal("the migrated container is still here")
	}
	last := again[len(again)-1]
	there := waitCount(t, remote.M, "lazy", 3)
	if there[0] <= last {
		t.Fatalf("the counter started again there: %d after %d here", there[0], last)
	}
	cps, err := remote.M.Checkpoints(ctx, "lazy")
	if err != nil || len(cps) != 0 {
		t.Fatalf("the remote lists checkpoints %v (%v): a lazy one holds no pages", cps, err)
	}
}

// doctor --remote checks the host a migration would go to over the same
// ssh: a berth there answers with its own checks; one that is not there
// is one failed check saying so.
func TestDoctorRemote(t *testing.T) {
	sshd := coretest.StartSSHD(t)
	remote := coretest.NewEnv(t, fixture, nil)
	o := core.MigrateOptions{SSH: sshd.SSH, Host: sshd.Host, StateDir: remote.StateDir, RemoteBerth: []string{fixture.Berth}}
	checks := doctor.Remote(ctx, o)
	if len(checks) < 3 || checks[0].Name != "remote berth" || checks[0].Status != doctor.CheckOK {
		t.Fatalf("remote doctor: %+v", checks)
	}
	names := map[string]bool{}
	for _, c := range checks {
		names[c.Name] = true
	}
	if !names["runtime"] || !names["post-copy"] {
		t.Fatalf("the remote's own checks are missing: %+v", checks)
	}
	o.RemoteBerth = []string{"/nonexistent/berth"}
	checks = doctor.Remote(ctx, o)
	if len(checks) != 1 || checks[0].Status != doctor.CheckFail || !strings.Contains(checks[0].Detail, "/nonexistent/berth: No such file") {
		t.Fatalf("no berth there: %+v", checks)
	}
}

// A receiving berth's check sweeps the directories earlier migrations
// left (a check whose migration then failed on the sending side, a
// receiver killed mid-way): old and unlocked ones go; one a receiver
// holds, and a new one, stay.
func TestMigrationDirsSwept(t *testing.T) {
	e := coretest.NewEnv(t, fixture, nil)
	old := time.Now().Add(-time.Hour)
	mk := func(name string, age time.Time) string {
		dir := filepath.Join(e.StateDir, name)
		if err := os.MkdirAll(filepath.Join(dir, "cp"), 0o700); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(dir, age, age)
		return dir
	}
	stale, held, fresh := mk(".migrate-stale", old), mk(".migrate-held", old), mk(".migrate-fresh", time.Now())
	lock, err := statefile.LockDir(held, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if _, err := e.M.ReceiveMigration(ctx, "newcomer", "", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Fatalf("the stale dir stayed: %v", err)
	}
	for _, dir := range []string{held, fresh} {
		if _, err := os.Stat(dir); err != nil {
			t.Fatalf("%s went: %v", dir, err)
		}
	}
}
