package i18n

// The page frame: the navigation's menu button on a phone and the names
// screen readers give to landmarks and scrolling tables.
func init() {
	add("zh", map[string]string{
		"nav.menu":      "菜单",
		"nav.label":     "主导航",
		"table.actions": "操作",
	})
	add("en", map[string]string{
		"nav.menu":      "Menu",
		"nav.label":     "Main",
		"table.actions": "Actions",
	})
}
