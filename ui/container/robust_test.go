package container

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"berth/core"
	"berth/ui/common"
	"berth/ui/uitest"
)

// hostile are strings a container controls that would act on a terminal
// printed raw: an OSC 52 clipboard write, a screen clear, a carriage
// return, a C1 control (as a byte and as a rune) and invalid UTF-8.
var hostile = []string{"\x1b]52;c;aGk=\x07", "\x1b[2J", "over\rwrite", "c1\x9cbyte", "c1\u009crune", "bad\xff\xfeutf8"}

// hostileFake puts the hostile strings everywhere a container's text
// reaches the tabs.
func hostileFake() *uitest.Fake {
	f := uitest.New()
	all := strings.Join(hostile, " ")
	sp := f.Specs["demo-cpu"]
	sp.Process.Args = append([]string{"sh", "-c"}, hostile...)
	sp.Process.Env = append(sp.Process.Env, hostile...)
	sp.Process.Cwd = all
	sp.Hostname = all
	sp.Mounts[0].Source = all
	sp.Mounts[0].Options = hostile
	for i := range f.Containers {
		if f.Containers[i].ID == "demo-cpu" {
			f.Containers[i].Bundle = all
			f.Containers[i].Reason = all
			f.Containers[i].Labels = map[string]string{all: all}
		}
	}
	procs := f.Procs["demo-cpu"]
	for _, h := range hostile {
		procs = append(procs, core.Process{HostPid: 5000 + len(procs), State: h, Command: h})
	}
	f.Procs["demo-cpu"] = procs
	f.Fail["Processes"] = nil
	return f
}

// checkClean fails if v holds a control character or invalid UTF-8. The
// views here are uncoloured, so not even an escape of their own is there.
func checkClean(t *testing.T, name, v string) {
	t.Helper()
	if !utf8.ValidString(v) {
		t.Errorf("%s: invalid UTF-8 in the view", name)
	}
	for _, r := range v {
		if r < 0x20 && r != '\n' || r == 0x7f || r >= 0x80 && r < 0xa0 {
			t.Errorf("%s: control %U in the view:\n%q", name, r, v)
			return
		}
	}
}

func TestHostileStringsEscaped(t *testing.T) {
	for _, k := range pageKinds {
		t.Run(k.name, func(t *testing.T) {
			c := uitest.NewCommon(t, hostileFake(), 200, 120, "dark", false)
			p := open(k.new(c), "demo-cpu")
			v := p.View()
			checkClean(t, k.name, v)
			if k.name != "stats" && !strings.Contains(v, `\x1b]52;c;aGk=\x07`) {
				t.Errorf("the OSC 52 string is not shown escaped:\n%s", v)
			}
		})
	}
	// The error line too.
	f := hostileFake()
	f.Fail["Spec"] = &pathError{hostile[0]}
	c := uitest.NewCommon(t, f, 200, 120, "dark", false)
	checkClean(t, "spec error", open(NewOverview(c), "demo-cpu").View())
}

type pathError struct{ s string }

func (e *pathError) Error() string { return "open " + e.s }

// openAll opens every tab on the container its goldens show.
func openAll(t *testing.T, c *common.Common) []common.Page {
	var out []common.Page
	for _, k := range pageKinds {
		out = append(out, open(k.new(c), k.id))
	}
	return out
}

func TestTinySizes(t *testing.T) {
	c := uitest.NewCommon(t, uitest.New(), 80, 24, "dark", false)
	pages := openAll(t, c)
	for w := 1; w <= 30; w++ {
		for h := 1; h <= 8; h++ {
			for i, p := range pages {
				p = resize(c, p, w, h)
				checkSize(t, pageKinds[i].name, p.View(), w, h)
			}
		}
	}
}

func TestSizeStorm(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	c := uitest.NewCommon(t, uitest.New(), 80, 24, "dark", true)
	pages := openAll(t, c)
	for range 120 {
		w, h := rng.IntN(220)-2, rng.IntN(70)-2
		for i, p := range pages {
			p = resize(c, p, w, h)
			// Keys and samples between sizes, as a user would.
			p.Update(keyMsg([]string{"down", "up", "end", "s", "S"}[rng.IntN(5)]))
			v := p.View()
			if w > 0 && h > 0 {
				checkSize(t, pageKinds[i].name, v, w, h)
			}
		}
	}
}
