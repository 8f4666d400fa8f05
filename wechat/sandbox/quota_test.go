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
