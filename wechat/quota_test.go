package wechat

import (
	"context"
	"qunfa/wechat/protocol"
	"testing"
	"time"
)

const quotaPath = "/cgi-bin/openapi/quota/get"

// TestQuotaScripted: quota/get's figures are read (numbers or strings), a read is retried after
// a busy errcode, a timeout and a 5xx, and 76021 and an answer without "quota" are errors.
func TestQuotaScripted(t *testing.T) {
	ok := `{"errcode":0,"errmsg":"ok","quota":{"daily_limit":100,"used":"7","remain":93}}`
	s := newScripted(t, ok, busy(protocol.CodeSystemBusy), "hang", "HTTP 502")
	c, waits := s.client(Config{RequestTimeout: 50 * time.Millisecond})
	q, err := c.Quota(context.Background(), "/cgi-bin/message/mass/sendall")
	if err != nil || q != (Quota{DailyLimit: 100, Used: 7, Remain: 93}) {
		t.Fatalf("Quota = %+v, %v", q, err)
	}
	if s.n(quotaPath) != 4 || len(*waits) != 3 {
		t.Fatalf("%d calls, %d waits; want 4 and 3 (a read is retried whatever failed)", s.n(quotaPath), len(*waits))
	}

	s2 := newScripted(t, ok, `{"errcode":76021,"errmsg":"cgi_path not found rid: 1-2-3"}`)
	c2, _ := s2.client(Config{})
	if _, err := c2.Quota(context.Background(), "/cgi-bin/nope"); !isCode(err, protocol.CodeQuotaPathNotFound) || s2.n(quotaPath) != 1 {
		t.Fatalf("76021: %v after %d calls; want the errcode, not retried", err, s2.n(quotaPath))
	}

	s3 := newScripted(t, `{"errcode":0,"errmsg":"ok"}`)
	c3, _ := s3.client(Config{})
	if _, err := c3.Quota(context.Background(), "/cgi-bin/message/mass/send"); err == nil {
		t.Fatal("an answer without quota was taken for zeros")
	}
}
