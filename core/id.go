package core

import (
	"strings"
)

// MaxIDLen is the longest container id or checkpoint name berth accepts.
const MaxIDLen = 76

// reservedNames are entries of the state root that are not containers.
var reservedNames = map[string]bool{"external": true}

// ValidateID checks a container id against ^[A-Za-z0-9][A-Za-z0-9_.-]{0,75}$
// before it is ever joined to a path. The error quotes the id with control
// bytes escaped, so a hostile id cannot reach the terminal raw.
func ValidateID(id string) error {
	if err := validateName("container id", id); err != nil {
		return err
	}
	if reservedNames[id] || strings.HasPrefix(id, "events.jsonl") {
		return invalidf("container id %q is reserved", id)
	}
	return nil
}

// ValidateName checks a checkpoint name with the same rule as ids.
func ValidateName(name string) error { return validateName("checkpoint name", name) }

func validateName(what, s string) error {
	switch {
	case s == "":
		return invalidf("%s is empty", what)
	case len(s) > MaxIDLen:
		return invalidf("%s %.20q... is %d characters, the limit is %d", what, s, len(s), MaxIDLen)
	}
	for i, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
			i > 0 && (r == '_' || r == '.' || r == '-')
		if !ok {
			return invalidf("%s %q: character %q at %d is not allowed (letters, digits, and _ . - after the first)",
				what, s, r, i)
		}
	}
	return nil
}
