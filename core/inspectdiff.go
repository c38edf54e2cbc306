package core

import (
	"context"
	"sort"
)

// CheckpointDiff is what changed between two checkpoints of one
// container: processes started and gone, and for those in both, files
// opened and closed and memory grown or shrunk by mapping.
type CheckpointDiff struct {
	From           string           `json:"from"`
	To             string           `json:"to"`
	ProcessesAdded []InspectProcess `json:"processesAdded"`
	ProcessesGone  []InspectProcess `json:"processesGone"`
	// Processes are those in both whose files or memory changed.
	Processes []ProcessDiff `json:"processes"`
}

// ProcessDiff is what changed in one process between two checkpoints.
type ProcessDiff struct {
	Pid         uint32        `json:"pid"`
	Command     string        `json:"command"`
	FilesOpened []InspectFile `json:"filesOpened,omitempty"`
	FilesClosed []InspectFile `json:"filesClosed,omitempty"`
	// Mappings are the mappings added, gone or changed in size or
	// resident bytes, the largest change in resident bytes first.
	Mappings []MappingDiff `json:"mappings,omitempty"`
	// ResidentBefore and ResidentAfter are the bytes the images hold.
	ResidentBefore uint64 `json:"residentBefore"`
	ResidentAfter  uint64 `json:"residentAfter"`
}

// MappingDiff is one mapping's change, matched by its start address.
type MappingDiff struct {
	Start          uint64 `json:"start"`
	Resource       string `json:"resource,omitempty"`
	Change         string `json:"change"` // added, gone or changed
	SizeBefore     uint64 `json:"sizeBefore"`
	SizeAfter      uint64 `json:"sizeAfter"`
	ResidentBefore uint64 `json:"residentBefore"`
	ResidentAfter  uint64 `json:"residentAfter"`
}

// DiffCheckpoints compares checkpoints from and to of container id,
// decoded as InspectCheckpoint decodes them (bounded by o).
func (m *Manager) DiffCheckpoints(ctx context.Context, id, from, to string, o InspectOptions) (CheckpointDiff, error) {
	o.Files, o.Mem, o.Search = true, true, ""
	a, err := m.InspectCheckpoint(ctx, id, from, o)
	if err != nil {
		return CheckpointDiff{}, err
	}
	b, err := m.InspectCheckpoint(ctx, id, to, o)
	if err != nil {
		return CheckpointDiff{}, err
	}
	return diffInspections(a, b), nil
}

// diffInspections compares two decodes. A pid is the same process in
// both only with the same command: a pid used again is one gone and one
// added.
func diffInspections(a, b CheckpointInspection) CheckpointDiff {
	d := CheckpointDiff{From: a.Checkpoint.Name, To: b.Checkpoint.Name,
		ProcessesAdded: []InspectProcess{}, ProcessesGone: []InspectProcess{}, Processes: []ProcessDiff{}}
	before := map[uint32]InspectProcess{}
	for _, p := range a.Processes {
		before[p.Pid] = p
	}
	after := map[uint32]bool{}
	for _, p := range b.Processes {
		q, ok := before[p.Pid]
		if !ok || q.Command != p.Command {
			d.ProcessesAdded = append(d.ProcessesAdded, brief(p))
			continue
		}
		after[p.Pid] = true
		if pd, changed := diffProcess(q, p, uint64(b.PageSize)); changed {
			d.Processes = append(d.Processes, pd)
		}
	}
	for _, p := range a.Processes {
		if !after[p.Pid] {
			d.ProcessesGone = append(d.ProcessesGone, brief(p))
		}
	}
	return d
}

// brief is a process without its parts, as a diff lists one added or
// gone.
func brief(p InspectProcess) InspectProcess {
	p.Files, p.Sockets, p.Mappings, p.Env = nil, nil, nil, nil
	return p
}

func diffProcess(a, b InspectProcess, pageSize uint64) (ProcessDiff, bool) {
	pd := ProcessDiff{Pid: b.Pid, Command: b.Command, ResidentBefore: a.ResidentBytes, ResidentAfter: b.ResidentBytes}
	type fileKey struct{ fd, path string }
	had := map[fileKey]bool{}
	for _, f := range a.Files {
		had[fileKey{f.Fd, f.Path}] = true
	}
	has := map[fileKey]bool{}
	for _, f := range b.Files {
		has[fileKey{f.Fd, f.Path}] = true
		if !had[fileKey{f.Fd, f.Path}] {
			pd.FilesOpened = append(pd.FilesOpened, f)
		}
	}
	for _, f := range a.Files {
		if !has[fileKey{f.Fd, f.Path}] {
			pd.FilesClosed = append(pd.FilesClosed, f)
		}
	}
	old := map[uint64]Mapping{}
	for _, mp := range a.Mappings {
		old[mp.Start] = mp
	}
	seen := map[uint64]bool{}
	for _, mp := range b.Mappings {
		seen[mp.Start] = true
		md := MappingDiff{Start: mp.Start, Resource: mp.Resource, Change: "added", SizeAfter: mp.Size, ResidentAfter: mp.ResidentPages * pageSize}
		if o, ok := old[mp.Start]; ok {
			if o.Size == mp.Size && o.ResidentPages == mp.ResidentPages {
				continue
			}
			md.Change, md.SizeBefore, md.ResidentBefore = "changed", o.Size, o.ResidentPages*pageSize
		}
		pd.Mappings = append(pd.Mappings, md)
	}
	for _, mp := range a.Mappings {
		if !seen[mp.Start] {
			pd.Mappings = append(pd.Mappings, MappingDiff{Start: mp.Start, Resource: mp.Resource, Change: "gone",
				SizeBefore: mp.Size, ResidentBefore: mp.ResidentPages * pageSize})
		}
	}
	delta := func(m MappingDiff) int64 { return int64(m.ResidentAfter) - int64(m.ResidentBefore) }
	sort.SliceStable(pd.Mappings, func(i, j int) bool {
		di, dj := delta(pd.Mappings[i]), delta(pd.Mappings[j])
		if di < 0 {
			di = -di
		}
		if dj < 0 {
			dj = -dj
		}
		return di > dj
	})
	return pd, len(pd.FilesOpened)+len(pd.FilesClosed)+len(pd.Mappings) > 0
}
