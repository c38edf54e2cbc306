package core

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
)

// runtimeConfig is the config berth hands the runtime for a user's config
// b (checked, with head h decoded from it), as runtimeSpec makes it: the
// rootfs made absolute and, unless the user chose one, a cgroup path of
// berth's own. It edits the user's bytes in place of decoding and
// re-encoding the whole spec, so the runtime also gets every field as the
// user wrote it, fields newer than berth's runtime-spec types included.
// The edits follow encoding/json's reading of the config (which runc
// shares): a key matches case-insensitively, and of repeated keys the last
// one wins. It returns the container's cgroup path too.
func runtimeConfig(bundle string, b []byte, h specHead, cgroupParent, id string) ([]byte, string) {
	var edits []jsonEdit
	top, _ := jsonMembers(b, skipSpace(b, 0))
	if root := rootfsPath(bundle, h.Root.Path); root != h.Root.Path {
		edits = append(edits, setMember(b, top, "root", "path", root))
	}
	cgroups := h.Linux.CgroupsPath
	if cgroups == "" {
		cgroups = filepath.Join("/", cgroupParent, id)
		edits = append(edits, setMember(b, top, "linux", "cgroupsPath", cgroups))
	}
	slices.SortFunc(edits, func(x, y jsonEdit) int { return x.from - y.from })
	out := make([]byte, 0, len(b)+len(cgroups)+len(bundle)+32)
	at := 0
	for _, e := range edits {
		out = append(append(out, b[at:e.from]...), e.text...)
		at = e.to
	}
	return append(out, b[at:]...), cgroups
}

// jsonEdit replaces b[from:to] with text.
type jsonEdit struct {
	from, to int
	text     []byte
}

// setMember is the edit that sets key to the string value in the object
// that is the last member named obj of the object whose members are top:
// the last member named key has its value replaced, or the key is added
// first. The head decoded from b has obj as an object (a null would
// have left it nil).
func setMember(b []byte, top []jsonMember, obj, key, value string) jsonEdit {
	o, _ := lastMember(b, top, obj)
	inner, _ := jsonMembers(b, o.value)
	v, _ := json.Marshal(value)
	if m, ok := lastMember(b, inner, key); ok {
		return jsonEdit{from: m.value, to: m.end, text: v}
	}
	k, _ := json.Marshal(key)
	text := append(append(k, ':'), v...)
	if len(inner) > 0 {
		text = append(text, ',')
	}
	return jsonEdit{from: o.value + 1, to: o.value + 1, text: text}
}

// jsonMember is one member of a JSON object, by offsets: its key (quotes
// included) from key to value, its value from value to end.
type jsonMember struct {
	key, keyEnd, value, end int
}

// jsonMembers lists the members of the object starting at b[i], which
// must be valid JSON (it was decoded already), and returns the offset
// past its closing brace.
func jsonMembers(b []byte, i int) ([]jsonMember, int) {
	var ms []jsonMember
	i++ // the '{'
	for {
		i = skipSpace(b, i)
		switch b[i] {
		case '}':
			return ms, i + 1
		case ',':
			i = skipSpace(b, i+1)
		}
		var m jsonMember
		m.key = i
		m.keyEnd = skipValue(b, i)
		m.value = skipSpace(b, skipSpace(b, m.keyEnd)+1) // past the ':'
		m.end = skipValue(b, m.value)
		ms = append(ms, m)
		i = m.end
	}
}

// lastMember is the last of members whose key matches name as
// encoding/json matches a key to a field: after unescaping, case folded.
func lastMember(b []byte, members []jsonMember, name string) (jsonMember, bool) {
	for i := len(members) - 1; i >= 0; i-- {
		m := members[i]
		key := string(b[m.key+1 : m.keyEnd-1])
		if strings.IndexByte(key, '\\') >= 0 {
			json.Unmarshal(b[m.key:m.keyEnd], &key)
		}
		if strings.EqualFold(key, name) {
			return m, true
		}
	}
	return jsonMember{}, false
}

// skipValue returns the offset past the JSON value at b[i].
func skipValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		for i++; b[i] != '"'; i++ {
			if b[i] == '\\' {
				i++
			}
		}
		return i + 1
	case '{', '[':
		depth := 0
		for {
			switch b[i] {
			case '"':
				i = skipValue(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
			i++
		}
	}
	for i < len(b) && strings.IndexByte(",}] \t\r\n", b[i]) < 0 {
		i++
	}
	return i
}

// skipSpace returns the offset of the first byte at or after i that is
// not JSON whitespace.
func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}
