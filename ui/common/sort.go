package common

// SortColumn is a column a page's table sorts by, as the sort menu and
// the palette offer it.
type SortColumn struct {
	// Col is the column's index, as SortMsg names it.
	Col   int
	Title string
	// Current marks the column the table sorts by now, and Desc its
	// direction.
	Current, Desc bool
}

// Sorter is a page whose table sorts by a column the operator picks by
// name (htop's SortBy menu, the palette), not only by cycling.
type Sorter interface {
	SortColumns() []SortColumn
}

// SortMsg asks the page on view to sort by column Col: in the column's
// natural direction (the figures largest first), or the other way when
// the table already sorts by it.
type SortMsg struct{ Col int }

// Arrow is the mark of a sort direction, as column headers show it.
func Arrow(desc bool) string {
	if desc {
		return "▼"
	}
	return "▲"
}
