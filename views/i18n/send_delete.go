package i18n

// Deleting a send whose article other sends share (one news media id, one article page).
func init() {
	add("zh", map[string]string{
		"delete.shared":           "以下群发使用同一篇图文素材（同一个文章链接）。删除本次群发后，微信会一并删除它们的文章页面：",
		"delete.shared_send":      "群发 #%d：%s",
		"send.article_removed":    "文章已被删除：群发 #%d 删除时，微信一并删除了本次群发的文章页面（两者使用同一篇图文素材）。",
		"history.article_removed": "文章随另一次群发的删除被删除",
		"batch.not_sent":          "未发送：之前的步骤已失败",
		"stats.none":              "微信没有报告这次群发的数字（群发未被微信接受，或已不再等待结果）。",
	})
	add("en", map[string]string{
		"delete.shared": "These sends used the same news material (the same article link). " +
			"Deleting this send makes WeChat remove their article page too:",
		"delete.shared_send": "Send #%d: %s",
		"send.article_removed": "Article removed: when send #%d was deleted, WeChat removed this send's article page too " +
			"(both used the same news material).",
		"history.article_removed": "Article removed by the delete of another send",
		"batch.not_sent":          "Not sent: an earlier step failed",
		"stats.none":              "WeChat reported no figures for this send (WeChat did not take it, or Qunfa no longer waits for them).",
	})
}
