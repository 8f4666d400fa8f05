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

// The send form's OpenID list: too long, not text, expired, and the group choice.
func init() {
	add("zh", map[string]string{
		"err.list_too_large_title":     "OpenID 列表过长",
		"err.list_too_large":           "OpenID 列表过长（最多 %d 行）。请分成几次发送。",
		"err.list_too_large_back":      "返回发送页面",
		"err.openids_binary":           "粘贴的内容含有非文本字符（可能是二进制文件），已清空。请粘贴纯文本的 OpenID 列表。",
		"err.list_expired":             "确认页保存的 OpenID 列表已过期（24 小时），请重新粘贴。",
		"err.group_invalid":            "请选择一个分组或标签。",
		"confirm.openid_problems_more": "另有 %d 行有问题，未在此列出。",
	})
	add("en", map[string]string{
		"err.list_too_large_title":     "OpenID list too long",
		"err.list_too_large":           "The OpenID list is too long (at most %d lines). Send it in several parts.",
		"err.list_too_large_back":      "Back to the send page",
		"err.openids_binary":           "The pasted text contained characters that are not text (a binary file?) and was cleared. Paste a plain-text list of OpenIDs.",
		"err.list_expired":             "The OpenID list kept for the confirmation has expired (after 24 hours); paste it again.",
		"err.group_invalid":            "Choose a group or tag.",
		"confirm.openid_problems_more": "%d more lines have problems and are not listed here.",
	})
}
