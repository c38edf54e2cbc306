// Package common is the leaf every screen of the terminal UI shares: the
// small interfaces the UI needs from berth's core, the styles built from a
// theme, the key maps, the messages screens send to ask for navigation and
// actions, and the stats history. Screens import it and never each other
// or the root.
package common

import (
	"context"
	"os/exec"
	"time"

	"berth/core"
	"berth/watch"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Lister lists every container, managed or external.
type Lister interface {
	List(ctx context.Context) ([]core.Container, error)
}

// Sampler reads stats of containers already listed (their cgroup paths
// resolved); stale reports that some container's cgroup was gone.
type Sampler interface {
	Sample(cs []core.Container, full bool) (out []core.Stats, stale bool)
}

// Controller changes a container's state.
type Controller interface {
	Pause(ctx context.Context, id string) error
	Resume(ctx context.Context, id string) error
	Kill(ctx context.Context, id string, sig unix.Signal) error
	Delete(ctx context.Context, id string, force bool) error
	// Start starts a stopped berth container again; Restart stops one
	// (SIGTERM, SIGKILL after timeout) and starts it.
	Start(ctx context.Context, id string) (core.Container, error)
	Restart(ctx context.Context, id string, timeout time.Duration) (core.Container, error)
	Update(ctx context.Context, id string, r core.Resources) error
	SignalProcess(ctx context.Context, id string, pid int, start uint64, sig unix.Signal) error
	// ExecCommand builds the runtime's exec for the UI to hand the
	// terminal to.
	ExecCommand(ctx context.Context, id string, o core.ExecOptions) (*exec.Cmd, error)
	// Via says how an op on another manager's container goes, and what
	// goes out of step; it looks for the manager's CLI, so it runs in a
	// command.
	Via(c core.Container, op string) core.Via
	// Migrate moves a container to another host over ssh, telling
	// o.Progress as it streams.
	Migrate(ctx context.Context, id string, o core.MigrateOptions) (core.Migration, error)
}

// Inspector reads what a container is and runs.
type Inspector interface {
	Spec(id string) (*specs.Spec, error)
	// SpecJSON is the config.json the container runs with, indented, and
	// the file it came from; for another manager's container too.
	SpecJSON(ctx context.Context, ref string) (path string, js []byte, err error)
	Processes(ctx context.Context, id string) ([]core.Process, error)
}

// LogReader delivers a container's output lines.
type LogReader interface {
	Logs(ctx context.Context, id string, o core.LogOptions, fn func(core.LogLine) error) error
}

// Checkpointer makes, lists, removes and restores checkpoints.
type Checkpointer interface {
	CreateCheckpoint(ctx context.Context, id, name string, o core.CheckpointOptions) (core.Checkpoint, error)
	Checkpoints(ctx context.Context, id string) ([]core.Checkpoint, error)
	DeleteCheckpoint(ctx context.Context, id, name string, force bool) error
	Restore(ctx context.Context, id, name string, o core.RestoreOptions) (core.Container, error)
	CheckpointLog(ctx context.Context, id, name string) (string, error)
}

// CheckpointInspector decodes what a checkpoint's CRIU images hold: its
// processes, their files, sockets, memory and environment, matches of a
// search of their pages, and what changed between two checkpoints. It
// reads the images, so it runs in a command.
type CheckpointInspector interface {
	InspectCheckpoint(ctx context.Context, id, name string, o core.InspectOptions) (core.CheckpointInspection, error)
	DiffCheckpoints(ctx context.Context, id, from, to string, o core.InspectOptions) (core.CheckpointDiff, error)
}

// Getter reads one container: what an event about it changed, without
// listing every container.
type Getter interface {
	Get(ctx context.Context, id string) (core.Container, error)
}

// EventSource gives the journal's history and live events. Subscribe's
// batches never repeat what the journal held when it began; an event
// journaled between Subscribe and History is in both (drop it with a
// watch.Dedup seeded from the history). When the watch fails, its error
// comes on the second channel and both close.
type EventSource interface {
	History(since time.Time) ([]watch.Event, []string)
	Subscribe(ctx context.Context) (<-chan []watch.Event, <-chan error)
}

// HostReader reads the host's CPU times, memory and load, for the list's
// header; the root reads it in its refresh tick's command, never in Update.
type HostReader interface {
	HostStats() (core.HostStats, error)
}

// Core is everything the UI asks of berth's core; *core.Manager is one,
// and the tests' in-memory fake another.
type Core interface {
	Lister
	Getter
	Sampler
	Controller
	Inspector
	LogReader
	Checkpointer
	CheckpointInspector
	EventSource
	HostReader
}

var _ Core = (*core.Manager)(nil)
