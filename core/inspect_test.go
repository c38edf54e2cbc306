package core_test

import (
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"berth/core"
	"berth/core/coretest"
	"berth/inspect"

	"golang.org/x/sys/unix"
)

// TestInspectCheckpoint decodes a real checkpoint of a real container:
// its process tree, command lines and environment, open files, a
// listening socket, memory mappings with resident pages, and a search of
// its pages for a string only its memory holds.
func TestInspectCheckpoint(t *testing.T) {
	coretest.SkipWithoutCriu(t)
	e := coretest.NewEnv(t, fixture, nil)
	script := `export FORENSIC_MARK=needle-4217; exec 3</etc/passwd; syslogd -n -O /dev/null & ` +
		`v=$(printf 'hay%.0s' 1 2 3)needle-in-memory; while :; do sleep 1; done`
	e.Run("insp", []string{"sh", "-c", script}, nil)
	waitProcs(t, e.M, "insp", 3)
	if _, err := e.M.CreateCheckpoint(ctx, "insp", "one", core.CheckpointOptions{LeaveRunning: true}); err != nil {
		t.Fatal(err)
	}
	in, err := e.M.InspectCheckpoint(ctx, "insp", "one", core.InspectOptions{Search: `needle-[a-z0-9-]+`}.All())
	if err != nil {
		t.Fatal(err)
	}
	if in.Checkpoint.Name != "one" || len(in.Processes) < 2 {
		t.Fatalf("inspection: %+v", in)
	}
	init := in.Processes[0]
	if init.Pid != 1 || init.Ppid != 0 || init.Command != "sh" || init.State != "Alive" ||
		len(init.Args) != 3 || init.Args[0] != "sh" || init.Args[2] != script {
		t.Fatalf("init: %+v", init)
	}
	var syslogd *core.InspectProcess
	for i, p := range in.Processes {
		if p.Command == "syslogd" {
			syslogd = &in.Processes[i]
		}
	}
	if syslogd == nil || syslogd.Ppid != 1 || !slices.Contains(syslogd.Env, "FORENSIC_MARK=needle-4217") {
		t.Fatalf("syslogd: %+v", syslogd)
	}
	if !slices.ContainsFunc(init.Files, func(f core.InspectFile) bool { return f.Fd == "3" && f.Path == "/etc/passwd" }) ||
		!slices.ContainsFunc(init.Files, func(f core.InspectFile) bool { return f.Fd == "cwd" }) {
		t.Fatalf("init's files: %+v", init.Files)
	}
	// A unix socket: CRIU 4.1 cannot dump TCP sockets on these kernels
	// (it fails reading SO_PASSSEC).
	if !slices.ContainsFunc(syslogd.Sockets, func(s core.InspectSocket) bool {
		return s.Kind == "UNIXSK" && s.Src == "/dev/log" && s.Type == "DGRAM"
	}) {
		t.Fatalf("syslogd's sockets: %+v", syslogd.Sockets)
	}
	var stack bool
	for _, mp := range init.Mappings {
		if mp.End <= mp.Start || mp.Size != mp.End-mp.Start || mp.ResidentPages*uint64(in.PageSize) > mp.Size {
			t.Fatalf("mapping %+v", mp)
		}
		stack = stack || strings.Contains(mp.Resource, "[stack") && mp.ResidentPages > 0
	}
	if !stack || init.ResidentBytes == 0 {
		t.Fatalf("init's mappings: %+v", init.Mappings)
	}
	if !slices.ContainsFunc(in.Matches, func(m core.MemoryMatch) bool {
		return m.Pid == 1 && m.Match == "needle-in-memory" && m.Address != 0
	}) || !slices.ContainsFunc(in.Matches, func(m core.MemoryMatch) bool { return m.Match == "needle-4217" }) {
		t.Fatalf("matches: %+v", in.Matches)
	}

	ckdir := checkpointPath(t, e, "insp", "one")
	if *updateSeed {
		writeSeed(t, ckdir)
	}

	// A corrupt image is one clear error, not a panic.
	for _, c := range []struct{ file, data string }{
		{"pstree.img", "\x19\x43\x56\x54"},
		{"mm-1.img", "nonsense"},
		{"core-1.img", "\x19\x43\x56\x54\x00\x00\x00\x00\xff\xff\xff\xff"},
	} {
		path := filepath.Join(ckdir, c.file)
		orig, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(path, []byte(c.data), 0o600)
		_, err = e.M.InspectCheckpoint(ctx, "insp", "one", core.InspectOptions{}.All())
		os.WriteFile(path, orig, 0o600)
		if !errors.Is(err, core.ErrCorruptImage) || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), c.file) {
			t.Fatalf("%s corrupt: %v", c.file, err)
		}
	}

	// The inspector is a process of its own: one that is missing or dies
	// is a clear error of its own, never taken for corrupt images.
	for bin, want := range map[string]string{
		filepath.Join(t.TempDir(), core.InspectName): "checkpoint inspector: fork/exec",
		"/bin/false": "checkpoint inspector failed: exit status 1",
	} {
		opts := e.Opts
		opts.InspectBinary = bin
		m, err := core.Open(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		_, err = m.InspectCheckpoint(ctx, "insp", "one", core.InspectOptions{})
		if err == nil || errors.Is(err, core.ErrCorruptImage) || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Fatalf("inspector %s: %v", bin, err)
		}
	}
}

// updateSeed rewrites the fuzz seed of core's inspect (a real
// checkpoint's images, its pages left out) from this test's checkpoint.
var updateSeed = flag.Bool("update-criu-seed", false, "rewrite testdata/criu from a real checkpoint")

