package themes

// roleList pairs each theme key with its field; the one table both the
// parser and Roles read, so a new role is added in one place.
func roleList(p *Palette) []struct {
	key   string
	field *Color
} {
	return []struct {
		key   string
		field *Color
	}{
		{"text", &p.Text}, {"muted", &p.Muted}, {"accent", &p.Accent}, {"border", &p.Border}, {"title", &p.Title},
		{"selected-fg", &p.SelectedFg}, {"selected-bg", &p.SelectedBg}, {"marked", &p.Marked},
		{"running", &p.Running}, {"paused", &p.Paused}, {"stopped", &p.Stopped}, {"unknown", &p.Unknown}, {"created", &p.Created},
		{"ok", &p.OK}, {"warning", &p.Warning}, {"error", &p.Error},
		{"cpu", &p.CPU}, {"memory", &p.Memory}, {"pids", &p.Pids}, {"io", &p.IO}, {"net", &p.Net},
	}
}

func roleFields(p *Palette) map[string]*Color {
	m := map[string]*Color{}
	for _, r := range roleList(p) {
		m[r.key] = r.field
	}
	return m
}

func roleOrder(p *Palette) []string {
	var keys []string
	for _, r := range roleList(p) {
		keys = append(keys, r.key)
	}
	return keys
}
