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
	"strings"
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
	ErrBusy       = errors.New("busy")
	// ErrAmbiguous: a reference fits several containers; the message
	// names each.
	ErrAmbiguous = errors.New("ambiguous")
)

// Error is what core returns when an operation fails: the container it is
// about, its class and, when something else failed first, that cause,
// kept whole. errors.Is matches both the class and anything in the cause's
// chain (a runtime failure re-classified as a checkpoint failure is still
// ErrRuntime, and its *exec.ExitError still found with errors.As).
type Error struct {
	ID    string // the container, "" when the error is about none
	Class error  // one of the Err classes above
	Msg   string // what went wrong, without the class's words
	Err   error  // the cause, nil when core itself refused
}

func (e *Error) Error() string {
	parts := make([]string, 0, 3)
	for _, p := range []string{e.ID, e.Msg} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	if e.Err != nil {
		parts = append(parts, e.Err.Error())
	}
	return strings.Join(parts, ": ")
}

// Unwrap gives errors.Is and errors.As the class and the cause.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Class}
	}
	return []error{e.Class, e.Err}
}

// idError builds "id: message" of the given class.
func idError(id string, class error, format string, a ...any) error {
	return &Error{ID: id, Class: class, Msg: fmt.Sprintf(format, a...)}
}

// invalidf builds an ErrInvalid error with its own message.
func invalidf(format string, a ...any) error {
	return &Error{Class: ErrInvalid, Msg: fmt.Sprintf(format, a...)}
}

// wrapError builds "id: message: cause" of the given class, keeping cause.
func wrapError(id string, class, cause error, format string, a ...any) error {
	return &Error{ID: id, Class: class, Msg: fmt.Sprintf(format, a...), Err: cause}
}

// RuntimeError is the OCI runtime failing: which runtime, which command,
// what it said it failed on, and how its process ended (an
// *exec.ExitError, or the context's error when it was stopped).
type RuntimeError struct {
	Runtime string // the runtime's name ("runc")
	Op      string // its command ("pause")
	Msg     string // the runtime's own last error message, "" when it gave none
	Err     error
}

func (e *RuntimeError) Error() string {
	msg := e.Msg
	if msg == "" && e.Err != nil {
		msg = e.Err.Error()
	}
	return e.Runtime + " " + e.Op + ": " + msg
}

// Unwrap is the process's failure.
func (e *RuntimeError) Unwrap() error { return e.Err }

// Is makes every runtime failure ErrRuntime.
func (e *RuntimeError) Is(target error) bool { return target == ErrRuntime }
