package common

import (
	"errors"
	"time"
)

// WhenLayouts are the local times ParseWhen takes besides RFC 3339.
var WhenLayouts = []string{"2006-01-02 15:04:05", "2006-01-02 15:04"}

// Errors of ParseWhen, for the callers' own wording.
var (
	// ErrNegativeWhen is a duration below zero: a time back from now is
	// given as a positive duration.
	ErrNegativeWhen = errors.New("negative duration")
	// ErrBadWhen is neither a time nor a duration.
	ErrBadWhen = errors.New("not a time or a duration")
)

// ParseWhen reads a time as the operator gives one to berth logs and
// berth events and to the log view's jump: a duration back from now (10m,
// 2h), an RFC 3339 time, or a local time in one of WhenLayouts. "" is the
// zero time.
func ParseWhen(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		if d < 0 {
			return time.Time{}, ErrNegativeWhen
		}
		return now.Add(-d), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, l := range WhenLayouts {
		if t, err := time.ParseInLocation(l, s, time.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, ErrBadWhen
}
