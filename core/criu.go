package core

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"berth/host/statefile"
	"berth/shim/proto"

	"github.com/checkpoint-restore/go-criu/v8/stats"
)

// versionRe finds a version number in a program's --version output.
var versionRe = regexp.MustCompile(`(\d+)\.(\d+)(?:\.(\d+))?`)

// Version is the first version number in a program's --version output
// ("1.5.3"), "" when there is none, and its major number.
func Version(out string) (string, int) {
	m := versionRe.FindStringSubmatch(out)
	if m == nil {
		return "", 0
	}
	major, _ := strconv.Atoi(m[1])
	return m[0], major
}

// dumpError classifies the runtime's failure to dump as a checkpoint
// failure, keeping it as the cause, with what an operator needs to act:
// the end of CRIU's log, and the fix when the kernel lacks dirty tracking.
func dumpError(id string, err error, log string) error {
	if strings.Contains(err.Error(), "MemTrack") {
		err = fmt.Errorf("%w: pre-dumps and parents need memory dirty tracking, which this kernel lacks (CONFIG_MEM_SOFT_DIRTY); take full checkpoints", err)
	}
	if log != "" {
		err = fmt.Errorf("%w (dump.log: %s)", err, log)
	}
	return &Error{ID: id, Class: ErrCheckpoint, Err: err}
}

// criuFlags are the runtime flags a dump and its restore share.
func criuFlags(o CheckpointOptions) []string {
	var args []string
	for _, f := range []struct {
		on   bool
		flag string
	}{{o.TCPEstablished, "--tcp-established"}, {o.ExtUnixSk, "--ext-unix-sk"}, {o.ShellJob, "--shell-job"}, {o.FileLocks, "--file-locks"}} {
		if f.on {
			args = append(args, f.flag)
		}
	}
	return args
}

// dumpStats reads CRIU's stats-dump from the work dir, nil when absent or
// malformed (go-criu does not check lengths, so a short file is refused
// here first).
func dumpStats(work string) *DumpStats {
	path := filepath.Join(work, stats.StatsDump)
	st, err := os.Stat(path)
	if err != nil || st.Size() < stats.PayloadOffset || st.Size() > 1<<20 {
		return nil
	}
	b, err := os.ReadFile(path)
	if err != nil || len(b) < stats.PayloadOffset {
		return nil
	}
	size := uint32(b[stats.SizeOffset]) | uint32(b[stats.SizeOffset+1])<<8 | uint32(b[stats.SizeOffset+2])<<16 | uint32(b[stats.SizeOffset+3])<<24
	if int64(stats.PayloadOffset)+int64(size) > int64(len(b)) {
		return nil
	}
	d, err := os.Open(work)
	if err != nil {
		return nil
	}
	defer d.Close()
	ds, err := stats.CriuGetDumpStats(d)
	if err != nil || ds == nil {
		return nil
	}
	return &DumpStats{
		FreezingTimeUs: ds.GetFreezingTime(), FrozenTimeUs: ds.GetFrozenTime(),
		MemdumpTimeUs: ds.GetMemdumpTime(), MemwriteTimeUs: ds.GetMemwriteTime(),
		PagesScanned: ds.GetPagesScanned(), PagesSkippedParent: ds.GetPagesSkippedParent(),
		PagesWritten: ds.GetPagesWritten(),
	}
}

// versionCache remembers what tools' --version print, in the state dir,
// keyed by the binary's path, size and modification time: asking criu and
// the runtime costs two process starts, which every checkpoint would pay.
const versionCache = ".tool-version-output.json"

// maxVersionOutput bounds what is kept of a --version.
const maxVersionOutput = 1 << 10

