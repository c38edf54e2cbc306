package common

import (
	"time"

	"berth/core"
	"berth/watch"
)

// Screen is one of the root's screens.
type Screen int

// Screens.
const (
	ScreenList Screen = iota
	ScreenContainer
	ScreenEvents
	// ScreenLogs is the output of several containers merged by time
	// (NavigateMsg.IDs), opened from the list's marks.
	ScreenLogs
)

// Tab is one of the container view's tabs, in key order (1-6).
type Tab int

// Tabs.
const (
	TabOverview Tab = iota
	TabProcesses
	TabStats
	TabLogs
	TabCheckpoints
	TabEvents
)

// TabNames are the tabs' titles, in order.
var TabNames = [6]string{"overview", "processes", "stats", "logs", "checkpoints", "events"}

// NavigateMsg asks the root to show a screen: screens never open each
// other.
type NavigateMsg struct {
	Screen Screen
	ID     string
	Tab    Tab
	// IDs are ScreenLogs' containers.
	IDs []string
}

// Action names something the root does to containers, after asking what
// it needs to (a confirmation, a signal, a form).
type Action string

// Actions.
const (
	// ActPause pauses a running container and resumes a paused one.
	ActPause Action = "pause"
	// ActStart starts a stopped container again; ActRestart stops a
	// running one and starts it (a stopped one is just started).
	ActStart      Action = "start"
	ActRestart    Action = "restart"
	ActKill       Action = "kill"
	ActDelete     Action = "delete"
	ActExec       Action = "exec"
	ActUpdate     Action = "update"
	ActCheckpoint Action = "checkpoint"
	// ActMigrate moves a container to another host (asked in a form).
	ActMigrate Action = "migrate"
	// ActRestore restores Checkpoint (in place or as a new id, asked in a form).
	ActRestore Action = "restore"
	// ActDeleteCheckpoint removes Checkpoint.
	ActDeleteCheckpoint Action = "delete-checkpoint"
	// ActSignalProcess signals one process (Pid, Start).
	ActSignalProcess Action = "signal-process"
)

// ActionMsg asks the root to act on containers. IDs holds the marked
// containers for a bulk action, or the selected one.
type ActionMsg struct {
	Action     Action
	IDs        []string
	Checkpoint string
	Pid        int
	Start      uint64
	// Command is the signalled process's command, for the prompts.
	Command string
	// Bypassed: the operator agreed that the action goes behind another
	// manager's back (see core.Via), or it does not.
	Bypassed bool
}

// Level is a footer message's severity.
type Level int

// Levels.
const (
	LevelInfo Level = iota
	LevelWarning
	LevelError
)

// StatusMsg puts a message in the footer until the next key.
type StatusMsg struct {
	Text  string
	Level Level
}

// Error is a StatusMsg for err.
func Error(err error) StatusMsg { return StatusMsg{Text: err.Error(), Level: LevelError} }

// ContainersMsg is a fresh list of containers.
type ContainersMsg struct {
	Containers []core.Container
	Err        error
}

// StatsMsg carries one sweep of stats; Stale says some container's cgroup
// was gone (the list is out of date).
type StatsMsg struct {
	Stats []core.Stats
	Stale bool
	Time  time.Time
	// Gen is the root's sample generation: a reply for a screen since
	// left is dropped.
	Gen uint64
}

// EventsMsg is a batch of events from the watch loop (or the history,
// with History set).
type EventsMsg struct {
	Events  []watch.Event
	History bool
}

// DoneMsg reports that an action on IDs ended; Err is nil on success.
// Checkpoint is the checkpoint it was about (the one made, restored or
// removed).
type DoneMsg struct {
	Action     Action
	IDs        []string
	Checkpoint string
	Text       string
	Err        error
}
