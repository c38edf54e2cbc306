package container

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"berth/core"
	"berth/ui/common"
	"berth/ui/format"
	"berth/ui/sanitize"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// record adds the container's record as last listed: identity, status,
// where it runs from and how it ended.
func (o *Overview) record(s *sheet) {
	s.title("Container " + o.id)
	ct, ok := o.c.Store.Get(o.id)
	if !ok {
		s.note("no longer listed")
		return
	}
	status := o.c.Styles.Status(ct.Status).Render(common.StatusLabel(ct.Status))
	if ct.Reason != "" {
		status += " " + s.st.Muted.Render("("+sanitize.OneLine(ct.Reason)+")")
	}
	s.styled("status", status)
	if ct.Pid > 0 {
		s.field("pid", strconv.Itoa(ct.Pid))
	}
	if ct.Managed {
		s.field("managed", "by berth")
	} else {
		s.field("managed", "no: external, owned by "+sanitize.OneLine(ct.Owner))
		s.field("berth can", "pause, resume, kill and update it (through "+sanitize.OneLine(ct.Owner)+" where it can), exec, show its processes, stats and logs, checkpoint it and restore it as a new berth container")
		s.field("berth cannot", "delete, start or restart it: "+sanitize.OneLine(ct.Owner)+" does")
	}
	runtime := ct.Runtime
	if ct.RuntimeRoot != "" {
		runtime += " (root " + ct.RuntimeRoot + ")"
	}
	s.field("runtime", runtime)
	s.field("bundle", ct.Bundle)
	s.field("created", when(o.c.Now, ct.Created))
	if !ct.Started.IsZero() {
		s.field("started", when(o.c.Now, ct.Started))
	}
	exitFields(s, ct, o.c.Now)
	s.field("oom kills", strconv.FormatUint(ct.OOMKills, 10))
	if len(ct.UIDMappings) > 0 || len(ct.GIDMappings) > 0 {
		s.list("uid map", recordIDMaps(ct.UIDMappings))
		s.list("gid map", recordIDMaps(ct.GIDMappings))
	}
	labels := make([]string, 0, len(ct.Labels))
	for _, k := range slices.Sorted(maps.Keys(ct.Labels)) {
		labels = append(labels, k+"="+ct.Labels[k])
	}
	if len(labels) > 0 {
		s.list("labels", labels)
	}
}

// when is a time and how long ago it was.
func when(now, t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format(time.DateTime) + " (" + format.Ago(now, t) + ")"
}

// exitFields adds how a stopped container ended.
func exitFields(s *sheet, ct core.Container, now time.Time) {
	if ct.ExitStatus == nil {
		return
	}
	exit := "status " + strconv.Itoa(*ct.ExitStatus)
	if ct.ExitSignal > 0 {
		exit += ", signal " + signalName(ct.ExitSignal)
	}
	if ct.OOMKilled {
		exit += ", oom-killed"
	}
	s.field("exit", exit)
	if ct.ExitedAt != nil {
		s.field("exited", when(now, *ct.ExitedAt))
	}
}

// signalName is a signal's name and number: "SIGKILL (9)".
func signalName(n int) string {
	if name := unix.SignalName(unix.Signal(n)); name != "" {
		return name + " (" + strconv.Itoa(n) + ")"
	}
	return strconv.Itoa(n)
}

// specSummary adds what the spec says the container runs, and with what.
func specSummary(s *sheet, sp *specs.Spec) {
	processSection(s, sp.Process)
	s.title("System")
	s.field("hostname", format.OrDash(sp.Hostname))
	if sp.Domainname != "" {
		s.field("domainname", sp.Domainname)
	}
	if sp.Root != nil {
		root := sp.Root.Path
		if sp.Root.Readonly {
			root += " (read-only)"
		}
		s.field("root", root)
	}
	s.title("Mounts")
	rows := make([][]string, len(sp.Mounts))
	for i, m := range sp.Mounts {
		rows[i] = []string{m.Destination, format.OrDash(m.Type), format.OrDash(m.Source), strings.Join(m.Options, ",")}
	}
	s.table([]string{"DESTINATION", "TYPE", "SOURCE", "OPTIONS"}, rows)
	if sp.Linux != nil {
		linuxSections(s, sp.Linux)
	}
}

// processSection adds the init process: its command, environment and
// identity.
func processSection(s *sheet, p *specs.Process) {
	s.title("Process")
	if p == nil {
		s.note("no process in the spec")
		return
	}
	s.field("args", quoteArgs(p.Args))
	s.list("env", p.Env)
	s.field("cwd", format.OrDash(p.Cwd))
	s.field("user", user(p.User))
	s.field("terminal", yesNo(p.Terminal))
	if p.NoNewPrivileges {
		s.field("no new privs", "yes")
	}
	if c := p.Capabilities; c != nil {
		s.field("capabilities", orNone(strings.Join(c.Effective, " ")))
	}
	rl := make([]string, len(p.Rlimits))
	for i, r := range p.Rlimits {
		rl[i] = fmt.Sprintf("%s soft %d hard %d", r.Type, r.Soft, r.Hard)
	}
	if len(rl) > 0 {
		s.list("rlimits", rl)
	}
}

