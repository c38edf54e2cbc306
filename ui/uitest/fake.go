// Package uitest is an in-memory core for the terminal UI's tests: a fixed
// set of containers like the demo's, with processes, stats, logs,
// checkpoints and events, and a record of every action asked of it. It
// lets golden views and Update tests run without root, runc or a clock.
package uitest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"sync"
	"time"

	"berth/core"
	"berth/host/procfs"
	"berth/ui/common"
	"berth/watch"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Epoch is the fake's clock: every time in its fixtures is relative to it.
var Epoch = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

// Fake implements common.Core in memory. Its fields are the fixtures;
// tests may change them (under no lock: the UI's commands run in tests
// synchronously).
type Fake struct {
	mu         sync.Mutex
	Containers []core.Container
	Stats      map[string]core.Stats
	Procs      map[string][]core.Process
	Specs      map[string]*specs.Spec
	// SpecFiles are config.json files by Ref, as SpecJSON reads them;
	// without one, a managed container's is its Specs entry, marshalled.
	SpecFiles  map[string][]byte
	LogLines   map[string][]core.LogLine
	Checkpoint map[string][]core.Checkpoint
	DumpLogs   map[string]string
	// Inspections are what InspectCheckpoint decodes, by "id/name"; a
	// checkpoint without one decodes as FixtureInspection.
	Inspections map[string]core.CheckpointInspection
	Journal     []watch.Event // the events history
	// Live delivers event batches to a follower; nil means none.
	Live chan []watch.Event
	// LiveErr ends Live with an error (the watch failed).
	LiveErr chan error
	// Reads records the container reads (List, Get id), apart from Calls,
	// which records actions.
	Reads []string
	// Fail makes the named method fail with this error.
	Fail map[string]error
	// ViaWarning is what Via says goes out of step for an external
	// container ("" for nothing).
	ViaWarning string
	// Calls records each action: "pause demo-cpu", "kill demo-cpu 15".
	Calls []string
	// Host is the host's first reading; each HostStats call after it
	// advances the CPU counters by HostStep, so the UI's CPU figure
	// (37% by default) is fixed.
	Host      core.HostStats
	HostStep  core.HostStats
	hostReads uint64
}

var _ common.Core = (*Fake)(nil)

func exitStatus(n int) *int { return &n }

// New is the demo-like fixture: four managed containers (a cpu burner, a
// memory grower with OOM kills, a chatty logger, a paused sleeper), a
// stopped one and an external one.
// ExtRedis is the Ref of the fixture's external container (docker's
// "cache"): the key the UI knows it by.
const ExtRedis = "/run/docker/runtime-runc/moby/ext-redis"

