package i18n

// The Status of a MASSSENDJOBFINISH push (or a mass/get msg_status) in words. package wechat
// names the status (wechat.StatusKey, wechat.StatusKeys); status.err.<N> are the review and
// originality reasons of protocol §5.3.
func init() {
	add("zh", map[string]string{
		"status.send_success": "发送成功（个别用户可能因拒收或系统原因未收到）",
		"status.send_fail":    "发送失败",
		"status.sending":      "发送中",
		"status.deleted":      "已删除",
		"status.none":         "尚无结果",
		"status.err_unknown":  "群发失败，微信返回未收录的原因代码 %d",
		"status.unknown":      "未知状态：%s",
		"status.err.10001":    "审核未通过：涉嫌广告",
		"status.err.20001":    "审核未通过：涉嫌政治",
		"status.err.20002":    "审核未通过：涉嫌色情",
		"status.err.20004":    "审核未通过：涉嫌社会",
		"status.err.20006":    "审核未通过：涉嫌违法犯罪",
		"status.err.20008":    "审核未通过：涉嫌欺诈",
		"status.err.20013":    "审核未通过：涉嫌版权",
		"status.err.20431":    "群发失败：微信未公开说明的原因代码 20431（社区中多见于审核未通过）",
		"status.err.21000":    "审核未通过：涉嫌其他",
		"status.err.22000":    "审核未通过：涉嫌互推（互相宣传）",
		"status.err.30001":    "原创校验出现系统错误，且群发时选择了“被判为转载就停止群发”",
		"status.err.30002":    "原创校验：不允许群发",
		"status.err.30003":    "原创校验：被判为转载，且群发时选择了“被判为转载就停止群发”",
		"status.err.40001":    "管理员拒绝了本次群发（API 群发保护）",
		"status.err.40002":    "管理员 30 分钟内未确认，群发已取消（API 群发保护）",
	})
	add("en", map[string]string{
		"status.send_success": "sent (a few users may still not receive it: they refuse the account's messages, or a system error)",
		"status.send_fail":    "send failed",
		"status.sending":      "sending",
		"status.deleted":      "deleted",
		"status.none":         "no result yet",
		"status.err_unknown":  "the send failed with a reason code WeChat does not document (%d)",
		"status.unknown":      "unknown status: %s",
		"status.err.10001":    "rejected by review: suspected advertising",
		"status.err.20001":    "rejected by review: suspected political content",
		"status.err.20002":    "rejected by review: suspected pornography",
		"status.err.20004":    "rejected by review: suspected social issues",
		"status.err.20006":    "rejected by review: suspected crime",
		"status.err.20008":    "rejected by review: suspected fraud",
		"status.err.20013":    "rejected by review: suspected copyright infringement",
		"status.err.20431":    "the send failed with undocumented reason 20431 (reported by developers after a failed review)",
		"status.err.21000":    "rejected by review: other reasons",
		"status.err.22000":    "rejected by review: suspected mutual promotion",
		"status.err.30001":    "the originality check hit a system error and the send was set to stop if judged a reprint",
		"status.err.30002":    "originality check: sending not allowed",
		"status.err.30003":    "judged a reprint, and the send was set to stop in that case (send_ignore_reprint = 0)",
		"status.err.40001":    "the administrator rejected this send (API mass-send protection)",
		"status.err.40002":    "the administrator did not confirm within 30 minutes (API mass-send protection)",
	})
}
