package i18n

// Start-up: configuration errors, the database, the banner. The process has no visitor (and so
// no language) yet, so these are printed in both languages at once (Both).
func init() {
	add("zh", map[string]string{
		"startup.not_integer":             "%s=%q 不是整数",
		"startup.not_bool":                "%s=%q 应为 true/false",
		"startup.bad_addr":                "监听地址无效 %q：%v",
		"startup.db_empty":                "数据库路径为空",
		"startup.bad_api":                 "微信接口地址无效 %q",
		"startup.daily_quota":             "每日调用次数必须 ≥ 1（当前 %d）",
		"startup.monthly_cap":             "每月群发上限必须 ≥ 1（当前 %d）",
		"startup.no_account":              "未配置公众号：请设置 QUNFA_APPID、QUNFA_APPSECRET、QUNFA_TOKEN，或使用 -sandbox",
		"startup.aeskey_length":           "EncodingAESKey（QUNFA_AESKEY）必须是 43 个字符（当前 %d）",
		"startup.admin_pair":              "QUNFA_ADMIN_USER 与 QUNFA_ADMIN_PASSWORD 需同时设置",
		"startup.admin_invalid":           "QUNFA_ADMIN_USER/QUNFA_ADMIN_PASSWORD 无效（用户名 2–32 个字符，密码至少 8 位）：%v",
		"startup.open_db":                 "打开数据库 %s 失败",
		"startup.read_settings":           "读取数据库 %s 中的设置失败",
		"startup.schema_too_new":          "数据库 %s 的结构版本为 %d，比本程序支持的版本 %d 更新：它属于更新版的 Qunfa。请使用更新版的程序，或换一个数据库文件；数据库未被改动",
		"startup.listen":                  "无法监听 %s",
		"startup.sandbox_start":           "无法启动模拟器",
		"startup.sandbox_serve":           "模拟器停止服务",
		"startup.bad_callback":            "回调地址无效 %q",
		"startup.bad_sandbox_aes":         "EncodingAESKey 无效（43 个字母或数字）：%v",
		"startup.banner_running":          "Qunfa 群发运行于 %s",
		"startup.banner_sandbox":          "模拟器已启用：演示粉丝与分组，回调推送回本服务器。",
		"startup.banner_api":              "微信接口：%s（AppID %s）。微信后台的回调地址：%s/wechat/callback",
		"startup.banner_login_as":         "以 %q 登录，密码为 QUNFA_ADMIN_PASSWORD 所设。",
		"startup.banner_first_run":        "首次使用：打开 %s/setup 创建管理员。",
		"startup.banner_login_at":         "登录：%s/login",
		"startup.sandbox_cmd_ready":       "微信模拟器运行于 %s",
		"startup.sandbox_cmd_account":     "AppID %s，AppSecret 与 Token 由 -secret/-token 指定；回调：%s，%s",
		"startup.sandbox_cmd_no_callback": "不推送",
		"startup.sandbox_cmd_plain":       "明文",
		"startup.sandbox_cmd_secure":      "安全模式（AES）",
	})
	add("en", map[string]string{
		"startup.not_integer":             "%s=%q is not an integer",
		"startup.not_bool":                "%s=%q must be true or false",
		"startup.bad_addr":                "invalid listen address %q: %v",
		"startup.db_empty":                "database path is empty",
		"startup.bad_api":                 "invalid WeChat API URL %q",
		"startup.daily_quota":             "daily quota must be at least 1 (got %d)",
		"startup.monthly_cap":             "monthly cap must be at least 1 (got %d)",
		"startup.no_account":              "no account configured: set QUNFA_APPID, QUNFA_APPSECRET and QUNFA_TOKEN, or run with -sandbox",
		"startup.aeskey_length":           "QUNFA_AESKEY (EncodingAESKey) must be 43 characters (got %d)",
		"startup.admin_pair":              "set both QUNFA_ADMIN_USER and QUNFA_ADMIN_PASSWORD",
		"startup.admin_invalid":           "invalid first admin in QUNFA_ADMIN_USER/QUNFA_ADMIN_PASSWORD (username 2–32 characters, password at least 8): %v",
		"startup.open_db":                 "open database %s",
		"startup.read_settings":           "read the settings in database %s",
		"startup.schema_too_new":          "database %s has schema version %d, newer than the %d this program knows: it belongs to a newer Qunfa. Run the newer program or use another database file; the database was not changed",
		"startup.listen":                  "cannot listen on %s",
		"startup.sandbox_start":           "cannot start the sandbox",
		"startup.sandbox_serve":           "the sandbox stopped serving",
		"startup.bad_callback":            "invalid -callback URL %q",
		"startup.bad_sandbox_aes":         "invalid -aeskey (43 letters or digits): %v",
		"startup.banner_running":          "Qunfa is running at %s",
		"startup.banner_sandbox":          "embedded WeChat sandbox: demo followers and groups, callbacks pushed back to this server.",
		"startup.banner_api":              "WeChat API: %s (AppID %s). Callback URL for the WeChat backend: %s/wechat/callback",
		"startup.banner_login_as":         "log in as %q with the password from QUNFA_ADMIN_PASSWORD.",
		"startup.banner_first_run":        "first run: open %s/setup to create the admin account.",
		"startup.banner_login_at":         "log in at %s/login",
		"startup.sandbox_cmd_ready":       "WeChat sandbox at %s",
		"startup.sandbox_cmd_account":     "AppID %s, AppSecret and Token as given by -secret/-token; callbacks: %s, %s",
		"startup.sandbox_cmd_no_callback": "none",
		"startup.sandbox_cmd_plain":       "plaintext",
		"startup.sandbox_cmd_secure":      "secure mode (AES)",
	})
}

// Both renders key in Chinese and English, "中文 / English", for what the process says before
// any visitor has chosen a language (start-up errors, the banner).
func Both(key string, args ...any) string {
	return T("zh", key, args...) + " / " + T("en", key, args...)
}
