package i18n

// An operator whose password an admin set (added, or reset) chooses their own at the next login.
func init() {
	add("zh", map[string]string{
		"account.must_change":          "您的密码是管理员设置的。请先设置一个只有您知道的新密码，然后才能继续使用。",
		"err.password_change_required": "请先在“修改密码”页面设置您自己的密码，然后再进行此操作。",
		"err.password_unchanged":       "新密码不能与当前密码相同。",
	})
	add("en", map[string]string{
		"account.must_change":          "Your password was set by an admin. Choose a new one that only you know before you go on.",
		"err.password_change_required": "Set your own password on the Change password page first, then try again.",
		"err.password_unchanged":       "The new password must differ from the current one.",
	})
}
