package core

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/checkpoint-restore/go-criu/v8/crit"
	"github.com/checkpoint-restore/go-criu/v8/crit/images/fdinfo"
	"github.com/checkpoint-restore/go-criu/v8/crit/images/mm"
	"github.com/checkpoint-restore/go-criu/v8/crit/images/pagemap"
	"google.golang.org/protobuf/proto"
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

// Defaults of InspectOptions' bounds.
const (
	defaultMaxImageBytes   = 16 << 20
	defaultMaxImageEntries = 1 << 16
	defaultMaxPagesBytes   = 16 << 30
	defaultSearchContext   = 32
	defaultMaxMatches      = 1000
	// maxProcArea bounds the command line and environment read of a
	// process (the kernel's own limit on both is a quarter of the stack).
	maxProcArea = 1 << 20
	// maxParentDepth bounds the chain of pre-dump parents followed.
	maxParentDepth = 16
)

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
	parents := func(p string) (string, error) { return checkpointDir(root, p) }
	in, err := inspectGuarded(ctx, dir, meta, parents, o)
	if err != nil {
		return CheckpointInspection{}, wrapError(id, ErrCorruptImage, err, "checkpoint %s", name)
	}
	return in, nil
}

// inspectGuarded is inspectDir with a last guard: a bug of inspect's own
// that an image finds is that image's error, not berth's crash (the
// fuzzer runs inspectDir bare, to find them).
func inspectGuarded(ctx context.Context, dir string, meta Checkpoint, parentDir func(string) (string, error), o InspectOptions) (in CheckpointInspection, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("undecodable images (%v)", r)
		}
	}()
	return inspectDir(ctx, dir, meta, parentDir, o)
}

// inspectDir decodes the images in dir. parentDir names the directory of
// a parent checkpoint (pages of a pre-dump's child may live there).
func inspectDir(ctx context.Context, dir string, meta Checkpoint, parentDir func(string) (string, error), o InspectOptions) (CheckpointInspection, error) {
	if o.MaxImageBytes <= 0 {
		o.MaxImageBytes = defaultMaxImageBytes
	}
	if o.MaxImageEntries <= 0 {
		o.MaxImageEntries = defaultMaxImageEntries
	}
	if o.MaxPagesBytes <= 0 {
		o.MaxPagesBytes = defaultMaxPagesBytes
		if meta.SizeBytes > 0 {
			o.MaxPagesBytes = meta.SizeBytes
		}
	}
	in := CheckpointInspection{Checkpoint: meta, PageSize: os.Getpagesize(), Processes: []InspectProcess{}}
	if err := checkImages(dir, o); err != nil {
		return in, err
	}
	d := &decoder{dir: dir, o: o, pageSize: in.PageSize, parentDir: parentDir, parent: meta.Parent}
	procs, err := d.processes()
	if err != nil {
		return in, err
	}
	in.Processes = procs
	for i := range in.Processes {
		if err := ctx.Err(); err != nil {
			return in, err
		}
		if err := d.process(&in.Processes[i]); err != nil {
			return in, err
		}
	}
	if o.Search != "" {
		in.Matches, in.MatchesTruncated, err = d.search(ctx, in.Processes)
		if err != nil {
			return in, err
		}
	}
	return in, nil
}

// decoder reads one checkpoint directory's images.
type decoder struct {
	dir       string
	o         InspectOptions
	pageSize  int
	parentDir func(string) (string, error)
	parent    string // the parent checkpoint's name, "" for none
	// files maps a file id to a regular file's path.
	files map[uint32]string
	fds   map[uint32][]InspectFile
	sks   map[uint32][]InspectSocket
	mems  map[uint32]*crit.MemMap
}

// processes lists the process tree, parents before children.
func (d *decoder) processes() ([]InspectProcess, error) {
	var root *crit.PsTree
	err := critCall("pstree.img", func() (err error) {
		root, err = crit.New(nil, nil, d.dir, false, false).ExplorePs()
		return err
	})
	if err != nil {
		return nil, err
	}
	if root == nil {
		return nil, errors.New("pstree.img: no root process")
	}
	var out []InspectProcess
	seen := map[uint32]bool{}
	var walk func(p *crit.PsTree, ppid uint32)
	walk = func(p *crit.PsTree, ppid uint32) {
		if p == nil || seen[p.PID] {
			return
		}
		seen[p.PID] = true
		ip := InspectProcess{Pid: p.PID, Ppid: ppid, Pgid: p.PgID, Sid: p.SID, Command: p.Comm,
			Threads: len(p.Process.GetThreads()), State: crit.TaskState(p.Core.GetTc().GetTaskState()).String()}
		out = append(out, ip)
		kids := append([]*crit.PsTree(nil), p.Children...)
		sort.Slice(kids, func(i, j int) bool { return kids[i].PID < kids[j].PID })
		for _, k := range kids {
			walk(k, p.PID)
		}
	}
	walk(root, 0)
	return out, nil
}

