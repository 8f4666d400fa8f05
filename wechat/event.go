package wechat

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"qunfa/wechat/protocol"
	"strconv"
	"strings"
)

// EventMassSendJobFinish is the Event value of the mass-send result push.
const EventMassSendJobFinish = protocol.EventMassSendJobFinish

// Event is a pushed event (MASSSENDJOBFINISH or any other); unknown fields are ignored.
type Event struct {
	ToUserName   string `xml:"ToUserName"`
	FromUserName string `xml:"FromUserName"`
	CreateTime   int64  `xml:"CreateTime"`
	MsgType      string `xml:"MsgType"`
	Event        string `xml:"Event"`
	MsgID        int64  `xml:"MsgID"` // capital D: the mass job id, unlike ordinary messages' MsgId
	Status       string `xml:"Status"`
	TotalCount   int    `xml:"TotalCount"`
	FilterCount  int    `xml:"FilterCount"`
	SentCount    int    `xml:"SentCount"`
	ErrorCount   int    `xml:"ErrorCount"`

	CopyrightCheckResult CopyrightCheckResult `xml:"CopyrightCheckResult"`
	ArticleURLResult     ArticleURLResult     `xml:"ArticleUrlResult"`
}

// CopyrightCheckResult is the originality check. CheckState: 1 not a reprint; 2 reprint, may send;
// 3 reprint, may not send; 0 nothing checked.
type CopyrightCheckResult struct {
	Count      int             `xml:"Count"`
	ResultList []CopyrightItem `xml:"ResultList>item"`
	CheckState int             `xml:"CheckState"`
}

// CopyrightItem is the originality check of one article.
type CopyrightItem struct {
	ArticleIdx            int    `xml:"ArticleIdx"`
	UserDeclareState      int    `xml:"UserDeclareState"`
	AuditState            int    `xml:"AuditState"`
	OriginalArticleURL    string `xml:"OriginalArticleUrl"`
	OriginalArticleType   int    `xml:"OriginalArticleType"`
	CanReprint            int    `xml:"CanReprint"`
	NeedReplaceContent    int    `xml:"NeedReplaceContent"`
	NeedShowReprintSource int    `xml:"NeedShowReprintSource"`
}

// ArticleURLResult lists the permanent URLs of the sent articles.
type ArticleURLResult struct {
	Count      int          `xml:"Count"`
	ResultList []ArticleURL `xml:"ResultList>item"`
}

// ArticleURL is the URL of one sent article (ArticleIdx is 1-based).
type ArticleURL struct {
	ArticleIdx int    `xml:"ArticleIdx"`
	ArticleURL string `xml:"ArticleUrl"`
}

// ParseEvent decodes a plaintext push: XML, or JSON (numbers as strings and containers that are
// strings or null are tolerated). Errors wrap ErrMalformed.
func ParseEvent(plaintext []byte) (Event, error) {
	t := bytes.TrimSpace(plaintext)
	if len(t) == 0 {
		return Event{}, fmt.Errorf("%w: empty event", ErrMalformed)
	}
	if t[0] == '{' {
		return parseEventJSON(t)
	}
	var ev Event
	if err := xml.Unmarshal(t, &ev); err != nil {
		return Event{}, fmt.Errorf("%w: event XML: %v", ErrMalformed, err)
	}
	return ev, nil
}

// jsonObject is a JSON object decoded leniently, field by field.
type jsonObject map[string]json.RawMessage

// asObject returns the object in raw, or nil when raw is a string, null, a number, etc.
func asObject(raw json.RawMessage) jsonObject {
	if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '{' {
		return nil
	}
	var o jsonObject
	if json.Unmarshal(raw, &o) != nil {
		return nil
	}
	return o
}

func (o jsonObject) str(k string) string {
	raw, ok := o[k]
	if !ok {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	t := strings.TrimSpace(string(raw))
	if t == "null" {
		return ""
	}
	return t // a number where a string was expected
}

func (o jsonObject) int64(k string) (int64, error) {
	s := strings.TrimSpace(o.str(k))
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %s %q is not an integer", ErrMalformed, k, s)
	}
	return n, nil
}

