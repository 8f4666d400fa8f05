package handlers

import (
	"strings"

	"qunfa/models"
	"qunfa/views"
	"qunfa/views/i18n"
	"qunfa/wechat"

	"github.com/gin-gonic/gin"
)

// sendView turns a models.Send into what its page shows, with the
// protocol's explanations in the page language.
func sendView(s models.Send, lang string) views.SendView {
	v := views.SendView{
		ID:          s.ID,
		DraftID:     s.DraftID,
		Title:       s.Title,
		Target:      views.Target{Kind: string(s.Target), GroupName: s.GroupName, ByTag: s.ByTag, Recipients: s.Recipients},
		State:       string(s.State),
		Errcode:     s.Errcode,
		Errmsg:      s.Errmsg,
		Status:      s.Status,
		CreatedAt:   s.CreatedAt,
		SubmittedAt: s.SubmittedAt,
		FinishedAt:  s.FinishedAt,
		DeletedAt:   s.DeletedAt,
		Stats:       views.Stats{Total: s.Total, Filter: s.Filter, Sent: s.Sent, Error: s.Error},
		HasFigures:  s.FinishedAt != nil || s.Total > 0,
		CanDelete:   s.Deletable(),
		// The last call got no answer: WeChat may have sent it.
		OutcomeUnknown: strings.HasPrefix(s.Errmsg, models.OutcomeUnknown),
		Awaiting:       s.AwaitingWeChat(),
		// Another send's delete removed the article: the page says so (send_delete.go).
		ArticleRemovedBy: s.ArticleRemovedBy,
	}
	if s.Status != "" {
		v.StatusReason = statusReason(s.Status, lang)
	}
	if s.Errcode != 0 {
		v.Explain, v.ExplainDo = errcodeText(lang, s.Errcode)
	}
	for _, b := range s.Batches {
		if b.MsgID != 0 {
			v.MsgIDs = append(v.MsgIDs, b.MsgID)
		}
		bv := views.BatchView{
			Index:       b.Index,
			ClientMsgID: b.ClientMsgID,
			OpenIDCount: b.OpenIDCount,
			State:       string(b.State),
			MsgID:       b.MsgID,
			Status:      b.Status,
			Errcode:     b.Errcode,
			Errmsg:      b.Errmsg,
			Stats:       views.Stats{Total: b.Total, Filter: b.Filter, Sent: b.Sent, Error: b.Error},
		}
		if b.Status != "" {
			bv.StatusReason = statusReason(b.Status, lang)
		}
		bv.NotSent = b.Errmsg == models.BatchNotSent
		if len(v.ArticleURLs) == 0 && len(b.ArticleURLs) > 0 {
			v.ArticleURLs = b.ArticleURLs // every batch sends the same articles
		}
		if b.CopyrightState > v.CopyrightState {
			v.CopyrightState = b.CopyrightState // the most severe verdict
		}
		v.Batches = append(v.Batches, bv)
	}
	for _, h := range s.History {
		v.History = append(v.History, views.HistoryView{At: h.At, Action: h.Action, Detail: h.Detail})
	}
	return v
}

// statusReason is a MASSSENDJOBFINISH Status in words.
func statusReason(status, lang string) string {
	key, args := wechat.StatusKey(status)
	return i18n.T(lang, key, args...)
}

// errcodeText is what a WeChat errcode means and what to do about it, in lang.
func errcodeText(lang string, code int) (what, do string) {
	key, args := wechat.ErrcodeKey(code)
	return i18n.T(lang, key, args...), i18n.T(lang, key+".action", args...)
}

// sendRow is the history-list line of a send.
func sendRow(s models.Send) views.SendRow {
	r := views.SendRow{
		ID:         s.ID,
		Title:      s.Title,
		Target:     views.Target{Kind: string(s.Target), GroupName: s.GroupName, ByTag: s.ByTag, Recipients: s.Recipients},
		State:      string(s.State),
		CreatedAt:  s.CreatedAt,
		Stats:      views.Stats{Total: s.Total, Filter: s.Filter, Sent: s.Sent, Error: s.Error},
		HasFigures: s.FinishedAt != nil || s.Total > 0,

		ArticleRemovedBy: s.ArticleRemovedBy,
	}
	for _, b := range s.Batches {
		if b.MsgID != 0 {
			r.MsgIDs = append(r.MsgIDs, b.MsgID)
		}
	}
	return r
}

// audienceByTag reports whether a send now targets tags (the API profile), so the confirmation
// names the audience as the form did. Unreadable, it is logged and the page says groups.
func (a *app) audienceByTag(c *gin.Context) bool {
	byTag, err := a.svc.AudienceByTag(c.Request.Context())
	if err != nil {
		a.log.Error("read the API profile", "err", err)
	}
	return byTag
}
