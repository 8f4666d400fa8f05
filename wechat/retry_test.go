package wechat

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"qunfa/wechat/protocol"
	"sync"
	"testing"
	"time"
)

// scripted answers business calls from a script, one entry per call (then ok): a JSON body,
// "HTTP 502", or "hang" (block until the client gives up). The token endpoint always works.
type scripted struct {
	srv    *httptest.Server
	mu     sync.Mutex
	script []string
	ok     string
	calls  map[string]int
}

func newScripted(t *testing.T, ok string, script ...string) *scripted {
	s := &scripted{script: script, ok: ok, calls: map[string]int{}}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/cgi-bin/token" {
			fmt.Fprint(w, `{"access_token":"T","expires_in":7200}`)
			return
		}
		_, _ = io.ReadAll(r.Body)
		s.mu.Lock()
		n := s.calls[r.URL.Path]
		s.calls[r.URL.Path]++
		answer := s.ok
		if n < len(s.script) {
			answer = s.script[n]
		}
		s.mu.Unlock()
		switch answer {
		case "hang":
			<-r.Context().Done()
		case "HTTP 502":
			http.Error(w, "bad gateway", http.StatusBadGateway)
		default:
			fmt.Fprint(w, answer)
		}
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *scripted) n(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[path]
}

// client returns a client whose waits are recorded instead of slept.
func (s *scripted) client(cfg Config) (*Client, *[]time.Duration) {
	cfg.BaseURL, cfg.AppID, cfg.AppSecret = s.srv.URL, testAppID, testSecret
	c := NewClient(cfg)
	var waits []time.Duration
	c.sleep = func(ctx context.Context, d time.Duration) error {
		waits = append(waits, d)
		return ctx.Err()
	}
	return c, &waits
}

func busy(code int) string { return fmt.Sprintf(`{"errcode":%d,"errmsg":"busy rid: 1-2-3"}`, code) }

const sendOK = `{"errcode":0,"errmsg":"send job submission success","msg_id":3147494522}`

func TestTransientErrcodesAreRetriedWithBackoff(t *testing.T) {
	for _, code := range []int{protocol.CodeSystemBusy, protocol.CodeMinuteQuota, protocol.CodeMassSendTooFast, protocol.CodeMassTaskTooMuch} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			s := newScripted(t, groupsJSON, busy(code), busy(code), busy(code))
			c, waits := s.client(Config{RetryBaseDelay: 100 * time.Millisecond})
			if _, err := c.Groups(context.Background()); err != nil {
				t.Fatalf("Groups: %v", err)
			}
			if s.n("/cgi-bin/groups/get") != 4 || len(*waits) != 3 {
				t.Fatalf("%d calls, %d waits; want 4 and 3", s.n("/cgi-bin/groups/get"), len(*waits))
			}
			for i, d := range *waits {
				full := 100 * time.Millisecond << i
				if d < full/2 || d > full {
					t.Errorf("wait %d = %v, want within [%v, %v]", i, d, full/2, full)
				}
			}
		})
	}
}

func TestRetriesAreBounded(t *testing.T) {
	always := []string{busy(-1), busy(-1), busy(-1), busy(-1), busy(-1), busy(-1), busy(-1), busy(-1)}
	for _, tc := range []struct{ max, calls int }{{0, 4}, {-1, 1}, {5, 6}} {
		s := newScripted(t, groupsJSON, always...)
		c, _ := s.client(Config{MaxRetries: tc.max})
		_, err := c.Groups(context.Background())
		if !isCode(err, protocol.CodeSystemBusy) || s.n("/cgi-bin/groups/get") != tc.calls {
			t.Errorf("MaxRetries %d: %v after %d calls, want -1 after %d", tc.max, err, s.n("/cgi-bin/groups/get"), tc.calls)
		}
	}
}

func TestOtherErrcodesAreNeverRetried(t *testing.T) {
	for _, code := range []int{protocol.CodeDailyQuota, protocol.CodeAPIUnauthorized, protocol.CodeInvalidOpenID, protocol.CodeClientMsgIDTooFast, protocol.CodeNoMassQuota} {
		s := newScripted(t, groupsJSON, busy(code))
		c, waits := s.client(Config{})
		if _, err := c.Groups(context.Background()); !isCode(err, code) || s.n("/cgi-bin/groups/get") != 1 || len(*waits) != 0 {
			t.Errorf("errcode %d: %v after %d calls", code, err, s.n("/cgi-bin/groups/get"))
		}
	}
}

