package shim

import (
	"bufio"
	"bytes"
	"os"
	"reflect"
	"strconv"

	"golang.org/x/sys/unix"
)

// dropStartPages drops from the shim's page tables the pages of its own
// code and read-only data, once it has started its process. Starting
// touches most of the binary, and the kernel maps the pages around each
// one touched too (fault-around): about 2.5 MB resident per shim, for code
// an idle shim does not run again. The pages stay in the page cache,
// shared by every shim, and the ones an idle shim runs (the scheduler,
// the netpoller, the garbage collector every two minutes) come back on
// first touch, a minor fault each. Only mappings of the binary that have
// no write permission and hold no anonymous page are dropped: their pages
// are the file's, never a copy the process wrote (as a position-independent
// build's relocated read-only data is).
func dropStartPages() {
	// Read as a stream: the whole file (tens of KiB) would grow the heap
	// that was just handed back.
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return
	}
	defer f.Close()
	pc := uint64(reflect.ValueOf(dropStartPages).Pointer())
	type mapping struct {
		start, end uint64
		readOnly   bool
		file       string // device, inode and path
		anonymous  bool
	}
	var maps []mapping
	var self string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Bytes()
		if v, ok := bytes.CutPrefix(line, []byte("Anonymous:")); ok && len(maps) > 0 {
			maps[len(maps)-1].anonymous = string(bytes.TrimSpace(v)) != "0 kB"
			continue
		}
		// A mapping's header: start-end perms offset dev inode [path].
		f := bytes.Fields(line)
		if len(f) < 6 {
			continue
		}
		lo, hi, ok := bytes.Cut(f[0], []byte("-"))
		if !ok {
			continue
		}
		start, err1 := strconv.ParseUint(string(lo), 16, 64)
		end, err2 := strconv.ParseUint(string(hi), 16, 64)
		if err1 != nil || err2 != nil {
			continue
		}
		m := mapping{start: start, end: end, readOnly: !bytes.ContainsRune(f[1], 'w'), file: string(bytes.Join(f[3:], []byte(" ")))}
		if start <= pc && pc < end {
			self = m.file
		}
		maps = append(maps, m)
	}
	if self == "" {
		return
	}
	for _, m := range maps {
		if m.file == self && m.readOnly && !m.anonymous {
			unix.Syscall(unix.SYS_MADVISE, uintptr(m.start), uintptr(m.end-m.start), unix.MADV_DONTNEED)
		}
	}
}