// int reads a count; nonsense (or a value beyond int32) is an error.
func (o jsonObject) int(k string) (int, error) {
	n, err := o.int64(k)
	if err != nil {
		return 0, err
	}
	if n > 1<<31-1 || n < -(1<<31) {
		return 0, fmt.Errorf("%w: %s out of range", ErrMalformed, k)
	}
	return int(n), nil
}

// items returns ResultList entries: an array, {"item": [...]} or {"item": {...}}; anything else is empty.
func items(raw json.RawMessage) []jsonObject {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 {
		return nil
	}
	if t[0] == '{' {
		o := asObject(t)
		if o == nil {
			return nil
		}
		if inner, ok := o["item"]; ok {
			return items(inner)
		}
		return []jsonObject{o}
	}
	if t[0] != '[' {
		return nil
	}
	var arr []json.RawMessage
	if json.Unmarshal(t, &arr) != nil {
		return nil
	}
	var out []jsonObject
	for _, a := range arr {
		if o := asObject(a); o != nil {
			out = append(out, o)
		}
	}
	return out
}

func parseEventJSON(t []byte) (Event, error) {
	o := asObject(t)
	if o == nil {
		return Event{}, fmt.Errorf("%w: event JSON is not an object", ErrMalformed)
	}
	var ev Event
	var errs []error
	geti := func(o jsonObject, k string) int {
		n, err := o.int(k)
		if err != nil {
			errs = append(errs, err)
		}
		return n
	}
	ev.ToUserName = o.str("ToUserName")
	ev.FromUserName = o.str("FromUserName")
	ev.MsgType = o.str("MsgType")
	ev.Event = o.str("Event")
	ev.Status = o.str("Status")
	var err error
	if ev.CreateTime, err = o.int64("CreateTime"); err != nil {
		errs = append(errs, err)
	}
	if ev.MsgID, err = o.int64("MsgID"); err != nil {
		errs = append(errs, err)
	}
	ev.TotalCount = geti(o, "TotalCount")
	ev.FilterCount = geti(o, "FilterCount")
	ev.SentCount = geti(o, "SentCount")
	ev.ErrorCount = geti(o, "ErrorCount")
	if c := asObject(o["CopyrightCheckResult"]); c != nil {
		ev.CopyrightCheckResult.Count = geti(c, "Count")
		ev.CopyrightCheckResult.CheckState = geti(c, "CheckState")
		for _, it := range items(c["ResultList"]) {
			ev.CopyrightCheckResult.ResultList = append(ev.CopyrightCheckResult.ResultList, CopyrightItem{
				ArticleIdx:            geti(it, "ArticleIdx"),
				UserDeclareState:      geti(it, "UserDeclareState"),
				AuditState:            geti(it, "AuditState"),
				OriginalArticleURL:    it.str("OriginalArticleUrl"),
				OriginalArticleType:   geti(it, "OriginalArticleType"),
				CanReprint:            geti(it, "CanReprint"),
				NeedReplaceContent:    geti(it, "NeedReplaceContent"),
				NeedShowReprintSource: geti(it, "NeedShowReprintSource"),
			})
		}
	}
	if a := asObject(o["ArticleUrlResult"]); a != nil {
		ev.ArticleURLResult.Count = geti(a, "Count")
		for _, it := range items(a["ResultList"]) {
			ev.ArticleURLResult.ResultList = append(ev.ArticleURLResult.ResultList, ArticleURL{
				ArticleIdx: geti(it, "ArticleIdx"),
				ArticleURL: it.str("ArticleUrl"),
			})
		}
	}
	if len(errs) > 0 {
		return Event{}, errs[0]
	}
	// What XML cannot carry (a NUL in the event's name…) never comes in an XML push: refused
	// here too, so both forms read alike and XML() writes back what was read.
	texts := []string{ev.ToUserName, ev.FromUserName, ev.MsgType, ev.Event, ev.Status}
	for _, it := range ev.CopyrightCheckResult.ResultList {
		texts = append(texts, it.OriginalArticleURL)
	}
	for _, it := range ev.ArticleURLResult.ResultList {
		texts = append(texts, it.ArticleURL)
	}
	for _, v := range texts {
		if strings.IndexFunc(v, func(r rune) bool { return !xmlChar(r) }) >= 0 {
			return Event{}, fmt.Errorf("%w: a character XML cannot carry", ErrMalformed)
		}
	}
	return ev, nil
}