func New() *Fake {
	at := func(d time.Duration) time.Time { return Epoch.Add(-d) }
	mb := uint64(1 << 20)
	f := &Fake{
		Containers: []core.Container{
			{ID: "demo-cpu", Status: core.StatusRunning, Pid: 4101, Bundle: "/run/berth/.demo/demo-cpu", Runtime: "runc", Managed: true, Owner: "berth", Created: at(2 * time.Hour)},
			{ID: "demo-mem", Status: core.StatusRunning, Pid: 4102, Bundle: "/run/berth/.demo/demo-mem", Runtime: "runc", Managed: true, Owner: "berth", Created: at(2 * time.Hour), OOMKills: 7},
			{ID: "demo-log", Status: core.StatusRunning, Pid: 4103, Bundle: "/run/berth/.demo/demo-log", Runtime: "runc", Managed: true, Owner: "berth", Created: at(95 * time.Minute)},
			{ID: "demo-sleep", Status: core.StatusPaused, Pid: 4104, Bundle: "/run/berth/.demo/demo-sleep", Runtime: "runc", Managed: true, Owner: "berth", Created: at(3 * 24 * time.Hour)},
			{ID: "web-old", Status: core.StatusStopped, Bundle: "/srv/bundles/web", Runtime: "runc", Managed: true, Owner: "berth", Created: at(26 * time.Hour), ExitStatus: exitStatus(137), OOMKilled: true},
			{ID: "ext-redis", Status: core.StatusRunning, Pid: 3001, Bundle: "/var/lib/other/redis", Runtime: "runc", RuntimeRoot: "/run/docker/runtime-runc/moby", Managed: false, Owner: "docker", Name: "cache", Image: "redis:7.2", Created: at(50 * time.Hour)},
		},
		Stats: map[string]core.Stats{
			"demo-cpu":   {CPUUsage: 0, MemoryUsage: 2 * mb, PidsCurrent: 2, CPUQuota: 0.5},
			"demo-mem":   {MemoryUsage: 28 * mb, MemoryCache: 12 * mb, MemoryLimit: 32 * mb, PidsCurrent: 3, PidsLimit: 64},
			"demo-log":   {MemoryUsage: 1 * mb, MemoryCache: 3 * mb, PidsCurrent: 2, IOWrite: 4096},
			"demo-sleep": {MemoryUsage: 512 << 10, PidsCurrent: 1},
			"ext-redis":  {MemoryUsage: 9 * mb, MemoryCache: 40 * mb, MemoryLimit: 256 * mb, PidsCurrent: 4, NetHost: true},
		},
		Procs: map[string][]core.Process{
			"demo-cpu": {
				{HostPid: 4101, ContainerPid: 1, PPid: 4090, User: "root", State: "S", RSS: 900 << 10, Threads: 1, Command: "sh -c while :; do :; done & sleep 1d", StartTime: 100},
				{HostPid: 4120, ContainerPid: 7, PPid: 4101, User: "root", State: "R", CPUPercent: 49.8, RSS: 600 << 10, Threads: 1, Command: "sh -c while :; do :; done", StartTime: 101},
			},
			"demo-mem": {
				{HostPid: 4102, ContainerPid: 1, PPid: 4091, User: "root", State: "S", RSS: 1 << 20, Threads: 1, Command: "sh /grow.sh", StartTime: 100},
				{HostPid: 4133, ContainerPid: 12, PPid: 4102, User: "nobody", UID: 65534, State: "R", CPUPercent: 12, RSS: 26 * mb, Threads: 1, Command: "grower 64m", StartTime: 150},
			},
		},
		Specs: map[string]*specs.Spec{},
		// docker's container: a long command line, and a hostile byte
		// in an env var (JSON may carry C1 controls raw).
		SpecFiles: map[string][]byte{ExtRedis: []byte(`{"ociVersion":"1.2.0","process":{"terminal":false,"user":{"uid":999,"gid":999},` +
			`"args":["redis-server","--save","60","1","--loglevel","warning","--maxmemory","256mb","--maxmemory-policy","allkeys-lru","--appendonly","yes","--dir","/data/redis/persistent/volume/of/a/long/path"],` +
			`"env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","REDIS_VERSION=7.2.4","REDIS_DOWNLOAD_URL=http://download.redis.io/releases/redis-7.2.4.tar.gz?from=mirror&verify=sha256","BAD=` + "" + `31mred"],"cwd":"/data"},` +
			`"root":{"path":"/var/lib/docker/overlay2/3f9a/merged"},"hostname":"cache",` +
			`"linux":{"namespaces":[{"type":"pid"},{"type":"ipc"},{"type":"uts"},{"type":"mount"},{"type":"network"}]}}`)},
		LogLines: map[string][]core.LogLine{
			// docker's json-file log of its container, as core reads it.
			ExtRedis: {
				{Time: Epoch.Add(-4 * time.Second), Stream: "stdout", Data: []byte("Ready to accept connections tcp")},
			},
			"demo-log": {
				{Time: Epoch.Add(-3 * time.Second), Stream: "stdout", Data: []byte("GET /index.html served in 3ms")},
				{Time: Epoch.Add(-2 * time.Second), Stream: "stderr", Data: []byte("warning: slow client 10.0.0.7")},
				{Time: Epoch.Add(-1 * time.Second), Stream: "stdout", Data: []byte("GET /api/items served in 12ms")},
			},
		},
		Checkpoint: map[string][]core.Checkpoint{
			"demo-cpu": {
				{Name: "before-upgrade", Container: "demo-cpu", Created: at(40 * time.Minute), Valid: true, LeftRunning: true,
					Options: core.CheckpointOptions{LeaveRunning: true}, SizeBytes: 3 << 20, CriuVersion: "4.1.1", RuntimeVersion: "1.5.3",
					Stats: &core.DumpStats{FreezingTimeUs: 912, FrozenTimeUs: 41000, MemdumpTimeUs: 9000, MemwriteTimeUs: 7000, PagesScanned: 12000, PagesWritten: 700}},
				{Name: "broken", Container: "demo-cpu", Created: at(10 * time.Minute), Valid: false, Reason: "metadata missing"},
			},
		},
		DumpLogs: map[string]string{"demo-cpu/before-upgrade": "(00.000010) Version: 4.1.1\n(00.041000) Dumping finished successfully\n"},
		Journal: []watch.Event{
			{Time: at(2 * time.Hour), Kind: watch.KindStart, ID: "demo-cpu", Pid: 4101},
			{Time: at(2 * time.Hour), Kind: watch.KindStart, ID: "demo-mem", Pid: 4102},
			{Time: at(5 * time.Minute), Kind: watch.KindOOM, ID: "demo-mem", Pid: 4102, OOMCount: 7,
				Forensics: &watch.Forensics{LimitBytes: 32 * mb, UsageBytes: 32 * mb, LikelyVictim: 4130, Processes: []watch.ProcessMem{{Pid: 4130, Command: "grower 64m", RSSBytes: 30 * mb}}}},
			{Time: at(time.Minute), Kind: watch.KindPause, ID: "demo-sleep"},
		},
		Fail: map[string]error{},
		Host: core.HostStats{CPUs: 2, MemTotal: 8 << 30, MemAvailable: 5 << 30, Load: [3]float64{0.52, 0.40, 0.31},
			CPU: procfs.CPUTimes{Busy: 1000, Total: 5000}},
		HostStep: core.HostStats{CPU: procfs.CPUTimes{Busy: 74, Total: 200}},
	}
	// As in core, only berth's own containers have a spec on record.
	for _, c := range f.Containers {
		if c.Managed {
			f.Specs[c.ID] = demoSpec(c.ID)
		}
	}
	return f
}

