package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"qunfa/models"
	"qunfa/views/i18n"
	"qunfa/wechat"
)

// With today's calls used up, deleting explains itself on the confirmation
// page and, if posted anyway, in a flash: never an internal error.
func TestDeleteWithNoQuotaLeftExplains(t *testing.T) {
	ta := newTestAppWithRules(t, models.Rules{DailyQuota: 3}) // thumb + news + sendall
	ta.setupAndLogin()
	sendPath, s := ta.submittedGroupSend("配额用尽")
	ev := wechat.Event{ToUserName: "gh_0123456789ab", FromUserName: "oFromUser0001", CreateTime: ta.now.Unix(),
		MsgType: "event", Event: "MASSSENDJOBFINISH", MsgID: msgIDs(s)[0], Status: "send success",
		TotalCount: 3, FilterCount: 3, SentCount: 3}
	if r := ta.callback(ev, ta.now, nil); r.status != http.StatusOK {
		t.Fatalf("callback: %d", r.status)
	}

	confirm := ta.get(sendPath + "/delete").doc(t)
	if confirm.Find(`[data-testid=delete-quota]`).Length() != 1 {
		t.Fatal("the confirmation page does not say the quota is used up")
	}
	if _, disabled := confirm.Find(`button[data-testid=confirm-delete]`).Attr("disabled"); !disabled {
		t.Error("confirm-delete should be disabled without quota")
	}
	tok, _ := confirm.Find(`input[name=csrf_token]`).Attr("value")
	r := ta.post(sendPath+"/delete", url.Values{"csrf_token": {tok}})
	if r.status != http.StatusSeeOther || r.location != sendPath {
		t.Fatalf("delete without quota: %d %q, want 303 back to the send", r.status, r.location)
	}
	page := ta.get(sendPath).doc(t)
	if got := page.Find(`[data-testid=flash]`).Text(); got != i18n.T("zh", "err.delete_quota") {
		t.Errorf("flash = %q", got)
	}
	if state, _ := page.Find(`[data-testid=send-state]`).First().Attr("data-state"); state != "finished" {
		t.Errorf("state = %q, want still finished", state)
	}
}

// After four sends to a group this month, the confirmation warns that its
// members are at WeChat's monthly cap.
func TestConfirmWarnsAboutMonthlyCap(t *testing.T) {
	ta := newTestApp(t)
	ta.setupAndLogin()
	draft := ta.createDraft("每月上限")
	confirm := func() *goquery.Document {
		form := ta.get("/drafts/" + draft + "/send").doc(t)
		key, _ := form.Find(`input[name=key]`).Attr("value")
		tok, _ := form.Find(`input[name=csrf_token]`).Attr("value")
		r := ta.post("/drafts/"+draft+"/send/confirm", url.Values{"csrf_token": {tok}, "key": {key}, "target": {"group"}, "group_id": {"100"}})
		return r.doc(t)
	}
	if c := confirm(); c.Find(`[data-testid=plan-over-cap]`).Length() != 0 || c.Find(`[data-testid=plan-monthly]`).Length() != 1 {
		t.Fatal("a fresh audience: no over-cap warning expected, but the monthly line")
	}
	for i := 0; i < 4; i++ {
		ta.startGroupSend(draft)
		if err := ta.svc.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	c := confirm()
	if got := c.Find(`[data-testid=plan-monthly]`).Text(); !strings.Contains(got, "4") {
		t.Errorf("monthly line = %q, want 4 this month", got)
	}
	if c.Find(`[data-testid=plan-over-cap]`).Length() != 1 {
		t.Fatal("no warning that the group is at the monthly cap")
	}
}

// Two sends of the same draft share one news media id, so one article page: the delete
// confirmation of the first names the second, and after the delete the second's page says its
// article is gone (and no longer links to it).
func TestDeleteConfirmationNamesSendsSharingTheArticle(t *testing.T) {
	ta := newTestApp(t)
	ta.setupAndLogin()
	draft := ta.createDraft("同一素材")
	var paths []string
	var sends []models.Send
	for range 2 {
		path := ta.startGroupSend(draft)
		if err := ta.svc.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		id, _ := strconv.ParseUint(strings.TrimPrefix(path, "/sends/"), 10, 32)
		s, err := ta.svc.Send(context.Background(), uint(id))
		if err != nil || len(msgIDs(s)) != 1 {
			t.Fatalf("send: %+v %v", s, err)
		}
		ev := wechat.Event{ToUserName: "gh_0123456789ab", FromUserName: "oFromUser0001", CreateTime: ta.now.Unix(),
			MsgType: "event", Event: "MASSSENDJOBFINISH", MsgID: msgIDs(s)[0], Status: "send success",
			TotalCount: 3, FilterCount: 3, SentCount: 3, ArticleURLResult: wechat.ArticleURLResult{Count: 1,
				ResultList: []wechat.ArticleURL{{ArticleIdx: 1, ArticleURL: "https://mp.weixin.qq.com/s/shared"}}}}
		if r := ta.callback(ev, ta.now, nil); r.status != http.StatusOK {
			t.Fatalf("callback: %d", r.status)
		}
		paths, sends = append(paths, path), append(sends, s)
	}

	confirm := ta.get(paths[0] + "/delete").doc(t)
	shared := confirm.Find(`[data-testid=delete-shared-send]`)
	if id, _ := shared.Attr("data-send-id"); shared.Length() != 1 || id != fmt.Sprint(sends[1].ID) {
		t.Fatalf("confirmation names %d sends (%q), want send %d", shared.Length(), id, sends[1].ID)
	}
	if second := ta.get(paths[1] + "/delete").doc(t); second.Find(`[data-testid=delete-shared-send]`).Length() != 1 {
		t.Fatal("the second send's confirmation does not name the first")
	}
	tok, _ := confirm.Find(`input[name=csrf_token]`).Attr("value")
	if r := ta.post(paths[0]+"/delete", url.Values{"csrf_token": {tok}}); r.status != http.StatusSeeOther {
		t.Fatalf("delete: %d", r.status)
	}

	other := ta.get(paths[1]).doc(t)
	if other.Find(`[data-testid=article-removed]`).Length() != 1 {
		t.Fatal("the other send's page does not say its article was removed")
	}
	if other.Find(`[data-testid=article-urls] a`).Length() != 0 || other.Find(`[data-testid=article-url-removed]`).Length() != 1 {
		t.Error("the other send's page still links to the removed article")
	}
	if other.Find(`[data-testid=history-row][data-action="history.article_removed"]`).Length() != 1 {
		t.Error("no history entry on the other send")
	}
	row := ta.get("/sends").doc(t).Find(fmt.Sprintf(`[data-testid=send-row][data-id="%d"]`, sends[1].ID))
	if row.Find(`[data-testid=article-removed]`).Length() != 1 {
		t.Error("the history list does not mark the other send's article as removed")
	}
	s, _ := ta.svc.Send(context.Background(), sends[1].ID)
	if s.ArticleRemovedBy != sends[0].ID {
		t.Errorf("ArticleRemovedBy = %d, want %d", s.ArticleRemovedBy, sends[0].ID)
	}
}

// msgIDs lists the msg_id of every batch WeChat accepted.
func msgIDs(s models.Send) []int64 {
	var ids []int64
	for _, b := range s.Batches {
		if b.MsgID != 0 {
			ids = append(ids, b.MsgID)
		}
	}
	return ids
}
