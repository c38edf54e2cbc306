package core

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"

	"berth/host/statefile"
)

// SpecJSON returns the OCI config.json a container runs with, indented
// for reading, and the file it was read from: for berth's own the runtime
// bundle berth wrote (a state file), for another manager's the one in the
// bundle its runtime state names, read as a user's file is (a symlink is
// followed to a regular file, at most maxConfigSize bytes). The file is
// shown as it is, fields berth does not know included; it is checked only
// to be JSON.
func (m *Manager) SpecJSON(ctx context.Context, ref string) (string, []byte, error) {
	c, err := m.Get(ctx, ref)
	if err != nil {
		return "", nil, err
	}
	var path string
	var b []byte
	if c.Managed {
		rec, err := m.readRecord(c.ID)
		if err != nil {
			return "", nil, fmt.Errorf("%s: %w", ref, err)
		}
		path = filepath.Join(rec.RuntimeBundle, "config.json")
		b, err = statefile.Read(path)
		var tooLarge *statefile.TooLargeError
		switch {
		case errors.As(err, &tooLarge):
			return path, nil, idError(ref, ErrInvalid, "%s is larger than %d bytes", path, statefile.MaxSize)
		case err != nil:
			return path, nil, wrapError(ref, ErrInvalid, err, "")
		}
	} else {
		if c.Bundle == "" {
			return "", nil, idError(ref, ErrInvalid, "its runtime state names no bundle, so there is no config.json to show")
		}
		path = filepath.Join(c.Bundle, "config.json")
		if b, err = readUserFile(path); err != nil {
			return path, nil, wrapError(ref, ErrInvalid, err, "")
		}
	}
	out, err := IndentSpec(b)
	if err != nil {
		return path, nil, idError(ref, ErrInvalid, "%s: %s", path, err)
	}
	return path, out, nil
}

// IndentSpec indents a config.json two spaces a level, keeping its
// fields' order; what is not one JSON value is an error naming the line
// and column.
func IndentSpec(b []byte) ([]byte, error) {
	if !json.Valid(b) {
		var v any
		err := json.Unmarshal(b, &v)
		if err == nil {
			err = errors.New("not one JSON value")
		}
		return nil, errors.New(jsonErrorPosition(b, err))
	}
	var out bytes.Buffer
	out.Grow(len(b) + len(b)/4)
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return nil, errors.New(jsonErrorPosition(b, err))
	}
	return out.Bytes(), nil
}