// XML marshals the event as WeChat pushes it: one line, strings in CDATA, numbers bare. A
// MASSSENDJOBFINISH event carries the counts and both result containers.
func (e Event) XML() []byte {
	var b bytes.Buffer
	b.WriteString("<xml>")
	str := func(tag, v string) {
		b.WriteString("<" + tag + ">")
		writeCDATA(&b, v)
		b.WriteString("</" + tag + ">")
	}
	num := func(tag string, v int64) {
		b.WriteString("<" + tag + ">" + strconv.FormatInt(v, 10) + "</" + tag + ">")
	}
	str("ToUserName", e.ToUserName)
	str("FromUserName", e.FromUserName)
	num("CreateTime", e.CreateTime)
	str("MsgType", e.MsgType)
	str("Event", e.Event)
	if e.Event == EventMassSendJobFinish || e.MsgID != 0 {
		num("MsgID", e.MsgID)
	}
	if e.Event == EventMassSendJobFinish {
		str("Status", e.Status)
		num("TotalCount", int64(e.TotalCount))
		num("FilterCount", int64(e.FilterCount))
		num("SentCount", int64(e.SentCount))
		num("ErrorCount", int64(e.ErrorCount))
		c := e.CopyrightCheckResult
		b.WriteString("<CopyrightCheckResult>")
		num("Count", int64(c.Count))
		b.WriteString("<ResultList>")
		for _, it := range c.ResultList {
			b.WriteString("<item>")
			num("ArticleIdx", int64(it.ArticleIdx))
			num("UserDeclareState", int64(it.UserDeclareState))
			num("AuditState", int64(it.AuditState))
			str("OriginalArticleUrl", it.OriginalArticleURL)
			num("OriginalArticleType", int64(it.OriginalArticleType))
			num("CanReprint", int64(it.CanReprint))
			num("NeedReplaceContent", int64(it.NeedReplaceContent))
			num("NeedShowReprintSource", int64(it.NeedShowReprintSource))
			b.WriteString("</item>")
		}
		b.WriteString("</ResultList>")
		num("CheckState", int64(c.CheckState))
		b.WriteString("</CopyrightCheckResult>")
		a := e.ArticleURLResult
		b.WriteString("<ArticleUrlResult>")
		num("Count", int64(a.Count))
		b.WriteString("<ResultList>")
		for _, it := range a.ResultList {
			b.WriteString("<item>")
			num("ArticleIdx", int64(it.ArticleIdx))
			str("ArticleUrl", it.ArticleURL)
			b.WriteString("</item>")
		}
		b.WriteString("</ResultList></ArticleUrlResult>")
	} else if e.Status != "" {
		str("Status", e.Status)
	}
	b.WriteString("</xml>")
	return b.Bytes()
}

// writeCDATA writes v as CDATA; "]]>" inside v is split across two sections. Characters XML
// cannot carry at all are dropped.
func writeCDATA(b *bytes.Buffer, v string) {
	v = strings.Map(func(r rune) rune {
		if xmlChar(r) {
			return r
		}
		return -1
	}, strings.ToValidUTF8(v, ""))
	b.WriteString("<![CDATA[")
	b.WriteString(strings.ReplaceAll(v, "]]>", "]]]]><![CDATA[>"))
	b.WriteString("]]>")
}

// xmlChar reports whether XML 1.0 can carry r.
func xmlChar(r rune) bool {
	return r == '\t' || r == '\n' || r == '\r' || r >= 0x20 && r != 0xFFFE && r != 0xFFFF && !(r >= 0xD800 && r <= 0xDFFF)
}
