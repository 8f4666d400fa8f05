package i18n

// The history list's pages and the send form's OpenID list (issue 6, points 8 and 9).
func init() {
	add("zh", map[string]string{
		"sends.pages": "发送记录分页",
		"sends.newer": "← 较新的记录",
		"sends.older": "较早的记录 →",
	})
	add("en", map[string]string{
		"sends.pages": "History pages",
		"sends.newer": "← Newer",
		"sends.older": "Older →",
	})
}
