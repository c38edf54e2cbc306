package core

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
)

// InspectName is the checkpoint inspector's binary, installed beside
// berth. It decodes a checkpoint's CRIU images in a process of its own:
// they may be hostile, and the decoder (go-criu's crit and the protobuf
// runtime) would otherwise be loaded and initialised by every berth
// command, doubling the binary and adding milliseconds to each start.
const InspectName = "berth-inspect"

// InspectRequest is what core hands the inspector on its stdin: a
// checkpoint directory core has found and checked, its metadata, the
// chain of parents whose pages it may need, and what to decode.
type InspectRequest struct {
	Dir        string                   `json:"dir"`
	Checkpoint Checkpoint               `json:"checkpoint"`
	Parents    map[string]InspectParent `json:"parents,omitempty"`
	Options    InspectOptions           `json:"options"`
}

// InspectParent is one parent checkpoint by name: where it is and what its
// metadata says, or why it cannot be read.
type InspectParent struct {
	Dir        string     `json:"dir,omitempty"`
	Checkpoint Checkpoint `json:"checkpoint"`
	Err        string     `json:"err,omitempty"`
}

// InspectorExitImages is the inspector's exit status for images it cannot
// decode; its stderr's last line then says why. Any other failure is the
// inspector's own.
const InspectorExitImages = 3

// maxInspection bounds the inspector's answer: the images' own bounds
// (entries, matches) keep a real one far below it.
const maxInspection = 256 << 20

// DefaultInspectBinary is the inspector a berth at exe runs: InspectName
// beside exe, else the one on PATH ("" when there is none).
func DefaultInspectBinary(exe string) string {
	if p := besideExe(exe, InspectName); p != "" {
		return p
	}
	if p, err := exec.LookPath(InspectName); err == nil {
		return p
	}
	return ""
}

// parentChain resolves the parents a checkpoint's pages may be in, from
// name down, at most MaxParentDepth of them.
func parentChain(root, name string) map[string]InspectParent {
	out := map[string]InspectParent{}
	for depth := 0; name != "" && depth < MaxParentDepth; depth++ {
		if _, seen := out[name]; seen {
			break
		}
		dir, err := checkpointDir(root, name)
		if err != nil {
			out[name] = InspectParent{Err: err.Error()}
			break
		}
		meta, err := readCheckpoint(dir)
		if err != nil || !meta.Valid {
			out[name] = InspectParent{Dir: dir, Err: fmt.Sprintf("parent checkpoint %q is unreadable", name)}
			break
		}
		out[name] = InspectParent{Dir: dir, Checkpoint: meta}
		name = meta.Parent
	}
	return out
}

// errImages is the inspector saying the images cannot be decoded.
type errImages struct{ msg string }

func (e errImages) Error() string { return e.msg }

// runInspector runs the inspector on req. Stopping ctx kills it.
func (m *Manager) runInspector(ctx context.Context, req InspectRequest) (CheckpointInspection, error) {
	bin := m.opts.InspectBinary
	if bin == "" {
		exe, _ := os.Executable()
		bin = DefaultInspectBinary(exe)
	}
	if bin == "" {
		return CheckpointInspection{}, fmt.Errorf("checkpoint inspection needs %s beside berth or on PATH (make build puts it in bin/)", InspectName)
	}
	in, err := json.Marshal(req)
	if err != nil {
		return CheckpointInspection{}, err
	}
	cmd := exec.CommandContext(ctx, bin)
	cmd.Stdin = bytes.NewReader(in)
	stderr := &tailBuffer{max: maxRuntimeStderr}
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return CheckpointInspection{}, err
	}
	if err := cmd.Start(); err != nil {
		return CheckpointInspection{}, fmt.Errorf("checkpoint inspector: %w", err)
	}
	var res CheckpointInspection
	body, rerr := io.ReadAll(io.LimitReader(out, maxInspection+1))
	werr := cmd.Wait()
	msg := lastLine(stderr.Bytes())
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return res, ctx.Err()
	case errors.As(werr, &ee) && ee.ExitCode() == InspectorExitImages && msg != "":
		return res, errImages{msg}
	case werr != nil && msg != "":
		return res, fmt.Errorf("checkpoint inspector failed: %s (%v)", msg, werr)
	case werr != nil:
		return res, fmt.Errorf("checkpoint inspector failed: %v", werr)
	case rerr != nil:
		return res, fmt.Errorf("checkpoint inspector: %w", rerr)
	case len(body) > maxInspection:
		return res, fmt.Errorf("checkpoint inspector: an answer over %d MiB", maxInspection>>20)
	}
	if err := json.Unmarshal(body, &res); err != nil {
		return res, fmt.Errorf("checkpoint inspector: malformed answer: %v", err)
	}
	return res, nil
}
