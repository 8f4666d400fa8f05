package sandbox

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestDailyQuota(t *testing.T) {
	h := newHarness(t, Config{}) // seed default: 10 a day
	// 1 thumb upload + 1 uploadnews + 8 sends = 10 counted calls; uploads count.
	news := h.news(1)
	for i := range 8 {
		// Rejected calls in between use no quota.
		wantCode(t, h.post("/cgi-bin/message/mass/sendall", textToGroup(103, "", fmt.Sprint("bad", i))), 44004)
		r := h.post("/cgi-bin/message/mass/sendall", textToGroup(103, "hi", fmt.Sprint("q", i)))
		wantCode(t, r, 0)
	}
	if left := h.s.QuotaLeft(); left != 0 {
		t.Fatalf("QuotaLeft = %d, want 0", left)
	}
	wantCode(t, h.upload("thumb", jpeg(100)), 45009)
	wantCode(t, h.post("/cgi-bin/media/uploadnews", map[string]any{"articles": []any{}}), 45009)
	wantCode(t, h.post("/cgi-bin/message/mass/sendall", textToGroup(103, "hi", "late")), 45009)
	wantCode(t, h.post("/cgi-bin/message/mass/delete", map[string]any{"msg_id": 1}), 45009)
	// Calls that are not advanced keep working.
	wantCode(t, h.get("/cgi-bin/groups/get", nil), 0)
	wantCode(t, h.get("/cgi-bin/user/get", nil), 0)
	wantCode(t, h.post("/cgi-bin/message/mass/get", map[string]any{"msg_id": 1}), 40059)
	_ = news

	// The day is Beijing's: 23:59:59 there is still today, midnight there is tomorrow.
	h.clock.Set(time.Date(2014, 3, 10, 15, 59, 59, 0, time.UTC)) // 23:59:59 Beijing
	h.token = h.fetchToken()
	wantCode(t, h.post("/cgi-bin/message/mass/sendall", textToGroup(103, "hi", "still today")), 45009)
	h.clock.Set(time.Date(2014, 3, 10, 16, 0, 0, 0, time.UTC)) // 00:00 Beijing, 11 March
	wantCode(t, h.post("/cgi-bin/message/mass/sendall", textToGroup(103, "hi", "tomorrow")), 0)
	if left := h.s.QuotaLeft(); left != 9 {
		t.Errorf("QuotaLeft on the new day = %d, want 9", left)
	}
}

// TestQuotaUnderConcurrency: concurrent callers never get more than DailyQuota accepted calls.
func TestQuotaUnderConcurrency(t *testing.T) {
	h := newHarness(t, Config{})
	var wg sync.WaitGroup
	codes := make(chan int, 30)
	for i := range 30 {
		wg.Go(func() {
			codes <- errcode(h.post("/cgi-bin/message/mass/sendall", textToGroup(103, "hi", fmt.Sprint("c", i))))
		})
	}
	wg.Wait()
	close(codes)
	ok, limited := 0, 0
	for c := range codes {
		switch c {
		case 0:
			ok++
		case 45009:
			limited++
		}
	}
	if ok != 10 || limited != 20 {
		t.Errorf("%d accepted and %d refused with 45009, want 10 and 20", ok, limited)
	}
}

// TestQuotaGet: openapi/quota/get reports the seed's shared budget for every counted path, from
// the same count that answers 45009, on the Beijing day; other paths answer 76021.
func TestQuotaGet(t *testing.T) {
	h := newHarness(t, Config{})
	quota := func(path string) (limit, used, remain int64) {
		t.Helper()
		r := h.post("/cgi-bin/openapi/quota/get", map[string]any{"cgi_path": path})
		wantCode(t, r, 0)
		if r["errmsg"] != "ok" {
			t.Errorf("errmsg = %v, want ok", r["errmsg"])
		}
		q, _ := r["quota"].(map[string]any)
		return num(q, "daily_limit"), num(q, "used"), num(q, "remain")
	}
	counted := []string{"/cgi-bin/media/upload", "/cgi-bin/media/uploadnews", "/cgi-bin/draft/add",
		"/cgi-bin/message/mass/sendall", "/cgi-bin/message/mass/send", "/cgi-bin/message/mass/delete"}
	for _, p := range counted {
		if l, u, r := quota(p); l != 10 || u != 0 || r != 10 {
			t.Fatalf("%s on a fresh day = %d/%d/%d, want 10/0/10", p, l, u, r)
		}
	}
	h.news(1)                                                                                // media/upload + uploadnews: 2 counted calls
	wantCode(t, h.post("/cgi-bin/message/mass/sendall", textToGroup(103, "", "bad")), 44004) // refused: not counted
	wantCode(t, h.post("/cgi-bin/message/mass/sendall", textToGroup(103, "hi", "q1")), 0)
	for _, p := range counted {
		if l, u, r := quota(p); l != 10 || u != 3 || r != 7 {
			t.Fatalf("%s after 3 calls = %d/%d/%d, want 10/3/7 (one shared budget)", p, l, u, r)
		}
	}
	// quota/get itself is not counted.
	if left := h.s.QuotaLeft(); left != 7 {
		t.Fatalf("QuotaLeft = %d after quota/get calls, want 7", left)
	}
	for i := range 7 {
		wantCode(t, h.post("/cgi-bin/message/mass/sendall", textToGroup(103, "hi", fmt.Sprint("f", i))), 0)
	}
	if _, u, r := quota("/cgi-bin/message/mass/send"); u != 10 || r != 0 {
		t.Fatalf("spent budget = used %d remain %d, want 10 and 0", u, r)
	}
	wantCode(t, h.post("/cgi-bin/message/mass/send", map[string]any{"touser": []string{"a", "b"}}), 45009)

	// The next Beijing day starts afresh.
	h.clock.Set(time.Date(2014, 3, 10, 16, 0, 0, 0, time.UTC))
	h.token = h.fetchToken()
	if _, u, r := quota("/cgi-bin/message/mass/sendall"); u != 0 || r != 10 {
		t.Fatalf("next day = used %d remain %d, want 0 and 10", u, r)
	}

	// Paths the sandbox keeps no quota for, and no path at all.
	for _, p := range []string{"/cgi-bin/message/mass/get", "/cgi-bin/material/add_material", "/cgi-bin/nope", "message/mass/sendall", ""} {
		wantCode(t, h.post("/cgi-bin/openapi/quota/get", map[string]any{"cgi_path": p}), 76021)
	}
	wantCode(t, h.post("/cgi-bin/openapi/quota/get", ""), 44002)
	wantCode(t, h.get("/cgi-bin/openapi/quota/get", nil), 43002)
}
