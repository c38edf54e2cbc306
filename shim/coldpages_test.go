package shim

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

func TestEachMapping(t *testing.T) {
	maps := []byte(`00400000-0051e000 r-xp 00000000 fe:00 9978114                            /usr/bin/berth-shim
0051e000-00670000 r--p 0011e000 fe:00 9978114                            /usr/bin/berth-shim
00670000-00680000 rw-p 00270000 fe:00 9978114                            /usr/bin/berth-shim
00680000-006b6000 rw-p 00000000 00:00 0
7ffc0f752000-7ffc0f773000 rw-p 00000000 00:00 0                          [stack]
bad line
`)
	var got []string
	eachMapping(maps, func(start, end uint64, perms, file []byte) {
		got = append(got, fmt.Sprintf("%x-%x %s %s", start, end, perms, file))
	})
	want := []string{"400000-51e000 r-xp fe:00 9978114", "51e000-670000 r--p fe:00 9978114", "670000-680000 rw-p fe:00 9978114"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// The shim still runs after its pages are dropped: they come back.
func TestDropStartPages(t *testing.T) {
	dropStartPages()
	if pie, ok := positionIndependent(); !ok {
		t.Fatal("the test binary is not read as ELF")
	} else {
		t.Logf("position independent: %v", pie)
	}
}

// An armed range maps the one page a fault touches, where a plain mapping
// of the same file maps the pages around it too.
func TestSinglePageFaults(t *testing.T) {
	const size = 1 << 20
	path := filepath.Join(t.TempDir(), "pages")
	// Written, so every page is in the page cache, as a binary's are.
	if err := os.WriteFile(path, bytes.Repeat([]byte{1}, size), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	mapped := func() (mem []byte, start uint64) {
		mem, err := unix.Mmap(int(f.Fd()), 0, size, unix.PROT_READ, unix.MAP_PRIVATE)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { unix.Munmap(mem) })
		return mem, uint64(uintptr(unsafe.Pointer(&mem[0])))
	}
	plain, plainStart := mapped()
	armed, armedStart := mapped()
	if !singlePageFaults(armedStart, armedStart+size) {
		t.Skip("this kernel does not register a file mapping with an asynchronous userfaultfd (Linux 6.7)")
	}
	sink = plain[size/2] + armed[size/2]
	t.Logf("pages mapped by one fault: plain %d, armed %d", present(t, plainStart, size), present(t, armedStart, size))
	if n := present(t, armedStart, size); n != 1 {
		t.Fatalf("one fault in an armed range mapped %d pages, want 1", n)
	}
}

// sink keeps the test's reads from being optimised away.
var sink byte

// present counts the pages of [start, start+size) in the page tables.
func present(t *testing.T, start, size uint64) int {
	fd, err := unix.Open("/proc/self/pagemap", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	entries := make([]byte, size/4096*8)
	if _, err := unix.Pread(fd, entries, int64(start/4096*8)); err != nil {
		t.Fatal(err)
	}
	n := 0
	for i := 7; i < len(entries); i += 8 {
		if entries[i]&0x80 != 0 { // bit 63: present
			n++
		}
	}
	return n
}
