package cli_test

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// oneLine fails unless s is one line of text.
func oneLine(t *testing.T, what, s string) {
	t.Helper()
	if s == "" || strings.Count(strings.TrimSuffix(s, "\n"), "\n") > 0 {
		t.Errorf("%s: %q is not one line", what, s)
	}
}

// A command the container does not have is one line of berth's, exit 1,
// not the runtime's raw log line and its 255; a command that itself
// exits 255 still does, and its stderr still comes through.
func TestExecMissingCommand(t *testing.T) {
	c := newCLI(t)
	c.must("run", "-d", "-b", c.env.Bundle([]string{"sleep", "1000"}, nil), "box")
	out, errs, code := c.run("exec", "box", "--", "nosuch")
	if code != 1 || out != "" {
		t.Errorf("exec of a missing command: exit %d, stdout %q; want 1 and nothing", code, out)
	}
	oneLine(t, "exec nosuch stderr", errs)
	if want := `berth: box: exec: "nosuch": executable file not found in $PATH`; strings.TrimSpace(errs) != want {
		t.Errorf("exec nosuch stderr %q, want %q", errs, want)
	}
	// Detached, the same.
	if out, errs, code := c.run("exec", "-d", "box", "--", "nosuch"); code != 1 || out != "" ||
		strings.TrimSpace(errs) != `berth: box: exec: "nosuch": executable file not found in $PATH` {
		t.Errorf("exec -d of a missing command: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	// With a terminal, the same.
	master, slave := openPty(t)
	cmd := c.cmd("exec", "-t", "box", "--", "nosuch")
	var stderr bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, &stderr
	err := cmd.Run()
	slave.Close()
	drainPty(master)
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(stderr.String(), `box: exec: "nosuch": executable file not found`) {
		t.Errorf("exec -t of a missing command: %v, stderr %q", err, stderr.String())
	}
	oneLine(t, "exec -t nosuch stderr", stderr.String())
	out, errs, code = c.run("exec", "box", "--", "sh", "-c", "echo out; echo err >&2; exit 255")
	if code != 255 || out != "out\n" || errs != "err\n" {
		t.Errorf("exec exiting 255: exit %d, stdout %q, stderr %q", code, out, errs)
	}
}

// ps -q --json is the ids alone, as a JSON array.
func TestPsQuietJSON(t *testing.T) {
	c := newCLI(t)
	c.must("run", "-d", "-b", c.env.Bundle([]string{"sleep", "1000"}, nil), "quiet")
	var ids []string
	out := c.must("ps", "-q", "--json")
	if err := json.Unmarshal([]byte(out), &ids); err != nil || len(ids) != 1 || ids[0] != "quiet" {
		t.Fatalf("ps -q --json = %s (%v); want [\"quiet\"]", out, err)
	}
}

// An operation that did nothing prints no result: no `[]` that a script
// could take for success; with some done, the ids done.
func TestOperationFailureJSON(t *testing.T) {
	c := newCLI(t)
	c.must("run", "-d", "-b", c.env.Bundle([]string{"sleep", "1000"}, nil), "real")
	for _, op := range []string{"pause", "resume", "kill", "rm"} {
		out, errs, code := c.run(op, "--json", "nosuch")
		if code != 1 || out != "" || strings.TrimSpace(errs) != "berth: nosuch: no such container" {
			t.Errorf("%s --json nosuch: exit %d, stdout %q, stderr %q; want 1, nothing and one line", op, code, out, errs)
		}
	}
	out, errs, code := c.run("pause", "--json", "real", "nosuch")
	var ids []string
	if err := json.Unmarshal([]byte(out), &ids); err != nil || len(ids) != 1 || ids[0] != "real" || code != 1 {
		t.Errorf("pause --json real nosuch: exit %d, stdout %q (%v); want 1 and [\"real\"]", code, out, err)
	}
	oneLine(t, "pause real nosuch stderr", errs)
	// Both directions refuse the same way: already in the state asked for.
	if out, errs, code := c.run("pause", "real"); code != 1 || out != "" || strings.TrimSpace(errs) != "berth: real: already paused" {
		t.Errorf("pause of a paused container: exit %d, %q, %q", code, out, errs)
	}
	c.must("resume", "real")
	if out, errs, code := c.run("resume", "real"); code != 1 || out != "" || strings.TrimSpace(errs) != "berth: real: not paused" {
		t.Errorf("resume of a running container: exit %d, %q, %q", code, out, errs)
	}
}

// stats --json carries every limit and counter, each under one name:
// the limits as they are (0 when none), the network counters, the OOM
// kills under ps's name.
func TestStatsJSONFields(t *testing.T) {
	c := newCLI(t)
	quota, period, pids := int64(50000), uint64(100000), int64(20)
	c.must("run", "-d", "-b", c.env.Bundle([]string{"sleep", "1000"}, func(s *specs.Spec) {
		s.Linux.Resources.CPU = &specs.LinuxCPU{Quota: &quota, Period: &period}
		s.Linux.Resources.Pids = &specs.LinuxPids{Limit: &pids}
	}), "lim")
	c.must("run", "-d", "-b", c.env.Bundle([]string{"sleep", "1000"}, nil), "free")
	var rows []map[string]any
	if err := json.Unmarshal([]byte(c.must("stats", "--no-stream", "--json", "lim", "free")), &rows); err != nil || len(rows) != 2 {
		t.Fatalf("stats --json: %v %v", rows, err)
	}
	for _, r := range rows {
		for _, k := range []string{"cpuPercent", "cpuQuota", "memoryUsageBytes", "memoryCacheBytes", "memoryLimitBytes", "pids", "pidsLimit",
			"ioReadBytes", "ioWriteBytes", "netRxBytes", "netTxBytes", "oomKills"} {
			if _, ok := r[k]; !ok {
				t.Errorf("stats --json of %v lacks %q: %v", r["id"], k, r)
			}
		}
	}
	if lim := rows[0]; lim["cpuQuota"] != 0.5 || lim["pidsLimit"] != 20.0 {
		t.Errorf("stats --json of lim: cpuQuota %v, pidsLimit %v; want 0.5 and 20", lim["cpuQuota"], lim["pidsLimit"])
	}
	if free := rows[1]; free["cpuQuota"] != 0.0 || free["pidsLimit"] != 0.0 {
		t.Errorf("stats --json of free: cpuQuota %v, pidsLimit %v; want 0 (none)", free["cpuQuota"], free["pidsLimit"])
	}
}

// update's 0 lifts each limit (the UI's form goes through the same
// format.ParseLimits): afterwards stats reports none.
func TestUpdateZeroLifts(t *testing.T) {
	c := newCLI(t)
	mem, quota, period, pids := int64(64<<20), int64(50000), uint64(100000), int64(20)
	c.must("run", "-d", "-b", c.env.Bundle([]string{"sleep", "1000"}, func(s *specs.Spec) {
		s.Linux.Resources.Memory = &specs.LinuxMemory{Limit: &mem, Swap: &mem}
		s.Linux.Resources.CPU = &specs.LinuxCPU{Quota: &quota, Period: &period}
		s.Linux.Resources.Pids = &specs.LinuxPids{Limit: &pids}
	}), "lift")
	// --json says what was set in stats' words: 0 for a limit lifted.
	var set map[string]any
	if err := json.Unmarshal([]byte(c.must("update", "--json", "lift", "--memory", "0", "--pids", "0", "--cpus", "0")), &set); err != nil ||
		set["id"] != "lift" || set["memoryLimitBytes"] != 0.0 || set["pidsLimit"] != 0.0 || set["cpuQuota"] != 0.0 || len(set) != 4 {
		t.Errorf("update --json: %v %v; want id and the three limits at 0", set, err)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(c.must("stats", "--no-stream", "--json", "lift")), &rows); err != nil || len(rows) != 1 {
		t.Fatalf("stats --json: %v %v", rows, err)
	}
	if r := rows[0]; r["memoryLimitBytes"] != 0.0 || r["cpuQuota"] != 0.0 || r["pidsLimit"] != 0.0 {
		t.Errorf("after update 0: memory %v, cpu %v, pids %v; want every limit lifted", r["memoryLimitBytes"], r["cpuQuota"], r["pidsLimit"])
	}
	set = nil
	if err := json.Unmarshal([]byte(c.must("update", "--json", "lift", "--memory", "64MiB")), &set); err != nil ||
		set["memoryLimitBytes"] != float64(64<<20) || len(set) != 2 {
		t.Errorf("update --json --memory 64MiB: %v %v", set, err)
	}
}

// berth host --json has the header's figures and counts the containers.
func TestHostJSON(t *testing.T) {
	c := newCLI(t)
	c.must("run", "-d", "-b", c.env.Bundle([]string{"sleep", "1000"}, nil), "hosted")
	var r struct {
		CPUPercent    *float64       `json:"cpuPercent"`
		CPUs          int            `json:"cpus"`
		MemUsedBytes  uint64         `json:"memUsedBytes"`
		MemTotalBytes uint64         `json:"memTotalBytes"`
		Load          []float64      `json:"load"`
		Containers    map[string]int `json:"containers"`
	}
	out := c.must("host", "--json")
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if r.CPUPercent == nil || *r.CPUPercent < 0 || *r.CPUPercent > 100 || r.CPUs < 1 || r.MemTotalBytes == 0 ||
		r.MemUsedBytes > r.MemTotalBytes || len(r.Load) != 3 || r.Containers["total"] != 1 || r.Containers["running"] != 1 {
		t.Fatalf("berth host --json = %s", out)
	}
	if text := c.must("host"); !strings.Contains(text, "containers  1: 1 running") || !strings.Contains(text, "load ") {
		t.Fatalf("berth host = %q", text)
	}
}

// berth spec prints the runtime bundle's config.json, indented JSON; a
// container that does not exist is one line and exit 1.
func TestSpecCommand(t *testing.T) {
	c := newCLI(t)
	c.must("run", "-d", "-b", c.env.Bundle([]string{"sleep", "1000"}, nil), "specd")
	out := c.must("spec", "specd")
	var spec struct {
		Process struct{ Args []string } `json:"process"`
		Linux   struct {
			CgroupsPath string `json:"cgroupsPath"`
		} `json:"linux"`
	}
	if err := json.Unmarshal([]byte(out), &spec); err != nil || !strings.HasPrefix(out, "{\n  \"") ||
		spec.Process.Args[0] != "sleep" || spec.Linux.CgroupsPath != c.env.CgroupParent+"/specd" {
		t.Fatalf("berth spec = %s (%v)", out, err)
	}
	if js := c.must("spec", "--json", "specd"); js != out {
		t.Fatalf("--json changed the output:\n%s", js)
	}
	_, errs, code := c.run("spec", "nosuch")
	if code != 1 || strings.Count(strings.TrimSpace(errs), "\n") != 0 || !strings.Contains(errs, "nosuch") {
		t.Fatalf("berth spec nosuch: exit %d: %q", code, errs)
	}
}
