package inspect

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"

	"berth/core"
	"berth/host/statefile"

	"github.com/checkpoint-restore/go-criu/v8/magic"
)

// critMu serialises calls into crit, which caches images in package
// variables.
var critMu sync.Mutex

// decodedImages are the prefixes of the images crit decodes for inspect:
// each is checked before crit sees it.
var decodedImages = []string{"pstree.img", "core-", "ids-", "fdinfo-", "fs-", "files.img", "mm-",
	"pagemap-", "reg-files.img", "pipes.img", "unixsk.img", "inetsk.img", "packetsk.img", "netlinksk.img"}

// DecodedImage says whether inspect reads an image of this name (and so
// checks it first).
func DecodedImage(name string) bool {
	if !strings.HasSuffix(name, ".img") {
		return false
	}
	for _, p := range decodedImages {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return strings.HasPrefix(name, "pages-")
}

// checkImages refuses a checkpoint directory crit should not be given: an
// image it decodes that is not a regular file (a symlink, a FIFO that
// would block), larger than max, or whose entries' sizes run past its end
// (crit allocates whatever size an entry claims before reading it). The
// pages images are never decoded whole and are bounded when read.
func checkImages(dir string, o core.InspectOptions) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := e.Name()
		if !DecodedImage(name) {
			continue
		}
		if !e.Type().IsRegular() {
			return fmt.Errorf("%s is not a regular file", name)
		}
		if strings.HasPrefix(name, "pages-") {
			continue
		}
		if err := checkImage(filepath.Join(dir, name), o.MaxImageBytes, o.MaxImageEntries); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

// checkImage walks one image's framing: its magic (one, or two after
// CRIU's common or service magic), then entries of a 32-bit little-endian
// size and that many bytes.
func checkImage(path string, max int64, maxEntries int) error {
	f, err := statefile.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if st.Size() > max {
		return fmt.Errorf("%d bytes, more than the %d an image may have here", st.Size(), max)
	}
	b := make([]byte, st.Size())
	if _, err := io.ReadFull(f, b); err != nil {
		return fmt.Errorf("short read: %w", err)
	}
	return checkFraming(b, maxEntries)
}

// Every image magic CRIU knows, and the two that come before an image's
// own.
var (
	magics       = magic.LoadMagic()
	magicCommon  = uint32(magics.ByName["IMG_COMMON"])
	magicService = uint32(magics.ByName["IMG_SERVICE"])
)

// checkFraming checks an image's bytes (see checkImage).
func checkFraming(b []byte, maxEntries int) error {
	if len(b) < 4 {
		return errors.New("truncated: no magic")
	}
	m := binary.LittleEndian.Uint32(b)
	b = b[4:]
	if m == magicCommon || m == magicService {
		if len(b) < 4 {
			return errors.New("truncated: no magic")
		}
		m = binary.LittleEndian.Uint32(b)
		b = b[4:]
	}
	if _, ok := magics.ByValue[uint64(m)]; !ok {
		return fmt.Errorf("wrong magic %#x", m)
	}
	for n := 0; len(b) > 0; n++ {
		if n == maxEntries {
			return fmt.Errorf("more than %d entries", maxEntries)
		}
		if len(b) < 4 {
			return fmt.Errorf("truncated: entry %d has %d of 4 size bytes", n, len(b))
		}
		size := uint64(binary.LittleEndian.Uint32(b))
		b = b[4:]
		if size > uint64(len(b)) {
			return fmt.Errorf("truncated: entry %d claims %d bytes, %d are left", n, size, len(b))
		}
		b = b[size:]
	}
	return nil
}

// Pagemap entry flags (CRIU's include/pagemap.h).
const (
	pageInParent = 1 << 0
	pageLazy     = 1 << 1
	pagePresent  = 1 << 2
)

// pageRun is a run of pages of one pagemap entry.
type pageRun struct {
	vaddr, pages uint64
	flags        uint32
	off          int64 // in the pages image, for present runs
}

// pageReader reads a process's memory from its pagemap and pages images,
// going to the parent checkpoint for pages that live there.
type pageReader struct {
	pages    string // the pages image's path, "" when it holds none
	size     int64  // its size
	pageSize uint64
	runs     []pageRun // by vaddr
	// held is the pages the images hold (here or in parents), inParent
	// those of them the parent must hold.
	held, inParent uint64
	parent         func() (*pageReader, error)
	par            *pageReader
	parErr         error
}

// pages builds the page reader of process pid, depth parents down.
func (d *decoder) pages(pid uint32, depth int) (*pageReader, error) {
	pagesID, entries, err := pagemapEntries(d.dir, pid)
	if err != nil {
		return nil, err
	}
	ps := uint64(d.pageSize)
	pr := &pageReader{pageSize: ps}
	var off uint64
	for i, e := range entries {
		flags := e.GetFlags()
		if e.Flags == nil {
			flags = pagePresent
			if e.GetInParent() {
				flags = pageInParent
			}
		}
		// CRIU writes the 32-bit count, and the 64-bit one only when
		// the count does not fit.
		n, va := uint64(e.GetCompatNrPages()), e.GetVaddr()
		if e.NrPages != nil {
			n = e.GetNrPages()
		}
		if n > (1<<63)/ps || va%ps != 0 || va+n*ps < va {
			return nil, fmt.Errorf("pagemap-%d.img: entry %d (%#x, %d pages) is out of range", pid, i, va, n)
		}
		pr.runs = append(pr.runs, pageRun{vaddr: va, pages: n, flags: flags, off: int64(off)})
		if flags&(pagePresent|pageInParent) != 0 {
			pr.held += n
		}
		if flags&pagePresent == 0 && flags&pageInParent != 0 {
			pr.inParent += n
		}
		if flags&pagePresent != 0 {
			off += n * ps
			if off > 1<<62 {
				return nil, fmt.Errorf("pagemap-%d.img: more pages than any image holds", pid)
			}
		}
	}
	sort.SliceStable(pr.runs, func(i, j int) bool { return pr.runs[i].vaddr < pr.runs[j].vaddr })
	for i := 1; i < len(pr.runs); i++ {
		if p := pr.runs[i-1]; p.vaddr+p.pages*ps > pr.runs[i].vaddr {
			return nil, fmt.Errorf("pagemap-%d.img: entries overlap at %#x", pid, pr.runs[i].vaddr)
		}
	}
	if off > 0 {
		pr.pages = filepath.Join(d.dir, fmt.Sprintf("pages-%d.img", pagesID))
		st, err := os.Lstat(pr.pages)
		if err != nil {
			return nil, err
		}
		if !st.Mode().IsRegular() {
			return nil, fmt.Errorf("pages-%d.img is not a regular file", pagesID)
		}
		if st.Size() > d.o.MaxPagesBytes {
			return nil, fmt.Errorf("pages-%d.img: %d bytes, more than the checkpoint's %d", pagesID, st.Size(), d.o.MaxPagesBytes)
		}
		if uint64(st.Size()) < off {
			return nil, fmt.Errorf("pages-%d.img: %d bytes, the pagemap names %d", pagesID, st.Size(), off)
		}
		pr.size = st.Size()
	}
	if d.parent != "" && depth < core.MaxParentDepth {
		parent := d.parent
		pr.parent = func() (*pageReader, error) {
			p, ok := d.parents[parent]
			switch {
			case !ok:
				return nil, fmt.Errorf("parent checkpoint %q is not found", parent)
			case p.Err != "":
				return nil, errors.New(p.Err)
			case !p.Checkpoint.Valid:
				return nil, fmt.Errorf("parent checkpoint %q is unreadable", parent)
			}
			dir, meta := p.Dir, p.Checkpoint
			// A parent is bounded by its own recorded size: a pre-dump
			// holds most of the pages, its children only what changed.
			o := d.o
			o.MaxPagesBytes = defaultMaxPagesBytes
			if meta.SizeBytes > 0 {
				o.MaxPagesBytes = meta.SizeBytes
			}
			if err := checkImages(dir, o); err != nil {
				return nil, fmt.Errorf("parent %s: %w", parent, err)
			}
			pd := &decoder{dir: dir, o: o, pageSize: d.pageSize, parents: d.parents, parent: meta.Parent}
			return pd.pages(pid, depth+1)
		}
	}
	return pr, nil
}

// run finds the run holding page address a.
func (pr *pageReader) run(a uint64) (pageRun, bool) {
	i := sort.Search(len(pr.runs), func(i int) bool { return pr.runs[i].vaddr+pr.runs[i].pages*pr.pageSize > a })
	if i < len(pr.runs) && pr.runs[i].vaddr <= a {
		return pr.runs[i], true
	}
	return pageRun{}, false
}

// residentIn counts the pages of [start, end) the images hold.
func (pr *pageReader) residentIn(start, end uint64) uint64 {
	var n uint64
	i := sort.Search(len(pr.runs), func(i int) bool { return pr.runs[i].vaddr+pr.runs[i].pages*pr.pageSize > start })
	for _, r := range pr.runs[i:] {
		if r.vaddr >= end {
			break
		}
		if r.flags&(pagePresent|pageInParent) == 0 {
			continue
		}
		lo, hi := max(start, r.vaddr), min(end, r.vaddr+r.pages*pr.pageSize)
		if hi > lo {
			n += (hi - lo + pr.pageSize - 1) / pr.pageSize
		}
	}
	return n
}

// parentReader opens the parent's reader once.
func (pr *pageReader) parentReader() (*pageReader, error) {
	if pr.par == nil && pr.parErr == nil {
		if pr.parent == nil {
			pr.parErr = errors.New("pages are in a parent checkpoint that is not recorded")
		} else {
			pr.par, pr.parErr = pr.parent()
			// What the parent does not hold reads as zeros: a child
			// naming more than it holds would be searched for ever.
			if pr.parErr == nil && pr.inParent > pr.par.held {
				pr.par, pr.parErr = nil, fmt.Errorf("the pagemap names %d pages in the parent, which holds %d", pr.inParent, pr.par.held)
			}
		}
	}
	return pr.par, pr.parErr
}

// read reads n bytes of memory at addr; pages the images do not hold read
// as zeros, as they would restore.
func (pr *pageReader) read(addr uint64, n int) ([]byte, error) {
	out := make([]byte, n)
	var f *os.File
	defer func() {
		if f != nil {
			f.Close()
		}
	}()
	for done := 0; done < n; {
		a := addr + uint64(done)
		page := a - a%pr.pageSize
		chunk := min(int(page+pr.pageSize-a), n-done)
		r, ok := pr.run(page)
		if ok {
			// The rest of the run, at most: one read for what is
			// contiguous in its image.
			chunk = int(min(r.vaddr+r.pages*pr.pageSize-a, uint64(n-done)))
		}
		switch {
		case !ok:
		case r.flags&pagePresent != 0:
			if f == nil {
				var err error
				if f, err = statefile.Open(pr.pages); err != nil {
					return nil, err
				}
			}
			if _, err := f.ReadAt(out[done:done+chunk], r.off+int64(a-r.vaddr)); err != nil {
				return nil, fmt.Errorf("%s: %w", filepath.Base(pr.pages), err)
			}
		case r.flags&pageInParent != 0:
			par, err := pr.parentReader()
			if err != nil {
				return nil, err
			}
			b, err := par.read(a, chunk)
			if err != nil {
				return nil, err
			}
			copy(out[done:], b)
		}
		done += chunk
	}
	return out, nil
}

// searchChunk is how much of a run is searched at a time; searchOverlap
// is how far a match may reach past it.
const (
	searchChunk   = 4 << 20
	searchOverlap = 4 << 10
)

// search looks for the pattern in every process's pages.
func (d *decoder) search(ctx context.Context, procs []core.InspectProcess) ([]core.MemoryMatch, bool, error) {
	re, err := regexp.Compile(d.o.Search)
	if err != nil {
		return nil, false, &core.Error{Class: core.ErrInvalid, Msg: "search", Err: err}
	}
	ctxBytes := d.o.SearchContext
	if ctxBytes <= 0 {
		ctxBytes = defaultSearchContext
	}
	ctxBytes = min(ctxBytes, 4096)
	limit := d.o.MaxMatches
	if limit <= 0 {
		limit = defaultMaxMatches
	}
	var out []core.MemoryMatch
	for _, p := range procs {
		if !hasState(&p) {
			continue
		}
		pr, err := d.pages(p.Pid, 0)
		if err != nil {
			return nil, false, err
		}
		for _, r := range pr.runs {
			if r.flags&(pagePresent|pageInParent) == 0 {
				continue
			}
			// Offsets within the run, never addresses: a run may end at
			// the top of the address space, where an address would wrap.
			size, pad := r.pages*pr.pageSize, uint64(ctxBytes)
			for off := uint64(0); off < size; off += searchChunk {
				if err := ctx.Err(); err != nil {
					return nil, false, err
				}
				lo := off - min(pad, off)
				hi := min(off+searchChunk+searchOverlap+pad, size)
				b, err := pr.read(r.vaddr+lo, int(hi-lo))
				if err != nil {
					return nil, false, err
				}
				for _, ix := range re.FindAllIndex(b, -1) {
					at := lo + uint64(ix[0])
					if at < off || at >= off+searchChunk || ix[1] == ix[0] {
						continue // another chunk's, or empty
					}
					if len(out) == limit {
						return out, true, nil
					}
					out = append(out, core.MemoryMatch{Pid: p.Pid, Address: r.vaddr + at, Length: ix[1] - ix[0],
						Before: EscapeBytes(b[max(ix[0]-ctxBytes, 0):ix[0]]),
						Match:  EscapeBytes(b[ix[0]:ix[1]]),
						After:  EscapeBytes(b[ix[1]:min(ix[1]+ctxBytes, len(b))])})
				}
			}
		}
	}
	return out, false, nil
}

// EscapeBytes shows bytes from a checkpoint as printable ASCII: \n, \t,
// \\ and \xNN for anything else, so no terminal sequence gets through.
func EscapeBytes(b []byte) string {
	var s strings.Builder
	s.Grow(len(b))
	const hex = "0123456789abcdef"
	for _, c := range b {
		switch {
		case c == '\\':
			s.WriteString(`\\`)
		case c == '\n':
			s.WriteString(`\n`)
		case c == '\t':
			s.WriteString(`\t`)
		case c >= 0x20 && c < 0x7f:
			s.WriteByte(c)
		default:
			s.WriteString(`\x`)
			s.WriteByte(hex[c>>4])
			s.WriteByte(hex[c&15])
		}
	}
	return s.String()
}