// hasState says whether CRIU dumped a process's files and memory.
func hasState(p *InspectProcess) bool { return p.State == "Alive" || p.State == "Stopped" }

// process fills in one process's parts.
func (d *decoder) process(p *InspectProcess) error {
	if !hasState(p) {
		return nil
	}
	vmas, mmEntry, err := d.mm(p.Pid)
	if err != nil {
		return err
	}
	pr, err := d.pages(p.Pid, 0)
	if err != nil {
		return err
	}
	p.Args, p.ArgsTruncated, err = d.area(pr, mmEntry.GetMmArgStart(), mmEntry.GetMmArgEnd())
	if err != nil {
		return fmt.Errorf("command line of %d: %w", p.Pid, err)
	}
	if d.o.Env {
		p.Env, p.EnvTruncated, err = d.area(pr, mmEntry.GetMmEnvStart(), mmEntry.GetMmEnvEnd())
		if err != nil {
			return fmt.Errorf("environment of %d: %w", p.Pid, err)
		}
	}
	if d.o.Files {
		if err := d.loadFds(); err != nil {
			return err
		}
		p.Files = d.fds[p.Pid]
	}
	if d.o.Sockets {
		if err := d.loadSockets(); err != nil {
			return err
		}
		p.Sockets = d.sks[p.Pid]
	}
	if d.o.Mem {
		if err := d.loadMems(); err != nil {
			return err
		}
		p.Mappings = d.mappings(p.Pid, vmas, pr)
		for _, mp := range p.Mappings {
			p.ResidentBytes += mp.ResidentPages * uint64(d.pageSize)
		}
	}
	return nil
}

// vmaInfo is what inspect keeps of a VMA.
type vmaInfo struct {
	start, end, pgoff, shmid uint64
	status                   uint32
}

// mm decodes a process's mm image.
func (d *decoder) mm(pid uint32) ([]vmaInfo, *mm.MmEntry, error) {
	name := fmt.Sprintf("mm-%d.img", pid)
	msgs, err := decodeImage(d.dir, name, &mm.MmEntry{})
	if err != nil {
		return nil, nil, err
	}
	if len(msgs) != 1 {
		return nil, nil, fmt.Errorf("%s: %d entries, want 1", name, len(msgs))
	}
	e := msgs[0].(*mm.MmEntry)
	var vmas []vmaInfo
	for i, v := range e.GetVmas() {
		if v.GetEnd() < v.GetStart() {
			return nil, nil, fmt.Errorf("%s: mapping ends (%#x) before it starts (%#x)", name, v.GetEnd(), v.GetStart())
		}
		// Mappings never overlap, and CRIU writes them in order: the
		// resident count relies on it.
		if i > 0 && v.GetStart() < vmas[i-1].end {
			return nil, nil, fmt.Errorf("%s: mapping at %#x overlaps the one before", name, v.GetStart())
		}
		vmas = append(vmas, vmaInfo{start: v.GetStart(), end: v.GetEnd(), pgoff: v.GetPgoff(), shmid: v.GetShmid(), status: v.GetStatus()})
	}
	return vmas, e, nil
}

// decodeImage decodes every entry of one (already checked) image with
// crit.
func decodeImage(dir, name string, entry proto.Message) ([]proto.Message, error) {
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var img *crit.CriuImage
	err = critCall(name, func() (err error) {
		img, err = crit.New(f, nil, "", false, true).Decode(entry)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]proto.Message, 0, len(img.Entries))
	for _, e := range img.Entries {
		out = append(out, e.Message)
	}
	return out, nil
}

// loadFds reads every process's open files once.
func (d *decoder) loadFds() error {
	if d.fds != nil {
		return nil
	}
	var fds []*crit.Fd
	err := critCall("files", func() (err error) {
		fds, err = crit.New(nil, nil, d.dir, false, false).ExploreFds()
		return err
	})
	if err != nil {
		return err
	}
	d.fds = map[uint32][]InspectFile{}
	for _, f := range fds {
		for _, file := range f.Files {
			if file == nil {
				continue
			}
			d.fds[f.PId] = append(d.fds[f.PId], InspectFile{Fd: file.Fd, Type: file.Type, Path: file.Path})
		}
	}
	return nil
}

