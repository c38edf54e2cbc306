package core

import (
	"berth/host/statefile"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Owners as Container.Owner names them.
const (
	OwnerBerth      = "berth"
	OwnerRunc       = "runc"
	OwnerCrun       = "crun"
	OwnerDocker     = "docker"
	OwnerPodman     = "podman"
	OwnerKubernetes = "kubernetes"
	// OwnerContainerd is followed by "/" and the namespace.
	OwnerContainerd = "containerd"
)

// Annotations other managers put in a container's OCI spec, which runc
// keeps in its state as labels: who made it and what it is called there.
const (
	annoManager       = "io.container.manager" // "libpod" for podman
	annoCRIType       = "io.kubernetes.cri.container-type"
	annoCRINamespace  = "io.kubernetes.cri.sandbox-namespace"
	annoCRIPod        = "io.kubernetes.cri.sandbox-name"
	annoCRIPodUID     = "io.kubernetes.cri.sandbox-uid"
	annoCRIContainer  = "io.kubernetes.cri.container-name"
	annoCRIImage      = "io.kubernetes.cri.image-name"
	annoCRIOType      = "io.kubernetes.cri-o.ContainerType"
	annoCRIONamespace = "io.kubernetes.pod.namespace"
	annoCRIOPod       = "io.kubernetes.pod.name"
	annoCRIOContainer = "io.kubernetes.container.name"
	annoCRIOImage     = "io.kubernetes.cri-o.ImageName"
	annoCRIOLogPath   = "io.kubernetes.cri-o.LogPath"
)

// podLogRoot is where the kubelet keeps containers' logs.
var podLogRoot = "/var/log/pods"

// recordLimit bounds a manager's record berth reads (docker's
// config.v2.json, containers/storage's containers.json): a hostile or
// corrupt one is refused, not read whole.
const recordLimit = 16 << 20

// ident is what berth learns about an external container from its owner's
// records.
type ident struct {
	owner, name, image string
	logPath, logFormat string
}

// extInfo is what a runtime's state says about an external container that
// the owner can be told from: its annotations (runc keeps them as labels),
// its bundle and where its /etc/hostname comes from (docker's container
// directory).
type extInfo struct {
	root, id    string
	annotations map[string]string
	bundle      string
	hostnameSrc string
}

// rootOwner tells the owner from where the container's state and bundle
// are alone: docker keeps its runc state in <exec-root>/runtime-runc/moby
// (or, on a system containerd, in its namespace moby), containerd in
// /run/containerd/runc/<namespace> (Kubernetes' is k8s.io), podman's
// bundles are in containers/storage, crun's root is /run/crun.
func rootOwner(root, bundle string) string {
	root = filepath.Clean(root)
	parent := filepath.Dir(root)
	switch {
	case filepath.Base(parent) == "runtime-runc" || strings.Contains(root+"/", "/docker/"):
		return OwnerDocker
	case filepath.Base(parent) == "runc" && filepath.Base(filepath.Dir(parent)) == "containerd":
		switch ns := filepath.Base(root); ns {
		case "moby":
			return OwnerDocker
		case "k8s.io":
			return OwnerKubernetes
		default:
			return OwnerContainerd + "/" + ns
		}
	case strings.Contains(root, "/libpod/") || strings.Contains(root, "/podman/") ||
		strings.Contains(bundle, "/containers/storage/"):
		return OwnerPodman
	case strings.Contains(filepath.Base(root), "crun"):
		return OwnerCrun
	}
	return OwnerRunc
}

// RootOwner is the owner of the containers of a runtime root as far as
// the root tells (their annotations may say more: podman's containers are
// in runc's root).
func RootOwner(root string) string { return rootOwner(root, "") }

// ManagerCLI names the CLI berth acts through for an owner's containers,
// "" when there is none (berth's own, runc's and crun's, Kubernetes').
func ManagerCLI(owner string) string {
	switch {
	case owner == OwnerDocker, owner == OwnerPodman:
		return owner
	case strings.HasPrefix(owner, OwnerContainerd+"/"):
		return "ctr"
	}
	return ""
}

// identify reads who owns an external container and what it is called
// there, from the annotations and the owner's own records.
func (m *Manager) identify(x extInfo) ident {
	a := x.annotations
	switch {
	case a[annoManager] == "libpod":
		return m.podmanIdent(x)
	case a[annoCRIType] != "":
		id := ident{owner: OwnerKubernetes, image: a[annoCRIImage]}
		id.name = joinNonEmpty(a[annoCRINamespace], a[annoCRIPod], a[annoCRIContainer])
		if a[annoCRIType] == "container" {
			id.logPath = podLog(a[annoCRINamespace], a[annoCRIPod], a[annoCRIPodUID], a[annoCRIContainer])
			id.logFormat = LogFormatCRI
		}
		return id
	case a[annoCRIOType] != "":
		id := ident{owner: OwnerKubernetes, image: a[annoCRIOImage], logPath: a[annoCRIOLogPath]}
		id.name = joinNonEmpty(a[annoCRIONamespace], a[annoCRIOPod], a[annoCRIOContainer])
		if id.logPath != "" {
			id.logFormat = LogFormatCRI
		}
		return id
	}
	owner := rootOwner(x.root, x.bundle)
	if owner == OwnerPodman {
		return m.podmanIdent(x)
	}
	if dir, ok := dockerDir(x); ok {
		if id, ok := m.dockerIdent(dir); ok {
			return id
		}
	}
	return ident{owner: owner}
}

func joinNonEmpty(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, "/")
}

