package wechat

import (
	"fmt"
	"qunfa/wechat/protocol"
)

// Explanation says what an errcode means and what the operator should do, Chinese first.
type Explanation struct{ ZH, EN, ActionZH, ActionEN string }

// IsTokenError reports whether code means the access_token must be refetched
// (40001, 40014, 42001). 48001 is deliberately not one of them.
func IsTokenError(code int) bool {
	return code == protocol.CodeInvalidCredential || code == protocol.CodeInvalidToken || code == protocol.CodeTokenExpired
}

// Explain returns the explanation of a WeChat errcode; unknown codes get a generic text with the number.
func Explain(code int) Explanation {
	if e, ok := errcodeTable[code]; ok {
		return e
	}
	return Explanation{
		ZH:       fmt.Sprintf("微信返回了未收录的错误码 %d", code),
		EN:       fmt.Sprintf("WeChat returned errcode %d, which Qunfa does not know", code),
		ActionZH: fmt.Sprintf("请查阅微信公众平台“全局返回码说明”中的 %d，或带上 rid 联系微信支持。", code),
		ActionEN: fmt.Sprintf("Look up %d in WeChat's global return-code table, or contact WeChat support quoting the rid.", code),
	}
}

// errcodeTable covers protocol §1.1 and §9. One table: the UI shows these strings.
var errcodeTable = map[int]Explanation{
	-1: {"微信系统繁忙", "WeChat system busy",
		"稍后重试；群发请求带有 clientmsgid 时重试不会重复发送。若对标签群发持续出现，请检查分组/标签是否存在。", "Retry later; a send retried with the same clientmsgid cannot go out twice. If it persists on a tag/group send, check that the group/tag exists."},
	0: {"成功", "Success", "无需处理。", "Nothing to do."},
	40001: {"AppSecret 错误，或 access_token 无效/不是最新", "Wrong AppSecret, or the access_token is invalid or superseded",
		"Qunfa 会自动刷新一次令牌；仍失败时请核对 AppSecret，并确认没有其他服务器在用同一 AppID 获取令牌。", "Qunfa refreshes the token once automatically; if it still fails, check the AppSecret and make sure no other server fetches tokens for this AppID."},
	40002: {"grant_type 不合法", "Invalid grant_type", "这是程序错误，请报告给开发者。", "This is a program bug; please report it."},
	40003: {"OpenID 不合法：不是本公众号的粉丝，或来自其他公众号", "Invalid OpenID: not a follower of this account, or from another account",
		"检查 OpenID 列表，删去无效或其他公众号的 OpenID。", "Check the OpenID list and remove invalid ones or ones from another account."},
	40004: {"媒体文件类型不合法", "Invalid media type", "上传时 type 参数错误，请报告给开发者。", "The upload's type parameter is wrong; please report it."},
	40005: {"文件格式不被允许", "File format not allowed", "封面请使用 JPG 图片。", "Use a JPG image for the cover."},
	40006: {"文件太大", "File too large", "缩略图须小于 64 KB，图片须小于 2 MB；请压缩后重试。", "Thumbnails must be under 64 KB and images under 2 MB; compress and retry."},
	40007: {"media_id 无效：错误、已过期（临时素材 3 天）或与消息类型不符", "Invalid media_id: wrong, expired (temporary media last 3 days) or not matching the message type",
		"重新上传封面/图文后再发送。", "Upload the cover/news again, then send."},
	40008: {"消息类型不合法", "Invalid message type", "这是程序错误（msgtype 或请求体不是 JSON），请报告给开发者。", "A program bug (msgtype, or the body is not JSON); please report it."},
	40009: {"图片大小不合法（正文图片须小于 1 MB）", "Invalid image size (article images must be under 1 MB)", "压缩图片后重试。", "Compress the image and retry."},
	40013: {"AppID 不合法", "Invalid AppID", "在设置中核对 AppID（开发 → 基本配置）。", "Check the AppID in the settings (Development → Basic configuration)."},
	40014: {"access_token 不合法", "Invalid access_token", "Qunfa 会自动刷新一次令牌；仍失败请检查配置。", "Qunfa refreshes the token once automatically; if it still fails, check the configuration."},
	40031: {"OpenID 列表不合法", "Invalid OpenID list", "检查 OpenID 列表的格式与数量。", "Check the OpenID list's format and size."},
	40032: {"OpenID 列表长度不合法", "Invalid OpenID list size", "每次最多 100 个（批量获取）或 50 个（批量打标签），且不能为空；注意去掉行首行尾的空白字符。", "At most 100 (batch get) or 50 (batch tagging) and not empty; strip stray whitespace."},
	40050: {"分组 ID 不合法", "Invalid group id", "刷新分组列表后重新选择分组。", "Reload the group list and choose the group again."},
	40059: {"msg_id 不合法：不存在、属于其他公众号或缺失", "Invalid msg_id: unknown, from another account, or missing",
		"确认该群发确实已提交成功；刚提交的任务可稍后再查询。", "Make sure the send was really submitted; a job just submitted can be queried again a little later."},
	40060: {"article_idx 不合法", "Invalid article_idx", "删除时文章序号错误；有时删除其实已生效，请在公众平台核实。", "Wrong article index for deletion; sometimes the deletion took effect anyway, so check in the MP console."},
	40125: {"AppSecret 不合法", "Invalid AppSecret", "在公众平台重置或核对 AppSecret 后更新设置。", "Check or reset the AppSecret in the MP console and update the settings."},
	40130: {"OpenID 列表数量不合法：至少需要两个 OpenID", "Invalid OpenID list size: at least two OpenIDs are required",
		"按 OpenID 群发时至少填写 2 个、最多 10000 个 OpenID。", "Sending by OpenID needs at least 2 and at most 10,000 OpenIDs."},
	40164: {"调用 IP 不在白名单中", "Caller IP is not in the whitelist",
		"在公众平台“开发 → 基本配置 → IP 白名单”中加入本服务器的出口 IP。", "Add this server's outgoing IP under Development → Basic configuration → IP whitelist in the MP console."},
	40243: {"AppSecret 已被冻结", "The AppSecret is frozen", "在公众平台解冻 AppSecret，约 10 分钟后生效。", "Unfreeze the AppSecret in the MP console; it takes about 10 minutes to apply."},
	41001: {"缺少 access_token", "access_token missing", "这是程序错误，请报告给开发者。", "A program bug; please report it."},
	41005: {"缺少媒体文件数据", "Media data missing", "重新选择文件上传。", "Choose the file again and upload."},
	41006: {"缺少 media_id", "media_id missing", "重新上传素材后再发送。", "Upload the media again, then send."},
	42001: {"access_token 已过期", "access_token expired", "Qunfa 会自动刷新令牌并重试一次，通常无需处理。", "Qunfa refreshes the token and retries once; usually nothing to do."},
	42010: {"群发过快，请重试", "Mass send too fast, retry", "稍等片刻再提交，分批发送时不要并发。", "Wait a moment and submit again; do not send batches concurrently."},
	43004: {"接收者未关注公众号", "Recipient does not follow the account", "从列表中去掉未关注的用户。", "Remove non-followers from the list."},
	44002: {"POST 数据为空", "Empty POST data", "这是程序错误，请报告给开发者。", "A program bug; please report it."},
	44003: {"图文消息内容为空", "Empty news data", "检查图文是否有文章且字段完整；仍出现请报告给开发者。", "Check that the news has articles with all fields; if it persists, report it."},
	45001: {"多媒体文件大小超过限制", "Media size out of limit", "压缩文件后重试。", "Compress the file and retry."},
	45002: {"消息内容超过限制", "Content size out of limit", "缩短正文（少于 2 万字且小于 1 MB）。", "Shorten the content (under 20,000 characters and 1 MB)."},
	45004: {"摘要超过限制", "Description (digest) size out of limit", "缩短摘要。", "Shorten the digest."},
	45008: {"图文数量超过限制", "Too many articles", "减少图文中的文章数量。", "Use fewer articles in the news."},
	45009: {"接口今日调用次数已达上限", "Daily API quota reached",
		"今天不能再调用该接口，请明天（北京时间零点后）再试，或在公众平台清零配额（每月 10 次）。", "No more calls today; try again after midnight Beijing time, or reset the quota in the MP console (10 times a month)."},
	45011: {"接口调用太频繁（分钟级限制）", "API minute quota reached", "一分钟后重试。", "Retry in a minute."},
	45016: {"系统分组不允许修改", "System groups cannot be modified", "选择自定义分组。", "Use a custom group."},
	45017: {"分组名称过长", "Group name too long", "缩短分组名称。", "Shorten the group name."},
	45018: {"分组数量超过上限", "Too many groups", "删除不用的分组。", "Delete unused groups."},
	45027: {"模板与行业冲突（模板消息，与群发无关）", "Template conflicts with industry (template messages, not mass send)", "与群发无关，检查调用的接口。", "Unrelated to mass send; check which API was called."},
	45028: {"没有群发配额", "No mass-send quota left",
		"订阅号每天只能群发一次，服务号每月 4 次（发给全部粉丝时）；测试号不能群发。请改天再发。", "Subscription accounts may mass-send once a day, service accounts 4 times a month to everyone; test accounts cannot. Send another day."},
	45047: {"客服消息下发条数超过限制（与群发无关）", "Out of response count limit (customer-service messages, not mass send)", "与群发无关，检查调用的接口。", "Unrelated to mass send; check which API was called."},
	45056: {"标签数量过多（最多 100 个）", "Too many tags (at most 100)", "删除不用的标签。", "Delete unused tags."},
	45057: {"该标签粉丝数超过 10 万，不能删除", "The tag has more than 100,000 followers and cannot be deleted", "先减少该标签的粉丝。", "Remove followers from the tag first."},
	45058: {"不能修改系统保留标签", "Reserved tags cannot be modified", "选择自定义标签。", "Use a custom tag."},
	45059: {"用户的标签数量过多", "The user has too many tags", "先去掉该用户的部分标签。", "Remove some of the user's tags first."},
	45065: {"clientmsgid 已存在：24 小时内已提交过相同的群发", "clientmsgid exists: the same send was submitted within 24 hours",
		"这次群发已经提交过，不会重复发送；Qunfa 会按返回的 msg_id 继续跟踪。", "This send was already submitted and will not go out twice; Qunfa follows the returned msg_id."},
	45066: {"相同 clientmsgid 重试过快", "Same clientmsgid retried too fast", "等待 1 分钟后再重试。", "Wait one minute before retrying."},
	45067: {"clientmsgid 过长（最多 64 字节）", "clientmsgid too long (at most 64 bytes)", "这是程序错误，请报告给开发者。", "A program bug; please report it."},
	45083: {"群发速度超出范围（0–4）", "Mass-send speed out of range (0–4)", "速度取 0 到 4。", "Use a speed from 0 to 4."},
	45084: {"没有设置群发速度", "No speed given", "填写群发速度。", "Give a speed."},
	45157: {"标签名不合法（可能重名）", "Invalid tag name (maybe a duplicate)", "换一个标签名。", "Use another tag name."},
	45158: {"标签名过长（最多 30 字节）", "Tag name too long (at most 30 bytes)", "缩短标签名。", "Shorten the tag name."},
	45159: {"标签 ID 不合法", "Invalid tag id", "刷新标签列表后重试。", "Reload the tags and retry."},
	46004: {"用户不存在", "User does not exist", "检查 OpenID。", "Check the OpenID."},
	47001: {"数据格式错误", "Data format error", "这是程序错误（请求体格式不对），请报告给开发者。", "A program bug (malformed body); please report it."},
	48001: {"接口未授权：公众号没有该接口权限", "API unauthorized: the account lacks this permission",
		"确认公众号是已认证的服务号并已获得群发权限（测试号不能按 OpenID 群发）；刷新令牌无济于事。", "Make sure the account is a verified service account with mass-send permission (test accounts cannot send by OpenID); refreshing the token does not help."},
	48003:   {"公众号未同意群发协议", "The account has not agreed to the mass-send agreement", "请管理员登录公众平台同意群发协议后再试。", "Have the administrator accept the mass-send agreement in the MP console, then retry."},
	48004:   {"接口因违规被封禁", "API forbidden for irregularities", "登录公众平台查看封禁原因。", "See the reason in the MP console."},
	48008:   {"没有该消息类型的发送权限", "No permission for this message type", "测试号不能群发图文；请使用已认证的正式公众号。", "Test accounts cannot mass-send news; use a verified production account."},
	50001:   {"接口未授权或用户未授权", "API or user unauthorized", "确认公众号权限。", "Check the account's permissions."},
	50002:   {"用户受限（可能被封禁）", "User limited", "去掉该用户后重试。", "Remove the user and retry."},
	61004:   {"调用方 IP 未登记（IP 白名单）", "Caller IP not registered (IP whitelist)", "在公众平台 IP 白名单中加入本服务器的出口 IP。", "Add this server's outgoing IP to the IP whitelist in the MP console."},
	76021:   {"cgi_path 不存在", "cgi_path not found", "这是程序错误，请报告给开发者。", "A program bug; please report it."},
	76022:   {"无权查询该接口配额", "No permission to query this quota", "检查令牌对应的公众号。", "Check which account the token belongs to."},
	89503:   {"此次调用需要管理员确认", "This call needs the administrator's confirmation", "请管理员在微信中确认后再试。", "Have the administrator confirm in WeChat, then retry."},
	89504:   {"正在等待管理员确认", "Waiting for the administrator's confirmation", "请等待管理员确认。", "Wait for the administrator to confirm."},
	89505:   {"正在等待管理员确认", "Waiting for the administrator's confirmation", "请等待管理员确认。", "Wait for the administrator to confirm."},
	89506:   {"管理员拒绝了该 IP 的调用", "The administrator refused calls from this IP", "24 小时后再试，或请管理员允许。", "Retry after 24 hours, or ask the administrator to allow it."},
	9500002: {"群发任务过多，系统繁忙", "Too many mass-send tasks, system busy", "稍后重试。", "Retry later."},
}
