package container

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"berth/core"
	"berth/ui/common"
	"berth/ui/uitest"

	tea "github.com/charmbracelet/bubbletea"
)

// threeProcs differ in every sortable column.
func threeProcs() []core.Process {
	return []core.Process{
		{HostPid: 10, ContainerPid: 1, PPid: 1, UID: 0, State: "S", CPUTime: 1e9, RSS: 3 << 20, Threads: 1, StartTime: 5, Command: "init"},
		{HostPid: 20, ContainerPid: 3, PPid: 10, UID: 1000, State: "R", CPUTime: 5e9, RSS: 1 << 20, Threads: 8, StartTime: 6, Command: "worker"},
		{HostPid: 30, ContainerPid: 2, PPid: 10, UID: 33, State: "D", CPUTime: 3e9, RSS: 2 << 20, Threads: 2, StartTime: 7, Command: "backup"},
	}
}

func newProcesses(t *testing.T, procs []core.Process) (*common.Common, *Processes) {
	t.Helper()
	f := uitest.New()
	f.Procs["demo-cpu"] = procs
	c := uitest.NewCommon(t, f, 160, 48, "dark", false)
	p := NewProcesses(c)
	open(p, "demo-cpu")
	return c, p
}

func pids(p *Processes) []int {
	out := make([]int, len(p.table.Rows()))
	for i, r := range p.table.Rows() {
		out[i] = r.HostPid
	}
	return out
}

func TestProcessesSortKeys(t *testing.T) {
	tests := []struct {
		keys   string
		sortBy procColumn
		desc   bool
		want   []int
		header string
	}{
		{"", colPid, false, []int{10, 20, 30}, "PID▲"},
		{"S", colPid, true, []int{30, 20, 10}, "PID▼"},
		{"s", colCPid, false, []int{10, 30, 20}, "CPID▲"},
		{"ss", colPPid, false, []int{10, 20, 30}, "PPID▲"},
		{"sss", colUser, false, []int{10, 30, 20}, "USER▲"},
		{"ssss", colState, false, []int{30, 20, 10}, "STATE▲"},
		{"sssss", colCPU, true, []int{20, 30, 10}, "CPU%▼"},
		{"sssssS", colCPU, false, []int{10, 30, 20}, "CPU%▲"},
		{"ssssss", colRSS, true, []int{10, 30, 20}, "RSS▼"},
		{"sssssss", colThreads, true, []int{20, 30, 10}, "THR▼"},
		{"ssssssss", colCommand, false, []int{30, 10, 20}, "COMMAND▲"},
		{"sssssssss", colPid, false, []int{10, 20, 30}, "PID▲"},
		{"SS", colPid, false, []int{10, 20, 30}, "PID▲"},
	}
	for _, tt := range tests {
		t.Run("keys="+tt.keys, func(t *testing.T) {
			_, p := newProcesses(t, threeProcs())
			// A second sample gives every process a CPU% to sort by.
			later := threeProcs()
			for i := range later {
				later[i].CPUTime *= 2
			}
			p.Update(processesMsg{id: "demo-cpu", gen: p.gen, at: p.prev.at.Add(time.Second), procs: later})
			for _, k := range tt.keys {
				p.Update(keyMsg(string(k)))
			}
			if p.sortBy != tt.sortBy || p.desc() != tt.desc {
				t.Errorf("sort = %v desc %v, want %v desc %v", p.sortBy, p.desc(), tt.sortBy, tt.desc)
			}
			if got := pids(p); !slices.Equal(got, tt.want) {
				t.Errorf("order = %v, want %v", got, tt.want)
			}
			if v := p.View(); !strings.Contains(strings.SplitN(v, "\n", 2)[0], tt.header) {
				t.Errorf("header does not mark %q:\n%s", tt.header, v)
			}
		})
	}
}

