package i18n

// Logging in, hardened (issue 8 §2): throttling, common passwords, session expiry and revoking,
// the secrets at rest and the settings that tune them.
func init() {
	add("zh", map[string]string{
		"err.login_locked":       "登录失败次数过多，该账号已暂时锁定。请在北京时间 %s 之后再试。",
		"err.login_throttled":    "来自您所在地址的登录尝试过于频繁，请 %d 秒后再试。",
		"err.password_common":    "这个密码太常见，很容易被猜到，请换一个。",
		"flash.session_idle":     "您已长时间未操作，为安全起见已退出登录，请重新登录。",
		"flash.sessions_revoked": "已结束该操作员的 %s 个登录会话。",
		"sessions.revoke":        "结束其全部登录",
		"sessions.revoke_hint":   "该操作员在所有设备上都需要重新登录。",

		"startup.trusted_proxies": "QUNFA_TRUSTED_PROXIES 中的 %q 不是 IP 地址或网段（例如 10.0.0.0/8）",
		"startup.session_idle":    "QUNFA_SESSION_IDLE=%s 须在 1 分钟到 12 小时之间",
		"startup.secret_key":      "QUNFA_SECRET_KEY 须是 32 字节密钥的 base64 编码",
		"startup.secret_key_file": "无法读取或创建密钥文件 %s",
		"startup.secrets_lost": "数据库中保存的 AppSecret、Token、EncodingAESKey 无法用当前密钥解密（密钥文件 %s 丢失或已更换？）。" +
			"这些值已无法读取：请在「设置」页重新填写。在此之前公众号视为未配置。",
		"startup.secrets_encrypt": "加密数据库中保存的密钥失败",
	})
	add("en", map[string]string{
		"err.login_locked":       "Too many failed logins: this account is locked for now. Try again after %s (Beijing time).",
		"err.login_throttled":    "Too many login attempts from your address; try again in %d seconds.",
		"err.password_common":    "This password is too common and easy to guess; please choose another.",
		"flash.session_idle":     "You were logged out after a long time without activity; please log in again.",
		"flash.sessions_revoked": "Ended %s login sessions of this operator.",
		"sessions.revoke":        "End all their sessions",
		"sessions.revoke_hint":   "The operator must log in again on every device.",

		"startup.trusted_proxies": "%q in QUNFA_TRUSTED_PROXIES is not an IP address or network (for example 10.0.0.0/8)",
		"startup.session_idle":    "QUNFA_SESSION_IDLE=%s must be between 1 minute and 12 hours",
		"startup.secret_key":      "QUNFA_SECRET_KEY must be a 32-byte key in base64",
		"startup.secret_key_file": "cannot read or create the key file %s",
		"startup.secrets_lost": "The AppSecret, Token and EncodingAESKey stored in the database cannot be decrypted with the current key (key file %s lost or replaced?). " +
			"They cannot be read any more: enter them again on the Settings page. Until then the account counts as not configured.",
		"startup.secrets_encrypt": "encrypting the secrets stored in the database failed",
	})
}