// writeSeed copies a checkpoint's metadata images into testdata/criu.
func writeSeed(t *testing.T, ckdir string) {
	dst := filepath.Join("..", "testdata", "criu")
	os.RemoveAll(dst)
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(ckdir)
	for _, e := range ents {
		if !e.Type().IsRegular() || !inspect.DecodedImage(e.Name()) || strings.HasPrefix(e.Name(), "pages-") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(ckdir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// waitProcs waits until container id runs at least n processes.
func waitProcs(t *testing.T, m *core.Manager, id string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ps, err := m.Processes(ctx, id)
		if err == nil && len(ps) >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s runs %d processes (%v), want %d", id, len(ps), err, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// checkpointPath is where checkpoint name of berth's container id lives.
func checkpointPath(t *testing.T, e *coretest.Env, id, name string) string {
	t.Helper()
	c, err := e.M.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(c.Bundle, "checkpoints", name)
}

// TestDiffCheckpoints: two checkpoints of one container, between which
// its shell started a process and killed another, opened a file and grew
// its heap by a 4 MB string.
func TestDiffCheckpoints(t *testing.T) {
	coretest.SkipWithoutCriu(t)
	e := coretest.NewEnv(t, fixture, nil)
	script := `exec 3</etc/passwd; trap 'exec 4</etc/group; big=$(awk "BEGIN{printf \"%4000000s\", \"x\"}"); ` +
		`kill $p; sleep 1000000 & p=$!' USR1; sleep 999 & p=$!; while :; do wait; done`
	e.Run("diff", []string{"sh", "-c", script}, nil)
	waitProcs(t, e.M, "diff", 2)
	if _, err := e.M.CreateCheckpoint(ctx, "diff", "before", core.CheckpointOptions{LeaveRunning: true}); err != nil {
		t.Fatal(err)
	}
	if err := e.M.Kill(ctx, "diff", unix.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		ps, _ := e.M.Processes(ctx, "diff")
		// The new sleep itself, exec'd: its forked shell's command line is
		// still the script's, which holds "1000000" too.
		if len(ps) == 2 && slices.ContainsFunc(ps, func(p core.Process) bool { return strings.HasPrefix(p.Command, "sleep 1000000") }) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the trap did not run: %+v", ps)
		}
	}
	if _, err := e.M.CreateCheckpoint(ctx, "diff", "after", core.CheckpointOptions{LeaveRunning: true}); err != nil {
		t.Fatal(err)
	}
	d, err := e.M.DiffCheckpoints(ctx, "diff", "before", "after", core.InspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.ProcessesAdded) != 1 || d.ProcessesAdded[0].Args[1] != "1000000" ||
		len(d.ProcessesGone) != 1 || d.ProcessesGone[0].Args[1] != "999" {
		t.Fatalf("processes added %+v, gone %+v", d.ProcessesAdded, d.ProcessesGone)
	}
	if len(d.Processes) == 0 || d.Processes[0].Pid != 1 {
		t.Fatalf("changed: %+v", d.Processes)
	}
	sh := d.Processes[0]
	if !slices.ContainsFunc(sh.FilesOpened, func(f core.InspectFile) bool { return f.Fd == "4" && f.Path == "/etc/group" }) {
		t.Fatalf("files opened: %+v", sh.FilesOpened)
	}
	if len(sh.Mappings) == 0 || sh.ResidentAfter < sh.ResidentBefore+3<<20 ||
		sh.Mappings[0].ResidentAfter < sh.Mappings[0].ResidentBefore+3<<20 {
		t.Fatalf("memory: %d -> %d, %+v", sh.ResidentBefore, sh.ResidentAfter, sh.Mappings)
	}
}

// TestInspectOnPreDump: a checkpoint built on a pre-dump keeps the pages
// that did not change in its parent; inspect reads them there (the
// command line, and a search finding a string only the parent holds).
func TestInspectOnPreDump(t *testing.T) {
	coretest.SkipWithoutCriu(t)
	if err := exec.Command("criu", "check", "--feature", "mem_dirty_track").Run(); err != nil {
		// A kernel property (see TestPreDumpThenParent); the reading of
		// parents is also tested on images in core's TestInspectParent.
		t.Skip("this kernel has no memory dirty tracking (CONFIG_MEM_SOFT_DIRTY): pre-dump cannot work here")
	}
	e := coretest.NewEnv(t, fixture, nil)
	script := `v=$(printf 'x%.0s' 1 2 3)parent-held-7731; while :; do sleep 1; done`
	e.Run("pre", []string{"sh", "-c", script}, nil)
	waitProcs(t, e.M, "pre", 2)
	if _, err := e.M.CreateCheckpoint(ctx, "pre", "p1", core.CheckpointOptions{PreDump: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.M.InspectCheckpoint(ctx, "pre", "p1", core.InspectOptions{}); !errors.Is(err, core.ErrInvalid) || !strings.Contains(err.Error(), "pre-dump") {
		t.Fatalf("inspect of a pre-dump: %v", err)
	}
	if _, err := e.M.CreateCheckpoint(ctx, "pre", "c2", core.CheckpointOptions{LeaveRunning: true, Parent: "p1"}); err != nil {
		t.Fatal(err)
	}
	in, err := e.M.InspectCheckpoint(ctx, "pre", "c2", core.InspectOptions{Search: "parent-held-[0-9]+", Mem: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Processes) == 0 || len(in.Processes[0].Args) != 3 || in.Processes[0].Args[2] != script {
		t.Fatalf("processes: %+v", in.Processes)
	}
	if !slices.ContainsFunc(in.Matches, func(m core.MemoryMatch) bool { return m.Match == "parent-held-7731" }) {
		t.Fatalf("matches: %+v", in.Matches)
	}
}
