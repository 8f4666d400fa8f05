package i18n

// The plan before sending: the audience from the synced followers and the monthly ledger.
func init() {
	add("zh", map[string]string{
		"confirm.unknown_until_sync":    "尚未同步粉丝：人数为微信的分组计数，每位粉丝本月已收到几次、谁拒收群发，在同步粉丝之后才能知道。",
		"confirm.left_out":              "%d 人本月已收满 %d 次，已从名单中剔除（微信不会再投递给他们）。",
		"confirm.refusers":              "其中 %d 人已被拉黑，不会收到群发。",
		"confirm.leave_out_check":       "剔除本月已收满 %d 次的粉丝",
		"confirm.replan":                "重新计算",
		"err.openids_too_few_after_cap": "剔除本月已收满的粉丝后，名单不足 2 个 OpenID，微信的按 OpenID 群发至少需要 2 个。可取消勾选“剔除”，或换一份名单。",
	})
	add("en", map[string]string{
		"confirm.unknown_until_sync":    "Followers not synced yet: the count is WeChat's group count; how many mass messages each follower has had this month, and who refuses them, are known only after a follower sync.",
		"confirm.left_out":              "%d already at %d this month, left out (WeChat would not deliver to them).",
		"confirm.refusers":              "%d of them are blacklisted and will not receive it.",
		"confirm.leave_out_check":       "Leave out followers already at %d this month",
		"confirm.replan":                "Update the plan",
		"err.openids_too_few_after_cap": "Without the followers already at their monthly cap, fewer than 2 OpenIDs are left, and WeChat's send by OpenID needs at least 2. Untick “leave out”, or use another list.",
	})
}
