package i18n

// What a page says about itself.
func init() {
	add("zh", map[string]string{
		"html.lang": "zh-CN", // <html lang>
		// The language switch offers the other language, named in itself.
		"lang.switch_to":    "en",
		"lang.switch_label": "English",
	})
	add("en", map[string]string{
		"html.lang":         "en",
		"lang.switch_to":    "zh",
		"lang.switch_label": "中文",
	})
}
