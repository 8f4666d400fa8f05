package i18n

// Error pages the one error mapping (handlers/errors.go) answers with, besides err.not_found,
// err.internal and err.bad_request.
func init() {
	add("zh", map[string]string{
		"err.invalid": "提交的内容有误：",
		"err.wechat_unreachable": "无法连接微信服务器（网络不通、超时或域名解析失败）。" +
			"请检查本服务器的网络、代理和防火墙能否访问微信接口（使用沙箱时确认沙箱正在运行），稍后再试。",
	})
	add("en", map[string]string{
		"err.invalid": "Some of what was submitted is not valid:",
		"err.wechat_unreachable": "WeChat could not be reached (no network, a timeout or a DNS failure). " +
			"Check that this server's network, proxy and firewall let it reach WeChat's API (with the sandbox: that it is running), then try again.",
	})
}
