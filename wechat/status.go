package wechat

import (
	"fmt"
	"strconv"
	"strings"
)

type reason struct{ zh, en string }

// auditReasons are the err(N) Status values of MASSSENDJOBFINISH (protocol §5.3).
var auditReasons = map[int]reason{
	10001: {"审核未通过：涉嫌广告", "rejected by review: suspected advertising"},
	20001: {"审核未通过：涉嫌政治", "rejected by review: suspected political content"},
	20002: {"审核未通过：涉嫌色情", "rejected by review: suspected pornography"},
	20004: {"审核未通过：涉嫌社会", "rejected by review: suspected social issues"},
	20006: {"审核未通过：涉嫌违法犯罪", "rejected by review: suspected crime"},
	20008: {"审核未通过：涉嫌欺诈", "rejected by review: suspected fraud"},
	20013: {"审核未通过：涉嫌版权", "rejected by review: suspected copyright infringement"},
	21000: {"审核未通过：涉嫌其他", "rejected by review: other reasons"},
	22000: {"审核未通过：涉嫌互推（互相宣传）", "rejected by review: suspected mutual promotion"},
	30001: {"原创校验出现系统错误，且群发时选择了“被判为转载就停止群发”", "the originality check hit a system error and the send was set to stop if judged a reprint"},
	30002: {"原创校验：不允许群发", "originality check: sending not allowed"},
	30003: {"原创校验：被判为转载，且群发时选择了“被判为转载就停止群发”", "judged a reprint, and the send was set to stop in that case (send_ignore_reprint = 0)"},
	40001: {"管理员拒绝了本次群发（API 群发保护）", "the administrator rejected this send (API mass-send protection)"},
	40002: {"管理员 30 分钟内未确认，群发已取消（API 群发保护）", "the administrator did not confirm within 30 minutes (API mass-send protection)"},
	20431: {"群发失败：微信未公开说明的原因代码 20431（社区中多见于审核未通过）", "the send failed with undocumented reason 20431 (reported by developers after a failed review)"},
}

// StatusReason puts a MASSSENDJOBFINISH Status (or a mass/get msg_status) into words, Chinese and English.
func StatusReason(status string) (zh, en string) {
	s := strings.ToLower(strings.TrimSpace(status))
	switch strings.ReplaceAll(strings.ReplaceAll(s, "_", ""), " ", "") {
	case "sendsuccess":
		return "发送成功（个别用户可能因拒收或系统原因未收到）", "sent (a few users may still not receive it: they refuse the account's messages, or a system error)"
	case "sendfail":
		return "发送失败", "send failed"
	case "sending":
		return "发送中", "sending"
	case "delete", "deleted":
		return "已删除", "deleted"
	case "":
		return "尚无结果", "no result yet"
	}
	if strings.HasPrefix(s, "err(") && strings.HasSuffix(s, ")") {
		num := strings.TrimSpace(s[4 : len(s)-1])
		n, err := strconv.Atoi(num)
		if err == nil {
			if r, ok := auditReasons[n]; ok {
				return r.zh, r.en
			}
			return fmt.Sprintf("群发失败，微信返回未收录的原因代码 %d", n), fmt.Sprintf("the send failed with a reason code WeChat does not document (%d)", n)
		}
	}
	return fmt.Sprintf("未知状态：%s", strings.TrimSpace(status)), fmt.Sprintf("unknown status: %s", strings.TrimSpace(status))
}