func demoSpec(id string) *specs.Spec {
	limit := int64(32 << 20)
	pids := int64(64)
	return &specs.Spec{
		Version:  "1.2.0",
		Hostname: id,
		Process: &specs.Process{
			Args: []string{"sh", "-c", "exec sleep 1d"}, Env: []string{"PATH=/bin:/usr/bin", "TERM=xterm"}, Cwd: "/",
			User: specs.User{UID: 0, GID: 0},
		},
		Root:   &specs.Root{Path: "rootfs", Readonly: true},
		Mounts: []specs.Mount{{Destination: "/proc", Type: "proc", Source: "proc"}, {Destination: "/tmp", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "size=16m"}}},
		Linux: &specs.Linux{
			Namespaces: []specs.LinuxNamespace{{Type: "pid"}, {Type: "mount"}, {Type: "ipc"}, {Type: "uts"}, {Type: "network"}},
			Resources:  &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &limit}, Pids: &specs.LinuxPids{Limit: &pids}},
		},
	}
}

func (f *Fake) fail(method string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.Fail[method]
}

func (f *Fake) record(format string, a ...any) {
	f.mu.Lock()
	f.Calls = append(f.Calls, fmt.Sprintf(format, a...))
	f.mu.Unlock()
}

func (f *Fake) find(id string) (int, error) {
	for i, c := range f.Containers {
		if c.Ref() == id {
			return i, nil
		}
	}
	return -1, fmt.Errorf("%s: %w", id, core.ErrNotFound)
}

