package handlers

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// A signed push that cannot be parsed is kept (once per body) and answered
// "success": refusing it would only make WeChat send the same bytes again.
func TestSignedUnparsableCallbackIsKept(t *testing.T) {
	ta := newTestApp(t)
	post := func(body string) response {
		q, sealed, err := ta.codec.Seal([]byte(body), strconv.FormatInt(ta.now.Unix(), 10), freshNonce(), false)
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest(http.MethodPost, ta.srv.URL+callbackPath+"?"+q.Encode(), strings.NewReader(string(sealed)))
		return ta.do(http.DefaultClient, req)
	}
	for i := 0; i < 2; i++ {
		if r := post("<xml><MsgType>event<"); r.status != http.StatusOK || r.body != "success" {
			t.Fatalf("delivery %d: %d %q", i+1, r.status, r.body)
		}
	}
	post("not xml at all")
	n, err := ta.store.CountEvents(context.Background(), unparsedEvent)
	if err != nil || n != 2 {
		t.Fatalf("unparsed events kept = %d (%v), want 2 (two distinct bodies)", n, err)
	}
}
