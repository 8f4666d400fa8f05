package i18n

// Covers as permanent materials (today's draft path): draft/add takes no other cover, and the
// upload is not a mass-send call, so it does not use the daily quota.
func init() {
	add("zh", map[string]string{
		"confirm.not_counted":      "不计入每日次数",
		"confirm.not_counted_hint": "封面作为永久素材上传，只需上传一次，以后一直可用；这不是群发接口调用，不占用每日高级接口次数。",
	})
	add("en", map[string]string{
		"confirm.not_counted":      "not counted",
		"confirm.not_counted_hint": "The cover goes up once as a permanent material and stays usable; this is not a mass-send call and does not use the daily advanced API quota.",
	})
}
