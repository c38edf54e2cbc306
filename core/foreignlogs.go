package core

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"berth/host/procfs"
	"berth/shim/proto"
)

// The log formats of other managers that berth reads.
const (
	// LogFormatJSONFile is docker's json-file driver: one JSON object a
	// line, {"log":"text\n","stream":"stdout","time":"..."}, rotated to
	// <file>.1, .2 ... (higher is older), maybe gzip-compressed (.N.gz).
	LogFormatJSONFile = "json-file"
	// LogFormatCRI is the CRI format berth's shim writes too, as kubelet
	// keeps it (<n>.log, rotated to <n>.log.<timestamp>, older ones
	// gzip-compressed) and podman's k8s-file driver does.
	LogFormatCRI = "cri"
)

// ForeignLog is a log another manager keeps for a container it started.
type ForeignLog struct {
	// Path is the live file, the one the manager appends to.
	Path string
	// Format is LogFormatJSONFile or LogFormatCRI; empty is told from the
	// file's name (docker's end in "-json.log").
	Format string
	// name is the container, for error messages.
	name string
}

// foreignPoll is how often a follower of a quiet foreign log asks whether
// the container still runs: nothing in the log's directory changes when
// it stops.
const foreignPoll = time.Second

// Read delivers the log's lines to fn as Logs does berth's own: the last
// opts.Tail (all when < 0), then with opts.Follow every new line until ctx
// ends or alive reports false, which is asked when the log is quiet. It
// follows the manager's rotation (rename and a new file, or truncation in
// place) without losing or repeating lines, and caps a line at 1 MiB
// (maxLogLine). A line the manager left without its end (docker's last
// line written without a newline) is delivered when the log ends. opts.Proc
// is not looked at: another manager's execs have no logs of their own.
func (l ForeignLog) Read(ctx context.Context, opts LogOptions, alive func() bool, fn func(LogLine) error) error {
	format := l.Format
	if format == "" {
		format = LogFormatCRI
		if strings.HasSuffix(l.Path, "-json.log") {
			format = LogFormatJSONFile
		}
	}
	src := logSource{
		name:  cmp.Or(l.name, l.Path),
		live:  l.Path,
		ended: func() bool { return !alive() },
		poll:  foreignPoll,
		flush: true,
	}
	switch format {
	case LogFormatJSONFile:
		src.parse = parseJSONFileLine
		src.older = func() []string { return jsonFileGenerations(l.Path) }
	case LogFormatCRI:
		src.older = func() []string { return criGenerations(l.Path) }
	default:
		return invalidf("%s: unknown log format %q (berth reads %s and %s)", l.Path, format, LogFormatJSONFile, LogFormatCRI)
	}
	return readLog(ctx, src, opts, fn)
}

// jsonFileLine is one record of docker's json-file log.
type jsonFileLine struct {
	Log    *string   `json:"log"`
	Stream string    `json:"stream"`
	Time   time.Time `json:"time"`
}

// parseJSONFileLine parses one json-file record. A line longer than 16 KiB
// is split by docker into records whose "log" does not end in a newline:
// those are partial; the newline that ends a line is not part of it.
func parseJSONFileLine(b []byte) (t time.Time, stream string, partial bool, data []byte, ok bool) {
	var rec jsonFileLine
	if err := json.Unmarshal(b, &rec); err != nil || rec.Log == nil || rec.Stream == "" || rec.Time.IsZero() {
		return t, "", false, nil, false
	}
	data = []byte(*rec.Log)
	if d, full := bytes.CutSuffix(data, []byte{'\n'}); full {
		return rec.Time, rec.Stream, false, d, true
	}
	return rec.Time, rec.Stream, true, data, true
}

// jsonFileGenerations lists docker's rotated files of path, newest first:
// path.1, path.2 ..., each maybe compressed (path.N.gz), up to the first
// number that has neither. While docker compresses one both may exist;
// both are listed and the reader takes the uncompressed one.
func jsonFileGenerations(path string) []string {
	var out []string
	for i := 1; ; i++ {
		n := len(out)
		for _, p := range []string{path + "." + strconv.Itoa(i), path + "." + strconv.Itoa(i) + ".gz"} {
			if _, err := os.Lstat(p); err == nil {
				out = append(out, p)
			}
		}
		if len(out) == n {
			return out
		}
	}
}

// criGenerations lists kubelet's rotated files of path, newest first:
// path.<timestamp>, maybe compressed (path.<timestamp>.gz). Its timestamps
// (20060102-150405) sort as they read; a compression's temporary file and
// anything else in the directory are left out.
func criGenerations(path string) []string {
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		return nil
	}
	prefix := filepath.Base(path) + "."
	var out []string
	for _, e := range entries {
		stamp, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok || !e.Type().IsRegular() {
			continue
		}
		stamp = strings.TrimSuffix(stamp, ".gz")
		if stamp == "" || strings.Trim(stamp, "0123456789-") != "" {
			continue
		}
		out = append(out, filepath.Join(filepath.Dir(path), e.Name()))
	}
	// Newest first; of one timestamp the uncompressed file first.
	slices.SortFunc(out, func(a, b string) int {
		sa, sb := strings.TrimSuffix(a, ".gz"), strings.TrimSuffix(b, ".gz")
		if sa != sb {
			return strings.Compare(sb, sa)
		}
		return len(a) - len(b)
	})
	return out
}

// externalLogs reads the log another manager keeps for an external
// container: it has one only when listing found where.
func externalLogs(ctx context.Context, c Container, opts LogOptions, fn func(LogLine) error) error {
	if opts.Proc != "" && opts.Proc != proto.ProcInit {
		return idError(c.ID, ErrInvalid, "execs of external containers have no separate logs: their output is not recorded apart from the container's")
	}
	if c.LogPath == "" {
		return idError(c.ID, ErrUnmanaged, "no logs: berth did not start it, and %s keeps no log file berth reads (journald or another log driver?)", c.Owner)
	}
	running := c.Running()
	alive := func() bool { return running && procfs.Alive(c.Pid, c.InitStart) }
	err := ForeignLog{Path: c.LogPath, Format: c.LogFormat, name: c.ID}.Read(ctx, opts, alive, fn)
	if errors.Is(err, errNoLogFile) {
		return idError(c.ID, ErrNotFound, "no log file at %s (its manager removed it, or keeps none)", c.LogPath)
	}
	return err
}
