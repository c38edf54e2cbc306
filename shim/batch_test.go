package shim

import (
	"os"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

// policies is the scheduling policy of every thread of this process.
func policies(t *testing.T) map[int]uint32 {
	t.Helper()
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	out := map[int]uint32{}
	for _, task := range tasks {
		tid, _ := strconv.Atoi(task.Name())
		if a, err := unix.SchedGetAttr(tid, 0); err == nil {
			out[tid] = a.Policy
		}
	}
	return out
}

func TestBatchThreads(t *testing.T) {
	if a, err := unix.SchedGetAttr(0, 0); err != nil || a.Policy != unix.SCHED_NORMAL {
		t.Skipf("this test runs under policy %v (%v), not SCHED_NORMAL", a, err)
	}
	restore := batchThreads()
	for tid, p := range policies(t) {
		if p != unix.SCHED_BATCH {
			t.Errorf("thread %d: policy %d under batchThreads, want SCHED_BATCH", tid, p)
		}
	}
	restore()
	for tid, p := range policies(t) {
		if p != unix.SCHED_NORMAL {
			t.Errorf("thread %d: policy %d after restore, want SCHED_NORMAL", tid, p)
		}
	}
}
