// Package protocol holds WeChat's protocol facts that more than one layer needs: errcodes, the
// errcodes that mean "busy, nothing done, try again", event names, the Beijing clock of quotas and
// caps, the callback replay window and the default API address. Constants and pure functions only:
// the client, the sandbox, models and handlers import it, and it imports nothing of Qunfa's.
package protocol

import "time"

// Errcodes the code branches on (protocol §1.1 and §9).
const (
	CodeSystemBusy          = -1
	CodeOK                  = 0
	CodeInvalidCredential   = 40001
	CodeInvalidGrantType    = 40002
	CodeInvalidOpenID       = 40003
	CodeInvalidMediaType    = 40004
	CodeInvalidFileType     = 40005
	CodeInvalidMediaSize    = 40006
	CodeInvalidMediaID      = 40007
	CodeInvalidMessageType  = 40008
	CodeInvalidAppID        = 40013
	CodeInvalidToken        = 40014
	CodeInvalidGroupID      = 40050
	CodeInvalidMsgID        = 40059
	CodeInvalidArticleIdx   = 40060
	CodeInvalidAppSecret    = 40125
	CodeOpenIDListSize      = 40130
	CodeIPNotWhitelisted    = 40164
	CodeAppSecretFrozen     = 40243
	CodeTokenMissing        = 41001
	CodeMediaDataMissing    = 41005
	CodeMediaIDMissing      = 41006
	CodeTokenExpired        = 42001
	CodeMassSendTooFast     = 42010
	CodeRequireSubscribe    = 43004
	CodeEmptyNewsData       = 44003
	CodeArticleSize         = 45008
	CodeDailyQuota          = 45009
	CodeMinuteQuota         = 45011
	CodeNoMassQuota         = 45028
	CodeClientMsgIDExist    = 45065
	CodeClientMsgIDTooFast  = 45066
	CodeClientMsgIDTooLong  = 45067
	CodeDataFormat          = 47001
	CodeAPIUnauthorized     = 48001
	CodeMassProtocolMissing = 48003
	CodeAPIForbidden        = 48004
	CodeNoMsgTypePermission = 48008
	CodeIPNotRegistered     = 61004
	CodeMassTaskTooMuch     = 9500002
)

// Transient reports whether an errcode means "busy or too fast, nothing done, try the same call
// again later": -1, 42010, 45011, 45066 and 9500002. A mass send repeated with its clientmsgid
// cannot go out twice, so every retry of a send carries one.
func Transient(code int) bool {
	switch code {
	case CodeSystemBusy, CodeMassSendTooFast, CodeMinuteQuota, CodeClientMsgIDTooFast, CodeMassTaskTooMuch:
		return true
	}
	return false
}

// WaitMinute reports whether a transient errcode asks for a pause of about a minute (45066: the
// same clientmsgid retried too fast) — too long for a call's own quick retries, so the caller's
// later retry (the send worker's backoff) repeats it.
func WaitMinute(code int) bool { return code == CodeClientMsgIDTooFast }

// Beijing is WeChat's clock: the daily quota and the monthly cap roll over at midnight Beijing
// time (Asia/Shanghai, UTC+8 with no daylight saving), whatever the server's zone.
var Beijing = time.FixedZone("CST", 8*3600)

// BeijingDay is the WeChat quota day of t, as 2006-01-02.
func BeijingDay(t time.Time) string { return t.In(Beijing).Format("2006-01-02") }

// Event names of pushed events (protocol §5).
const (
	EventMassSendJobFinish = "MASSSENDJOBFINISH"
	EventSubscribe         = "subscribe"
	EventUnsubscribe       = "unsubscribe"
)

// CallbackMaxSkew is how far a push's timestamp may be from now before it is refused as a replay.
const CallbackMaxSkew = 5 * time.Minute

// DefaultAPIBaseURL is WeChat's API server.
const DefaultAPIBaseURL = "https://api.weixin.qq.com"
