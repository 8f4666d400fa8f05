package sandbox

import (
	"encoding/json"
	"strconv"
	"time"

	"qunfa/wechat"
	"qunfa/wechat/protocol"
)

// eventXML builds the MASSSENDJOBFINISH plaintext of a finished job (§5.1): the account's
// gh_ id as ToUserName, the mass-send assistant as FromUserName, the copyright check passed
// (CheckState 1, nothing judged a reprint) and one permanent URL per article. Caller holds s.mu.
func (s *Server) eventXML(j *job, now time.Time) []byte {
	ev := s.event(j, now)
	if s.cfg.PushJSON {
		return eventJSON(ev)
	}
	return ev.XML()
}

func (s *Server) event(j *job, now time.Time) wechat.Event {
	ev := wechat.Event{
		ToUserName:   s.pop.original,
		FromUserName: s.pop.mphelper,
		CreateTime:   now.Unix(),
		MsgType:      "event",
		Event:        protocol.EventMassSendJobFinish,
		MsgID:        j.msgID,
		Status:       j.status(),
		TotalCount:   j.total,
		FilterCount:  j.filter,
		SentCount:    j.sent,
		ErrorCount:   j.errors,
	}
	ev.CopyrightCheckResult.CheckState = 1
	if j.review >= 30001 && j.review <= 30003 {
		ev.CopyrightCheckResult.CheckState = 3 // judged a reprint, cannot send
	}
	ev.ArticleURLResult.Count = len(j.urls)
	for i, u := range j.urls {
		ev.ArticleURLResult.ResultList = append(ev.ArticleURLResult.ResultList, wechat.ArticleURL{ArticleIdx: i + 1, ArticleURL: u})
	}
	return ev
}

// eventJSON renders the event as WeChat's JSON data format does (§5.1, observed 2024): every
// number as a string, and an empty ResultList as null.
func eventJSON(ev wechat.Event) []byte {
	str := func(n int64) string { return strconv.FormatInt(n, 10) }
	type item = map[string]string
	copyright := map[string]any{"Count": str(int64(ev.CopyrightCheckResult.Count)), "ResultList": nil,
		"CheckState": str(int64(ev.CopyrightCheckResult.CheckState))}
	var urls []item
	for _, u := range ev.ArticleURLResult.ResultList {
		urls = append(urls, item{"ArticleIdx": str(int64(u.ArticleIdx)), "ArticleUrl": u.ArticleURL})
	}
	articles := map[string]any{"Count": str(int64(ev.ArticleURLResult.Count)), "ResultList": nil}
	if len(urls) > 0 {
		articles["ResultList"] = urls
	}
	b, _ := json.Marshal(struct {
		ToUserName           string         `json:"ToUserName"`
		FromUserName         string         `json:"FromUserName"`
		CreateTime           string         `json:"CreateTime"`
		MsgType              string         `json:"MsgType"`
		Event                string         `json:"Event"`
		MsgID                string         `json:"MsgID"`
		Status               string         `json:"Status"`
		TotalCount           string         `json:"TotalCount"`
		FilterCount          string         `json:"FilterCount"`
		SentCount            string         `json:"SentCount"`
		ErrorCount           string         `json:"ErrorCount"`
		CopyrightCheckResult map[string]any `json:"CopyrightCheckResult"`
		ArticleURLResult     map[string]any `json:"ArticleUrlResult"`
	}{ev.ToUserName, ev.FromUserName, str(ev.CreateTime), ev.MsgType, ev.Event, str(ev.MsgID), ev.Status,
		str(int64(ev.TotalCount)), str(int64(ev.FilterCount)), str(int64(ev.SentCount)), str(int64(ev.ErrorCount)),
		copyright, articles})
	return b
}
