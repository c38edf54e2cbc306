package core

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
)

// InspectOptions choose what InspectCheckpoint decodes beyond the process
// tree (always read), and bound what a hostile checkpoint can make it read.
type InspectOptions struct {
	Files   bool `json:"files,omitempty"`
	Sockets bool `json:"sockets,omitempty"`
	// Mem reads each process's mappings with their resident pages.
	Mem bool `json:"mem,omitempty"`
	// Env reads each process's environment from its pages (the command
	// line is always read).
	Env bool `json:"env,omitempty"`
	// Search is a regular expression looked for in every process's pages.
	Search string `json:"search,omitempty"`
	// SearchContext is the bytes shown each side of a match (default 32).
	SearchContext int `json:"searchContext,omitempty"`
	// MaxMatches stops the search after this many matches (default 1000).
	MaxMatches int `json:"maxMatches,omitempty"`
	// MaxImageBytes bounds each metadata image read (default 16 MiB);
	// MaxImageEntries the entries in one (default 65536: crit matches
	// each open file against every file entry, a square of the count).
	MaxImageBytes   int64 `json:"maxImageBytes,omitempty"`
	MaxImageEntries int   `json:"maxImageEntries,omitempty"`
	// MaxPagesBytes bounds a pages image; the default is the checkpoint's
	// recorded size, or 16 GiB when none is recorded.
	MaxPagesBytes int64 `json:"maxPagesBytes,omitempty"`
}

// All is o asking for every part but the search.
func (o InspectOptions) All() InspectOptions {
	o.Files, o.Sockets, o.Mem, o.Env = true, true, true, true
	return o
}

// MaxParentDepth bounds the chain of pre-dump parents an inspection
// follows for pages a child checkpoint does not hold.
const MaxParentDepth = 16

// ErrCorruptImage classifies a checkpoint whose CRIU images cannot be
// decoded: truncated, of the wrong kind, or naming more than they hold.
var ErrCorruptImage = errors.New("corrupt checkpoint image")

// CheckpointInspection is what a checkpoint's CRIU images say: its
// processes and, when asked, their files, sockets, memory and the matches
// of a search of their pages.
type CheckpointInspection struct {
	Checkpoint Checkpoint       `json:"checkpoint"`
	Processes  []InspectProcess `json:"processes"`
	// Matches are the search's, in process then address order;
	// MatchesTruncated says MaxMatches stopped it.
	Matches          []MemoryMatch `json:"matches,omitempty"`
	MatchesTruncated bool          `json:"matchesTruncated,omitempty"`
	// PageSize is the size of a page in the images.
	PageSize int `json:"pageSize"`
}

// InspectProcess is one process of a checkpoint. Pids are the container's
// own (its pid namespace's). Strings are as the images hold them:
// escape them before display.
type InspectProcess struct {
	Pid     uint32 `json:"pid"`
	Ppid    uint32 `json:"ppid"`
	Pgid    uint32 `json:"pgid"`
	Sid     uint32 `json:"sid"`
	Threads int    `json:"threads"`
	Command string `json:"command"`
	// State is CRIU's: Alive, Stopped, Dead or Zombie. Only alive and
	// stopped processes have files, memory and a command line.
	State         string          `json:"state"`
	Args          []string        `json:"args,omitempty"`
	ArgsTruncated bool            `json:"argsTruncated,omitempty"`
	Env           []string        `json:"env,omitempty"`
	EnvTruncated  bool            `json:"envTruncated,omitempty"`
	Files         []InspectFile   `json:"files,omitempty"`
	Sockets       []InspectSocket `json:"sockets,omitempty"`
	Mappings      []Mapping       `json:"mappings,omitempty"`
	// ResidentBytes is what the images hold of the process's memory.
	ResidentBytes uint64 `json:"residentBytes,omitempty"`
}

// InspectFile is an open file: Fd is a number, or cwd or root.
type InspectFile struct {
	Fd   string `json:"fd"`
	Type string `json:"type,omitempty"`
	Path string `json:"path"`
}

// InspectSocket is an open socket with its addresses and state.
type InspectSocket struct {
	Fd       uint32 `json:"fd"`
	Kind     string `json:"kind"`
	Family   string `json:"family,omitempty"`
	Protocol string `json:"protocol,omitempty"`
	Type     string `json:"type,omitempty"`
	State    string `json:"state,omitempty"`
	Src      string `json:"src,omitempty"`
	SrcPort  uint32 `json:"srcPort,omitempty"`
	Dst      string `json:"dst,omitempty"`
	DstPort  uint32 `json:"dstPort,omitempty"`
}

// Mapping is one memory mapping (VMA) of a process.
type Mapping struct {
	Start      uint64 `json:"start"`
	End        uint64 `json:"end"`
	Size       uint64 `json:"size"`
	Protection string `json:"protection"`
	Resource   string `json:"resource,omitempty"`
	// ResidentPages is the pages of it the images hold (in this
	// checkpoint or its parents).
	ResidentPages uint64 `json:"residentPages"`
}

// MemoryMatch is one match of a search of a process's pages: its address
// and the bytes around it, escaped (printable ASCII kept, \n, \t, \\ and
// \xNN for the rest).
type MemoryMatch struct {
	Pid     uint32 `json:"pid"`
	Address uint64 `json:"address"`
	Length  int    `json:"length"`
	Before  string `json:"before"`
	Match   string `json:"match"`
	After   string `json:"after"`
}

// InspectCheckpoint decodes checkpoint name of container id with go-criu's
// crit. A checkpoint whose images are corrupt or hostile gives one error
// of class ErrCorruptImage; nothing in them is trusted for a size.
func (m *Manager) InspectCheckpoint(ctx context.Context, id, name string, o InspectOptions) (CheckpointInspection, error) {
	if o.Search != "" {
		if _, err := regexp.Compile(o.Search); err != nil {
			return CheckpointInspection{}, wrapError(id, ErrInvalid, err, "search")
		}
	}
	c, err := m.checkpointContainer(ctx, id)
	if err != nil {
		return CheckpointInspection{}, err
	}
	root := m.checkpointRoot(c)
	dir, err := checkpointDir(root, name)
	if err != nil {
		return CheckpointInspection{}, fmt.Errorf("%s: %w", id, err)
	}
	meta, err := readCheckpoint(dir)
	if err != nil {
		return CheckpointInspection{}, idError(id, ErrNotFound, "no checkpoint %q", name)
	}
	if !meta.Valid {
		return CheckpointInspection{}, idError(id, ErrInvalid, "checkpoint %q is not valid: %s", name, meta.Reason)
	}
	if _, err := os.Lstat(filepath.Join(dir, "pstree.img")); errors.Is(err, os.ErrNotExist) && meta.Options.PreDump {
		return CheckpointInspection{}, idError(id, ErrInvalid, "checkpoint %q is a pre-dump: it holds only memory pages; inspect a checkpoint built on it", name)
	}
	req := InspectRequest{Dir: dir, Checkpoint: meta, Parents: parentChain(root, meta.Parent), Options: o}
	in, err := m.runInspector(ctx, req)
	var bad errImages
	switch {
	case errors.As(err, &bad):
		return CheckpointInspection{}, wrapError(id, ErrCorruptImage, bad, "checkpoint %s", name)
	case err != nil:
		return CheckpointInspection{}, fmt.Errorf("%s: %w", id, err)
	}
	return in, nil
}