func TestProcessesKill(t *testing.T) {
	tests := []struct {
		name  string
		keys  []string
		procs []core.Process
		want  tea.Msg
	}{
		{"first", nil, threeProcs(), common.ActionMsg{Action: common.ActSignalProcess, IDs: []string{"demo-cpu"}, Pid: 10, Start: 5, Command: "init"}},
		{"moved down", []string{"down", "down"}, threeProcs(), common.ActionMsg{Action: common.ActSignalProcess, IDs: []string{"demo-cpu"}, Pid: 30, Start: 7, Command: "backup"}},
		{"past the end", []string{"down", "down", "down", "down"}, threeProcs(), common.ActionMsg{Action: common.ActSignalProcess, IDs: []string{"demo-cpu"}, Pid: 30, Start: 7, Command: "backup"}},
		{"after sort", []string{"S"}, threeProcs(), common.ActionMsg{Action: common.ActSignalProcess, IDs: []string{"demo-cpu"}, Pid: 10, Start: 5, Command: "init"}},
		{"no processes", nil, nil, nil},
		// The mouse: the header is the tab's first row.
		{"clicked", []string{"click 2"}, threeProcs(), common.ActionMsg{Action: common.ActSignalProcess, IDs: []string{"demo-cpu"}, Pid: 20, Start: 6, Command: "worker"}},
		{"header clicked", []string{"down", "click 0"}, threeProcs(), common.ActionMsg{Action: common.ActSignalProcess, IDs: []string{"demo-cpu"}, Pid: 20, Start: 6, Command: "worker"}},
		{"wheel", []string{"wheel down", "wheel up", "wheel down"}, threeProcs(), common.ActionMsg{Action: common.ActSignalProcess, IDs: []string{"demo-cpu"}, Pid: 30, Start: 7, Command: "backup"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, p := newProcesses(t, tt.procs)
			for _, k := range tt.keys {
				if msg, ok := mouseMsg(k); ok {
					p.Update(msg)
					continue
				}
				p.Update(keyMsg(k))
			}
			cmd := p.Update(keyMsg("k"))
			var got tea.Msg
			if msgs := uitest.Run(cmd); len(msgs) == 1 {
				got = msgs[0]
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("kill = %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestProcessesStaleGenerationDropped(t *testing.T) {
	c := uitest.NewCommon(t, uitest.New(), 80, 24, "dark", false)
	p := NewProcesses(c)
	stale := uitest.Run(p.Open("demo-mem"))
	fresh := uitest.Run(p.Open("demo-cpu"))
	feed(p, stale...)
	if p.loaded || len(p.table.Rows()) != 0 {
		t.Fatalf("a reply for the page opened before was taken: %v", pids(p))
	}
	if !p.inFlight {
		t.Error("a stale reply ended the read in flight")
	}
	feed(p, fresh...)
	if got := pids(p); !slices.Equal(got, []int{4101, 4120}) {
		t.Errorf("pids = %v, want demo-cpu's", got)
	}
	// Closed: the reply to a read started before is dropped too.
	cmd := p.Update(common.RefreshMsg{})
	late := uitest.Run(cmd)
	p.Close()
	p.Open("demo-mem")
	feed(p, late...)
	if len(p.table.Rows()) != 0 {
		t.Errorf("a reply from before Close was taken: %v", pids(p))
	}
}

func TestProcessesOneReadInFlight(t *testing.T) {
	c := uitest.NewCommon(t, uitest.New(), 80, 24, "dark", false)
	p := NewProcesses(c)
	if p.Open("demo-cpu") == nil {
		t.Fatal("Open started no read")
	}
	if cmd := p.Update(common.RefreshMsg{}); cmd != nil {
		t.Error("a refresh started a second read while one was in flight")
	}
}

func TestProcessesCPUFromTwoSamples(t *testing.T) {
	t0 := uitest.Epoch
	first := []core.Process{
		{HostPid: 1, StartTime: 1, CPUTime: 1e9},
		{HostPid: 2, StartTime: 2, CPUTime: 0, CPUPercent: 12.5}, // the core's average since start
		{HostPid: 3, StartTime: 3, CPUTime: 4e9},
	}
	second := []core.Process{
		{HostPid: 1, StartTime: 1, CPUTime: 2e9},                // 1 s of CPU in 2 s
		{HostPid: 2, StartTime: 2, CPUTime: 4e9},                // 4 s in 2 s: two CPUs
		{HostPid: 3, StartTime: 99, CPUTime: 1e9},               // pid reused: a new process
		{HostPid: 4, StartTime: 4, CPUTime: 7e9},                // new, no average given
		{HostPid: 5, StartTime: 5, CPUTime: 1e9, CPUPercent: 3}, // new, with an average
	}
	tests := []struct {
		pid  int
		want string
	}{{1, "50.0"}, {2, "200.0"}, {3, "-"}, {4, "-"}, {5, "3.0"}}

	c := uitest.NewCommon(t, uitest.New(), 80, 24, "dark", false)
	p := NewProcesses(c)
	p.Open("demo-cpu")
	p.Update(processesMsg{id: "demo-cpu", gen: p.gen, at: t0, procs: first})
	if got := p.table.Rows()[1].cells[colCPU]; got != "12.5" {
		t.Errorf("first sample of pid 2: cpu %q, want the core's average 12.5", got)
	}
	if got := p.table.Rows()[0].cells[colCPU]; got != "-" {
		t.Errorf("first sample of pid 1: cpu %q, want blank", got)
	}
	p.Update(processesMsg{id: "demo-cpu", gen: p.gen, at: t0.Add(2 * time.Second), procs: second})
	for _, tt := range tests {
		i := slices.IndexFunc(p.table.Rows(), func(r *procRow) bool { return r.HostPid == tt.pid })
		if got := p.table.Rows()[i].cells[colCPU]; got != tt.want {
			t.Errorf("pid %d: cpu %q, want %q", tt.pid, got, tt.want)
		}
	}
}

func TestProcessesSelectionFollowsPid(t *testing.T) {
	_, p := newProcesses(t, threeProcs())
	p.Update(keyMsg("down")) // pid 20
	reordered := threeProcs()
	slices.Reverse(reordered)
	reordered = append([]core.Process{{HostPid: 5, StartTime: 1, Command: "new"}}, reordered...)
	p.Update(processesMsg{id: "demo-cpu", gen: p.gen, at: p.prev.at.Add(time.Second), procs: reordered})
	if r, _ := p.selected(); r.HostPid != 20 {
		t.Errorf("selected pid %d after a refresh, want 20", r.HostPid)
	}
	p.Update(keyMsg("S"))
	if r, _ := p.selected(); r.HostPid != 20 {
		t.Errorf("selected pid %d after reversing, want 20", r.HostPid)
	}
	// The selected process exits: no other process is selected in its
	// place (TestProcessesSelectedExits).
	gone := slices.DeleteFunc(threeProcs(), func(p core.Process) bool { return p.HostPid == 20 })
	p.Update(processesMsg{id: "demo-cpu", gen: p.gen, at: p.prev.at.Add(time.Second), procs: gone})
	if r, ok := p.selected(); ok {
		t.Errorf("pid %d selected after the selected process exited", r.HostPid)
	}
}

func TestProcessesPlaceholders(t *testing.T) {
	tests := []struct {
		name, id string
		fail     error
		want     string
	}{
		{"stopped", "web-old", nil, "web-old is not running: it has no processes."},
		{"stopped meanwhile", "demo-cpu", fmt.Errorf("demo-cpu: %w", core.ErrNotRunning), "demo-cpu is not running: it has no processes."},
		{"failed", "demo-cpu", errors.New("cgroup gone"), "processes: cgroup gone"},
		{"none", "demo-log", nil, "no processes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := uitest.New()
			if tt.fail != nil {
				f.Fail["Processes"] = tt.fail
			}
			c := uitest.NewCommon(t, f, 80, 24, "dark", false)
			p := open(NewProcesses(c), tt.id)
			v := p.View()
			checkSize(t, tt.name, v, 80, 24)
			if first := strings.TrimSpace(strings.SplitN(v, "\n", 2)[0]); first != tt.want {
				t.Errorf("first line %q, want %q", first, tt.want)
			}
		})
	}
}

// When the selected process exits, the selection does not land on
// another process: nothing is selected, the page says which one went,
// and kill signals nothing until a process is chosen again.
func TestProcessesSelectedExits(t *testing.T) {
	_, p := newProcesses(t, threeProcs())
	p.Update(keyMsg("down")) // worker, pid 20
	if r, ok := p.selected(); !ok || r.HostPid != 20 {
		t.Fatalf("selected %+v %v, want pid 20", r, ok)
	}
	// A re-sort or a new process elsewhere keeps it.
	more := append(threeProcs(), core.Process{HostPid: 15, ContainerPid: 9, PPid: 10, StartTime: 9, Command: "newcomer"})
	p.Update(processesMsg{id: "demo-cpu", gen: p.gen, at: p.prev.at.Add(time.Second), procs: more})
	if r, ok := p.selected(); !ok || r.HostPid != 20 {
		t.Fatalf("after a process came: selected %+v %v, want pid 20", r, ok)
	}
	// It exits.
	left := []core.Process{threeProcs()[0], threeProcs()[2], more[3]}
	p.Update(processesMsg{id: "demo-cpu", gen: p.gen, at: p.prev.at.Add(time.Second), procs: left})
	if r, ok := p.selected(); ok {
		t.Fatalf("after pid 20 exited the selection moved to pid %d", r.HostPid)
	}
	if v := uitest.Strip(p.View()); !strings.Contains(v, "process 20 (worker) exited") {
		t.Fatalf("the page does not say the process went:\n%s", v)
	}
	msgs := uitest.Run(p.Update(keyMsg("k")))
	if len(msgs) != 1 {
		t.Fatalf("kill with nothing selected: %#v", msgs)
	}
	if _, ok := msgs[0].(common.ActionMsg); ok {
		t.Fatalf("kill with nothing selected signals %#v", msgs[0])
	}
	// A move chooses a process again.
	p.Update(keyMsg("down"))
	if _, ok := p.selected(); !ok {
		t.Fatal("a move selected nothing")
	}
	if strings.Contains(uitest.Strip(p.View()), "exited") {
		t.Fatal("the notice outlived a new choice")
	}
}

// mouseMsg is a report named "click Y", "wheel up" or "wheel down".
func mouseMsg(name string) (tea.MouseMsg, bool) {
	switch {
	case name == "wheel up":
		return tea.MouseMsg{Button: tea.MouseButtonWheelUp, Action: tea.MouseActionPress}, true
	case name == "wheel down":
		return tea.MouseMsg{Button: tea.MouseButtonWheelDown, Action: tea.MouseActionPress}, true
	case strings.HasPrefix(name, "click "):
		y, _ := strconv.Atoi(strings.TrimPrefix(name, "click "))
		return tea.MouseMsg{Button: tea.MouseButtonLeft, Action: tea.MouseActionPress, Y: y}, true
	}
	return tea.MouseMsg{}, false
}
