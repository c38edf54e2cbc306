package ui

import (
	"os"
	"strings"
	"testing"

	"berth/ui/common"
)

// The README's keys table names every binding with its default key, so
// it stays true when keys change.
func TestReadmeKeys(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "| `") {
			rows = append(rows, l)
		}
	}
	for _, nb := range common.DefaultKeyMap().Named() {
		if strings.HasPrefix(nb.Name, "tab-") {
			nb.Name = "tab-1` ... `tab-6"
		}
		found := false
		for _, r := range rows {
			cells := strings.Split(r, "|")
			if len(cells) > 3 && strings.Contains(cells[2], "`"+nb.Name+"`") {
				found = true
				if k := nb.Binding.Help().Key; !strings.HasPrefix(nb.Name, "tab-") && !strings.Contains(cells[1], "`"+k+"`") {
					t.Errorf("README's row for %s lacks its key %q: %s", nb.Name, k, r)
				}
			}
		}
		if !found {
			t.Errorf("README's keys table lacks %s", nb.Name)
		}
	}
}
