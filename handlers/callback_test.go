package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"qunfa/models"
	"qunfa/wechat"
)

// createDraft saves a valid one-article draft and returns its id.
func (ta *testApp) createDraft(title string) string {
	ta.t.Helper()
	tok := ta.csrf("/drafts/new")
	thumb := ta.thumbID(tok)
	r := ta.post("/drafts", url.Values{
		"csrf_token":           {tok},
		"articles[0].title":    {title},
		"articles[0].content":  {"<p>内容</p>"},
		"articles[0].thumb_id": {fmt.Sprint(thumb)},
	})
	if r.status != http.StatusSeeOther {
		ta.t.Fatalf("create draft: %d\n%s", r.status, r.body)
	}
	return strings.TrimPrefix(r.location, "/drafts/")
}

// startGroupSend goes through the send form and the confirm page and
// returns the send's path.
func (ta *testApp) startGroupSend(draftID string) string {
	ta.t.Helper()
	form := ta.get("/drafts/" + draftID + "/send").doc(ta.t)
	key, _ := form.Find(`input[name=key]`).Attr("value")
	tok, _ := form.Find(`input[name=csrf_token]`).Attr("value")
	if key == "" || form.Find(`select[name=group_id] option`).Length() != 2 {
		ta.t.Fatalf("send form lacks key or groups")
	}
	fields := url.Values{"csrf_token": {tok}, "key": {key}, "target": {"group"}, "group_id": {"100"}}
	confirm := ta.post("/drafts/"+draftID+"/send/confirm", fields)
	if confirm.status != http.StatusOK {
		ta.t.Fatalf("confirm: %d\n%s", confirm.status, confirm.body)
	}
	c := confirm.doc(ta.t)
	if c.Find(`[data-testid=plan-calls] tbody tr`).Length() == 0 || c.Find(`[data-testid=plan-quota]`).Length() != 1 {
		ta.t.Fatalf("confirm page lacks the plan:\n%s", confirm.body)
	}
	if _, disabled := c.Find(`button[data-testid=confirm-send]`).Attr("disabled"); disabled {
		ta.t.Fatal("confirm button disabled")
	}
	r := ta.post("/drafts/"+draftID+"/send", fields)
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/sends/") {
		ta.t.Fatalf("send: %d %q\n%s", r.status, r.location, r.body)
	}
	// The same key again is the same send (a double click).
	if again := ta.post("/drafts/"+draftID+"/send", fields); again.location != r.location {
		ta.t.Fatalf("double submit went to %q, first to %q", again.location, r.location)
	}
	return r.location
}

// submittedGroupSend writes a draft, sends it to a group through the pages,
// runs the worker once and returns the send's path and the send (one msg_id).
func (ta *testApp) submittedGroupSend(title string) (string, models.Send) {
	ta.t.Helper()
	sendPath := ta.startGroupSend(ta.createDraft(title))
	if err := ta.svc.RunOnce(context.Background()); err != nil {
		ta.t.Fatal(err)
	}
	id, _ := strconv.ParseUint(strings.TrimPrefix(sendPath, "/sends/"), 10, 32)
	s, err := ta.svc.Send(context.Background(), uint(id))
	if err != nil || len(msgIDs(s)) != 1 {
		ta.t.Fatalf("send: %+v %v", s, err)
	}
	return sendPath, s
}

func (ta *testApp) callback(ev wechat.Event, ts time.Time, mutate func(url.Values)) response {
	ta.t.Helper()
	return ta.sealAndPost(ev, ts, false, mutate)
}

// callbackSecure posts ev now, AES-encrypted when secure (the codec then needs a key).
func (ta *testApp) callbackSecure(ev wechat.Event, secure bool) response {
	ta.t.Helper()
	return ta.sealAndPost(ev, ta.now, secure, nil)
}

func (ta *testApp) sealAndPost(ev wechat.Event, ts time.Time, secure bool, mutate func(url.Values)) response {
	ta.t.Helper()
	q, body, err := ta.codec.Seal(ev.XML(), strconv.FormatInt(ts.Unix(), 10), freshNonce(), secure)
	if err != nil {
		ta.t.Fatal(err)
	}
	if mutate != nil {
		mutate(q)
	}
	req, err := http.NewRequest(http.MethodPost, ta.srv.URL+"/wechat/callback?"+q.Encode(), strings.NewReader(string(body)))
	if err != nil {
		ta.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "text/xml")
	return ta.do(http.DefaultClient, req)
}

