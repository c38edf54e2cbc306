package shim

import (
	"fmt"
	"testing"
)

func TestEachMapping(t *testing.T) {
	maps := []byte(`00400000-0051e000 r-xp 00000000 fe:00 9978114                            /usr/bin/berth-shim
0051e000-00670000 r--p 0011e000 fe:00 9978114                            /usr/bin/berth-shim
00670000-00680000 rw-p 00270000 fe:00 9978114                            /usr/bin/berth-shim
00680000-006b6000 rw-p 00000000 00:00 0
7ffc0f752000-7ffc0f773000 rw-p 00000000 00:00 0                          [stack]
bad line
`)
	var got []string
	eachMapping(maps, func(start, end uint64, perms, file []byte) {
		got = append(got, fmt.Sprintf("%x-%x %s %s", start, end, perms, file))
	})
	want := []string{"400000-51e000 r-xp fe:00 9978114", "51e000-670000 r--p fe:00 9978114", "670000-680000 rw-p fe:00 9978114"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// The shim still runs after its pages are dropped: they come back.
func TestDropStartPages(t *testing.T) {
	dropStartPages()
	if pie, ok := positionIndependent(); !ok {
		t.Fatal("the test binary is not read as ELF")
	} else {
		t.Logf("position independent: %v", pie)
	}
}