// loadSockets reads every process's sockets once.
func (d *decoder) loadSockets() error {
	if d.sks != nil {
		return nil
	}
	var sks []*crit.Sk
	err := critCall("sockets", func() (err error) {
		sks, err = crit.New(nil, nil, d.dir, false, false).ExploreSk()
		return err
	})
	if err != nil {
		return err
	}
	d.sks = map[uint32][]InspectSocket{}
	for _, s := range sks {
		for _, k := range s.Sockets {
			if k == nil {
				continue
			}
			d.sks[s.PId] = append(d.sks[s.PId], InspectSocket{Fd: k.Fd, Kind: k.FdType, Family: k.Family,
				Protocol: k.Protocol, Type: k.Type, State: k.State, Src: strings.TrimRight(k.SrcAddr, "\x00"),
				SrcPort: k.SrcPort, Dst: k.DestAddr, DstPort: k.DestPort})
		}
	}
	return nil
}

// loadMems reads every process's mappings' names once, and the regular
// files' paths that crit leaves out of a mapping at offset 0.
func (d *decoder) loadMems() error {
	if d.mems != nil {
		return nil
	}
	var mems []*crit.MemMap
	err := critCall("memory mappings", func() (err error) {
		mems, err = crit.New(nil, nil, d.dir, false, false).ExploreMems()
		return err
	})
	if err != nil {
		return err
	}
	d.mems = map[uint32]*crit.MemMap{}
	for _, mm := range mems {
		d.mems[mm.PId] = mm
	}
	d.files = map[uint32]string{}
	if _, err := os.Lstat(filepath.Join(d.dir, "files.img")); err != nil {
		return nil
	}
	msgs, err := decodeImage(d.dir, "files.img", &fdinfo.FileEntry{})
	if err != nil {
		return err
	}
	for _, m := range msgs {
		f := m.(*fdinfo.FileEntry)
		if r := f.GetReg(); r != nil {
			d.files[f.GetId()] = r.GetName()
		}
	}
	return nil
}

// VMA status bits (CRIU's include/image.h) that inspect reads.
const (
	vmaFilePrivate = 1 << 6
	vmaFileShared  = 1 << 7
)

// mappings pairs a process's VMAs with crit's names for them and counts
// the pages the images hold of each.
func (d *decoder) mappings(pid uint32, vmas []vmaInfo, pr *pageReader) []Mapping {
	var names []*crit.Mem
	if mm := d.mems[pid]; mm != nil {
		names = mm.Mems
	}
	out := make([]Mapping, 0, len(vmas))
	for i, v := range vmas {
		mp := Mapping{Start: v.start, End: v.end, Size: v.end - v.start}
		if i < len(names) && names[i] != nil {
			mp.Protection, mp.Resource = names[i].Protection, strings.TrimSpace(names[i].Resource)
		}
		if v.status&(vmaFilePrivate|vmaFileShared) != 0 && v.pgoff == 0 {
			if path, ok := d.files[uint32(v.shmid)]; ok {
				mp.Resource = strings.TrimSpace(path + " " + mp.Resource)
			}
		}
		mp.ResidentPages = pr.residentIn(v.start, v.end)
		out = append(out, mp)
	}
	return out
}

// area reads a NUL-separated area of a process's memory (its command line
// or environment), at most maxProcArea bytes of it.
func (d *decoder) area(pr *pageReader, start, end uint64) ([]string, bool, error) {
	if end <= start {
		return nil, false, nil
	}
	truncated := end-start > maxProcArea
	if truncated {
		end = start + maxProcArea
	}
	b, err := pr.read(start, int(end-start))
	if err != nil {
		return nil, false, err
	}
	s := strings.TrimRight(string(b), "\x00")
	if s == "" {
		return nil, truncated, nil
	}
	return strings.Split(s, "\x00"), truncated, nil
}

// critCall runs one crit call, turning a panic inside crit (an index past
// a short image, a parent missing from the tree) into an error: crit
// trusts its images, inspect does not.
func critCall(what string, fn func() error) (err error) {
	critMu.Lock()
	defer critMu.Unlock()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: undecodable (%v)", what, r)
		}
	}()
	if err := fn(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// pagemapEntries decodes a process's pagemap with crit.
func pagemapEntries(dir string, pid uint32) (uint32, []*pagemap.PagemapEntry, error) {
	var mr *crit.MemoryReader
	err := critCall(fmt.Sprintf("pagemap-%d.img", pid), func() (err error) {
		mr, err = crit.NewMemoryReader(dir, pid, os.Getpagesize())
		return err
	})
	if err != nil {
		return 0, nil, err
	}
	return mr.GetPagesID(), mr.GetPagemapEntries(), nil
}
