package sandbox

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"qunfa/wechat"
)

type pushed struct {
	query       url.Values
	body        []byte
	contentType string
}

// receiver is a callback endpoint that records pushes and answers replies[i] to the i-th
// (then "success").
type receiver struct {
	srv     *httptest.Server
	mu      sync.Mutex
	got     []pushed
	replies []string
	arrived chan struct{}
}

func newReceiver(t *testing.T, replies ...string) *receiver {
	rc := &receiver{replies: replies, arrived: make(chan struct{}, 16)}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		n := len(rc.got)
		rc.got = append(rc.got, pushed{r.URL.Query(), body, r.Header.Get("Content-Type")})
		reply := "success"
		if n < len(rc.replies) {
			reply = rc.replies[n]
		}
		rc.mu.Unlock()
		if reply == "hang" { // never answer: the sender's timeout ends the attempt
			<-r.Context().Done()
			return
		}
		io.WriteString(w, reply)
		rc.arrived <- struct{}{}
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) pushes() []pushed {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]pushed(nil), rc.got...)
}

// open verifies and decodes a push with the account's codec, as the dashboard's handler does.
func openPush(t *testing.T, codec wechat.Codec, p pushed) wechat.Event {
	t.Helper()
	if p.contentType != "text/xml" {
		t.Errorf("Content-Type %q, want text/xml", p.contentType)
	}
	plain, err := codec.Open(p.query, p.body)
	if err != nil {
		t.Fatalf("Open: %v (query %v)", err, p.query)
	}
	ev, err := wechat.ParseEvent(plain)
	if err != nil {
		t.Fatalf("ParseEvent: %v", err)
	}
	return ev
}

func TestCallbackPushPlaintext(t *testing.T) {
	rc := newReceiver(t)
	h := newHarness(t, Config{DailyQuota: 100, CallbackURL: rc.srv.URL + "/wechat/callback?from=sandbox"})
	news := h.news(2)
	r := h.post("/cgi-bin/message/mass/sendall", map[string]any{"filter": map[string]any{"is_to_all": true}, "msgtype": "mpnews", "mpnews": map[string]any{"media_id": news}, "clientmsgid": "all-1"})
	wantCode(t, r, 0)
	h.clock.Add(3 * time.Second)
	h.s.FinishPending()

	got := rc.pushes()
	if len(got) != 1 {
		t.Fatalf("%d pushes, want 1", len(got))
	}
	if got[0].query.Get("from") != "sandbox" || got[0].query.Get("encrypt_type") != "" {
		t.Errorf("query %v: want the URL's own query kept and no encrypt_type", got[0].query)
	}
	codec := wechat.Codec{Token: testToken, AppID: testAppID}
	ev := openPush(t, codec, got[0])
	j, _ := h.s.Job(num(r, "msg_id"))
	if ev.Event != "MASSSENDJOBFINISH" || ev.MsgType != "event" || ev.MsgID != num(r, "msg_id") || ev.Status != "send success" {
		t.Errorf("event %+v", ev)
	}
	if !strings.HasPrefix(ev.ToUserName, "gh_") || ev.ToUserName != h.s.OriginalID() || len(ev.FromUserName) != 28 {
		t.Errorf("ToUserName %q / FromUserName %q", ev.ToUserName, ev.FromUserName)
	}
	if ev.CreateTime != start.Add(3*time.Second).Unix() {
		t.Errorf("CreateTime %d, want the finish time", ev.CreateTime)
	}
	if ev.TotalCount != 200 || ev.TotalCount != j.TotalCount || ev.SentCount != j.SentCount || ev.ErrorCount != j.ErrorCount ||
		ev.FilterCount != ev.SentCount+ev.ErrorCount || ev.FilterCount > ev.TotalCount || ev.ErrorCount == 0 {
		t.Errorf("counts %+v vs job %+v", ev, j)
	}
	if ev.CopyrightCheckResult.CheckState != 1 || ev.ArticleURLResult.Count != 2 || len(ev.ArticleURLResult.ResultList) != 2 ||
		ev.ArticleURLResult.ResultList[1].ArticleIdx != 2 || !strings.HasPrefix(ev.ArticleURLResult.ResultList[0].ArticleURL, "http://mp.weixin.qq.com/s/") {
		t.Errorf("result containers %+v %+v", ev.CopyrightCheckResult, ev.ArticleURLResult)
	}
	// A forged copy (wrong token) does not verify.
	if _, err := (wechat.Codec{Token: "other", AppID: testAppID}).Open(got[0].query, got[0].body); err == nil {
		t.Error("push verified with the wrong token")
	}
}

