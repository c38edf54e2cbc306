package ui

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"berth/core"
	"berth/ui/common"
	"berth/ui/form"
	"berth/ui/format"
	"berth/ui/sanitize"

	tea "github.com/charmbracelet/bubbletea"
)

// formModal is an open form and what its submission runs: a command, or
// the next modal (a confirmation).
type formModal struct {
	f      form.Model
	submit func(form.Model) (modal, tea.Cmd)
	// limits links the update form to the limits it is filled with.
	limits *limitsForm
}

func (m *formModal) update(msg tea.KeyMsg, c *common.Common, r room) (modal, tea.Cmd) {
	fitForm(&m.f, r)
	var cmd tea.Cmd
	m.f, cmd = m.f.Update(msg)
	switch {
	case m.f.Cancelled():
		return nil, nil
	case m.f.Done():
		return m.submit(m.f)
	}
	return m, cmd
}

func (m *formModal) takingText() bool { return m.f.TakingText() }

// view draws the form fitted to its room (on a copy: View changes
// nothing).
func (m *formModal) view(c *common.Common, r room) string {
	f := m.f
	fitForm(&f, r)
	return f.View()
}

// fitForm sizes a form to its room: 64 cells wide at most, a little
// narrower than the terminal, and no taller than it.
func fitForm(f *form.Model, r room) {
	if w := min(max(r.w-4, 20), 64, r.w); f.Width() != w {
		f.SetWidth(w)
	}
	if f.Height() != r.h {
		f.SetHeight(r.h)
	}
}

func (m *Model) newForm(title string, submit func(form.Model) (modal, tea.Cmd), fields ...form.Field) {
	f := form.New(title, fields...)
	f.SetStyles(form.StylesFrom(m.c.Styles))
	fitForm(&f, m.room())
	m.modal = &formModal{f: f, submit: submit}
}

// formLimitsMsg is a container's limits, read for the update form opened
// as generation gen.
type formLimitsMsg struct {
	id     string
	gen    uint64
	limits common.Limits
	err    error
}

// limitsForm is the update form's link to the limits it shows: the
// container they are read from, the read's generation, and the text each
// field was filled with (what submitting it unchanged sends nothing for).
type limitsForm struct {
	id     string
	gen    uint64
	filled map[string]string
}

// updateForm asks for new limits. For one container the form opens at
// once (keys typed after u reach it) and its fields fill with the limits
// the cgroup has now when the read comes back.
func (m *Model) updateForm(a common.ActionMsg) tea.Cmd {
	lf := &limitsForm{filled: map[string]string{}}
	m.newForm("Update limits of "+m.names(a.IDs), func(f form.Model) (modal, tea.Cmd) {
		unchanged := func(name string) string {
			if t := f.Text(name); t != lf.filled[name] {
				return t
			}
			return ""
		}
		r, err := format.ParseLimits(unchanged("memory"), unchanged("pids"), unchanged("cpus"))
		switch {
		case errors.Is(err, format.ErrNoLimits) && len(lf.filled) > 0:
			m.say(common.StatusMsg{Text: "limits of " + m.names(a.IDs) + " unchanged"})
			return nil, nil
		case err != nil:
			m.say(common.Error(err))
			return nil, nil
		}
		m.say(common.StatusMsg{Text: "updating limits of " + m.names(a.IDs) + "…"})
		return nil, m.run(a, "limits of "+m.names(a.IDs)+" updated", func(ctx context.Context, cr common.Core, id string) error { return cr.Update(ctx, id, r) })
	},
		form.Field{Name: "memory", Label: "memory", Placeholder: "unchanged (e.g. 512m, 0 = none)", Validate: optional(func(s string) error { _, err := format.ParseMemoryLimit(s); return err })},
		form.Field{Name: "pids", Label: "pids", Placeholder: "unchanged (0 = none)", Validate: optional(func(s string) error { _, err := format.ParsePidsLimit(s); return err })},
		form.Field{Name: "cpus", Label: "cpus", Placeholder: "unchanged (e.g. 0.5, 0 = none)", Validate: optional(func(s string) error { _, err := format.ParseCPUs(s); return err })},
	)
	c, ok := m.c.Store.Get(a.IDs[0])
	if len(a.IDs) != 1 || !ok {
		return nil
	}
	m.limitsGen++
	lf.id, lf.gen = c.Ref(), m.limitsGen
	m.modal.(*formModal).limits = lf
	s, gen := m.c.Core, m.limitsGen
	return func() tea.Msg {
		l, err := common.ReadLimits(s, c)
		return formLimitsMsg{id: c.Ref(), gen: gen, limits: l, err: err}
	}
}