// podLog finds the kubelet's log of a pod's container: the newest
// <restart>.log under /var/log/pods/<ns>_<pod>_<uid>/<container>/ (the
// restart count is not in the spec, so the highest one is this run's).
func podLog(ns, pod, uid, ctr string) string {
	if ns == "" || pod == "" || ctr == "" {
		return ""
	}
	if uid == "" {
		uid = "*"
	}
	dirs, _ := filepath.Glob(filepath.Join(podLogRoot, ns+"_"+pod+"_"+uid, ctr))
	best, bestN := "", -1
	for _, d := range dirs {
		entries, _ := os.ReadDir(d)
		for _, e := range entries {
			n, err := strconv.Atoi(strings.TrimSuffix(e.Name(), ".log"))
			if err == nil && strings.HasSuffix(e.Name(), ".log") && n > bestN {
				best, bestN = filepath.Join(d, e.Name()), n
			}
		}
	}
	return best
}

// dockerDir finds docker's directory for a container
// (<data-root>/containers/<id>) from the source of its /etc/hostname,
// which docker bind-mounts from there whatever its data root.
func dockerDir(x extInfo) (string, bool) {
	dir := filepath.Dir(x.hostnameSrc)
	if x.hostnameSrc == "" || filepath.Base(dir) != x.id || filepath.Base(filepath.Dir(dir)) != "containers" {
		return "", false
	}
	return dir, true
}

// dockerConfig is the part of docker's config.v2.json berth reads.
type dockerConfig struct {
	Name   string
	Config struct{ Image string }
	// LogPath is the json-file log; empty with another log driver.
	LogPath string
}

func (m *Manager) dockerIdent(dir string) (ident, bool) {
	var cfg dockerConfig
	if err := readRecordFile(filepath.Join(dir, "config.v2.json"), &cfg); err != nil {
		return ident{}, false
	}
	id := ident{owner: OwnerDocker, name: strings.TrimPrefix(cfg.Name, "/"), image: cfg.Config.Image}
	if cfg.LogPath != "" {
		id.logPath, id.logFormat = cfg.LogPath, LogFormatJSONFile
	}
	return id, true
}

// podmanIdent reads a podman container's name and image from
// containers/storage's containers.json beside its bundle
// (<graph-root>/<driver>-containers/<id>/userdata), and its k8s-file log.
func (m *Manager) podmanIdent(x extInfo) ident {
	id := ident{owner: OwnerPodman}
	if x.bundle == "" {
		return id
	}
	if log := filepath.Join(x.bundle, "ctr.log"); fileExists(log) {
		id.logPath, id.logFormat = log, LogFormatCRI
	}
	if s, ok := m.storage.lookup(filepath.Join(filepath.Dir(filepath.Dir(x.bundle)), "containers.json"), x.id); ok {
		id.name, id.image = s.name, s.image
	}
	return id
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// readRecordFile decodes a manager's JSON record, refusing one larger
// than recordLimit, or one that is not a regular file.
func readRecordFile(path string, v any) error {
	b, err := statefile.ReadFollow(path, recordLimit)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// storageNames caches containers/storage's containers.json files by path,
// read again only when one changes: podman keeps every container of a
// store in one file, which a listing would otherwise read once per
// container.
type storageNames struct {
	mu    sync.Mutex
	files map[string]storageFile
}

type storageFile struct {
	mod  time.Time
	size int64
	byID map[string]storageEntry
}

type storageEntry struct{ name, image string }

func (s *storageNames) lookup(path, id string) (storageEntry, bool) {
	st, err := os.Stat(path)
	if err != nil {
		return storageEntry{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.files[path]
	if !ok || !f.mod.Equal(st.ModTime()) || f.size != st.Size() {
		f = storageFile{mod: st.ModTime(), size: st.Size(), byID: readStorage(path)}
		if s.files == nil {
			s.files = map[string]storageFile{}
		}
		s.files[path] = f
	}
	e, ok := f.byID[id]
	return e, ok
}

func readStorage(path string) map[string]storageEntry {
	var recs []struct {
		ID       string   `json:"id"`
		Names    []string `json:"names"`
		Metadata string   `json:"metadata"`
	}
	out := map[string]storageEntry{}
	if readRecordFile(path, &recs) != nil {
		return out
	}
	for _, r := range recs {
		var meta struct {
			Name  string `json:"name"`
			Image string `json:"image-name"`
		}
		json.Unmarshal([]byte(r.Metadata), &meta)
		e := storageEntry{name: meta.Name, image: meta.Image}
		if e.name == "" && len(r.Names) > 0 {
			e.name = r.Names[0]
		}
		out[r.ID] = e
	}
	return out
}

// idents caches what identify found per container (by Ref and creation
// time, which a reused id changes), so a listing reads the owners'
// records once per container, not once per look.
type idents struct {
	mu sync.Mutex
	m  map[string]identEntry
}

type identEntry struct {
	created time.Time
	ident
}

// identsMax bounds the cache; past it, it starts again empty.
const identsMax = 8192

func (c *idents) get(ref string, created time.Time, find func() ident) ident {
	c.mu.Lock()
	e, ok := c.m[ref]
	c.mu.Unlock()
	if ok && e.created.Equal(created) {
		return e.ident
	}
	id := find()
	c.mu.Lock()
	if c.m == nil || len(c.m) >= identsMax {
		c.m = map[string]identEntry{}
	}
	c.m[ref] = identEntry{created: created, ident: id}
	c.mu.Unlock()
	return id
}

// labelMap turns runc's labels ("key=value", annotations and bundle) into
// a map.
func labelMap(labels []string) map[string]string {
	out := make(map[string]string, len(labels))
	for _, l := range labels {
		if k, v, ok := strings.Cut(l, "="); ok {
			out[k] = v
		}
	}
	return out
}