// List returns the fixture containers.
func (f *Fake) List(ctx context.Context) ([]core.Container, error) {
	if err := f.fail("List"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Reads = append(f.Reads, "List")
	return slices.Clone(f.Containers), nil
}

// Sample returns each running container's fixture stats, its CPU counter
// advanced as if it used CPUQuota (or 0.3) CPUs since Epoch... at Epoch.
func (f *Fake) Sample(cs []core.Container, full bool) ([]core.Stats, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []core.Stats
	for _, c := range cs {
		s, ok := f.Stats[c.ID]
		if !ok {
			continue
		}
		s.ID, s.Root = c.ID, statsRoot(c)
		if s.Time.IsZero() {
			s.Time = Epoch
		}
		if !full {
			s.CPUQuota, s.PidsLimit, s.NetRx, s.NetTx, s.NetHost = 0, 0, 0, 0, false
		}
		out = append(out, s)
	}
	return out, false
}

// statsRoot is the root a sample of c carries, as core's do: none for
// berth's own.
func statsRoot(c core.Container) string {
	if c.Managed {
		return ""
	}
	return c.RuntimeRoot
}

// Via is the fixture's answer of how an op would go: ViaWarning for
// another manager's container, nothing for berth's.
func (f *Fake) Via(c core.Container, op string) core.Via {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c.Managed {
		return core.Via{}
	}
	return core.Via{Warning: f.ViaWarning}
}

func (f *Fake) setStatus(id string, from, to core.Status, verb string) error {
	if err := f.fail(verb); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	i, err := f.find(id)
	if err != nil {
		return err
	}
	if from != "" && f.Containers[i].Status != from {
		return fmt.Errorf("%s: cannot %s: container is %s", id, verb, f.Containers[i].Status)
	}
	f.Containers[i].Status = to
	f.Calls = append(f.Calls, verb+" "+id)
	return nil
}

// Pause pauses a running fixture.
func (f *Fake) Pause(ctx context.Context, id string) error {
	return f.setStatus(id, core.StatusRunning, core.StatusPaused, "pause")
}

// Resume resumes a paused fixture.
func (f *Fake) Resume(ctx context.Context, id string) error {
	return f.setStatus(id, core.StatusPaused, core.StatusRunning, "resume")
}

// runAgain makes a fixture a running container again, its last exit
// forgotten, as a start or restart leaves it.
func runAgain(c *core.Container) {
	c.Status, c.ExitStatus, c.ExitSignal, c.OOMKilled, c.ExitedAt, c.Reason = core.StatusRunning, nil, 0, false, nil, ""
}

// Start starts a stopped fixture again, as core's does: a live one is
// refused.
func (f *Fake) Start(ctx context.Context, id string) (core.Container, error) {
	if err := f.fail("Start"); err != nil {
		return core.Container{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	i, err := f.find(id)
	if err != nil {
		return core.Container{}, err
	}
	c := &f.Containers[i]
	if c.Status != core.StatusStopped {
		return core.Container{}, fmt.Errorf("%s: already running", id)
	}
	runAgain(c)
	f.Calls = append(f.Calls, "start "+id)
	return *c, nil
}

// Migrate tells o.Progress of a stream in two halves, then records the
// migration and drops the fixture, as core does once the remote runs it.
func (f *Fake) Migrate(ctx context.Context, id string, o core.MigrateOptions) (core.Migration, error) {
	if err := f.fail("Migrate"); err != nil {
		return core.Migration{}, err
	}
	if o.Progress != nil {
		o.Progress(1<<20, 2<<20)
		o.Progress(2<<20, 2<<20)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	i, err := f.find(id)
	if err != nil {
		return core.Migration{}, err
	}
	c := f.Containers[i]
	f.Containers = slices.Delete(f.Containers, i, i+1)
	f.Calls = append(f.Calls, fmt.Sprintf("migrate %s %s%s%s", id, o.Host, map[bool]string{true: ":" + o.StateDir}[o.StateDir != ""], map[bool]string{true: " lazy"}[o.Lazy]))
	if o.Lazy {
		return core.Migration{ID: id, Host: o.Host, Bytes: 1 << 20, DowntimeMs: 300, Lazy: true, PagesBytes: 3 << 20, Remote: c}, nil
	}
	return core.Migration{ID: id, Host: o.Host, Bytes: 2 << 20, DowntimeMs: 800, Remote: c}, nil
}

// Restart records the restart and leaves the fixture running.
func (f *Fake) Restart(ctx context.Context, id string, timeout time.Duration) (core.Container, error) {
	if err := f.fail("Restart"); err != nil {
		return core.Container{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	i, err := f.find(id)
	if err != nil {
		return core.Container{}, err
	}
	c := &f.Containers[i]
	if c.Status == core.StatusCreated {
		return core.Container{}, fmt.Errorf("%s: cannot restart: it is being created", id)
	}
	runAgain(c)
	f.Calls = append(f.Calls, fmt.Sprintf("restart %s %v", id, timeout))
	return *c, nil
}

// Kill records the signal; SIGKILL and SIGTERM stop the fixture.
func (f *Fake) Kill(ctx context.Context, id string, sig unix.Signal) error {
	if err := f.fail("Kill"); err != nil {
		return err
	}
	f.record("kill %s %d", id, int(sig))
	if sig == unix.SIGKILL || sig == unix.SIGTERM {
		f.mu.Lock()
		if i, err := f.find(id); err == nil {
			f.Containers[i].Status = core.StatusStopped
		}
		f.mu.Unlock()
	}
	return nil
}

// Delete removes a fixture.
func (f *Fake) Delete(ctx context.Context, id string, force bool) error {
	if err := f.fail("Delete"); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	i, err := f.find(id)
	if err != nil {
		return err
	}
	if f.Containers[i].Running() && !force {
		return fmt.Errorf("%s: container is %s: stop it first", id, f.Containers[i].Status)
	}
	f.Containers = slices.Delete(f.Containers, i, i+1)
	f.Calls = append(f.Calls, fmt.Sprintf("delete %s force=%v", id, force))
	return nil
}

// Update records the new limits.
func (f *Fake) Update(ctx context.Context, id string, r core.Resources) error {
	if err := f.fail("Update"); err != nil {
		return err
	}
	// The same rules as core's Update.
	if r.MemoryBytes == nil && r.Pids == nil && r.CPUs == nil {
		return fmt.Errorf("%s: nothing to update", id)
	}
	if r.MemoryBytes != nil && *r.MemoryBytes < -1 || r.CPUs != nil && *r.CPUs < 0 {
		return fmt.Errorf("%s: invalid limits", id)
	}
	s := "update " + id
	if r.MemoryBytes != nil {
		s += fmt.Sprintf(" memory=%d", *r.MemoryBytes)
	}
	if r.Pids != nil {
		s += fmt.Sprintf(" pids=%d", *r.Pids)
	}
	if r.CPUs != nil {
		s += fmt.Sprintf(" cpus=%g", *r.CPUs)
	}
	f.record("%s", s)
	return nil
}

// SignalProcess records the signal.
func (f *Fake) SignalProcess(ctx context.Context, id string, pid int, start uint64, sig unix.Signal) error {
	if err := f.fail("SignalProcess"); err != nil {
		return err
	}
	f.record("signal %s %d %d", id, pid, int(sig))
	return nil
}

// ExecCommand returns /bin/true.
func (f *Fake) ExecCommand(ctx context.Context, id string, o core.ExecOptions) (*exec.Cmd, error) {
	if err := f.fail("ExecCommand"); err != nil {
		return nil, err
	}
	f.record("exec %s %v", id, o.Args)
	return exec.CommandContext(ctx, "true"), nil
}

// Spec returns the fixture spec.
func (f *Fake) Spec(id string) (*specs.Spec, error) {
	if err := f.fail("Spec"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.Specs[id]
	if !ok {
		// What core says of a container it has no record of.
		return nil, fmt.Errorf("%s: open /run/berth/%s/container.json: %w", id, id, os.ErrNotExist)
	}
	return s, nil
}

// HostStats returns the fixture host's figures, its CPU counters
// advanced by HostStep at each call.
func (f *Fake) HostStats() (core.HostStats, error) {
	if err := f.fail("HostStats"); err != nil {
		return core.HostStats{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	h := f.Host
	h.CPU.Busy += f.HostStep.CPU.Busy * f.hostReads
	h.CPU.Total += f.HostStep.CPU.Total * f.hostReads
	f.hostReads++
	return h, nil
}

// SpecJSON returns the container's config.json, indented as core
// indents it: its SpecFiles entry, or its Specs entry marshalled.
func (f *Fake) SpecJSON(ctx context.Context, ref string) (string, []byte, error) {
	if err := f.fail("SpecJSON"); err != nil {
		return "", nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	i, err := f.find(ref)
	if err != nil {
		return "", nil, err
	}
	c := f.Containers[i]
	path := c.Bundle + "/config.json"
	if c.Managed {
		path = "/run/berth/" + c.ID + "/bundle/config.json"
	}
	b, ok := f.SpecFiles[ref]
	if !ok {
		s, ok := f.Specs[c.ID]
		if !ok || !c.Managed {
			return path, nil, fmt.Errorf("%s: %s does not exist", ref, path)
		}
		if b, err = json.Marshal(s); err != nil {
			return path, nil, err
		}
	}
	js, err := core.IndentSpec(b)
	if err != nil {
		return path, nil, fmt.Errorf("%s: %s: %w", ref, path, err)
	}
	return path, js, nil
}

// Processes returns the fixture processes.
func (f *Fake) Processes(ctx context.Context, id string) ([]core.Process, error) {
	if err := f.fail("Processes"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.Procs[id]), nil
}

// Logs delivers the fixture lines within Since and Until (the last Tail
// of them), then with Follow waits for ctx.
func (f *Fake) Logs(ctx context.Context, id string, o core.LogOptions, fn func(core.LogLine) error) error {
	if err := f.fail("Logs"); err != nil {
		return err
	}
	f.mu.Lock()
	lines := slices.Clone(f.LogLines[id])
	managed := !slices.ContainsFunc(f.Containers, func(c core.Container) bool { return c.Ref() == id && !c.Managed })
	f.mu.Unlock()
	if !managed && len(lines) == 0 {
		// As core says of a container whose manager keeps no log berth
		// reads.
		return fmt.Errorf("%s: no logs: berth did not start it, and its manager keeps no log file berth reads: %w", id, core.ErrUnmanaged)
	}
	lines = slices.DeleteFunc(lines, func(l core.LogLine) bool {
		return !o.Since.IsZero() && l.Time.Before(o.Since) || !o.Until.IsZero() && !l.Time.Before(o.Until)
	})
	if o.Tail >= 0 && len(lines) > o.Tail {
		lines = lines[len(lines)-o.Tail:]
	}
	for _, l := range lines {
		l.Text = string(l.Data)
		if err := fn(l); err != nil {
			return err
		}
	}
	if o.Follow {
		<-ctx.Done()
	}
	return nil
}

// CreateCheckpoint adds a valid checkpoint.
func (f *Fake) CreateCheckpoint(ctx context.Context, id, name string, o core.CheckpointOptions) (core.Checkpoint, error) {
	if err := f.fail("CreateCheckpoint"); err != nil {
		return core.Checkpoint{}, err
	}
	cp := core.Checkpoint{Name: name, Container: id, Created: Epoch, Valid: true, Options: o, LeftRunning: o.LeaveRunning, SizeBytes: 1 << 20}
	f.mu.Lock()
	f.Checkpoint[id] = append(f.Checkpoint[id], cp)
	f.mu.Unlock()
	f.record("checkpoint %s %s leave-running=%v", id, name, o.LeaveRunning)
	return cp, nil
}

// Checkpoints lists the fixture checkpoints.
func (f *Fake) Checkpoints(ctx context.Context, id string) ([]core.Checkpoint, error) {
	if err := f.fail("Checkpoints"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.Checkpoint[id]), nil
}

// DeleteCheckpoint removes a fixture checkpoint.
func (f *Fake) DeleteCheckpoint(ctx context.Context, id, name string, force bool) error {
	if err := f.fail("DeleteCheckpoint"); err != nil {
		return err
	}
	f.mu.Lock()
	cps := f.Checkpoint[id]
	f.Checkpoint[id] = slices.DeleteFunc(cps, func(c core.Checkpoint) bool { return c.Name == name })
	f.mu.Unlock()
	f.record("delete-checkpoint %s %s", id, name)
	return nil
}

// Restore records the restore and returns the (new) container.
func (f *Fake) Restore(ctx context.Context, id, name string, o core.RestoreOptions) (core.Container, error) {
	if err := f.fail("Restore"); err != nil {
		return core.Container{}, err
	}
	f.record("restore %s %s as=%s", id, name, o.As)
	target := id
	if o.As != "" {
		target = o.As
	}
	return core.Container{ID: target, Status: core.StatusRunning, Managed: true}, nil
}

// CheckpointLog returns the fixture dump log.
func (f *Fake) CheckpointLog(ctx context.Context, id, name string) (string, error) {
	if err := f.fail("CheckpointLog"); err != nil {
		return "", err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.DumpLogs[id+"/"+name], nil
}

// InspectCheckpoint returns the fixture inspection of a checkpoint, its
// matches kept to those the search's expression matches.
func (f *Fake) InspectCheckpoint(ctx context.Context, id, name string, o core.InspectOptions) (core.CheckpointInspection, error) {
	if err := f.fail("InspectCheckpoint"); err != nil {
		return core.CheckpointInspection{}, err
	}
	f.mu.Lock()
	in, ok := f.Inspections[id+"/"+name]
	f.mu.Unlock()
	if !ok {
		in = FixtureInspection()
	}
	in.Checkpoint.Name, in.Checkpoint.Container = name, id
	all := in.Matches
	in.Matches = nil
	if o.Search != "" {
		re, err := regexp.Compile(o.Search)
		if err != nil {
			return core.CheckpointInspection{}, fmt.Errorf("%s: search: %w", id, err)
		}
		for _, mt := range all {
			if re.MatchString(mt.Match) {
				in.Matches = append(in.Matches, mt)
			}
		}
	}
	return in, nil
}

// DiffCheckpoints returns a fixture diff between two checkpoints: the
// server started a worker, opened a socket and grew its heap.
func (f *Fake) DiffCheckpoints(ctx context.Context, id, from, to string, o core.InspectOptions) (core.CheckpointDiff, error) {
	if err := f.fail("DiffCheckpoints"); err != nil {
		return core.CheckpointDiff{}, err
	}
	return core.CheckpointDiff{From: from, To: to,
		ProcessesAdded: []core.InspectProcess{{Pid: 12, Ppid: 7, Command: "worker", State: "Alive", Args: []string{"worker", "--queue", "jobs"}}},
		ProcessesGone:  []core.InspectProcess{{Pid: 9, Ppid: 1, Command: "worker", State: "Zombie"}},
		Processes: []core.ProcessDiff{{Pid: 7, Command: "server", ResidentBefore: 20 << 20, ResidentAfter: 52 << 20,
			FilesOpened: []core.InspectFile{{Fd: "5", Type: "INETSK", Path: "socket:[52002]"}},
			FilesClosed: []core.InspectFile{{Fd: "6", Type: "REG", Path: "/var/cache/upload.part"}},
			Mappings: []core.MappingDiff{
				{Start: 0xc000000000, Change: "changed", SizeBefore: 32 << 20, SizeAfter: 64 << 20, ResidentBefore: 18 << 20, ResidentAfter: 50 << 20},
				{Start: 0x7f0000000000, Resource: "/usr/lib/libssl.so.3", Change: "added", SizeAfter: 1 << 20, ResidentAfter: 256 << 10},
			}}},
	}, nil
}

// FixtureInspection is a small checkpoint's decode: a shell, a server it
// started with a socket listening and one connected, and a zombie.
func FixtureInspection() core.CheckpointInspection {
	return core.CheckpointInspection{
		PageSize: 4096,
		Processes: []core.InspectProcess{
			{Pid: 1, Pgid: 1, Sid: 1, Threads: 1, Command: "sh", State: "Alive",
				Args: []string{"sh", "-c", "server --port 8080 & wait"}, Env: []string{"PATH=/usr/bin:/bin", "HOME=/root"},
				Files: []core.InspectFile{{Fd: "0", Type: "REG", Path: "/dev/null"}, {Fd: "1", Type: "PIPE", Path: "pipe[41001]"},
					{Fd: "2", Type: "PIPE", Path: "pipe[41002]"}, {Fd: "cwd", Path: "/"}, {Fd: "root", Path: "/"}},
				Mappings: []core.Mapping{
					{Start: 0x400000, End: 0x401000, Size: 0x1000, Protection: "r--", Resource: "/bin/busybox", ResidentPages: 0},
					{Start: 0x401000, End: 0x585000, Size: 0x184000, Protection: "r-x", Resource: "/bin/busybox + 0x1000", ResidentPages: 1},
					{Start: 0x7ffd0000, End: 0x7fff1000, Size: 0x21000, Protection: "rw-", Resource: "[stack]", ResidentPages: 4},
				}, ResidentBytes: 5 * 4096},
			{Pid: 7, Ppid: 1, Pgid: 1, Sid: 1, Threads: 4, Command: "server", State: "Alive",
				Args: []string{"server", "--port", "8080"}, Env: []string{"PATH=/usr/bin:/bin", "API_TOKEN=s3cr3t"},
				Files: []core.InspectFile{{Fd: "0", Type: "REG", Path: "/dev/null"}, {Fd: "3", Type: "REG", Path: "/var/log/server.log"},
					{Fd: "4", Type: "INETSK", Path: "socket:[52001]"}, {Fd: "5", Type: "INETSK", Path: "socket:[52002]"}},
				Sockets: []core.InspectSocket{
					{Fd: 4, Kind: "INETSK", Family: "IPV4", Protocol: "TCP", Type: "STREAM", State: "LISTEN", Src: "0.0.0.0", SrcPort: 8080},
					{Fd: 5, Kind: "INETSK", Family: "IPV4", Protocol: "TCP", Type: "STREAM", State: "ESTABLISHED", Src: "10.0.0.2", SrcPort: 8080, Dst: "10.0.0.7", DstPort: 51122},
				},
				Mappings: []core.Mapping{
					{Start: 0x400000, End: 0x9a0000, Size: 0x5a0000, Protection: "r-x", Resource: "/usr/bin/server", ResidentPages: 20},
					{Start: 0xc000000000, End: 0xc004000000, Size: 0x4000000, Protection: "rw-", ResidentPages: 12800},
				}, ResidentBytes: 12820 * 4096},
			{Pid: 9, Ppid: 1, Pgid: 1, Sid: 1, Command: "worker", State: "Zombie"},
		},
		Matches: []core.MemoryMatch{
			{Pid: 7, Address: 0xc000012340, Length: 16, Before: `Authorization: `, Match: "Bearer s3cr3t-42", After: `\r\nHost: 10.0.0.2`},
			{Pid: 7, Address: 0xc0000a0000, Length: 8, Before: `API_TOKEN=`, Match: "s3cr3t-1", After: `\x00PATH=/usr/bin`},
		},
	}
}

// History returns the fixture history since since.
func (f *Fake) History(since time.Time) ([]watch.Event, []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var h []watch.Event
	for _, e := range f.Journal {
		if since.IsZero() || !e.Time.Before(since) {
			h = append(h, e)
		}
	}
	return h, nil
}

// Subscribe returns Live and LiveErr (a failure set with Fail("Subscribe")
// is sent on a channel of its own).
func (f *Fake) Subscribe(ctx context.Context) (<-chan []watch.Event, <-chan error) {
	if err := f.fail("Subscribe"); err != nil {
		errc, live := make(chan error, 1), make(chan []watch.Event)
		errc <- err
		close(errc)
		close(live)
		return live, errc
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.Live, f.LiveErr
}

// Get returns one container of the fixture.
func (f *Fake) Get(ctx context.Context, id string) (core.Container, error) {
	if err := f.fail("Get"); err != nil {
		return core.Container{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Reads = append(f.Reads, "Get "+id)
	i, err := f.find(id)
	if err != nil {
		return core.Container{}, err
	}
	return f.Containers[i], nil
}