func TestCallbackVerifyURL(t *testing.T) {
	ta := newTestApp(t)
	ts, nonce := "1714036504", "1514711492"
	ta.now = time.Unix(1714036504, 0) // the documented vector, inside the timestamp window
	q := url.Values{
		"signature": {wechat.Signature(testToken, ts, nonce)},
		"timestamp": {ts}, "nonce": {nonce}, "echostr": {"4375120948345356249"},
	}
	r := ta.get("/wechat/callback?" + q.Encode())
	if r.status != http.StatusOK || r.body != "4375120948345356249" {
		t.Fatalf("verify: %d %q", r.status, r.body)
	}
	q.Set("signature", strings.Repeat("0", 40))
	if r := ta.get("/wechat/callback?" + q.Encode()); r.status != http.StatusForbidden || strings.Contains(r.body, "4375120948345356249") {
		t.Fatalf("bad signature: %d %q", r.status, r.body)
	}
}

func TestCallbackStoresJobFinishedOnceAndRefusesForgeries(t *testing.T) {
	ta := newTestApp(t)
	ta.setupAndLogin()
	sendPath := ta.startGroupSend(ta.createDraft("春季上新"))
	if err := ta.svc.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	id, _ := strconv.ParseUint(strings.TrimPrefix(sendPath, "/sends/"), 10, 32)
	s, err := ta.svc.Send(context.Background(), uint(id))
	if err != nil {
		t.Fatal(err)
	}
	if len(msgIDs(s)) != 1 {
		t.Fatalf("send state %s, msg ids %v", s.State, msgIDs(s))
	}
	msgID := msgIDs(s)[0]
	page := ta.get(sendPath).doc(t)
	if got := page.Find(`[data-testid=send-msgid]`).Text(); got != fmt.Sprint(msgID) {
		t.Errorf("send-msgid %q, want %d", got, msgID)
	}
	if page.Find(`canvas[data-testid=stats-chart]`).Length() != 1 {
		t.Error("no chart canvas")
	}
	if page.Find(`[data-testid=delete-send]`).Length() != 0 {
		t.Error("delete offered before the job finished")
	}

	ev := wechat.Event{
		ToUserName: "gh_0123456789ab", FromUserName: "oFromUser0001", CreateTime: ta.now.Unix(),
		MsgType: "event", Event: "MASSSENDJOBFINISH", MsgID: msgID, Status: "err(10001)",
		TotalCount: 42, FilterCount: 40, SentCount: 38, ErrorCount: 2,
	}
	forged := ev
	forged.TotalCount = 99
	refused := []struct {
		name   string
		ts     time.Time
		mutate func(url.Values)
	}{
		{"bad signature", ta.now, func(q url.Values) { q.Set("signature", strings.Repeat("a", 40)) }},
		{"no signature", ta.now, func(q url.Values) { q.Del("signature") }},
		{"stale timestamp", ta.now.Add(-10 * time.Minute), nil},
		{"future timestamp", ta.now.Add(10 * time.Minute), nil},
	}
	for _, tt := range refused {
		if r := ta.callback(forged, tt.ts, tt.mutate); r.status != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", tt.name, r.status)
		}
	}
	if got := ta.get(sendPath + "/stats").doc(t).Find(`[data-testid=stat-total]`).Text(); got != "0" {
		t.Fatalf("a refused callback was stored: total %q", got)
	}

	for i := 0; i < 2; i++ {
		r := ta.callback(ev, ta.now, nil)
		if r.status != http.StatusOK || r.body != "success" {
			t.Fatalf("delivery %d: %d %q", i+1, r.status, r.body)
		}
	}
	frag := ta.get(sendPath + "/stats")
	f := frag.doc(t)
	if f.Find("html").Length() != 0 && strings.Contains(frag.body, "<html") {
		t.Error("stats fragment is a whole page")
	}
	for sel, want := range map[string]string{"stat-total": "42", "stat-filter": "40", "stat-sent": "38", "stat-error": "2"} {
		if got := f.Find(`[data-testid=` + sel + `]`).Text(); got != want {
			t.Errorf("%s = %q, want %q (delivered twice, counted once)", sel, got, want)
		}
	}
	if got := f.Find(`[data-testid=send-status-reason]`).Text(); got == "" {
		t.Error("no status reason for err(10001)")
	}
	if f.Find(`script#stats-data`).Length() != 1 {
		t.Error("no chart data in the fragment")
	}

	// Finished: delete with a confirmation page, recorded as deleted.
	page = ta.get(sendPath).doc(t)
	if state, _ := page.Find(`[data-testid=send-state]`).First().Attr("data-state"); state != "finished" {
		t.Fatalf("state after the callback: %q", state)
	}
	if page.Find(`[data-testid=delete-send]`).Length() != 1 {
		t.Fatal("no delete button on a finished send")
	}
	confirm := ta.get(sendPath + "/delete").doc(t)
	tok, _ := confirm.Find(`input[name=csrf_token]`).Attr("value")
	if confirm.Find(`button[data-testid=confirm-delete]`).Length() != 1 {
		t.Fatal("delete confirm page lacks confirm-delete")
	}
	if r := ta.post(sendPath+"/delete", url.Values{"csrf_token": {tok}}); r.status != http.StatusSeeOther || r.location != sendPath {
		t.Fatalf("delete: %d %q", r.status, r.location)
	}
	page = ta.get(sendPath).doc(t)
	if state, _ := page.Find(`[data-testid=send-state]`).First().Attr("data-state"); state != "deleted" {
		t.Fatalf("state after delete: %q", state)
	}
	if page.Find(`[data-testid=history-row][data-action="history.deleted"]`).Length() != 1 {
		t.Error("delete not in the history")
	}
	list := ta.get("/sends").doc(t)
	if list.Find(`tr[data-testid=send-row] [data-testid=send-state][data-state=deleted]`).Length() != 1 {
		t.Error("history list does not show the deleted send")
	}
}

