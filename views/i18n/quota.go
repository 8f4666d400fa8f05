package i18n

// The per-interface quota meter: WeChat's own count (openapi/quota/get) beside Qunfa's.
func init() {
	add("zh", map[string]string{
		"quota.by_interface":  "各接口今日调用额度",
		"quota.interface":     "接口",
		"quota.limit":         "每日上限",
		"quota.used":          "已用",
		"quota.remain":        "剩余",
		"quota.limit_unknown": "未知",
		"quota.spent":         "已用完",
		"quota.spent_hint":    "微信已返回 45009（今日调用次数已达上限），北京时间零点后恢复。",
		"quota.note":          "数字来自微信（openapi/quota/get，%s 查询）并与本系统的记录核对：已用取两者中较大者，剩余取较小者。",
	})
	add("en", map[string]string{
		"quota.by_interface":  "Today's quota per interface",
		"quota.interface":     "Interface",
		"quota.limit":         "Daily limit",
		"quota.used":          "Used",
		"quota.remain":        "Left",
		"quota.limit_unknown": "unknown",
		"quota.spent":         "spent",
		"quota.spent_hint":    "WeChat answered 45009 (daily limit reached); it resets at midnight Beijing time.",
		"quota.note":          "Figures from WeChat (openapi/quota/get, checked %s) reconciled with Qunfa's own count: the larger count used, the smaller remainder left.",
	})
}
