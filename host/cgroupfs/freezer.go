package cgroupfs

import (
	"bytes"
	"errors"
)

// Frozen reports whether a container's cgroup is frozen (paused): v2's
// cgroup.events "frozen 1", v1's freezer.state FROZEN. A freeze still in
// progress (v1's FREEZING) is not frozen yet.
func Frozen(p Paths) (bool, error) {
	var frozen bool
	if p.V2() {
		err := ReadFile(p.File("", "cgroup.events"), func(b []byte) error {
			v, ok := KeyValue(b, "frozen")
			if !ok {
				return errors.New("cgroup.events has no frozen field")
			}
			frozen = v == 1
			return nil
		})
		return frozen, err
	}
	err := ReadFile(p.File("freezer", "freezer.state"), func(b []byte) error {
		frozen = string(bytes.TrimSpace(b)) == "FROZEN"
		return nil
	})
	return frozen, err
}
