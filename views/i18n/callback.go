package i18n

// The callback's protections as the pages show them: disagreeing reports of a job, and the
// advice to use secure (AES) mode.
func init() {
	add("zh", map[string]string{
		"dispute.title":    "微信对此群发的结果通知不一致",
		"dispute.explain":  "同一 msg_id 收到了数字不同的 MASSSENDJOBFINISH 推送。页面上的数字取自最先收到的那一份；后来的几份一并列出，可能是微信的更正，也可能是明文模式下被伪造的推送。请在公众平台核对。",
		"dispute.table":    "msg_id %d 的各份结果通知",
		"dispute.status":   "状态（Status）",
		"dispute.version":  "版本",
		"dispute.received": "收到时间（北京时间）",
		"dispute.in_force": "采用（最先收到）",
		"dispute.other":    "不一致的后续推送",
		"settings.secure_mode_advice": "建议在公众平台选择“安全模式”并填写 EncodingAESKey：明文模式下签名只覆盖 Token、时间戳和随机数，" +
			"截获的回调地址在 5 分钟内可以附带任意内容；安全模式下推送内容经过加密和签名。",
	})
	add("en", map[string]string{
		"dispute.title":    "WeChat's reports of this send disagree",
		"dispute.explain":  "A msg_id received MASSSENDJOBFINISH pushes with different figures. The page's figures come from the first one received; the later ones are listed here: a correction by WeChat, or a push forged in plaintext mode. Check on the Official Accounts Platform.",
		"dispute.table":    "Reports of msg_id %d",
		"dispute.status":   "Status",
		"dispute.version":  "Version",
		"dispute.received": "Received (Beijing time)",
		"dispute.in_force": "In force (first received)",
		"dispute.other":    "Later, disagreeing push",
		"settings.secure_mode_advice": "Choose secure mode (安全模式) on the Official Accounts Platform and enter an EncodingAESKey: in plaintext mode " +
			"the signature covers only the Token, timestamp and nonce, so a captured callback URL carries any body for 5 minutes; " +
			"in secure mode each push is encrypted and signed.",
	})
}
