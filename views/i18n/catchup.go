package i18n

// Catch-up sends (补发): a finished send again, to the followers who subscribed after it.
func init() {
	add("zh", map[string]string{
		"catchup.too_few":           "不足 2 位可补发的粉丝（已剔除本月收满的）：微信按 OpenID 群发至少需要 2 个 OpenID。",
		"catchup.title":             "补发",
		"catchup.back":              "返回这次群发",
		"catchup.of":                "这是群发 #%d 的补发",
		"catchup.none":              "这次群发之后还没有新关注、未收到的粉丝（按已同步的粉丝）。",
		"catchup.waiting":           "这次群发之后有 %d 位新关注的粉丝尚未收到。",
		"catchup.underway":          "补发 #%d 正在进行，完成后才能再次补发。",
		"catchup.one":               "只有 1 位：微信按 OpenID 群发至少需要 2 个 OpenID，无法只发给一位粉丝。等有更多新粉丝后再补发。",
		"catchup.action":            "补发给这 %d 位粉丝",
		"catchup.sends":             "这次群发的补发：",
		"catchup.send":              "补发 #%d",
		"catchup.confirm_title":     "确认补发",
		"catchup.explain":           "把同一条消息按 OpenID 名单发给此后关注、尚未收到的粉丝；本月已收满的粉丝会被剔除。",
		"catchup.submit":            "确认补发",
		"flash.catch_up_started":    "补发已开始。",
		"err.catch_up_not_possible": "只有已完成、未删除的群发（不是补发本身）才能补发。",
		"err.catch_up_underway":     "这次群发的上一次补发还在进行，请等它完成。",
	})
	add("en", map[string]string{
		"catchup.too_few":           "Fewer than 2 followers to catch up (those at their monthly cap left out): WeChat's send by OpenID needs at least 2 OpenIDs.",
		"catchup.title":             "Catch-up",
		"catchup.back":              "Back to the send",
		"catchup.of":                "This is a catch-up of send #%d",
		"catchup.none":              "No follower has subscribed since this send went out without receiving it (by the synced followers).",
		"catchup.waiting":           "%d followers subscribed after this send went out and have not received it.",
		"catchup.underway":          "Catch-up #%d is on its way; another can be sent once it is done.",
		"catchup.one":               "Only 1: WeChat's send by OpenID needs at least 2 OpenIDs, so it cannot go to a single follower. Catch up once more followers have subscribed.",
		"catchup.action":            "Send it to these %d followers",
		"catchup.sends":             "Catch-ups of this send:",
		"catchup.send":              "Catch-up #%d",
		"catchup.confirm_title":     "Confirm the catch-up",
		"catchup.explain":           "The same message, as an OpenID list, to the followers who subscribed afterwards and have not received it; those at their monthly cap are left out.",
		"catchup.submit":            "Send the catch-up",
		"flash.catch_up_started":    "The catch-up has started.",
		"err.catch_up_not_possible": "Only a finished send that is not deleted (and not itself a catch-up) can be caught up on.",
		"err.catch_up_underway":     "The previous catch-up of this send is still on its way; please wait for it to finish.",
	})
}