// linuxSections adds the Linux-specific parts: namespaces, limits, user
// namespace mappings and the seccomp filter.
func linuxSections(s *sheet, l *specs.Linux) {
	s.title("Namespaces")
	rows := make([][]string, len(l.Namespaces))
	for i, ns := range l.Namespaces {
		path := ns.Path
		if path == "" {
			path = "new"
		}
		rows[i] = []string{string(ns.Type), path}
	}
	s.table([]string{"TYPE", "PATH"}, rows)
	s.title("Limits as started")
	limits(s, l.Resources)
	if len(l.UIDMappings) > 0 || len(l.GIDMappings) > 0 {
		s.title("User namespace")
		s.list("uid map", idMaps(l.UIDMappings))
		s.list("gid map", idMaps(l.GIDMappings))
	}
	if sc := l.Seccomp; sc != nil {
		s.title("Security")
		s.field("seccomp", fmt.Sprintf("default %s, %d syscall rules", sc.DefaultAction, len(sc.Syscalls)))
	}
}

// limits adds the resource limits, "none" for those unset.
func limits(s *sheet, r *specs.LinuxResources) {
	if r == nil {
		r = &specs.LinuxResources{}
	}
	mem := "no limit"
	if m := r.Memory; m != nil {
		var parts []string
		if m.Limit != nil && *m.Limit > 0 {
			parts = append(parts, "limit "+format.HumanBytes(uint64(*m.Limit)))
		}
		if m.Swap != nil && *m.Swap > 0 {
			parts = append(parts, "memory+swap "+format.HumanBytes(uint64(*m.Swap)))
		}
		if m.Reservation != nil && *m.Reservation > 0 {
			parts = append(parts, "reservation "+format.HumanBytes(uint64(*m.Reservation)))
		}
		if len(parts) > 0 {
			mem = strings.Join(parts, ", ")
		}
	}
	s.field("memory", mem)
	pids := "no limit"
	if r.Pids != nil && r.Pids.Limit != nil && *r.Pids.Limit > 0 {
		pids = strconv.FormatInt(*r.Pids.Limit, 10)
	}
	s.field("pids", pids)
	s.field("cpu", cpuLimits(r.CPU))
}

// cpuLimits is the CPU quota, shares and sets.
func cpuLimits(c *specs.LinuxCPU) string {
	if c == nil {
		return "no limit"
	}
	var parts []string
	if c.Quota != nil && *c.Quota > 0 {
		period := uint64(100000)
		if c.Period != nil && *c.Period > 0 {
			period = *c.Period
		}
		parts = append(parts, fmt.Sprintf("quota %dus / period %dus (%.2f CPUs)", *c.Quota, period, float64(*c.Quota)/float64(period)))
	}
	if c.Shares != nil && *c.Shares > 0 {
		parts = append(parts, "shares "+strconv.FormatUint(*c.Shares, 10))
	}
	if c.Cpus != "" {
		parts = append(parts, "cpus "+c.Cpus)
	}
	if c.Mems != "" {
		parts = append(parts, "mems "+c.Mems)
	}
	if len(parts) == 0 {
		return "no limit"
	}
	return strings.Join(parts, ", ")
}

// idMaps formats user namespace mappings: "0 -> 100000 (65536 ids)".
func idMaps(ms []specs.LinuxIDMapping) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = fmt.Sprintf("%d -> %d (%d ids)", m.ContainerID, m.HostID, m.Size)
	}
	return out
}

// recordIDMaps formats the mappings the runtime reports for a running
// container, as idMaps does the spec's.
func recordIDMaps(ms []core.IDMap) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = fmt.Sprintf("%d -> %d (%d ids)", m.ContainerID, m.HostID, m.Size)
	}
	return out
}

// user is a process's identity: "uid 0, gid 0, gids 10 20, name".
func user(u specs.User) string {
	out := fmt.Sprintf("uid %d, gid %d", u.UID, u.GID)
	if len(u.AdditionalGids) > 0 {
		gids := make([]string, len(u.AdditionalGids))
		for i, g := range u.AdditionalGids {
			gids[i] = strconv.FormatUint(uint64(g), 10)
		}
		out += ", gids " + strings.Join(gids, " ")
	}
	if u.Umask != nil {
		out += fmt.Sprintf(", umask %04o", *u.Umask)
	}
	if u.Username != "" {
		out += ", " + u.Username
	}
	return out
}

// quoteArgs joins a command line, single-quoting the arguments a shell
// would split or expand, so the words read unambiguously.
func quoteArgs(args []string) string {
	if len(args) == 0 {
		return "-"
	}
	parts := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\n'\"\\$`;&|<>()*?[]{}~#!") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		parts[i] = a
	}
	return strings.Join(parts, " ")
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