// versionOutput returns what `tool --version` prints (its first KiB), from
// the cache when the binary has not changed.
func (m *Manager) versionOutput(ctx context.Context, tool string) string {
	path, err := exec.LookPath(tool)
	if err != nil {
		return ""
	}
	st, err := os.Stat(path)
	if err != nil {
		return ""
	}
	key := fmt.Sprintf("%s|%d|%d", path, st.Size(), st.ModTime().UnixNano())
	cachePath := filepath.Join(m.opts.StateDir, versionCache)
	cache := map[string]string{}
	statefile.ReadJSON(cachePath, &cache)
	if v, ok := cache[key]; ok {
		return v
	}
	b, err := exec.CommandContext(ctx, path, "--version").Output()
	if err != nil || len(b) == 0 {
		return ""
	}
	out := string(b[:min(len(b), maxVersionOutput)])
	if len(cache) > 32 { // binaries replaced many times: start afresh
		cache = map[string]string{}
	}
	cache[key] = out
	statefile.WriteJSON(cachePath, cache, 0o600)
	return out
}

// toolVersion returns a tool's version: the first version number its
// --version prints.
func (m *Manager) toolVersion(ctx context.Context, tool string) string {
	v, _ := Version(m.versionOutput(ctx, tool))
	return v
}

// RuntimeFeatures is what an OCI runtime's --version says of it.
type RuntimeFeatures struct {
	Version string `json:"version"`
	// Checkpoint: it can checkpoint and restore (runc always, with CRIU
	// installed; crun only when built with CRIU).
	Checkpoint bool `json:"checkpoint"`
	Seccomp    bool `json:"seccomp"`
}

// ParseRuntimeVersion reads a runtime's --version: runc names its
// libseccomp; crun lists what it was built with as +FEATURE words.
func ParseRuntimeVersion(out string) RuntimeFeatures {
	v, _ := Version(out)
	f := RuntimeFeatures{Version: v, Checkpoint: true}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "+") {
			words := strings.Fields(line)
			f.Checkpoint = slices.Contains(words, "+CRIU")
			f.Seccomp = slices.Contains(words, "+SECCOMP")
			return f
		}
	}
	f.Seccomp = strings.Contains(out, "libseccomp")
	return f
}

// requireCheckpoint refuses, before anything is written, a checkpoint or
// restore through a runtime built without it.
func (m *Manager) requireCheckpoint(ctx context.Context, id, runtime, op string) error {
	if out := m.versionOutput(ctx, runtime); out != "" && !ParseRuntimeVersion(out).Checkpoint {
		return idError(id, ErrInvalid, "cannot %s: %s was built without CRIU (its --version lacks +CRIU); use runc", op, runtimeName(runtime))
	}
	return nil
}

// criuLogTail returns the last error lines of a CRIU log.
func criuLogTail(path string) string {
	b, err := statefile.Read(path)
	if err != nil {
		return ""
	}
	var errs []string
	for _, line := range strings.Split(string(b), "\n") {
		if strings.Contains(line, "Error") && !strings.Contains(line, "RLIMIT_NOFILE") {
			errs = append(errs, strings.TrimSpace(line))
		}
	}
	if len(errs) > 3 {
		errs = errs[len(errs)-3:]
	}
	return strings.Join(errs, "; ")
}

// maxDumpLog bounds how much of a dump log CheckpointLog returns: its end,
// where CRIU writes what went wrong.
const maxDumpLog = 256 << 10

// CheckpointLog returns the end of a checkpoint's CRIU dump log (raw: it
// must be escaped before display), or "" when the checkpoint kept none
// (an imported one).
func (m *Manager) CheckpointLog(ctx context.Context, id, name string) (string, error) {
	c, err := m.checkpointContainer(ctx, id)
	if err != nil {
		return "", err
	}
	dir, err := checkpointDir(m.checkpointRoot(c), name)
	if err != nil {
		return "", fmt.Errorf("%s: %w", id, err)
	}
	if st, err := os.Lstat(dir); err != nil || !st.IsDir() {
		return "", idError(id, ErrNotFound, "no checkpoint %q", name)
	}
	f, err := statefile.Open(filepath.Join(dir, proto.CheckpointWork, proto.DumpLog))
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("%s: checkpoint %s: %w", id, name, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", err
	}
	off := max(st.Size()-maxDumpLog, 0)
	b := make([]byte, st.Size()-off)
	n, err := f.ReadAt(b, off)
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("%s: checkpoint %s: %w", id, name, err)
	}
	return string(b[:n]), nil
}
