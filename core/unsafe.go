package core

import "unsafe"

// unsafePointer converts a byte's address for decoding kernel structs
// (inotify events) in place.
func unsafePointer(b *byte) unsafe.Pointer { return unsafe.Pointer(b) }