func TestSendToEveryoneNeedsSecondConfirmation(t *testing.T) {
	ta := newTestApp(t)
	ta.setupAndLogin()
	draft := ta.createDraft("全员通知")
	form := ta.get("/drafts/" + draft + "/send").doc(t)
	key, _ := form.Find(`input[name=key]`).Attr("value")
	tok, _ := form.Find(`input[name=csrf_token]`).Attr("value")
	fields := url.Values{"csrf_token": {tok}, "key": {key}, "target": {"all"}}
	c := ta.post("/drafts/"+draft+"/send/confirm", fields)
	if c.status != http.StatusOK || c.doc(t).Find(`input[name=confirm_all][data-testid=confirm-all]`).Length() != 1 {
		t.Fatalf("confirm page for everyone: %d, lacks confirm-all", c.status)
	}
	r := ta.post("/drafts/"+draft+"/send", fields)
	if r.status != http.StatusUnprocessableEntity || r.doc(t).Find(`[data-field=confirm_all]`).Length() != 1 {
		t.Fatalf("send without confirm_all: %d", r.status)
	}
	if ta.wx.sent != 0 {
		t.Fatal("something was sent")
	}
	fields.Set("confirm_all", "1")
	if r := ta.post("/drafts/"+draft+"/send", fields); r.status != http.StatusSeeOther {
		t.Fatalf("confirmed send: %d\n%s", r.status, r.body)
	}
}

func TestOpenIDProblemsListedWithLineNumbers(t *testing.T) {
	ta := newTestApp(t)
	ta.setupAndLogin()
	draft := ta.createDraft("名单")
	form := ta.get("/drafts/" + draft + "/send").doc(t)
	key, _ := form.Find(`input[name=key]`).Attr("value")
	tok, _ := form.Find(`input[name=csrf_token]`).Attr("value")
	ids := "oAAAAAAAAAAA1\noAAAAAAAAAAA2\nbad id!\noAAAAAAAAAAA1"
	c := ta.post("/drafts/"+draft+"/send/confirm", url.Values{"csrf_token": {tok}, "key": {key}, "target": {"openids"}, "openids": {ids}})
	if c.status != http.StatusOK {
		t.Fatalf("confirm: %d\n%s", c.status, c.body)
	}
	rows := c.doc(t).Find(`[data-testid=openid-problem]`)
	if rows.Length() != 2 {
		t.Fatalf("%d problems listed, want 2", rows.Length())
	}
	if got := rows.Eq(0).Find("td").First().Text(); got != "3" {
		t.Errorf("first problem on line %q, want 3", got)
	}
}