// onFormLimits fills the update form still open for the limits read with
// them: a limit set as its value, none as an empty field saying so. A
// field already typed in is left alone.
func (m *Model) onFormLimits(msg formLimitsMsg) {
	fm, ok := m.modal.(*formModal)
	if !ok || fm.limits == nil || fm.limits.gen != msg.gen || fm.limits.id != msg.id {
		return
	}
	if msg.err != nil {
		m.say(common.StatusMsg{Text: "current limits unknown: " + msg.err.Error(), Level: common.LevelWarning})
		return
	}
	l := msg.limits
	for _, v := range []struct {
		name, example string
		set           bool
		text          string
	}{
		{"memory", "512m", l.Memory > 0, format.MemoryLimitText(l.Memory)},
		{"pids", "100", l.Pids > 0, strconv.FormatUint(l.Pids, 10)},
		{"cpus", "0.5", l.CPUs > 0, format.CPUsText(l.CPUs)},
	} {
		if !v.set {
			fm.f.SetPlaceholder(v.name, "no limit now (e.g. "+v.example+")")
			fm.limits.filled[v.name] = ""
			continue
		}
		if fm.f.Fill(v.name, v.text) {
			fm.limits.filled[v.name] = v.text
		}
	}
}

// optional accepts an empty field (unchanged) or what check accepts; that
// at least one field is filled is checked on submit, by ParseLimits.
func optional(check func(string) error) func(string) error {
	return func(s string) error {
		if strings.TrimSpace(s) == "" {
			return nil
		}
		return check(strings.TrimSpace(s))
	}
}

// checkpointForm asks for a name and the dump's options. Without
// leave-running the dump stops the container: the form says so.
func (m *Model) checkpointForm(a common.ActionMsg) tea.Cmd {
	if len(a.IDs) != 1 {
		m.say(common.StatusMsg{Text: "checkpoint works on one container: unmark the others", Level: common.LevelError})
		return nil
	}
	name := "cp-" + m.c.Now.Format("20060102-150405")
	m.newForm("Checkpoint "+m.names(a.IDs), func(f form.Model) (modal, tea.Cmd) {
		o := core.CheckpointOptions{
			LeaveRunning: f.Bool("leave-running"), TCPEstablished: f.Bool("tcp"), ExtUnixSk: f.Bool("unix"),
			ShellJob: f.Bool("shell-job"), FileLocks: f.Bool("file-locks"),
		}
		n := strings.TrimSpace(f.Text("name"))
		a.Checkpoint = n // the page selects it once made
		do := m.run(a, "checkpoint "+sanitize.OneLine(n)+" of "+m.names(a.IDs)+" created", func(ctx context.Context, cr common.Core, id string) error {
			_, err := cr.CreateCheckpoint(ctx, id, n, o)
			return err
		})
		// The status first, then the work: its result replaces it.
		do = tea.Sequence(status("checkpointing "+m.names(a.IDs)+"…"), do)
		if o.LeaveRunning {
			return nil, do
		}
		return &confirm{
			title: fmt.Sprintf("Checkpoint and stop %s?", m.names(a.IDs)), body: "Without leave-running the dump ends the container; restore brings it back.",
			yesLabel: "Checkpoint and stop", yes: do,
		}, nil
	},
		form.Field{Name: "name", Label: "name", Value: name, CharLimit: 128, Validate: core.ValidateName},
		form.Field{Name: "leave-running", Label: "leave running", Kind: form.KindBool, Checked: true},
		form.Field{Name: "tcp", Label: "tcp established", Kind: form.KindBool},
		form.Field{Name: "unix", Label: "unix sockets", Kind: form.KindBool},
		form.Field{Name: "shell-job", Label: "shell job", Kind: form.KindBool},
		form.Field{Name: "file-locks", Label: "file locks", Kind: form.KindBool},
	)
	return nil
}

func status(text string) tea.Cmd {
	return func() tea.Msg { return common.StatusMsg{Text: text} }
}

// restore restores a chosen checkpoint in place or as a new container.
// From the list (no checkpoint chosen) it opens the checkpoints tab.
func (m *Model) restore(a common.ActionMsg) tea.Cmd {
	if len(a.IDs) != 1 {
		m.say(common.StatusMsg{Text: "restore works on one container: unmark the others", Level: common.LevelError})
		return nil
	}
	if a.Checkpoint == "" {
		return tea.Batch(m.navigate(common.NavigateMsg{Screen: common.ScreenContainer, ID: a.IDs[0], Tab: common.TabCheckpoints}),
			status("choose a checkpoint and press "+m.c.Keys.Restore.Help().Key))
	}
	id := a.IDs[0]
	inPlace := "empty: in place (it has stopped)"
	if c, ok := m.c.Store.Get(id); ok && !c.Managed {
		inPlace = "give a new id: it becomes a berth container"
	} else if ok && c.Running() {
		inPlace = "it runs: give a new id"
	}
	m.newForm("Restore "+sanitize.OneLine(a.Checkpoint)+" of "+m.c.Store.Label(id), func(f form.Model) (modal, tea.Cmd) {
		as := strings.TrimSpace(f.Text("as"))
		o := core.RestoreOptions{As: as, Paused: f.Bool("paused")}
		label := fmt.Sprintf("restored %s from %s", m.c.Store.Label(id), sanitize.OneLine(a.Checkpoint))
		if as != "" {
			label = fmt.Sprintf("restored %s of %s as %s", sanitize.OneLine(a.Checkpoint), m.c.Store.Label(id), sanitize.OneLine(as))
		}
		return nil, tea.Sequence(status("restoring…"), m.run(a, label, func(ctx context.Context, cr common.Core, id string) error {
			_, err := cr.Restore(ctx, id, a.Checkpoint, o)
			return err
		}))
	},
		form.Field{Name: "as", Label: "new id", Placeholder: inPlace, CharLimit: 1024, Validate: optional(core.ValidateID)},
		form.Field{Name: "paused", Label: "stay paused", Kind: form.KindBool},
	)
	return nil
}

