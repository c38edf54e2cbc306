package core

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"berth/watch"
)

// Ref names the container in core's API: berth's own by its id, another
// manager's by its runtime root and id (see watch.Ref). The same id in two
// roots is two containers, each acted on by its own Ref.
func (c Container) Ref() string {
	if c.Managed {
		return c.ID
	}
	return watch.Ref(c.RuntimeRoot, c.ID)
}

// Qualified is the short form the CLI takes for one container and lists
// it by: OWNER/ID ("docker/4f1c…", "berth/web").
func (c Container) Qualified() string { return c.Owner + "/" + c.ID }

// eventRoot is what an event about the container carries as its root: ""
// for berth's own.
func (c Container) eventRoot() string {
	if c.Managed {
		return ""
	}
	return c.RuntimeRoot
}

// splitRef splits a Ref into an external container's runtime root and its
// id ("" root for berth's own), checking the id.
func splitRef(ref string) (root, id string, err error) {
	i := strings.LastIndexByte(ref, '/')
	if i < 0 {
		return "", ref, ValidateID(ref)
	}
	root, id = ref[:i], ref[i+1:]
	if !filepath.IsAbs(root) || filepath.Clean(root) != root {
		return "", "", invalidf("container %q: a qualified reference is an absolute runtime root and an id (/run/runc/web)", ref)
	}
	return root, id, ValidateID(id)
}

// maxRefLen bounds a container reference: a runtime root and an id.
const maxRefLen = 4096

// ValidateRef checks a container reference as Resolve takes it before any
// lookup: a Ref, or parts separated by "/" each of which is a valid id
// (an owner, a namespace, a name, an id or a prefix of one).
func ValidateRef(ref string) error {
	switch {
	case ref == "":
		return invalidf("container reference is empty")
	case len(ref) > maxRefLen:
		return invalidf("container reference %.20q... is %d characters, the limit is %d", ref, len(ref), maxRefLen)
	case strings.HasPrefix(ref, "/"):
		_, _, err := splitRef(ref)
		return err
	}
	for _, part := range strings.Split(ref, "/") {
		if err := validateName("container reference part", part); err != nil {
			return fmt.Errorf("container %q: %w", ref, err)
		}
	}
	return nil
}

// Get returns one container by its Ref. A plain id is berth's own
// container first; one that is not berth's is found in the external
// roots, and an id two of them hold is ambiguous.
func (m *Manager) Get(ctx context.Context, ref string) (Container, error) {
	root, id, err := splitRef(ref)
	if err != nil {
		return Container{}, err
	}
	if root != "" {
		if !m.readsRoot(root) {
			return Container{}, idError(ref, ErrNotFound, "berth does not read the runtime root %s (see berth doctor)", root)
		}
		if c, ok := m.loadExternal(root, id); ok {
			return c, nil
		}
		return Container{}, fmt.Errorf("%s: %w", ref, ErrNotFound)
	}
	if c, ok := m.managed(id); ok {
		return c, nil
	}
	var found []Container
	for _, r := range m.externalRoots() {
		if c, ok := m.loadExternal(r, id); ok {
			found = append(found, c)
		}
	}
	return one(ref, found)
}

// readsRoot reports whether root is one of the external roots berth reads.
func (m *Manager) readsRoot(root string) bool {
	for _, r := range m.externalRoots() {
		if r == root {
			return true
		}
	}
	return false
}

