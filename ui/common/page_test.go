package common

import (
	"fmt"
	"testing"
	"time"

	"berth/core"
	"berth/watch"
)

func storeOf(cs ...core.Container) *Store {
	s := NewStore()
	s.SetContainers(cs)
	return s
}

// Apply changes only the rows the events name and reads nothing; what it
// cannot know from the event it returns to fetch.
func TestStoreApply(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	code := 137
	run := func(id string, pid int) core.Container {
		return core.Container{ID: id, Pid: pid, Status: core.StatusRunning, OOMKills: 2}
	}
	tests := []struct {
		name  string
		ev    []watch.Event
		check func(*Store) error
		fetch string
	}{
		{"oom counts one", []watch.Event{{Kind: watch.KindOOM, ID: "a", Pid: 10}},
			kills("a", 3), "[]"},
		{"oom takes a larger count", []watch.Event{{Kind: watch.KindOOM, ID: "a", OOMCount: 9}},
			kills("a", 9), "[]"},
		{"oom of an earlier pid is ignored", []watch.Event{{Kind: watch.KindOOM, ID: "a", Pid: 99}},
			kills("a", 2), "[]"},
		{"exit stops", []watch.Event{{Time: at, Kind: watch.KindExit, ID: "a", Pid: 10, ExitStatus: &code, OOMKilled: true}},
			func(s *Store) error {
				c, _ := s.Get("a")
				if c.Status != core.StatusStopped || c.Pid != 0 || c.ExitStatus == nil || *c.ExitStatus != 137 || !c.OOMKilled || c.ExitedAt == nil || !c.ExitedAt.Equal(at) {
					return fmt.Errorf("after exit %+v", c)
				}
				return nil
			}, "[]"},
		{"pause then resume", []watch.Event{{Kind: watch.KindPause, ID: "a"}, {Kind: watch.KindPause, ID: "b"}, {Kind: watch.KindResume, ID: "a"}},
			func(s *Store) error {
				a, _ := s.Get("a")
				b, _ := s.Get("b")
				if a.Status != core.StatusRunning || b.Status != core.StatusPaused {
					return fmt.Errorf("a %s b %s", a.Status, b.Status)
				}
				return nil
			}, "[]"},
		{"delete removes the row and its history", []watch.Event{{Kind: watch.KindDelete, ID: "a"}},
			func(s *Store) error {
				if _, ok := s.Get("a"); ok || s.History["a"] != nil || len(s.Containers) != 1 {
					return fmt.Errorf("a still there: %+v", s.Containers)
				}
				if b, ok := s.Get("b"); !ok || b.ID != "b" {
					return fmt.Errorf("b lost after a's delete")
				}
				return nil
			}, "[]"},
		{"exits and deletes of both in one batch empty the list", []watch.Event{{Kind: watch.KindExit, ID: "a", Pid: 10},
			{Kind: watch.KindDelete, ID: "a"}, {Kind: watch.KindOOM, ID: "a"}, {Kind: watch.KindExit, ID: "b", Pid: 20}, {Kind: watch.KindDelete, ID: "b"}},
			func(s *Store) error {
				if len(s.Containers) != 0 || len(s.History) != 0 {
					return fmt.Errorf("left %+v, history %v", s.Containers, s.History)
				}
				if _, ok := s.Get("b"); ok {
					return fmt.Errorf("b still found")
				}
				return nil
			}, "[]"},
		{"a delete then a create of the id fetches it", []watch.Event{{Kind: watch.KindDelete, ID: "a"}, {Kind: watch.KindCreate, ID: "a"}},
			func(s *Store) error {
				if _, ok := s.Get("a"); ok || len(s.Containers) != 1 {
					return fmt.Errorf("a kept until fetched: %+v", s.Containers)
				}
				return nil
			}, "[a]"},
		{"start, create, restore, checkpoint fetch each id once",
			[]watch.Event{{Kind: watch.KindStart, ID: "a"}, {Kind: watch.KindCreate, ID: "n"}, {Kind: watch.KindStart, ID: "n"},
				{Kind: watch.KindRestore, ID: "b"}, {Kind: watch.KindCheckpoint, ID: "a"}},
			kills("a", 2), "[a n b]"},
		{"an unknown id changes nothing", []watch.Event{{Kind: watch.KindOOM, ID: "z"}, {Kind: watch.KindExit, ID: "z"}},
			func(s *Store) error {
				if len(s.Containers) != 2 {
					return fmt.Errorf("%d rows", len(s.Containers))
				}
				return nil
			}, "[]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := storeOf(run("a", 10), run("b", 20))
			s.History["a"] = &History{}
			fetch := s.Apply(tt.ev)
			if got := fmt.Sprint(fetch); got != tt.fetch {
				t.Errorf("fetch %s, want %s", got, tt.fetch)
			}
			if err := tt.check(s); err != nil {
				t.Error(err)
			}
		})
	}
}

