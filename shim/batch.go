package shim

import (
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// batchThreads puts every thread of the shim under SCHED_BATCH and returns
// what puts them back. A batch thread that wakes does not preempt the task
// running on its CPU: the shim's work after its readiness report (arming
// the OOM watch, collecting the start's garbage, dropping its pages, about
// a millisecond of CPU) then waits for the launcher, which the launcher's
// own close of the report pipe woke the shim for, instead of taking the
// core it runs on until the launcher can exit. A shim started under any
// other policy (an operator's SCHED_IDLE or real-time) is left as it is.
// The runtime is never forked in between: it would inherit the policy.
func batchThreads() (restore func()) {
	orig, err := unix.SchedGetAttr(0, 0)
	if err != nil || orig.Policy != unix.SCHED_NORMAL {
		return func() {}
	}
	setThreads(orig, unix.SCHED_BATCH)
	return func() { setThreads(orig, unix.SCHED_NORMAL) }
}

// setThreads sets policy, with the rest of attr (the nice value), on every
// thread of this process; a thread that exits meanwhile is skipped.
func setThreads(attr *unix.SchedAttr, policy uint32) {
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return
	}
	a := *attr
	a.Size = unix.SizeofSchedAttr
	a.Policy = policy
	for _, t := range tasks {
		if tid, err := strconv.Atoi(t.Name()); err == nil {
			unix.SchedSetAttr(tid, &a, 0)
		}
	}
}
