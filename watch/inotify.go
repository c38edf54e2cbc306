package watch

import (
	"bytes"
	"unsafe"

	"golang.org/x/sys/unix"
)

// EachInotify decodes the inotify events in buf (what one read of an
// inotify fd returned) and calls fn for each, with the file name when the
// event has one. It stops at a truncated event rather than read past buf.
func EachInotify(buf []byte, fn func(wd int32, mask uint32, name string)) {
	for off := 0; off+unix.SizeofInotifyEvent <= len(buf); {
		raw := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
		end := off + unix.SizeofInotifyEvent + int(raw.Len)
		if end > len(buf) {
			return
		}
		name := ""
		if raw.Len > 0 {
			name = string(bytes.TrimRight(buf[off+unix.SizeofInotifyEvent:end], "\x00"))
		}
		fn(raw.Wd, raw.Mask, name)
		off = end
	}
}
