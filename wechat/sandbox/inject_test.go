package sandbox

import (
	"context"
	"net/url"
	"sync"
	"testing"
	"time"

	"qunfa/wechat"
)

// sleeps records Config.Sleep calls instead of waiting.
type sleeps struct {
	mu  sync.Mutex
	got []time.Duration
}

func (s *sleeps) Sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, d)
	return ctx.Err()
}

func (s *sleeps) take() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.got
	s.got = nil
	return out
}

func TestDefaultsFollowWeChat(t *testing.T) {
	c := Config{}.withDefaults()
	if c.PushRetryGap != 5*time.Second || c.PushTimeout != 5*time.Second {
		t.Errorf("push retry gap %v, timeout %v; WeChat waits 5 s and retries 5 s apart", c.PushRetryGap, c.PushTimeout)
	}
}

func TestLatencyPerPath(t *testing.T) {
	sl := &sleeps{}
	h := newHarness(t, Config{Sleep: sl.Sleep})
	sl.take()
	h.s.SetLatency("/cgi-bin/groups/get", 2*time.Second)
	wantCode(t, h.get("/cgi-bin/groups/get", nil), 0)
	wantCode(t, h.get("/cgi-bin/tags/get", nil), 0)
	if got := sl.take(); len(got) != 1 || got[0] != 2*time.Second {
		t.Fatalf("waits %v, want one of 2 s for groups/get only", got)
	}
	h.s.SetLatency("", time.Second)
	wantCode(t, h.get("/cgi-bin/tags/get", nil), 0)
	wantCode(t, h.get("/cgi-bin/groups/get", nil), 0)
	if got := sl.take(); len(got) != 2 || got[0] != time.Second || got[1] != 2*time.Second {
		t.Fatalf("waits %v, want 1 s (all paths) then 2 s (its own)", got)
	}
	h.s.SetLatency("", 0)
	h.s.SetLatency("/cgi-bin/groups/get", 0)
	wantCode(t, h.get("/cgi-bin/groups/get", nil), 0)
	if got := sl.take(); len(got) != 0 {
		t.Fatalf("waits %v after removing the latency", got)
	}
}

func TestReviewFailure(t *testing.T) {
	rc := newReceiver(t)
	h := newHarness(t, Config{DailyQuota: 100, CallbackURL: rc.srv.URL})
	h.s.FailReviewNext(10001)
	h.s.FailReviewNext(30003)
	news := h.news(1)
	send := func(key string) int64 {
		r := h.post("/cgi-bin/message/mass/sendall", map[string]any{"filter": map[string]any{"is_to_all": true},
			"msgtype": "mpnews", "mpnews": map[string]any{"media_id": news}, "clientmsgid": key})
		wantCode(t, r, 0)
		return num(r, "msg_id")
	}
	ad, reprint, ok := send("a"), send("b"), send("c")
	h.s.FinishPending()
	codec := wechat.Codec{Token: testToken, AppID: testAppID}
	got := rc.pushes()
	if len(got) != 3 {
		t.Fatalf("%d pushes", len(got))
	}
	evs := map[int64]wechat.Event{}
	for _, p := range got {
		ev := openPush(t, codec, p)
		evs[ev.MsgID] = ev
	}
	if e := evs[ad]; e.Status != "err(10001)" || e.TotalCount != 0 || e.SentCount != 0 || e.FilterCount != 0 || e.ArticleURLResult.Count != 0 {
		t.Errorf("review failure event %+v", e)
	}
	if key, _ := wechat.StatusKey(evs[ad].Status); key != "status.err.10001" { // 审核未通过：涉嫌广告
		t.Errorf("reason %q", key)
	}
	if e := evs[reprint]; e.Status != "err(30003)" || e.CopyrightCheckResult.CheckState != 3 {
		t.Errorf("reprint event %+v", e)
	}
	if e := evs[ok]; e.Status != "send success" || e.SentCount == 0 {
		t.Errorf("the third job should pass review: %+v", e)
	}
	if r := h.post("/cgi-bin/message/mass/get", map[string]any{"msg_id": ad}); r["msg_status"] != "SEND_FAIL" {
		t.Errorf("mass/get = %v", r)
	}
	wantCode(t, h.post("/cgi-bin/message/mass/delete", map[string]any{"msg_id": ad}), 40059)
	if n := h.s.Received(h.s.OpenIDs(GroupTest)[0], start); n != 1 {
		t.Errorf("a follower received %d messages, want 1 (only the job that passed review)", n)
	}
}

func TestUnacknowledgedCallbackRetriedGapApart(t *testing.T) {
	sl := &sleeps{}
	rc := newReceiver(t, "no", "hang", "<xml/>", "no")
	h := newHarness(t, Config{CallbackURL: rc.srv.URL, PushRetryGap: 5 * time.Second, PushTimeout: 50 * time.Millisecond, Sleep: sl.Sleep})
	wantCode(t, h.post("/cgi-bin/message/mass/sendall", textToGroup(103, "hi", "unacked")), 0)
	sl.take()
	h.s.FinishPending()
	got := rc.pushes()
	if len(got) != 4 {
		t.Fatalf("%d attempts, want 1 + 3 retries", len(got))
	}
	for _, p := range got[1:] {
		if string(p.body) != string(got[0].body) || p.query.Encode() != got[0].query.Encode() {
			t.Error("a retry differs from the first attempt")
		}
	}
	if waits := sl.take(); len(waits) != 3 || waits[0] != 5*time.Second || waits[2] != 5*time.Second {
		t.Errorf("waits between attempts %v, want 3 × 5 s", waits)
	}
}

func TestDuplicateDelivery(t *testing.T) {
	rc := newReceiver(t)
	h := newHarness(t, Config{CallbackURL: rc.srv.URL})
	h.s.DuplicateNextCallback()
	wantCode(t, h.post("/cgi-bin/message/mass/sendall", textToGroup(103, "hi", "dup")), 0)
	h.s.FinishPending()
	got := rc.pushes()
	if len(got) != 2 || string(got[0].body) != string(got[1].body) {
		t.Fatalf("%d deliveries, want the same event twice", len(got))
	}
	codec := wechat.Codec{Token: testToken, AppID: testAppID}
	a, b := openPush(t, codec, got[0]), openPush(t, codec, got[1])
	if a.FromUserName != b.FromUserName || a.CreateTime != b.CreateTime || a.MsgID != b.MsgID {
		t.Error("the duplicate is not the same event")
	}
	wantCode(t, h.post("/cgi-bin/message/mass/sendall", textToGroup(103, "hi", "once")), 0)
	h.s.FinishPending()
	if n := len(rc.pushes()); n != 3 {
		t.Errorf("%d deliveries, want one more for the next job", n)
	}
}

func TestHangNextWaitsForTheClient(t *testing.T) {
	h := newHarness(t, Config{})
	h.s.HangNext("/cgi-bin/groups/get")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := newRequest(ctx, h.url("/cgi-bin/groups/get", nil))
	if _, err := h.srv.Client().Do(req); err == nil {
		t.Fatal("a hung call answered")
	}
	if h.s.Calls("/cgi-bin/groups/get") != 0 {
		t.Error("HangNext processed the call")
	}
	wantCode(t, h.get("/cgi-bin/groups/get", url.Values{}), 0) // only the next one hangs
}