func TestMassSendRetriedOnlyWithClientMsgID(t *testing.T) {
	text := MassMessage{MsgType: "text", Text: "hi"}
	for _, failure := range []string{busy(-1), busy(protocol.CodeMassSendTooFast), "HTTP 502", "hang"} {
		t.Run(failure, func(t *testing.T) {
			s := newScripted(t, sendOK, failure)
			c, _ := s.client(Config{RequestTimeout: 50 * time.Millisecond})
			ctx := context.Background()
			if _, err := c.SendAll(ctx, SendAllRequest{Filter: MassFilter{IsToAll: true}, Message: text}); err == nil {
				t.Fatal("sendall without clientmsgid succeeded: it was retried")
			}
			if n := s.n("/cgi-bin/message/mass/sendall"); n != 1 {
				t.Fatalf("sendall without clientmsgid made %d calls, want 1", n)
			}
			s2 := newScripted(t, sendOK, failure, failure)
			c2, _ := s2.client(Config{RequestTimeout: 50 * time.Millisecond})
			if _, err := c2.Send(ctx, SendRequest{ToUser: []string{"a", "b"}, Message: text}); err == nil || s2.n("/cgi-bin/message/mass/send") != 1 {
				t.Fatalf("send without clientmsgid: %v after %d calls", err, s2.n("/cgi-bin/message/mass/send"))
			}
			res, err := c2.Send(ctx, SendRequest{ToUser: []string{"a", "b"}, Message: text, ClientMsgID: "job-1-0"})
			if err != nil || res.MsgID != 3147494522 || s2.n("/cgi-bin/message/mass/send") != 3 {
				t.Fatalf("send with clientmsgid: %+v, %v after %d calls; want success on the 3rd", res, err, s2.n("/cgi-bin/message/mass/send"))
			}
		})
	}
}

func TestUploadsRetriedOnlyWhenWeChatSaysBusy(t *testing.T) {
	news := `{"type":"news","media_id":"M","created_at":1}`
	arts := []Article{{ThumbMediaID: "T", Title: "t", Content: "c"}}
	s := newScripted(t, news, busy(-1))
	c, _ := s.client(Config{})
	if _, err := c.UploadNews(context.Background(), arts); err != nil || s.n("/cgi-bin/media/uploadnews") != 2 {
		t.Fatalf("uploadnews after -1: %v, %d calls; want retried", err, s.n("/cgi-bin/media/uploadnews"))
	}
	s = newScripted(t, news, "HTTP 502")
	c, _ = s.client(Config{})
	if _, err := c.UploadNews(context.Background(), arts); err == nil || s.n("/cgi-bin/media/uploadnews") != 1 {
		t.Fatalf("uploadnews after 502: %v, %d calls; want no retry (it may have used quota)", err, s.n("/cgi-bin/media/uploadnews"))
	}
}

func TestTimeoutsAnd5xxRetriedForReads(t *testing.T) {
	s := newScripted(t, groupsJSON, "hang", "HTTP 502")
	c, waits := s.client(Config{RequestTimeout: 50 * time.Millisecond})
	if _, err := c.Groups(context.Background()); err != nil || s.n("/cgi-bin/groups/get") != 3 || len(*waits) != 2 {
		t.Fatalf("Groups: %v after %d calls, %d waits", err, s.n("/cgi-bin/groups/get"), len(*waits))
	}
}

func TestCallerCancellationStopsRetrying(t *testing.T) {
	s := newScripted(t, groupsJSON, busy(-1), busy(-1))
	c := NewClient(Config{BaseURL: s.srv.URL, AppID: testAppID, AppSecret: testSecret})
	ctx, cancel := context.WithCancel(context.Background())
	c.sleep = func(context.Context, time.Duration) error { cancel(); return context.Canceled }
	if _, err := c.Groups(ctx); !isCode(err, protocol.CodeSystemBusy) || s.n("/cgi-bin/groups/get") != 1 {
		t.Fatalf("%v after %d calls; want the -1 and no more calls once the caller gave up", err, s.n("/cgi-bin/groups/get"))
	}
	// A caller whose own deadline passes is not retried either (that is not a transient timeout).
	s2 := newScripted(t, groupsJSON, "hang")
	c2, waits := s2.client(Config{})
	ctx2, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	if _, err := c2.Groups(ctx2); err == nil || s2.n("/cgi-bin/groups/get") != 1 || len(*waits) != 0 {
		t.Fatalf("%v after %d calls", err, s2.n("/cgi-bin/groups/get"))
	}
}

// Every request a business call sends, retries included, is reported to the hook on its ctx
// (models counts each one against the daily quota); the token fetch is not.
func TestAttemptHookSeesEveryRetry(t *testing.T) {
	s := newScripted(t, sendOK, "hang")
	c, _ := s.client(Config{RequestTimeout: 50 * time.Millisecond})
	var mu sync.Mutex
	n := 0
	ctx := WithAttemptHook(context.Background(), func() { mu.Lock(); n++; mu.Unlock() })
	text := MassMessage{MsgType: "text", Text: "hi"}
	if _, err := c.Send(ctx, SendRequest{ToUser: []string{"a", "b"}, Message: text, ClientMsgID: "job-1-0"}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if n != 2 || s.n("/cgi-bin/message/mass/send") != 2 {
		t.Fatalf("hook saw %d attempts, WeChat %d; want 2 and 2", n, s.n("/cgi-bin/message/mass/send"))
	}
}
