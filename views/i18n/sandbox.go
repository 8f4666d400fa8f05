package i18n

// The embedded sandbox's own settings: its population size (Settings page, start-up checks) and
// its growth.
func init() {
	add("zh", map[string]string{
		"settings.sandbox_title":          "模拟器",
		"settings.sandbox_followers":      "模拟粉丝数",
		"settings.sandbox_followers_hint": "1 至 2,000,000。重启后生效：模拟器本次启动时有 %d 位粉丝。",
		"err.settings_sandbox_followers":  "模拟粉丝数须为 1 至 2,000,000 之间的整数。",
		"startup.sandbox_followers":       "模拟器粉丝数须在 1 至 %d 之间（当前 %d）",
		"startup.sandbox_growth":          "模拟器每分钟新增粉丝数不能为负数（当前 %d）",
		"startup.banner_sandbox_controls": "模拟器地址 %[1]s：POST %[1]s/sandbox/subscribe?n=N 新增粉丝，POST %[1]s/sandbox/unsubscribe?openid=… 取消关注。",
	})
	add("en", map[string]string{
		"settings.sandbox_title":          "Sandbox",
		"settings.sandbox_followers":      "Simulated followers",
		"settings.sandbox_followers_hint": "1 to 2,000,000. Takes effect after restart: the sandbox started this time with %d followers.",
		"err.settings_sandbox_followers":  "Simulated followers must be a whole number from 1 to 2,000,000.",
		"startup.sandbox_followers":       "the sandbox's followers must be from 1 to %d (got %d)",
		"startup.sandbox_growth":          "the sandbox's new followers a minute cannot be negative (got %d)",
		"startup.banner_sandbox_controls": "sandbox at %[1]s: POST %[1]s/sandbox/subscribe?n=N adds followers, POST %[1]s/sandbox/unsubscribe?openid=… makes them leave.",
	})
}