func TestCallbackPushSecureMode(t *testing.T) {
	rc := newReceiver(t)
	h := newHarness(t, Config{EncodingAESKey: testAESKey, CallbackURL: rc.srv.URL})
	r := h.post("/cgi-bin/message/mass/sendall", textToGroup(103, "hi", "secure"))
	wantCode(t, r, 0)
	h.s.FinishPending()
	got := rc.pushes()
	if len(got) != 1 {
		t.Fatalf("%d pushes, want 1", len(got))
	}
	if got[0].query.Get("encrypt_type") != "aes" || got[0].query.Get("msg_signature") == "" ||
		!strings.Contains(string(got[0].body), "<Encrypt>") || strings.Contains(string(got[0].body), "MASSSENDJOBFINISH") {
		t.Fatalf("not a secure-mode push: %v %s", got[0].query, got[0].body)
	}
	ev := openPush(t, wechat.Codec{Token: testToken, AppID: testAppID, EncodingAESKey: testAESKey}, got[0])
	if ev.MsgID != num(r, "msg_id") || ev.TotalCount != 5 || ev.SentCount != 5 || ev.ArticleURLResult.Count != 0 {
		t.Errorf("event %+v", ev)
	}
}

func TestCallbackPushRetries(t *testing.T) {
	rc := newReceiver(t, "fail", "")
	h := newHarness(t, Config{CallbackURL: rc.srv.URL})
	wantCode(t, h.post("/cgi-bin/message/mass/sendall", textToGroup(103, "hi", "retry")), 0)
	h.s.FinishPending()
	// "fail" is retried; the empty 200 answer is an acknowledgement.
	got := rc.pushes()
	if len(got) != 2 || string(got[0].body) != string(got[1].body) {
		t.Fatalf("%d attempts, want 2 identical ones", len(got))
	}

	rc2 := newReceiver(t, "no", "no", "no", "no", "no")
	h.s.SetCallbackURL(rc2.srv.URL)
	wantCode(t, h.post("/cgi-bin/message/mass/sendall", textToGroup(103, "hi", "give up")), 0)
	h.s.FinishPending()
	if n := len(rc2.pushes()); n != 4 {
		t.Errorf("%d attempts, want 1 + 3 retries", n)
	}
}

// TestCallbackPushAfterFinishDelay uses the real timer with a short FinishDelay.
func TestCallbackPushAfterFinishDelay(t *testing.T) {
	rc := newReceiver(t)
	h := newHarness(t, Config{FinishDelay: 20 * time.Millisecond, CallbackURL: rc.srv.URL})
	r := h.post("/cgi-bin/message/mass/sendall", textToGroup(103, "hi", "timer"))
	wantCode(t, r, 0)
	select {
	case <-rc.arrived:
	case <-time.After(10 * time.Second): // a hang guard, not a timing assertion
		t.Fatal("no callback arrived")
	}
	ev := openPush(t, wechat.Codec{Token: testToken, AppID: testAppID}, rc.pushes()[0])
	if ev.MsgID != num(r, "msg_id") {
		t.Errorf("MsgID %d", ev.MsgID)
	}
	if j, _ := h.s.Job(ev.MsgID); !j.Finished {
		t.Error("job not finished after its push")
	}
}

func TestCloseStopsPendingJobs(t *testing.T) {
	rc := newReceiver(t)
	h := newHarness(t, Config{CallbackURL: rc.srv.URL}) // FinishDelay 1 h
	r := h.post("/cgi-bin/message/mass/sendall", textToGroup(103, "hi", "closing"))
	wantCode(t, r, 0)
	h.s.Close()
	h.s.Close() // idempotent
	h.s.FinishPending()
	if j, _ := h.s.Job(num(r, "msg_id")); j.Finished || len(rc.pushes()) != 0 {
		t.Errorf("a job finished after Close: %+v", j)
	}
	// Jobs accepted after Close are never scheduled.
	wantCode(t, h.post("/cgi-bin/message/mass/sendall", textToGroup(103, "hi", "after")), 0)
}

func TestCallbackPushJSON(t *testing.T) {
	for _, aes := range []string{"", testAESKey} {
		rc := newReceiver(t)
		h := newHarness(t, Config{DailyQuota: 100, CallbackURL: rc.srv.URL, PushJSON: true, EncodingAESKey: aes})
		news := h.news(1)
		r := h.post("/cgi-bin/message/mass/sendall", map[string]any{"filter": map[string]any{"is_to_all": false, "tag_id": 103},
			"msgtype": "mpnews", "mpnews": map[string]any{"media_id": news}, "clientmsgid": "json"})
		wantCode(t, r, 0)
		h.s.FinishPending()
		got := rc.pushes()
		if len(got) != 1 || got[0].contentType != "application/json" || got[0].body[0] != '{' {
			t.Fatalf("aes %q: pushes %+v", aes, got)
		}
		codec := wechat.Codec{Token: testToken, AppID: testAppID, EncodingAESKey: aes}
		plain, err := codec.Open(got[0].query, got[0].body)
		if err != nil {
			t.Fatalf("aes %q: Open: %v", aes, err)
		}
		if !strings.Contains(string(plain), `"TotalCount":"5"`) || !strings.Contains(string(plain), `"ResultList":null`) {
			t.Errorf("aes %q: not WeChat's JSON shape: %s", aes, plain)
		}
		ev, err := wechat.ParseEvent(plain)
		if err != nil || ev.MsgID != num(r, "msg_id") || ev.SentCount != 5 || ev.ArticleURLResult.Count != 1 ||
			len(ev.ArticleURLResult.ResultList) != 1 || ev.CopyrightCheckResult.CheckState != 1 {
			t.Errorf("aes %q: event %+v, %v", aes, ev, err)
		}
	}
}