// migrateForm asks where a container goes (and how ssh reaches there),
// then, confirmed, migrates it with its progress in the footer.
func (m *Model) migrateForm(a common.ActionMsg) tea.Cmd {
	if len(a.IDs) != 1 {
		m.say(common.StatusMsg{Text: "migrate works on one container: unmark the others", Level: common.LevelError})
		return nil
	}
	who := m.names(a.IDs)
	m.newForm("Migrate "+who, func(f form.Model) (modal, tea.Cmd) {
		host, stateDir, _ := strings.Cut(strings.TrimSpace(f.Text("host")), ":")
		o := core.MigrateOptions{Host: host, StateDir: stateDir, SSH: strings.Fields(f.Text("ssh")), RemoteBerth: strings.Fields(f.Text("berth")), Lazy: f.Bool("lazy")}
		body := "It is checkpointed (it stops here), streamed over ssh and restored there; it is removed here once it runs there, and restored here if anything fails."
		if o.Lazy {
			body = "Post-copy: it is checkpointed without its memory (frozen here), restored there at once, and its pages follow over the same ssh; it is removed here once every page has moved. A failure before that thaws it here and removes the copy there."
		}
		return &confirm{
			title:    fmt.Sprintf("Migrate %s to %s?", who, sanitize.OneLine(host)),
			body:     body,
			yesLabel: "Migrate",
			yes:      m.migrate(a, o),
		}, nil
	},
		form.Field{Name: "host", Label: "to [user@]host[:state dir]", CharLimit: 256, Validate: func(s string) error {
			if h, _, _ := strings.Cut(strings.TrimSpace(s), ":"); h == "" || strings.HasPrefix(h, "-") {
				return fmt.Errorf("give [user@]host")
			}
			return nil
		}},
		form.Field{Name: "ssh", Label: "ssh command", Value: "ssh", CharLimit: 256, Validate: nonEmpty},
		form.Field{Name: "berth", Label: "berth there", Value: "berth", CharLimit: 256, Validate: nonEmpty},
		form.Field{Name: "lazy", Label: "post-copy (lazy)", Kind: form.KindBool},
	)
	return nil
}

func nonEmpty(s string) error {
	if strings.TrimSpace(s) == "" {
		return fmt.Errorf("give a command")
	}
	return nil
}

// migrateMsg is one step of a migration under way: its progress, with
// the channel the next step comes on.
type migrateMsg struct {
	label       string
	sent, total int64
	steps       <-chan tea.Msg
}

// migrate runs a migration off the Update loop; its progress comes as
// migrateMsgs, one at a time (the newest, when the UI is slower than the
// stream), and its end as a DoneMsg. The goroutine ends with the
// migration, or with the UI's context.
func (m *Model) migrate(a common.ActionMsg, o core.MigrateOptions) tea.Cmd {
	ctx, cr, id, label := m.ctx, m.c.Core, a.IDs[0], m.names(a.IDs)+" to "+sanitize.OneLine(o.Host)
	return func() tea.Msg {
		steps := make(chan tea.Msg, 1)
		send := func(msg tea.Msg, wait bool) {
			if !wait {
				select {
				case steps <- msg:
				default: // the UI has not taken the last one: skip this
				}
				return
			}
			select {
			case steps <- msg:
			case <-ctx.Done():
			}
		}
		m.migrations.Add(1)
		go func() {
			defer m.migrations.Done()
			defer close(steps)
			o.Progress = func(sent, total int64) { send(migrateMsg{label: label, sent: sent, total: total}, false) }
			mig, err := cr.Migrate(ctx, id, o)
			text := fmt.Sprintf("migrated %s (%s sent, %.0f ms from freeze to running there)", label, format.HumanBytes(uint64(mig.Bytes)), mig.DowntimeMs)
			if mig.Lazy {
				text = fmt.Sprintf("migrated %s post-copy (%.0f ms from freeze to running there; %s of pages after)", label, mig.DowntimeMs, format.HumanBytes(uint64(mig.PagesBytes)))
			}
			done := common.DoneMsg{Action: a.Action, IDs: a.IDs, Err: err, Text: text}
			send(done, true)
		}()
		return nextStep(steps)()
	}
}

// nextStep waits for a migration's next message.
func nextStep(steps <-chan tea.Msg) tea.Cmd {
	return func() tea.Msg {
		msg, ok := <-steps
		if !ok {
			return nil
		}
		if p, ok := msg.(migrateMsg); ok {
			p.steps = steps
			return p
		}
		return msg
	}
}
