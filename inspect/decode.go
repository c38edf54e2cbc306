package inspect

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"berth/core"

	"github.com/checkpoint-restore/go-criu/v8/crit"
	"github.com/checkpoint-restore/go-criu/v8/crit/images/fdinfo"
	"github.com/checkpoint-restore/go-criu/v8/crit/images/mm"
	"github.com/checkpoint-restore/go-criu/v8/crit/images/pagemap"
	"google.golang.org/protobuf/proto"
)

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
)

// Run decodes what req asks of its checkpoint: the inspector's one call.
func Run(ctx context.Context, req core.InspectRequest) (core.CheckpointInspection, error) {
	return inspectGuarded(ctx, req.Dir, req.Checkpoint, req.Parents, req.Options)
}

// inspectGuarded is inspectDir with a last guard: a bug of inspect's own
// that an image finds is that image's error, not berth's crash (the
// fuzzer runs inspectDir bare, to find them).
func inspectGuarded(ctx context.Context, dir string, meta core.Checkpoint, parents map[string]core.InspectParent, o core.InspectOptions) (in core.CheckpointInspection, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("undecodable images (%v)", r)
		}
	}()
	return inspectDir(ctx, dir, meta, parents, o)
}

// inspectDir decodes the images in dir. parents are the checkpoints, by
// name, that pages of a pre-dump's child may live in.
func inspectDir(ctx context.Context, dir string, meta core.Checkpoint, parents map[string]core.InspectParent, o core.InspectOptions) (core.CheckpointInspection, error) {
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
	in := core.CheckpointInspection{Checkpoint: meta, PageSize: os.Getpagesize(), Processes: []core.InspectProcess{}}
	if err := checkImages(dir, o); err != nil {
		return in, err
	}
	d := &decoder{dir: dir, o: o, pageSize: in.PageSize, parents: parents, parent: meta.Parent}
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
	dir      string
	o        core.InspectOptions
	pageSize int
	parents  map[string]core.InspectParent
	parent   string // the parent checkpoint's name, "" for none
	// files maps a file id to a regular file's path.
	files map[uint32]string
	fds   map[uint32][]core.InspectFile
	sks   map[uint32][]core.InspectSocket
	mems  map[uint32]*crit.MemMap
}

// processes lists the process tree, parents before children.
func (d *decoder) processes() ([]core.InspectProcess, error) {
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
	var out []core.InspectProcess
	seen := map[uint32]bool{}
	var walk func(p *crit.PsTree, ppid uint32)
	walk = func(p *crit.PsTree, ppid uint32) {
		if p == nil || seen[p.PID] {
			return
		}
		seen[p.PID] = true
		ip := core.InspectProcess{Pid: p.PID, Ppid: ppid, Pgid: p.PgID, Sid: p.SID, Command: p.Comm,
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
func hasState(p *core.InspectProcess) bool { return p.State == "Alive" || p.State == "Stopped" }

// process fills in one process's parts.
func (d *decoder) process(p *core.InspectProcess) error {
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
	d.fds = map[uint32][]core.InspectFile{}
	for _, f := range fds {
		for _, file := range f.Files {
			if file == nil {
				continue
			}
			d.fds[f.PId] = append(d.fds[f.PId], core.InspectFile{Fd: file.Fd, Type: file.Type, Path: file.Path})
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
	d.sks = map[uint32][]core.InspectSocket{}
	for _, s := range sks {
		for _, k := range s.Sockets {
			if k == nil {
				continue
			}
			d.sks[s.PId] = append(d.sks[s.PId], core.InspectSocket{Fd: k.Fd, Kind: k.FdType, Family: k.Family,
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
func (d *decoder) mappings(pid uint32, vmas []vmaInfo, pr *pageReader) []core.Mapping {
	var names []*crit.Mem
	if mm := d.mems[pid]; mm != nil {
		names = mm.Mems
	}
	out := make([]core.Mapping, 0, len(vmas))
	for i, v := range vmas {
		mp := core.Mapping{Start: v.start, End: v.end, Size: v.end - v.start}
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
