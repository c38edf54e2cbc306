package core

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// What arrives from a migration is unpacked inside its directory only:
// no absolute names, no "..", no path through a symlink an earlier entry
// made, nothing past the limit; a root filesystem's own links are kept.
func TestReadTree(t *testing.T) {
	archive := func(entries ...tar.Header) *bytes.Buffer {
		var b bytes.Buffer
		tw := tar.NewWriter(&b)
		for _, h := range entries {
			h := h
			if h.Typeflag == tar.TypeReg {
				h.Size = int64(len(h.Linkname))
				data := h.Linkname
				h.Linkname = ""
				tw.WriteHeader(&h)
				tw.Write([]byte(data))
				continue
			}
			tw.WriteHeader(&h)
		}
		tw.Close()
		return &b
	}
	dir := func() string { return filepath.Join(t.TempDir(), "cp") }
	ok := archive(
		tar.Header{Name: "rootfs", Typeflag: tar.TypeDir, Mode: 0o755},
		tar.Header{Name: "rootfs/bin", Typeflag: tar.TypeDir, Mode: 0o755},
		tar.Header{Name: "rootfs/bin/sh", Typeflag: tar.TypeSymlink, Linkname: "/bin/busybox", Mode: 0o777},
		tar.Header{Name: "rootfs/etc", Typeflag: tar.TypeDir, Mode: 0o755},
		tar.Header{Name: "rootfs/etc/hostname", Typeflag: tar.TypeReg, Linkname: "box\n", Mode: 0o644},
	)
	d := dir()
	if err := readTree(ok, d, 1<<20); err != nil {
		t.Fatal(err)
	}
	if l, _ := os.Readlink(filepath.Join(d, "rootfs/bin/sh")); l != "/bin/busybox" {
		t.Fatalf("the root filesystem's link is %q", l)
	}
	if b, _ := os.ReadFile(filepath.Join(d, "rootfs/etc/hostname")); string(b) != "box\n" {
		t.Fatalf("hostname %q", b)
	}
	outside := t.TempDir()
	for name, bad := range map[string]*bytes.Buffer{
		"absolute": archive(tar.Header{Name: "/etc/x", Typeflag: tar.TypeReg, Linkname: "x"}),
		"dotdot":   archive(tar.Header{Name: "../x", Typeflag: tar.TypeReg, Linkname: "x"}),
		"through a link": archive(
			tar.Header{Name: "esc", Typeflag: tar.TypeSymlink, Linkname: outside},
			tar.Header{Name: "esc/planted", Typeflag: tar.TypeReg, Linkname: "x"}),
		"too large": archive(tar.Header{Name: "big", Typeflag: tar.TypeReg, Linkname: strings.Repeat("x", 2<<20)}),
		"hard link": archive(tar.Header{Name: "a", Typeflag: tar.TypeLink, Linkname: "/etc/shadow"}),
	} {
		if err := readTree(bad, dir(), 1<<20); err == nil {
			t.Errorf("%s: unpacked", name)
		}
	}
	if _, err := os.Stat(filepath.Join(outside, "planted")); err == nil {
		t.Fatal("an entry was written through a symlink")
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{"berth": "berth", "/usr/bin/berth": "/usr/bin/berth", "a b": "'a b'", "it's": `'it'\''s'`, "": "''", "$(x)": "'$(x)'"} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %q, want %q", in, got, want)
		}
	}
}
