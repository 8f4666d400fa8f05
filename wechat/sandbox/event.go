package sandbox

import (
	"time"

	"qunfa/wechat"
)

// eventXML builds the MASSSENDJOBFINISH plaintext of a finished job (§5.1): the account's
// gh_ id as ToUserName, the mass-send assistant as FromUserName, the copyright check passed
// (CheckState 1, nothing judged a reprint) and one permanent URL per article. Caller holds s.mu.
func (s *Server) eventXML(j *job, now time.Time) []byte {
	ev := wechat.Event{
		ToUserName:   s.pop.original,
		FromUserName: s.pop.mphelper,
		CreateTime:   now.Unix(),
		MsgType:      "event",
		Event:        "MASSSENDJOBFINISH",
		MsgID:        j.msgID,
		Status:       j.status(),
		TotalCount:   j.total,
		FilterCount:  j.filter,
		SentCount:    j.sent,
		ErrorCount:   j.errors,
	}
	ev.CopyrightCheckResult.CheckState = 1
	ev.ArticleURLResult.Count = len(j.urls)
	for i, u := range j.urls {
		ev.ArticleURLResult.ResultList = append(ev.ArticleURLResult.ResultList, wechat.ArticleURL{ArticleIdx: i + 1, ArticleURL: u})
	}
	return ev.XML()
}
