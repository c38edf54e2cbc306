package ui

import (
	"berth/ui/common"
)

// sortMenu lists the columns the page on view sorts by, as htop's SortBy
// does: the cursor starts on the column sorted by now; choosing a column
// sorts by it in its natural order (the figures largest first), choosing
// the current one again reverses it. The page gets the choice as a
// common.SortMsg.
func sortMenu(s common.Sorter) modal {
	var items []menuItem
	cur := 0
	for i, c := range s.SortColumns() {
		if c.Current {
			cur = i
		}
		items = append(items, menuItem{label: c.Title, hint: sortHint(c), run: msgCmd(common.SortMsg{Col: c.Col})})
	}
	menu := newMenu("sort by", items, false)
	menu.cursor.Index = cur
	menu.cursor.Clamp(len(menu.shown), menuRows)
	return menu
}

// sortHint says which column the table sorts by now, and which way.
func sortHint(c common.SortColumn) string {
	if !c.Current {
		return ""
	}
	return "now " + common.Arrow(c.Desc) + ", again reverses"
}

// sortItems are the palette's "sort by" commands for the page on view,
// when its table sorts.
func (m *Model) sortItems() []menuItem {
	s, ok := m.page().(common.Sorter)
	if !ok {
		return nil
	}
	key := "[" + m.c.Keys.SortBy.Help().Key + "]"
	var items []menuItem
	for _, c := range s.SortColumns() {
		hint := key
		if h := sortHint(c); h != "" {
			hint = h + "  " + key
		}
		items = append(items, menuItem{label: "sort by " + c.Title, hint: hint, run: msgCmd(common.SortMsg{Col: c.Col})})
	}
	return items
}
