package core

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"berth/host/statefile"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// maxConfigSize bounds a bundle's config.json; real ones are a few KiB.
const maxConfigSize = 4 << 20

// LoadSpec reads and checks the OCI config.json of a user's bundle. Errors
// name the file and, for JSON errors, the line and column.
func LoadSpec(bundle string) (*specs.Spec, error) {
	return loadSpec(bundle, readUserFile)
}

// loadRuntimeSpec reads the runtime bundle berth wrote in its state dir:
// a state file, never followed through a symlink.
func loadRuntimeSpec(bundle string) (*specs.Spec, error) {
	return loadSpec(bundle, statefile.Read)
}

func loadSpec(bundle string, read func(string) ([]byte, error)) (*specs.Spec, error) {
	var spec specs.Spec
	if _, err := decodeConfig(bundle, read, &spec, func() specHead { return headOf(&spec) }); err != nil {
		return nil, err
	}
	return &spec, nil
}

// specHead is what berth itself reads of a config: what checkSpec checks
// and what runtimeConfig changes. Decoding only these costs a start a
// fraction of decoding the whole spec, whose reflection over the
// runtime-spec types took about a millisecond in a fresh process.
type specHead struct {
	Version string       `json:"ociVersion"`
	Process *headProcess `json:"process"`
	Root    *specs.Root  `json:"root"`
	Linux   *headLinux   `json:"linux"`
}

type headProcess struct {
	Args     []string `json:"args"`
	Terminal bool     `json:"terminal"`
}

type headLinux struct {
	CgroupsPath string `json:"cgroupsPath"`
}

// headOf is a decoded spec's specHead.
func headOf(spec *specs.Spec) specHead {
	h := specHead{Version: spec.Version, Root: spec.Root}
	if p := spec.Process; p != nil {
		h.Process = &headProcess{Args: p.Args, Terminal: p.Terminal}
	}
	if l := spec.Linux; l != nil {
		h.Linux = &headLinux{CgroupsPath: l.CgroupsPath}
	}
	return h
}

// loadBundleHead reads and checks a user's config as LoadSpec does, but
// decodes only its specHead: the config as the user wrote it is returned
// too, for runtimeConfig. A value of the wrong type outside the head is
// left for the runtime to refuse, as it would refuse the same config run
// by hand.
func loadBundleHead(bundle string) ([]byte, specHead, error) {
	var h specHead
	b, err := decodeConfig(bundle, readUserFile, &h, func() specHead { return h })
	return b, h, err
}

// decodeConfig reads a bundle's config.json into v (a spec or its head),
// one JSON value and nothing after it, and checks what head returns of
// it once decoded.
func decodeConfig(bundle string, read func(string) ([]byte, error), v any, head func() specHead) ([]byte, error) {
	path := filepath.Join(bundle, "config.json")
	b, err := read(path)
	if err != nil {
		return nil, wrapError("", ErrInvalid, err, "bundle %s", bundle)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(v); err != nil {
		return nil, invalidf("%s: %s", path, jsonErrorPosition(b, err))
	}
	if rest := bytes.TrimSpace(b[dec.InputOffset():]); len(rest) > 0 {
		off := len(b) - len(rest)
		return nil, invalidf("%s: %s", path, jsonErrorPosition(b, &json.SyntaxError{Offset: int64(off) + 1}))
	}
	if err := checkSpec(bundle, head()); err != nil {
		return nil, wrapError("", ErrInvalid, err, "%s", path)
	}
	return b, nil
}

// readUserFile reads a file of the user's bundle. Unlike state files a
// user's config may be a symlink, but it must end at a regular file: a FIFO
// would hang the read.
func readUserFile(path string) ([]byte, error) {
	b, err := statefile.ReadFollow(path, maxConfigSize)
	var tooLarge *statefile.TooLargeError
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("%s does not exist", path)
	case errors.Is(err, statefile.ErrNotRegular):
		return nil, fmt.Errorf("%s is not a regular file", path)
	case errors.As(err, &tooLarge):
		return nil, fmt.Errorf("%s is larger than %d bytes", path, maxConfigSize)
	}
	return b, err
}

// jsonErrorPosition turns a decoding error into "line L, column C: msg".
func jsonErrorPosition(b []byte, err error) string {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		// Offset counts the offending byte itself.
		off = max(se.Offset-1, 0)
	case errors.As(err, &te):
		off = te.Offset
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "empty or truncated JSON"
	}
	if off < 0 {
		return err.Error()
	}
	if off > int64(len(b)) {
		off = int64(len(b))
	}
	line := 1 + bytes.Count(b[:off], []byte{'\n'})
	col := off - int64(bytes.LastIndexByte(b[:off], '\n'))
	return fmt.Sprintf("line %d, column %d: %v", line, col, err)
}

// checkSpec rejects configs berth cannot run, before anything is created.
func checkSpec(bundle string, spec specHead) error {
	if spec.Version == "" {
		return errors.New("ociVersion is missing")
	}
	if spec.Process == nil || len(spec.Process.Args) == 0 {
		return errors.New("process.args is missing: nothing to run")
	}
	if spec.Process.Terminal {
		return errors.New("process.terminal is true: berth runs containers detached with their output logged; set it to false (berth exec -t gives an interactive shell)")
	}
	if spec.Root == nil || spec.Root.Path == "" {
		return errors.New("root.path is missing")
	}
	if spec.Linux == nil {
		return errors.New("linux section is missing")
	}
	root := rootfsPath(bundle, spec.Root.Path)
	st, err := os.Lstat(root)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("invalid rootfs: %s does not exist", root)
	case err != nil:
		return fmt.Errorf("invalid rootfs: %w", err)
	case st.Mode()&os.ModeSymlink != 0:
		return fmt.Errorf("invalid rootfs: %s is a symlink", root)
	case !st.IsDir():
		return fmt.Errorf("invalid rootfs: %s is not a directory", root)
	}
	return nil
}

// rootfsPath is a config's root.path as the runtime resolves it: against
// the bundle when relative.
func rootfsPath(bundle, path string) string {
	if filepath.IsAbs(path) {
		return filepath.Clean(path)
	}
	return filepath.Join(bundle, path)
}

// runtimeSpec is the config berth hands the runtime: the user's, with the
// rootfs made absolute (the runtime bundle lives elsewhere) and, unless the
// user chose one, a cgroup path of berth's own so the container never nests
// under the caller's cgroup.
func runtimeSpec(bundle string, spec *specs.Spec, cgroupParent, id string) *specs.Spec {
	out := *spec
	root := *spec.Root
	root.Path = rootfsPath(bundle, spec.Root.Path)
	out.Root = &root
	linux := *spec.Linux
	if linux.CgroupsPath == "" {
		linux.CgroupsPath = filepath.Join("/", cgroupParent, id)
	}
	out.Linux = &linux
	return &out
}
