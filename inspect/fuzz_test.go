package inspect

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"berth/core"

	"github.com/checkpoint-restore/go-criu/v8/crit"
	"github.com/checkpoint-restore/go-criu/v8/crit/images/pagemap"
	"google.golang.org/protobuf/proto"
)

// seedDir is a real checkpoint's metadata images (see the core_test
// package's -update-criu-seed); its pages are made here, as sparse files.
var seedDir = filepath.Join("..", "testdata", "criu")

// seedCheckpoint copies the seed into a new directory and gives each
// process the pages image its pagemap names (zeros, sparse).
func seedCheckpoint(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	ents, err := os.ReadDir(seedDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(seedDir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range ents {
		var pid uint32
		if n, _ := fmt.Sscanf(e.Name(), "pagemap-%d.img", &pid); n != 1 {
			continue
		}
		id, entries, err := pagemapEntries(dir, pid)
		if err != nil {
			t.Fatal(err)
		}
		var pages uint64
		for _, pe := range entries {
			pages += uint64(pe.GetCompatNrPages())
		}
		f, err := os.Create(filepath.Join(dir, "pages-"+strconv.FormatUint(uint64(id), 10)+".img"))
		if err != nil {
			t.Fatal(err)
		}
		f.Truncate(int64(pages) * int64(os.Getpagesize()))
		f.Close()
	}
	return dir
}

func fuzzOptions() core.InspectOptions {
	return core.InspectOptions{Search: "x+", MaxImageBytes: 1 << 20, MaxImageEntries: 4096}.All()
}

func TestInspectSeed(t *testing.T) {
	dir := seedCheckpoint(t)
	in, err := inspectDir(context.Background(), dir, core.Checkpoint{Name: "seed", Valid: true}, nil, fuzzOptions())
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Processes) != 3 || in.Processes[0].Pid != 1 || in.Processes[0].Command != "sh" ||
		len(in.Processes[0].Files) == 0 || len(in.Processes[0].Mappings) == 0 {
		t.Fatalf("seed: %+v", in.Processes)
	}
}

// TestInspectHostile: what an image may not do, each one line naming the
// image.
func TestInspectHostile(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(dir string)
		want string
	}{
		{"truncated", func(dir string) { truncate(dir, "mm-1.img", 100) }, "mm-1.img: truncated"},
		{"wrong magic", func(dir string) { os.WriteFile(filepath.Join(dir, "pstree.img"), []byte("\x01\x02\x03\x04"), 0o600) }, "pstree.img: wrong magic"},
		{"huge entry", func(dir string) { appendBytes(dir, "core-1.img", []byte{0xff, 0xff, 0xff, 0xff}) }, "core-1.img: truncated: entry 1 claims 4294967295 bytes"},
		{"too many entries", func(dir string) { appendBytes(dir, "files.img", make([]byte, 4*5000)) }, "files.img: more than 4096 entries"},
		{"symlink", func(dir string) {
			os.Remove(filepath.Join(dir, "pstree.img"))
			os.Symlink("/dev/zero", filepath.Join(dir, "pstree.img"))
		}, "pstree.img is not a regular file"},
		{"pages short", func(dir string) { truncate(dir, "pages-1.img", 4096) }, "the pagemap names"},
		{"pages over the bound", func(dir string) {
			f, _ := os.OpenFile(filepath.Join(dir, "pages-1.img"), os.O_WRONLY, 0)
			f.Truncate(2 << 30)
			f.Close()
		}, "more than the checkpoint's"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := seedCheckpoint(t)
			c.edit(dir)
			o := fuzzOptions()
			o.MaxPagesBytes = 1 << 30
			_, err := inspectDir(context.Background(), dir, core.Checkpoint{Name: "seed", Valid: true}, nil, o)
			if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("got %v, want %q", err, c.want)
			}
		})
	}
}

