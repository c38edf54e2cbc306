package procfs

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// MountsUnder returns the mount points of this mount namespace at or
// below dir, deepest first, read from mountinfo (b; nil reads
// /proc/self/mountinfo).
func MountsUnder(b []byte, dir string) ([]string, error) {
	if b == nil {
		var err error
		if b, err = os.ReadFile("/proc/self/mountinfo"); err != nil {
			return nil, err
		}
	}
	dir = filepath.Clean(dir)
	var under []string
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) < 5 {
			continue
		}
		p := unescapeMount(f[4])
		if p == dir || strings.HasPrefix(p, dir+"/") {
			under = append(under, p)
		}
	}
	// Deepest first, so each unmounts before what it was mounted on.
	slices.SortFunc(under, func(a, b string) int { return strings.Count(b, "/") - strings.Count(a, "/") })
	return slices.Compact(under), nil
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// UnmountUnder detaches every mount at or below dir, deepest first: what a
// runtime or CRIU killed mid-way left there (CRIU's restore binds the
// container's root filesystem into the runtime's state dir, and its cgroup
// yard into its work dir), which a recursive remove would otherwise go
// through and empty. A mount gone meanwhile is no error; the others are
// joined, having tried them all.
func UnmountUnder(dir string) error {
	mounts, err := MountsUnder(nil, dir)
	if err != nil {
		return err
	}
	var errs []error
	for _, p := range mounts {
		if err := unix.Unmount(p, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
			errs = append(errs, &os.PathError{Op: "unmount", Path: p, Err: err})
		}
	}
	return errors.Join(errs...)
}
