package wechat

import (
	"errors"
	"fmt"
)

// Error is a non-zero errcode answered by the WeChat API.
type Error struct {
	Code  int    // errcode
	Msg   string // errmsg exactly as returned, including any " rid: ..." / " hint: [...]" suffix
	MsgID int64  // only for 45065 (clientmsgid exist): msg_id of the job that already exists
}

func (e *Error) Error() string { return fmt.Sprintf("wechat: errcode %d: %s", e.Code, e.Msg) }

// Errcode returns the WeChat errcode.
func (e *Error) Errcode() int { return e.Code }

// ExistingMsgID returns the msg_id WeChat reported with a 45065 (clientmsgid exist) answer, else 0.
func (e *Error) ExistingMsgID() int64 { return e.MsgID }

// Sentinel errors of the callback codec. Returned errors wrap one of them (use errors.Is).
var (
	ErrSignature = errors.New("wechat: callback signature mismatch")
	ErrDecrypt   = errors.New("wechat: callback decryption failed")
	ErrAppID     = errors.New("wechat: callback appid mismatch")
	ErrMalformed = errors.New("wechat: malformed callback")
	ErrStale     = errors.New("wechat: callback timestamp outside the allowed window")
)

// AsError reports whether err is (or wraps) a WeChat *Error and returns it.
func AsError(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}