// FuzzInspect replaces one image of a real checkpoint with the fuzzer's
// bytes: inspect must return a result or one line of error, never panic,
// hang or allocate without bound. The seeds (each image whole, cut,
// with a wrong magic, and with an entry claiming 4 GiB) run in every test
// run.
func FuzzInspect(f *testing.F) {
	ents, err := os.ReadDir(seedDir)
	if err != nil {
		f.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
		b, _ := os.ReadFile(filepath.Join(seedDir, e.Name()))
		f.Add(e.Name(), b)
		f.Add(e.Name(), b[:len(b)/2])
		f.Add(e.Name(), append([]byte{0xde, 0xad, 0xbe, 0xef}, b[4:]...))
		f.Add(e.Name(), append(append([]byte(nil), b[:8]...), 0xff, 0xff, 0xff, 0xff))
	}
	f.Add("pages-1.img", []byte("xxxx"))
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		if !DecodedImage(name) || strings.ContainsAny(name, "/\x00") {
			name = names[len(data)%len(names)]
		}
		dir := seedCheckpoint(t)
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Skip()
		}
		o := fuzzOptions()
		o.MaxPagesBytes = 64 << 20
		_, err := inspectDir(context.Background(), dir, core.Checkpoint{Name: "seed", Valid: true}, nil, o)
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Fatalf("a multi-line error: %q", err)
		}
		var ce *core.Error
		if errors.As(err, &ce) && ce.Class != core.ErrInvalid {
			t.Fatalf("unexpected class: %v", err)
		}
	})
}

func truncate(dir, name string, n int64) { os.Truncate(filepath.Join(dir, name), n) }

func appendBytes(dir, name string, b []byte) {
	f, _ := os.OpenFile(filepath.Join(dir, name), os.O_WRONLY|os.O_APPEND, 0)
	f.Write(b)
	f.Close()
}

// TestInspectParent: pages a checkpoint keeps in its parent (a pre-dump)
// are read there, and a child naming more of them than the parent holds
// is refused. The kernels here cannot pre-dump (no soft-dirty tracking),
// so the child is made from the seed with crit's encoder.
func TestInspectParent(t *testing.T) {
	parent := seedCheckpoint(t)
	id, entries, err := pagemapEntries(parent, 1)
	if err != nil {
		t.Fatal(err)
	}
	f, _ := os.OpenFile(filepath.Join(parent, "pages-"+strconv.FormatUint(uint64(id), 10)+".img"), os.O_WRONLY, 0)
	f.WriteAt([]byte("parent-only-marker"), 100)
	f.Close()

	child := func(t *testing.T, extra uint64) string {
		dir := seedCheckpoint(t)
		path := filepath.Join(dir, "pagemap-1.img")
		in, _ := os.Open(path)
		img, err := crit.New(in, nil, "", false, false).Decode(&pagemap.PagemapEntry{})
		in.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range img.Entries[1:] {
			e.Message.(*pagemap.PagemapEntry).Flags = proto.Uint32(pageInParent)
		}
		if extra > 0 {
			img.Entries = append(img.Entries, &crit.CriuEntry{Message: &pagemap.PagemapEntry{
				Vaddr: proto.Uint64(1 << 46), CompatNrPages: proto.Uint32(0), NrPages: proto.Uint64(extra), Flags: proto.Uint32(pageInParent)}})
		}
		out, _ := os.Create(path)
		if err := crit.New(nil, out, "", false, false).Encode(img); err != nil {
			t.Fatal(err)
		}
		out.Close()
		os.Remove(filepath.Join(dir, "pages-"+strconv.FormatUint(uint64(id), 10)+".img"))
		return dir
	}
	parents := map[string]core.InspectParent{"p": {Dir: parent, Checkpoint: core.Checkpoint{Name: "p", Valid: true, SizeBytes: 1 << 30}}}
	o := core.InspectOptions{Search: "parent-only-marker"}
	in, err := inspectDir(context.Background(), child(t, 0), core.Checkpoint{Name: "c", Valid: true, Parent: "p"}, parents, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Matches) != 1 || in.Matches[0].Pid != 1 || in.Matches[0].Address != entries[0].GetVaddr()+100 {
		t.Fatalf("matches: %+v", in.Matches)
	}
	_, err = inspectDir(context.Background(), child(t, 1<<30), core.Checkpoint{Name: "c", Valid: true, Parent: "p"}, parents, o)
	if err == nil || !strings.Contains(err.Error(), "pages in the parent, which holds") {
		t.Fatalf("a child naming more than its parent holds: %v", err)
	}
	_, err = inspectDir(context.Background(), child(t, 0), core.Checkpoint{Name: "c", Valid: true}, parents, o)
	if err == nil || !strings.Contains(err.Error(), "parent checkpoint that is not recorded") {
		t.Fatalf("pages in a parent never named: %v", err)
	}
}
