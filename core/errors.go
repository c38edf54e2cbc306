// Package core is berth's container runtime API: it starts one shim per
// container process, drives the OCI runtime (runc) for every operation,
// keeps the state that lets containers outlive berth, reattaches to it, and
// reads processes and stats straight from /proc and the cgroup files.
//
// Nothing here knows about terminals: the TUI and the headless CLI both sit
// on *Manager.
package core

import (
	"errors"
	"fmt"
)

// Error classes, checked with errors.Is. Every error core returns wraps one
// of them when it fits, with the container id in the message.
var (
	ErrInvalid    = errors.New("invalid argument")
	ErrNotFound   = errors.New("no such container")
	ErrExists     = errors.New("already exists")
	ErrNotRunning = errors.New("not running")
	ErrPaused     = errors.New("paused")
	ErrNotPaused  = errors.New("not paused")
	ErrRuntime    = errors.New("runtime failed")
	ErrUnmanaged  = errors.New("not managed by berth")
)

// classified is an error with its own message that still matches its class
// with errors.Is, without repeating the class's words in the message.
type classified struct {
	msg   string
	class error
}

func (e *classified) Error() string { return e.msg }
func (e *classified) Unwrap() error { return e.class }

// idError builds "id: message" of the given class.
func idError(id string, class error, format string, a ...any) error {
	return &classified{msg: id + ": " + fmt.Sprintf(format, a...), class: class}
}

// invalidf builds an ErrInvalid error with its own message.
func invalidf(format string, a ...any) error {
	return &classified{msg: fmt.Sprintf(format, a...), class: ErrInvalid}
}
