package sandbox

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
)

// errmsgs holds the official English errmsg of every code the sandbox answers (protocol §1.1, §9).
var errmsgs = map[int]string{
	-1:      "system error",
	40001:   "invalid credential, access_token is invalid or not latest",
	40002:   "invalid grant_type",
	40003:   "invalid openid",
	40004:   "invalid media type",
	40005:   "invalid file type",
	40006:   "invalid meida size", // sic, as WeChat spells it
	40007:   "invalid media_id",
	40008:   "invalid message type",
	40009:   "invalid image size",
	40013:   "invalid appid",
	40014:   "invalid access_token",
	40031:   "invalid openid list",
	40032:   "invalid openid list size",
	40050:   "invalid group id",
	40059:   "invalid msg id",
	40060:   "invalid article idx",
	40130:   "invalid openid list size, at least two openid",
	41001:   "access_token missing",
	41002:   "appid missing",
	41004:   "appsecret missing",
	41005:   "media data missing",
	41006:   "media_id missing",
	42001:   "access_token expired",
	42010:   "masssend fast, retry again",
	43001:   "require GET method",
	43002:   "require POST method",
	44002:   "empty post data",
	44003:   "empty news data",
	44004:   "empty content",
	45001:   "media size out of limit",
	45002:   "content size out of limit",
	45003:   "title size out of limit",
	45004:   "description size out of limit",
	45008:   "article size out of limit",
	45110:   "author size out of limit",
	45009:   "reach max api daily quota limit",
	45011:   "api minute-quota reach limit, must slower, retry next minute",
	45028:   "has no masssend quota",
	45065:   "clientmsgid exist",
	45066:   "same clientmsgid retry too fast",
	45067:   "clientmsgid size out of limit",
	45083:   "the speed out of range",
	45084:   "No speed message",
	45159:   "invalid tag id",
	48001:   "api unauthorized",
	48003:   "user not agree mass-send protocol",
	48008:   "no permission for this msgtype",
	9500002: "masssend task too much, system busy, please try later",
	47001:   "data format error",
	61500:   "date format error",
	61501:   "date range error",
	76021:   "cgi_path not found", // §16; exact text UNCONFIRMED
	76022:   "no permission",
}

// apiError is a WeChat errcode answer; handlers return it and ServeHTTP writes it.
type apiError struct {
	code  int
	msgID int64 // only for 45065: the existing job's msg_id
}

func (e *apiError) Error() string { return fmt.Sprintf("errcode %d", e.code) }

func fail(code int) *apiError { return &apiError{code: code} }

// errmsgFor returns the official text plus the diagnostic suffix real servers append (§0).
func errmsgFor(code int) string {
	text, ok := errmsgs[code]
	if !ok {
		text = "unknown error"
	}
	return fmt.Sprintf("%s rid: %08x-%08x-%08x", text, rand.Uint32(), rand.Uint32(), rand.Uint32())
}

type errorBody struct {
	Errcode int    `json:"errcode"`
	Errmsg  string `json:"errmsg"`
	MsgID   int64  `json:"msg_id,omitempty"`
}

func writeError(w http.ResponseWriter, e *apiError) {
	writeJSON(w, errorBody{Errcode: e.code, Errmsg: errmsgFor(e.code), MsgID: e.msgID})
}

// writeJSON answers 200 with WeChat's content type; WeChat errors are 200 too (§0).
// HTML escaping is off so Chinese group names and article HTML come back as WeChat sends them.
func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; encoding=utf-8")
	if b, ok := v.(encoded); ok {
		_, _ = w.Write(b)
		return
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// encoded is a body already in JSON, ending in a newline as Encoder.Encode's do: the hot
// audience endpoints build theirs by hand.
type encoded []byte
