package shim

import (
	"bytes"
	"errors"
	"reflect"
	"unsafe"

	"golang.org/x/sys/unix"
)

// mapsBuf holds /proc/self/maps while dropStartPages reads it: a static
// buffer, as anything it allocated would stay on a heap that is no longer
// collected (see collectOnGrowth). A shim has about twenty mappings, two
// kilobytes; a larger file is not read.
var mapsBuf [16 << 10]byte

// dropStartPages drops from the shim's page tables the pages of its own
// code and read-only data, once it has started its process. Starting
// touches most of the binary, and the kernel maps the pages around each
// one touched too (fault-around): about 2.5 MB resident per shim, for code
// an idle shim does not run again. The pages stay in the page cache,
// shared by every shim, and the ones an idle shim runs come back on first
// touch, a minor fault each, and without the pages around them where the
// kernel lets a process ask (singlePageFaults). Only mappings of the binary
// without write permission are dropped, whose pages are the file's: the
// read-only data of a position-independent build is relocated, so copies
// the process wrote, and only its code is dropped then.
func dropStartPages() {
	pie, ok := positionIndependent()
	if !ok {
		return
	}
	maps, ok := readSelfMaps()
	if !ok {
		return
	}
	pc := uint64(reflect.ValueOf(dropStartPages).Pointer())
	var self []byte // the device and inode of the mapping holding this code
	eachMapping(maps, func(start, end uint64, perms, file []byte) {
		if start <= pc && pc < end {
			self = file
		}
	})
	if self == nil {
		return
	}
	eachMapping(maps, func(start, end uint64, perms, file []byte) {
		if !bytes.Equal(file, self) || perms[1] == 'w' || (pie && perms[2] != 'x') {
			return
		}
		singlePageFaults(start, end)
		unix.Syscall(unix.SYS_MADVISE, uintptr(start), uintptr(end-start), unix.MADV_DONTNEED)
	})
}

// The userfaultfd interface (linux/userfaultfd.h), as far as
// singlePageFaults uses it.
const (
	uffdUserModeOnly     = 1          // UFFD_USER_MODE_ONLY: needs no privilege
	uffdAPI              = 0xAA       // UFFD_API
	uffdFeatureWPAsync   = 1 << 15    // UFFD_FEATURE_WP_ASYNC, Linux 6.7
	uffdioAPI            = 0xc018aa3f // UFFDIO_API: _IOWR(0xAA, 0x3F, struct uffdio_api)
	uffdioRegister       = 0xc020aa00 // UFFDIO_REGISTER: _IOWR(0xAA, 0x00, struct uffdio_register)
	uffdioRegisterModeWP = 1 << 1     // UFFDIO_REGISTER_MODE_WP
)

// singleFaults is the userfaultfd that keeps singlePageFaults' ranges
// armed; closing it would disarm them, so it stays open for the shim's
// life (close-on-exec: no runtime inherits it). -1: none yet; -2: the
// kernel offers none, which is not asked again.
var singleFaults = -1

// singlePageFaults asks the kernel to map only the page a fault touches in
// [start, end), not the 64 KiB around it (fault-around), which gave every
// idle shim back most of its binary within moments of dropStartPages (228
// of its 292 code pages, from 16 right after the drop): the few dozen
// pages an idle shim runs sit all over the runtime's code. A range
// registered with a userfaultfd for write-protection is faulted page by
// page; in the asynchronous mode (Linux 6.7) any mapping can be
// registered and the kernel resolves every fault itself, so nothing waits
// on the descriptor, and a read-only mapping has no write faults to
// resolve anyway. On an older kernel, or where a seccomp filter refuses
// userfaultfd, the faults map the pages around as before.
func singlePageFaults(start, end uint64) bool {
	if singleFaults == -2 {
		return false
	}
	if singleFaults == -1 {
		fd, _, errno := unix.Syscall(unix.SYS_USERFAULTFD, unix.O_CLOEXEC|unix.O_NONBLOCK|uffdUserModeOnly, 0, 0)
		if errno != 0 {
			singleFaults = -2
			return false
		}
		api := struct{ api, features, ioctls uint64 }{api: uffdAPI, features: uffdFeatureWPAsync}
		if _, _, errno := unix.Syscall(unix.SYS_IOCTL, fd, uffdioAPI, uintptr(unsafe.Pointer(&api))); errno != 0 {
			unix.Close(int(fd))
			singleFaults = -2
			return false
		}
		singleFaults = int(fd)
	}
	reg := struct{ start, len, mode, ioctls uint64 }{start: start, len: end - start, mode: uffdioRegisterModeWP}
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(singleFaults), uffdioRegister, uintptr(unsafe.Pointer(&reg)))
	return errno == 0
}

// positionIndependent reads whether the running binary is ELF type ET_DYN.
func positionIndependent() (pie, ok bool) {
	fd, err := unix.Open("/proc/self/exe", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return false, false
	}
	defer unix.Close(fd)
	hdr := mapsBuf[:18]
	if n, err := unix.Pread(fd, hdr, 0); err != nil || n != len(hdr) || !bytes.Equal(hdr[:4], []byte("\x7fELF")) || hdr[5] != 1 {
		return false, false // not a little-endian ELF file: leave it alone
	}
	return hdr[16] == 3 && hdr[17] == 0, true
}

// readSelfMaps reads /proc/self/maps into mapsBuf.
func readSelfMaps() ([]byte, bool) {
	fd, err := unix.Open("/proc/self/maps", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, false
	}
	defer unix.Close(fd)
	n := 0
	for n < len(mapsBuf) {
		m, err := unix.Read(fd, mapsBuf[n:])
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return nil, false
		}
		if m == 0 {
			return mapsBuf[:n], true
		}
		n += m
	}
	return nil, false // larger than the buffer
}

// eachMapping calls fn for each line of a maps file, "start-end perms
// offset dev inode path", with file the device and inode fields (an inode
// of 0 is no file), without allocating.
func eachMapping(maps []byte, fn func(start, end uint64, perms, file []byte)) {
	for len(maps) > 0 {
		line := maps
		if i := bytes.IndexByte(maps, '\n'); i >= 0 {
			line, maps = maps[:i], maps[i+1:]
		} else {
			maps = nil
		}
		var f [5][]byte
		for k := range f {
			line = bytes.TrimLeft(line, " ")
			i := bytes.IndexByte(line, ' ')
			if i < 0 {
				i = len(line)
			}
			f[k], line = line[:i], line[i:]
		}
		lo, hi, ok := bytes.Cut(f[0], []byte("-"))
		start, ok1 := parseHex(lo)
		end, ok2 := parseHex(hi)
		if !ok || !ok1 || !ok2 || len(f[1]) < 4 || bytes.Equal(f[4], []byte("0")) {
			continue
		}
		// f[3] and f[4] are adjacent in the line: one slice holds both.
		file := f[3][:len(f[3])+1+len(f[4])]
		fn(start, end, f[1], file)
	}
}

// parseHex parses a hexadecimal number.
func parseHex(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 16 {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		default:
			return 0, false
		}
		v = v<<4 | uint64(c)
	}
	return v, true
}