// Resolve finds the one container a reference names, in the forms the CLI
// takes: a Ref (a berth id, or /ROOT/ID), an exact id in any root, a
// manager's name for it (docker's, podman's, Kubernetes' NS/POD/CONTAINER),
// OWNER/ID or OWNER/NAME as ps lists owners (berth/web, docker/4f1c…,
// containerd/default/redis), or a unique prefix of an id, alone or after
// OWNER/. An exact id (alone or as OWNER/ID) wins over a name and a name
// over a prefix, so a command about one container given its id reads only
// that container. Any other reference reads every external container
// (their names are their owners') but of berth's own only those whose id
// it is a prefix of. A reference that fits several containers at the
// first level it fits is an error naming each of them.
func (m *Manager) Resolve(ctx context.Context, ref string) (Container, error) {
	if ref == "" {
		return Container{}, invalidf("container reference is empty")
	}
	if strings.HasPrefix(ref, "/") {
		return m.Get(ctx, ref)
	}
	if ValidateID(ref) == nil {
		if found := m.byID(ref); len(found) > 0 {
			return one(ref, found)
		}
	}
	// OWNER/ID with the exact id is an id too: only the containers with
	// that id are read, and the one its owner names is it.
	if i := strings.LastIndexByte(ref, '/'); i > 0 && ValidateID(ref[i+1:]) == nil {
		var found []Container
		for _, c := range m.byID(ref[i+1:]) {
			if c.Qualified() == ref {
				found = append(found, c)
			}
		}
		if len(found) > 0 {
			return one(ref, found)
		}
	}
	all, err := m.candidatesFor(ref)
	if err != nil {
		return Container{}, err
	}
	var exact, prefix []Container
	for _, c := range all {
		switch matchRef(c, ref) {
		case matchExact:
			exact = append(exact, c)
		case matchPrefix:
			prefix = append(prefix, c)
		}
	}
	if len(exact) > 0 {
		return one(ref, exact)
	}
	return one(ref, prefix)
}

// byID reads the containers whose id is id: berth's own, and one per
// external root that holds it. Nothing else on the host is read.
func (m *Manager) byID(id string) []Container {
	var found []Container
	if c, ok := m.managed(id); ok {
		found = append(found, c)
	}
	for _, r := range m.externalRoots() {
		if _, err := os.Lstat(filepath.Join(r, id)); err != nil {
			continue // the cheap look first: most roots lack the id
		}
		if c, ok := m.loadExternal(r, id); ok {
			found = append(found, c)
		}
	}
	return found
}

// candidatesFor lists the containers a reference that is not an exact id
// may name: every external one (their names are their owners' and are
// read with them), but of berth's own, which have no names, only those
// whose id the reference is a prefix of, alone or after berth/: the state
// dir is listed, and only those containers are read.
func (m *Manager) candidatesFor(ref string) ([]Container, error) {
	ids, err := m.managedIDs()
	if err != nil {
		return nil, fmt.Errorf("state dir %s: %w", m.opts.StateDir, err)
	}
	rest := ref
	if q, ok := strings.CutPrefix(ref, OwnerBerth+"/"); ok && q != "" {
		rest = q // as matchRef takes it
	}
	var out []Container
	for _, id := range ids {
		if !strings.HasPrefix(id, rest) {
			continue
		}
		if c, ok := m.managed(id); ok {
			out = append(out, c)
		}
	}
	return append(out, m.externals()...), nil
}

type refMatch int

const (
	matchNone refMatch = iota
	matchPrefix
	matchExact
)

// matchRef says how ref names c: by its name or OWNER/ID or OWNER/NAME
// exactly, or by a prefix of its id (alone or after OWNER/).
func matchRef(c Container, ref string) refMatch {
	rest := ref
	if q, ok := strings.CutPrefix(ref, c.Owner+"/"); ok && q != "" {
		rest = q
	}
	switch {
	case c.Name != "" && (ref == c.Name || rest == c.Name), rest == c.ID:
		return matchExact
	case strings.HasPrefix(c.ID, rest):
		return matchPrefix
	}
	return matchNone
}

// one is the single container found for ref, or why there is none.
func one(ref string, found []Container) (Container, error) {
	switch len(found) {
	case 0:
		return Container{}, fmt.Errorf("%s: %w", ref, ErrNotFound)
	case 1:
		return found[0], nil
	}
	return Container{}, &Error{ID: ref, Class: ErrAmbiguous,
		Msg: "names " + fmt.Sprint(len(found)) + " containers: " + strings.Join(candidates(found), ", ")}
}

// candidates names each container the way that tells them apart: OWNER/ID
// when no other has the same, else its Ref; with its name when it has one.
func candidates(cs []Container) []string {
	n := map[string]int{}
	for _, c := range cs {
		n[c.Qualified()]++
	}
	out := make([]string, 0, len(cs))
	for _, c := range cs {
		s := c.Qualified()
		if n[s] > 1 {
			s = c.Ref()
		}
		if c.Name != "" {
			s += " (" + c.Name + ")"
		}
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}
