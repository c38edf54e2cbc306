package ui

import (
	"strings"

	"berth/ui/common"

	"github.com/charmbracelet/bubbles/key"
)

// confirmKeyMap holds the confirm dialog's keys; its footer is generated
// from them.
type confirmKeyMap struct {
	Yes, No, Choose, Pick key.Binding
}

func defaultConfirmKeys() confirmKeyMap {
	return confirmKeyMap{
		Yes:    key.NewBinding(key.WithKeys("y", "Y"), key.WithHelp("y", "confirms")),
		No:     key.NewBinding(key.WithKeys("n", "N", "esc", "q"), key.WithHelp("n or esc", "cancels")),
		Choose: key.NewBinding(key.WithKeys("left", "right", "tab", "shift+tab", "h"), key.WithHelp("←/→", "choose")),
		Pick:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("", "")),
	}
}

// ShortHelp lists the keys the confirm footer names.
func (k confirmKeyMap) ShortHelp() []key.Binding { return []key.Binding{k.Yes, k.No, k.Choose} }

// menuKeyMap holds the menu's and the palette's keys.
type menuKeyMap struct {
	Run, Close key.Binding
}

func defaultMenuKeys() menuKeyMap {
	return menuKeyMap{
		Run:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "runs")),
		Close: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "closes")),
	}
}

// The modals' key maps: fixed keys, not remapped by the config.
var (
	confirmKeys = defaultConfirmKeys()
	menuKeys    = defaultMenuKeys()
)

// ShortHelp lists the keys the menu footer names.
func (k menuKeyMap) ShortHelp() []key.Binding { return []key.Binding{k.Run, k.Close} }

// helpCloseKey, helpOtherKey and helpScrollKey are help's keys: any key
// closes it, or, when it scrolls, any key but the navigation keys.
var (
	helpCloseKey  = key.NewBinding(key.WithHelp("any key", "closes help"))
	helpOtherKey  = key.NewBinding(key.WithHelp("any other key", "closes"))
	helpScrollKey = key.NewBinding(key.WithHelp("↑/↓", "scroll"))
)

// hints renders a modal's footer from its bindings: "key desc · key desc".
func hints(st *common.Styles, bs ...key.Binding) string {
	parts := make([]string, 0, len(bs))
	for _, b := range bs {
		if h := b.Help(); h.Key != "" {
			parts = append(parts, h.Key+" "+h.Desc)
		}
	}
	return st.Muted.Render(strings.Join(parts, " · "))
}