func kills(id string, n uint64) func(*Store) error {
	return func(s *Store) error {
		if c, _ := s.Get(id); c.OOMKills != n {
			return fmt.Errorf("%s oom kills %d, want %d", id, c.OOMKills, n)
		}
		return nil
	}
}

// Put adds a new container at the end and replaces a known one in place.
func TestStorePut(t *testing.T) {
	s := storeOf(core.Container{ID: "a"}, core.Container{ID: "b"})
	rev := s.Rev
	s.Put(core.Container{ID: "b", Pid: 5})
	s.Put(core.Container{ID: "c", Pid: 6})
	if len(s.Containers) != 3 || s.Containers[1].Pid != 5 || s.Containers[2].ID != "c" {
		t.Fatalf("containers %+v", s.Containers)
	}
	if c, ok := s.Get("c"); !ok || c.Pid != 6 {
		t.Errorf("get c = %+v %v", c, ok)
	}
	if s.Rev == rev {
		t.Error("Put left Rev unchanged")
	}
}

// A change of one container moves its revision alone; a batch of deletes
// keeps the others' revisions and finds each survivor where it now is.
func TestStoreContainerRevs(t *testing.T) {
	s := storeOf(core.Container{ID: "a"}, core.Container{ID: "b"}, core.Container{ID: "c"}, core.Container{ID: "d"})
	a, b := s.ContainerRev("a"), s.ContainerRev("b")
	s.Put(core.Container{ID: "b", Pid: 5})
	if s.ContainerRev("a") != a || s.ContainerRev("b") == b {
		t.Fatalf("Put of b: a %d->%d, b %d->%d", a, s.ContainerRev("a"), b, s.ContainerRev("b"))
	}
	s.Apply([]watch.Event{{Kind: watch.KindOOM, ID: "c", OOMCount: 1}})
	c := s.ContainerRev("c")
	if c <= s.ContainerRev("b") || s.ContainerRev("a") != a {
		t.Fatalf("an OOM of c moved c to %d, a to %d", c, s.ContainerRev("a"))
	}
	s.AddStats([]core.Stats{{ID: "d"}})
	d := s.ContainerRev("d")
	s.Apply([]watch.Event{{Kind: watch.KindDelete, ID: "a"}, {Kind: watch.KindDelete, ID: "c"}})
	if len(s.Containers) != 2 || s.ContainerRev("b") == 0 || s.ContainerRev("d") != d || s.ContainerRev("c") != 0 {
		t.Fatalf("after deletes: %+v, revs b %d d %d c %d", s.Containers, s.ContainerRev("b"), s.ContainerRev("d"), s.ContainerRev("c"))
	}
	for _, id := range []string{"b", "d"} {
		if got, ok := s.Get(id); !ok || got.ID != id {
			t.Errorf("Get(%s) = %+v %v", id, got, ok)
		}
	}
	if _, ok := s.History["d"]; !ok {
		t.Error("a survivor's history went with the deletes")
	}
}
