package core

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"berth/host/statefile"
)

// MaxImportBytes bounds what an imported checkpoint may unpack to.
var MaxImportBytes int64 = 8 << 30

// maxImportEntries bounds the number of files in an imported archive.
const maxImportEntries = 10000

// ExportCheckpoint writes a checkpoint as a gzip-compressed tar to w. Only
// regular files and directories are written; a checkpoint that depends on a
// parent cannot travel alone and is refused.
func (m *Manager) ExportCheckpoint(ctx context.Context, id, name string, w io.Writer) error {
	c, err := m.checkpointContainer(ctx, id)
	if err != nil {
		return err
	}
	dir, err := checkpointDir(m.checkpointRoot(c), name)
	if err != nil {
		return fmt.Errorf("%s: %w", id, err)
	}
	meta, err := readCheckpoint(dir)
	if err != nil {
		return idError(id, ErrNotFound, "no checkpoint %q", name)
	}
	if !meta.Valid {
		return idError(id, ErrInvalid, "checkpoint %q cannot be exported: %s", name, meta.Reason)
	}
	if meta.Parent != "" {
		return idError(id, ErrInvalid, "checkpoint %q depends on its parent %q: export a full checkpoint", name, meta.Parent)
	}
	gz := gzip.NewWriter(w)
	tw := tar.NewWriter(gz)
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel == "." {
			return nil
		}
		if rel == snapshotDir && d.IsDir() {
			// The copy of an external container's bundle is for restoring
			// here: its links and devices would not travel anyway.
			return filepath.SkipDir
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if !info.Mode().IsRegular() && !info.IsDir() {
			return nil // links and special files never leave
		}
		hdr, err := tar.FileInfoHeader(info, "")
		if err != nil {
			return err
		}
		hdr.Name = filepath.ToSlash(rel)
		hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname = 0, 0, "", ""
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if info.IsDir() {
			return nil
		}
		f, err := statefile.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(tw, f)
		return err
	})
	if err == nil {
		err = tw.Close()
	}
	if err == nil {
		err = gz.Close()
	}
	if err != nil {
		return fmt.Errorf("%s: export %s: %w", id, name, err)
	}
	return nil
}

// ImportCheckpoint unpacks an archive made by ExportCheckpoint as a new
// checkpoint of the container. Nothing in the archive is trusted: entries
// with absolute paths or "..", links, devices and FIFOs are refused, and so
// is an archive larger than MaxImportBytes; its metadata is kept for
// display only (a restore always uses the container's own bundle).
func (m *Manager) ImportCheckpoint(ctx context.Context, id, name string, r io.Reader) (Checkpoint, error) {
	c, err := m.Get(ctx, id)
	if err != nil {
		return Checkpoint{}, err
	}
	if !c.Managed {
		// A restore would need a bundle of berth's, which it has not.
		return Checkpoint{}, idError(id, ErrUnmanaged, "import onto one of berth's own containers: an import restores with its bundle")
	}
	root := m.checkpointRoot(c)
	final, err := checkpointDir(root, name)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("%s: %w", id, err)
	}
	tmp, lock, err := stageCheckpoint(id, root, final, importPrefix)
	if err != nil {
		return Checkpoint{}, err
	}
	defer lock.Close()
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(tmp)
		}
	}()
	if err := unpack(r, tmp); err != nil {
		return Checkpoint{}, wrapError(id, ErrInvalid, err, "import refused")
	}
	meta, _ := readCheckpoint(tmp)
	if !meta.Valid {
		return Checkpoint{}, idError(id, ErrInvalid, "import refused: the archive is not a checkpoint (%s)", meta.Reason)
	}
	if meta.Parent != "" || meta.Options.PreDump {
		return Checkpoint{}, idError(id, ErrInvalid, "import refused: a pre-dump or a checkpoint with a parent cannot stand alone")
	}
	// Only what berth can vouch for is rewritten; the rest is shown as the
	// archive says, and never used as a spec.
	meta.Name, meta.Container, meta.Valid, meta.Reason, meta.Imported = name, id, true, "", true
	if err := commitCheckpoint(tmp, final, &meta); err != nil {
		return Checkpoint{}, fmt.Errorf("%s: %w", id, err)
	}
	ok = true
	return meta, nil
}

// unpack extracts a gzip-compressed tar into dir, refusing anything that
// could write outside it or is not a plain file or directory.
func unpack(r io.Reader, dir string) error {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return fmt.Errorf("not a gzip archive: %w", err)
	}
	tr := tar.NewReader(gz)
	var total int64
	entries := 0
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("corrupt archive: %w", err)
		}
		entries++
		if entries > maxImportEntries {
			return fmt.Errorf("more than %d entries", maxImportEntries)
		}
		name := hdr.Name
		clean := path.Clean(strings.TrimSuffix(name, "/"))
		if name == "" || strings.HasPrefix(name, "/") || clean == ".." || strings.HasPrefix(clean, "../") ||
			strings.Contains(name, "\\") || strings.ContainsRune(name, 0) || clean == "." {
			return fmt.Errorf("entry %q: path outside the checkpoint", name)
		}
		target := filepath.Join(dir, filepath.FromSlash(clean))
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o700); err != nil {
				return err
			}
		case tar.TypeReg:
			total += hdr.Size
			if hdr.Size < 0 || total > MaxImportBytes {
				return fmt.Errorf("larger than the %d-byte limit", MaxImportBytes)
			}
			if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
				return err
			}
			// O_EXCL and no symlinks were ever created: nothing can redirect
			// this write.
			f, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			if err != nil {
				return fmt.Errorf("entry %q: %w", name, err)
			}
			n, err := io.Copy(f, io.LimitReader(tr, hdr.Size))
			cerr := f.Close()
			if err != nil || cerr != nil || n != hdr.Size {
				return fmt.Errorf("entry %q: truncated", name)
			}
		case tar.TypeSymlink, tar.TypeLink:
			return fmt.Errorf("entry %q: links are not allowed", name)
		default:
			return fmt.Errorf("entry %q: type %q is not a file or directory", name, hdr.Typeflag)
		}
	}
}
