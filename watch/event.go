// Package watch turns kernel notifications into berth's events: OOM kills
// (cgroup v1 eventfd on memory.oom_control, cgroup v2 inotify on
// memory.events), exits (the shims' exit files), and containers appearing
// and vanishing in state dirs and runtime roots. One epoll loop serves every
// container: no goroutine per container, no rescans.
//
// An OOM event is identified by (container id, oom_kill counter value), so
// the shim that journals a kill and a UI that sees it live report the same
// event, and consumers keep it once (see Dedup).
package watch

import (
	"strconv"
	"time"
)

// Kind names what happened.
type Kind string

// Event kinds.
const (
	KindCreate     Kind = "create"
	KindStart      Kind = "start"
	KindExit       Kind = "exit"
	KindOOM        Kind = "oom"
	KindPause      Kind = "pause"
	KindResume     Kind = "resume"
	KindCheckpoint Kind = "checkpoint"
	KindRestore    Kind = "restore"
	KindDelete     Kind = "delete"
	KindExecExit   Kind = "exec-exit"
	KindUpdate     Kind = "update"
)

// Kinds are every kind, for the commands and filters that take a kind
// by name (and list them when given another).
var Kinds = []Kind{
	KindCreate, KindStart, KindExit, KindOOM, KindPause, KindResume,
	KindCheckpoint, KindRestore, KindDelete, KindExecExit, KindUpdate,
}

// Event is one thing that happened to a container.
type Event struct {
	Time time.Time `json:"time"`
	Kind Kind      `json:"kind"`
	ID   string    `json:"id"`
	// Root is the runtime root of a container another manager started
	// ("" for berth's own): with the id it names the container (Ref).
	Root       string `json:"root,omitempty"`
	Pid        int    `json:"pid,omitempty"`
	ExitStatus *int   `json:"exitStatus,omitempty"`
	OOMKilled  bool   `json:"oomKilled,omitempty"`
	Detail     string `json:"detail,omitempty"`
	// OOMCount is the container's oom_kill counter after this kill: with
	// the id it names the kill. Its JSON name is ps's and stats' for the
	// same counter.
	OOMCount uint64 `json:"oomKills,omitempty"`
	// Missed marks a kill found from the counter, that happened while
	// nothing watched.
	Missed bool `json:"missed,omitempty"`
	// Proc is the process an exit is about: "init" or an exec's name.
	Proc      string     `json:"proc,omitempty"`
	Forensics *Forensics `json:"forensics,omitempty"`
}

// UnmarshalJSON reads an event, taking the kill count from "oomCount"
// too: the name it had before, which a shim still running an older berth
// journals.
func (e *Event) UnmarshalJSON(b []byte) error { return decodeEvent(b, e) }

// Ref names a container: berth's own by its id, another manager's by its
// runtime root and id joined ("/run/runc/web"). Ids never hold a slash,
// so the two kinds never collide, and the same id in two roots is two
// containers.
func Ref(root, id string) string {
	if root == "" {
		return id
	}
	return root + "/" + id
}

// Ref names the container the event is about (see Ref).
func (e Event) Ref() string { return Ref(e.Root, e.ID) }

// Key identifies an event across sources: the same OOM kill seen by a
// shim and by a UI has one key. A kill is named by its container, its
// init's pid (which tells incarnations of a reused id apart: each new
// container's counter starts again from zero) and its count; an exit by
// its process; any other event by when it happened.
func (e Event) Key() EventKey {
	k := EventKey{kind: e.Kind, ref: e.Ref()}
	switch e.Kind {
	case KindOOM:
		k.pid, k.count = e.Pid, e.OOMCount
	case KindExit, KindExecExit:
		k.proc, k.pid = e.Proc, e.Pid
	default:
		// As its RFC 3339 text would: the instant and the offset.
		_, k.zone = e.Time.Zone()
		k.sec, k.nsec = e.Time.Unix(), e.Time.Nanosecond()
	}
	return k
}

// EventKey is an event's Key: comparable, and built without a string
// (de-duplication builds one per event delivered, a few thousand a
// second under churn).
type EventKey struct {
	kind       Kind
	ref, proc  string
	pid        int
	count      uint64
	sec        int64
	nsec, zone int
}

// String is the key as the messages that name one show it.
func (k EventKey) String() string {
	switch k.kind {
	case KindOOM:
		return "oom/" + k.ref + "/" + strconv.Itoa(k.pid) + "/" + strconv.FormatUint(k.count, 10)
	case KindExit, KindExecExit:
		return string(k.kind) + "/" + k.ref + "/" + k.proc + "/" + strconv.Itoa(k.pid)
	}
	t := time.Unix(k.sec, int64(k.nsec)).In(time.FixedZone("", k.zone))
	return string(k.kind) + "/" + k.ref + "/" + t.Format(time.RFC3339Nano)
}

// Dedup drops events already seen, remembering a bounded number of keys.
type Dedup struct {
	seen  map[EventKey]struct{}
	order []EventKey
	max   int
}

// NewDedup remembers up to max keys (oldest forgotten first).
func NewDedup(max int) *Dedup {
	// Not sized for max up front: a follower of a quiet host holds a few
	// hundred keys, and max of them took megabytes it never used.
	return &Dedup{seen: map[EventKey]struct{}{}, max: max}
}

// DedupKeys is how many keys a follower remembers: more than the events a
// journal generation holds, so a replay of history is always recognised.
const DedupKeys = 16384

// Seen is a Dedup of DedupKeys that already knows evs: what a follower
// has delivered from history, so the live stream does not repeat it.
func Seen(evs []Event) *Dedup {
	d := NewDedup(DedupKeys)
	for _, ev := range evs {
		d.First(ev)
	}
	return d
}

// First reports whether e is new, and remembers it.
func (d *Dedup) First(e Event) bool {
	k := e.Key()
	if _, ok := d.seen[k]; ok {
		return false
	}
	d.seen[k] = struct{}{}
	d.order = append(d.order, k)
	if len(d.order) > d.max {
		delete(d.seen, d.order[0])
		d.order = d.order[1:]
	}
	return true
}
