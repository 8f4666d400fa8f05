package wechat

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"qunfa/wechat/protocol"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const (
	testAppID  = "wxTESTAPPID0000001"
	testSecret = "s3cr3t-AppSecret-value-0123456789"
)

type recorded struct {
	Method, Path, Token, ContentType string
	Query                            map[string][]string
	Body                             []byte
}

// fakeWeChat is a minimal stand-in for api.weixin.qq.com. Business handlers get the token the
// request carried and answer with a raw JSON body.
type fakeWeChat struct {
	t          *testing.T
	srv        *httptest.Server
	tokenCalls atomic.Int32
	expiresIn  int
	tokenGate  chan struct{} // when non-nil, the token endpoint waits for it to close
	tokenErr   string        // when set, the token endpoint answers this body

	mu       sync.Mutex
	requests []recorded
	handlers map[string]func(token string, body []byte) string
}

func newFake(t *testing.T) *fakeWeChat {
	f := &fakeWeChat{t: t, expiresIn: 7200, handlers: map[string]func(string, []byte) string{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeWeChat) client() *Client {
	return NewClient(Config{BaseURL: f.srv.URL + "/", AppID: testAppID, AppSecret: testSecret, RetryBaseDelay: time.Microsecond})
}

func (f *fakeWeChat) handle(path string, h func(token string, body []byte) string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.handlers[path] = h
}

func (f *fakeWeChat) calls(path string) []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []recorded
	for _, r := range f.requests {
		if r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

func (f *fakeWeChat) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/cgi-bin/token" {
		if r.URL.Query().Get("secret") != testSecret || r.URL.Query().Get("appid") != testAppID ||
			r.URL.Query().Get("grant_type") != "client_credential" {
			fmt.Fprint(w, `{"errcode":40125,"errmsg":"invalid appsecret rid: 1-2-3"}`)
			return
		}
		n := f.tokenCalls.Add(1)
		if f.tokenGate != nil {
			<-f.tokenGate
		}
		if f.tokenErr != "" {
			fmt.Fprint(w, f.tokenErr)
			return
		}
		fmt.Fprintf(w, `{"access_token":"tok-%d-SECRETTOKEN","expires_in":%d}`, n, f.expiresIn)
		return
	}
	body, _ := io.ReadAll(r.Body)
	rec := recorded{Method: r.Method, Path: r.URL.Path, Token: r.URL.Query().Get("access_token"),
		ContentType: r.Header.Get("Content-Type"), Query: r.URL.Query(), Body: body}
	f.mu.Lock()
	f.requests = append(f.requests, rec)
	h := f.handlers[r.URL.Path]
	f.mu.Unlock()
	if h == nil {
		fmt.Fprint(w, `{"errcode":-1,"errmsg":"system error"}`)
		return
	}
	fmt.Fprint(w, h(rec.Token, body))
}

const groupsJSON = `{"groups":[{"id":0,"name":"未分组","count":72596},{"id":1,"name":"黑名单","count":36},{"id":106,"name":"测试组","count":1}]}`

func TestTokenCached(t *testing.T) {
	f := newFake(t)
	f.handle("/cgi-bin/groups/get", func(string, []byte) string { return groupsJSON })
	now := time.Unix(1700000000, 0)
	c := NewClient(Config{BaseURL: f.srv.URL, AppID: testAppID, AppSecret: testSecret, Now: func() time.Time { return now }})
	ctx := context.Background()
	for range 5 {
		groups, err := c.Groups(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(groups) != 3 || groups[2] != (Group{ID: 106, Name: "测试组", Count: 1}) {
			t.Fatalf("groups = %+v", groups)
		}
	}
	if n := f.tokenCalls.Load(); n != 1 {
		t.Fatalf("token fetched %d times, want 1", n)
	}
	now = now.Add(7200*time.Second - 301*time.Second) // still inside the cached window
	if _, err := c.Groups(ctx); err != nil {
		t.Fatal(err)
	}
	if n := f.tokenCalls.Load(); n != 1 {
		t.Fatalf("token fetched %d times before the margin, want 1", n)
	}
	now = now.Add(2 * time.Second) // within 300 s of expiry: refetch
	if _, err := c.Groups(ctx); err != nil {
		t.Fatal(err)
	}
	if n := f.tokenCalls.Load(); n != 2 {
		t.Fatalf("token fetched %d times after the margin, want 2", n)
	}
}

func TestCacheTTL(t *testing.T) {
	for in, want := range map[int64]time.Duration{7200: 6900 * time.Second, 600: 300 * time.Second, 60: 30 * time.Second,
		1: time.Second, 0: 6900 * time.Second, -5: 6900 * time.Second} {
		if got := cacheTTL(in); got != want {
			t.Errorf("cacheTTL(%d) = %v, want %v", in, got, want)
		}
	}
}

func TestTokenConcurrentCallersShareOneFetch(t *testing.T) {
	f := newFake(t)
	f.tokenGate = make(chan struct{})
	f.handle("/cgi-bin/groups/get", func(string, []byte) string { return groupsJSON })
	c := f.client()
	const n = 20
	var started, done sync.WaitGroup
	started.Add(n)
	done.Add(n)
	errs := make(chan error, n)
	for range n {
		go func() {
			defer done.Done()
			started.Done()
			_, err := c.Groups(context.Background())
			errs <- err
		}()
	}
	started.Wait()
	for f.tokenCalls.Load() == 0 { // wait until the first fetch is in flight, then let it finish
		time.Sleep(time.Millisecond)
	}
	close(f.tokenGate)
	done.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := f.tokenCalls.Load(); got != 1 {
		t.Fatalf("token fetched %d times, want exactly 1", got)
	}
	if got := len(f.calls("/cgi-bin/groups/get")); got != n {
		t.Fatalf("groups/get called %d times, want %d", got, n)
	}
}

func TestTokenWaitHonoursContext(t *testing.T) {
	f := newFake(t)
	f.tokenGate = make(chan struct{})
	defer close(f.tokenGate)
	c := f.client()
	go func() { _, _ = c.AccessToken(context.Background()) }() // holds the fetch lock
	for f.tokenCalls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.AccessToken(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestTokenErrorsRefreshOnceAndRetryOnce(t *testing.T) {
	for _, code := range []int{protocol.CodeTokenExpired, protocol.CodeInvalidCredential, protocol.CodeInvalidToken} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			f := newFake(t)
			f.handle("/cgi-bin/groups/get", func(tok string, _ []byte) string {
				if strings.HasPrefix(tok, "tok-1-") {
					return fmt.Sprintf(`{"errcode":%d,"errmsg":"access_token expired rid: 1"}`, code)
				}
				return groupsJSON
			})
			c := f.client()
			if _, err := c.Groups(context.Background()); err != nil {
				t.Fatal(err)
			}
			calls := f.calls("/cgi-bin/groups/get")
			if f.tokenCalls.Load() != 2 || len(calls) != 2 {
				t.Fatalf("token fetches %d, calls %d; want 2 and 2", f.tokenCalls.Load(), len(calls))
			}
			if calls[0].Token == calls[1].Token {
				t.Fatal("retry used the failed token")
			}
		})
	}
}

func TestTokenErrorTwiceGivesUp(t *testing.T) {
	f := newFake(t)
	f.handle("/cgi-bin/groups/get", func(string, []byte) string {
		return `{"errcode":42001,"errmsg":"access_token expired rid: 1"}`
	})
	_, err := f.client().Groups(context.Background())
	var e *Error
	if !errors.As(err, &e) || e.Code != protocol.CodeTokenExpired {
		t.Fatalf("err = %v", err)
	}
	if f.tokenCalls.Load() != 2 || len(f.calls("/cgi-bin/groups/get")) != 2 {
		t.Fatalf("token fetches %d, calls %d; want 2 and 2", f.tokenCalls.Load(), len(f.calls("/cgi-bin/groups/get")))
	}
}

func TestStaleTokenFailureDoesNotDropNewerToken(t *testing.T) {
	f := newFake(t)
	c := f.client()
	ctx := context.Background()
	old, _ := c.AccessToken(ctx)
	c.tok.invalidate(old)
	fresh, _ := c.AccessToken(ctx)
	c.tok.invalidate(old) // a late failure with the old token must not evict the new one
	if got, _ := c.AccessToken(ctx); got != fresh || f.tokenCalls.Load() != 2 {
		t.Fatalf("token %q after stale invalidate (fetches %d)", got, f.tokenCalls.Load())
	}
}

func TestAPIUnauthorizedDoesNotRefresh(t *testing.T) {
	f := newFake(t)
	f.handle("/cgi-bin/message/mass/send", func(string, []byte) string {
		return `{"errcode":48001,"errmsg":"api unauthorized rid: 653bb509-24e6f87d-3904c018"}`
	})
	_, err := f.client().Send(context.Background(), SendRequest{ToUser: []string{"a", "b"}, Message: MassMessage{MsgType: "text", Text: "hi"}})
	e, ok := AsError(err)
	if !ok || e.Errcode() != protocol.CodeAPIUnauthorized || e.Msg != "api unauthorized rid: 653bb509-24e6f87d-3904c018" {
		t.Fatalf("err = %v", err)
	}
	if f.tokenCalls.Load() != 1 || len(f.calls("/cgi-bin/message/mass/send")) != 1 {
		t.Fatal("48001 must not refresh the token or retry")
	}
	if err.Error() != "wechat: errcode 48001: api unauthorized rid: 653bb509-24e6f87d-3904c018" {
		t.Errorf("Error() = %q", err.Error())
	}
	// Its words ("未授权") are checked in views/i18n.
	if key, _ := ErrcodeKey(e.Code); key != "errcode.48001" {
		t.Errorf("explanation key = %q", key)
	}
}

func TestClientMsgIDExistReturnsMsgID(t *testing.T) {
	f := newFake(t)
	answer := `{"errcode":45065,"errmsg":"clientmsgid exist rid: x","msg_id":3147494522}`
	f.handle("/cgi-bin/message/mass/sendall", func(string, []byte) string { return answer })
	f.handle("/cgi-bin/message/mass/send", func(string, []byte) string { return answer })
	c := f.client()
	msg := MassMessage{MsgType: "mpnews", MediaID: "m1"}
	r1, err1 := c.SendAll(context.Background(), SendAllRequest{Filter: MassFilter{IsToAll: true}, Message: msg, ClientMsgID: "k1"})
	r2, err2 := c.Send(context.Background(), SendRequest{ToUser: []string{"a", "b"}, Message: msg, ClientMsgID: "k1"})
	for i, tc := range []struct {
		r   SendResult
		err error
	}{{r1, err1}, {r2, err2}} {
		e, ok := AsError(tc.err)
		if !ok || e.Code != protocol.CodeClientMsgIDExist || e.ExistingMsgID() != 3147494522 {
			t.Fatalf("%d: err = %#v", i, tc.err)
		}
		if tc.r != (SendResult{MsgID: 3147494522}) {
			t.Fatalf("%d: result = %+v", i, tc.r)
		}
	}
}

func TestSendAllRequestShapes(t *testing.T) {
	f := newFake(t)
	f.handle("/cgi-bin/message/mass/sendall", func(string, []byte) string {
		return `{"errcode":0,"errmsg":"send job submission success","msg_id":3147494522,"msg_data_id":2455891298}`
	})
	c := f.client()
	tests := []struct {
		name string
		req  SendAllRequest
		want string
	}{
		{"to all mpnews", SendAllRequest{Filter: MassFilter{IsToAll: true, GroupID: 5}, Message: MassMessage{MsgType: "mpnews", MediaID: "M<1>"}, ClientMsgID: "qunfa-1-0"},
			`{"filter":{"is_to_all":true},"mpnews":{"media_id":"M<1>"},"msgtype":"mpnews","send_ignore_reprint":0,"clientmsgid":"qunfa-1-0"}`},
		{"2014 group as string", SendAllRequest{Filter: MassFilter{GroupID: 2}, Message: MassMessage{MsgType: "mpnews", MediaID: "M"}, SendIgnoreReprint: 1},
			`{"filter":{"is_to_all":false,"group_id":"2"},"mpnews":{"media_id":"M"},"msgtype":"mpnews","send_ignore_reprint":1}`},
		{"group 0 still sent", SendAllRequest{Filter: MassFilter{GroupID: 0}, Message: MassMessage{MsgType: "text", Text: "<b>你好</b> & hi"}},
			`{"filter":{"is_to_all":false,"group_id":"0"},"text":{"content":"<b>你好</b> & hi"},"msgtype":"text","send_ignore_reprint":0}`},
		{"tag as number", SendAllRequest{Filter: MassFilter{GroupID: 134, UseTag: true}, Message: MassMessage{MsgType: "mpnews", MediaID: "M"}},
			`{"filter":{"is_to_all":false,"tag_id":134},"mpnews":{"media_id":"M"},"msgtype":"mpnews","send_ignore_reprint":0}`},
	}
	for i, tt := range tests {
		res, err := c.SendAll(context.Background(), tt.req)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if res != (SendResult{MsgID: 3147494522, MsgDataID: 2455891298}) {
			t.Errorf("%s: result %+v", tt.name, res)
		}
		got := f.calls("/cgi-bin/message/mass/sendall")[i]
		if string(got.Body) != tt.want {
			t.Errorf("%s: body\n%s\nwant\n%s", tt.name, got.Body, tt.want)
		}
		if got.Method != http.MethodPost || !strings.HasPrefix(got.ContentType, "application/json") {
			t.Errorf("%s: %s %s", tt.name, got.Method, got.ContentType)
		}
	}
	for _, bad := range []MassMessage{{MsgType: "mpnews"}, {MsgType: "text"}, {MsgType: "music", MediaID: "x"}} {
		if _, err := c.SendAll(context.Background(), SendAllRequest{Message: bad}); err == nil {
			t.Errorf("SendAll(%+v) accepted", bad)
		}
	}
	if n := len(f.calls("/cgi-bin/message/mass/sendall")); n != len(tests) {
		t.Errorf("invalid messages reached WeChat: %d calls", n)
	}
}

func TestSendRequestShape(t *testing.T) {
	f := newFake(t)
	f.handle("/cgi-bin/message/mass/send", func(string, []byte) string {
		return `{"errcode":0,"errmsg":"send job submission success","msg_id":"34182"}`
	})
	res, err := f.client().Send(context.Background(), SendRequest{ToUser: []string{"o1", "o2"},
		Message: MassMessage{MsgType: "mpnews", MediaID: "M"}, ClientMsgID: "c-2"})
	if err != nil || res != (SendResult{MsgID: 34182}) {
		t.Fatalf("Send = %+v, %v", res, err)
	}
	want := `{"touser":["o1","o2"],"mpnews":{"media_id":"M"},"msgtype":"mpnews","send_ignore_reprint":0,"clientmsgid":"c-2"}`
	if got := string(f.calls("/cgi-bin/message/mass/send")[0].Body); got != want {
		t.Errorf("body\n%s\nwant\n%s", got, want)
	}
}

func TestOpenIDListSizeIsTyped(t *testing.T) {
	f := newFake(t)
	f.handle("/cgi-bin/message/mass/send", func(string, []byte) string {
		return `{"errcode":40130,"errmsg":"invalid openid list size, at least two openid rid: 653bb509-24e6f87d-3904c018"}`
	})
	res, err := f.client().Send(context.Background(), SendRequest{ToUser: []string{"o1"}, Message: MassMessage{MsgType: "text", Text: "x"}})
	if e, ok := AsError(err); !ok || e.Code != protocol.CodeOpenIDListSize || res != (SendResult{}) || e.MsgID != 0 {
		t.Fatalf("Send = %+v, %v", res, err)
	}
}

func TestDeleteAndGetMass(t *testing.T) {
	f := newFake(t)
	f.handle("/cgi-bin/message/mass/delete", func(string, []byte) string { return `{"errcode":0,"errmsg":"ok"}` })
	status := `{"msg_id":201053012,"msg_status":"SEND_SUCCESS"}`
	f.handle("/cgi-bin/message/mass/get", func(string, []byte) string { return status })
	c := f.client()
	ctx := context.Background()
	if err := c.DeleteMass(ctx, 3147494522, 0); err != nil {
		t.Fatal(err)
	}
	if got := string(f.calls("/cgi-bin/message/mass/delete")[0].Body); got != `{"msg_id":3147494522,"article_idx":0}` {
		t.Errorf("delete body %s", got)
	}
	s, err := c.GetMass(ctx, 201053012)
	if err != nil || s != MassSendSuccess {
		t.Fatalf("GetMass = %q, %v", s, err)
	}
	if got := string(f.calls("/cgi-bin/message/mass/get")[0].Body); got != `{"msg_id":"201053012"}` {
		t.Errorf("get body %s", got)
	}
	status = `{"msg_id":"201053012","msg_status":"SENDING"}`
	if s, err := c.GetMass(ctx, 201053012); err != nil || s != MassSending {
		t.Fatalf("GetMass (string msg_id) = %q, %v", s, err)
	}
	f.handle("/cgi-bin/message/mass/get", func(string, []byte) string { return `{"errcode":40059,"errmsg":"invalid msg id"}` })
	if _, err := c.GetMass(ctx, 1); !isCode(err, protocol.CodeInvalidMsgID) {
		t.Fatalf("err = %v", err)
	}
}

func isCode(err error, code int) bool {
	e, ok := AsError(err)
	return ok && e.Code == code
}

func TestUploadMediaMultipart(t *testing.T) {
	f := newFake(t)
	var gotName, gotFile string
	var gotData []byte
	f.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/cgi-bin/token" {
			f.serve(w, r)
			return
		}
		if r.URL.Path != "/cgi-bin/media/upload" || r.URL.Query().Get("type") != "thumb" || r.URL.Query().Get("access_token") == "" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		file, hdr, err := r.FormFile("media")
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		gotName = hdr.Filename
		gotData, _ = io.ReadAll(file)
		gotFile = hdr.Header.Get("Content-Type")
		fmt.Fprint(w, `{"type":"thumb","thumb_media_id":"THUMB_ID","created_at":1700000000}`)
	})
	jpeg := append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, []byte("fake jpeg")...)
	m, err := f.client().UploadMedia(context.Background(), "thumb", `cover "1".jpg`, jpeg)
	if err != nil {
		t.Fatal(err)
	}
	if m != (Media{Type: "thumb", MediaID: "THUMB_ID", CreatedAt: 1700000000}) {
		t.Errorf("media = %+v", m)
	}
	if gotName != `cover "1".jpg` || string(gotData) != string(jpeg) || gotFile != "image/jpeg" {
		t.Errorf("upload: name %q, content type %q, %d bytes", gotName, gotFile, len(gotData))
	}
}

func TestUploadNews(t *testing.T) {
	f := newFake(t)
	f.handle("/cgi-bin/media/uploadnews", func(_ string, body []byte) string {
		return `{"type":"news","media_id":"CsEf3ldqkAYJAU6EJeIkStVDSvffUJ54vqbThMgplD-VJXXof6ctX5fI6-aYyUiQ","created_at":1391857799}`
	})
	m, err := f.client().UploadNews(context.Background(), []Article{{ThumbMediaID: "T", Title: "Happy Day",
		Content: `<p style="color:red">a & b</p>`, ShowCoverPic: 1}})
	if err != nil || m.MediaID != "CsEf3ldqkAYJAU6EJeIkStVDSvffUJ54vqbThMgplD-VJXXof6ctX5fI6-aYyUiQ" || m.CreatedAt != 1391857799 || m.Type != "news" {
		t.Fatalf("UploadNews = %+v, %v", m, err)
	}
	want := `{"articles":[{"thumb_media_id":"T","title":"Happy Day","content":"<p style=\"color:red\">a & b</p>","show_cover_pic":1}]}`
	if got := string(f.calls("/cgi-bin/media/uploadnews")[0].Body); got != want {
		t.Errorf("body\n%s\nwant\n%s", got, want)
	}
	if _, err := f.client().UploadNews(context.Background(), nil); err == nil {
		t.Error("no articles accepted")
	}
}

func TestUsers(t *testing.T) {
	f := newFake(t)
	f.handle("/cgi-bin/user/get", func(string, []byte) string {
		return `{"total":23000,"count":2,"data":{"openid":["OPENID1","OPENID2"]},"next_openid":"OPENID2"}`
	})
	u, err := f.client().Users(context.Background(), "OPENID0")
	if err != nil {
		t.Fatal(err)
	}
	if u.Total != 23000 || u.Count != 2 || len(u.OpenIDs) != 2 || u.NextOpenID != "OPENID2" {
		t.Errorf("users = %+v", u)
	}
	rec := f.calls("/cgi-bin/user/get")[0]
	if rec.Method != http.MethodGet || rec.Query["next_openid"][0] != "OPENID0" {
		t.Errorf("request = %+v", rec)
	}
}

func TestBadResponses(t *testing.T) {
	f := newFake(t)
	c := f.client()
	f.handle("/cgi-bin/groups/get", func(string, []byte) string { return "<html>bad gateway</html>" })
	if _, err := c.Groups(context.Background()); err == nil || isCode(err, 0) {
		t.Errorf("non-JSON: err = %v", err)
	}
	f.handle("/cgi-bin/groups/get", func(string, []byte) string { return `{"groups":[` + strings.Repeat(" ", maxResponseBytes) + `]}` })
	if _, err := c.Groups(context.Background()); err == nil || !strings.Contains(err.Error(), "larger") {
		t.Errorf("huge: err = %v", err)
	}
	f.handle("/cgi-bin/message/mass/sendall", func(string, []byte) string { return `{"errcode":0,"errmsg":"ok"}` })
	if _, err := c.SendAll(context.Background(), SendAllRequest{Filter: MassFilter{IsToAll: true}, Message: MassMessage{MsgType: "text", Text: "x"}}); err == nil {
		t.Error("success without msg_id accepted")
	}
	f.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/elsewhere" {
			t.Error("the client followed a redirect")
		}
		http.Redirect(w, r, "/elsewhere?"+r.URL.RawQuery, http.StatusFound)
	})
	if _, err := f.client().AccessToken(context.Background()); err == nil || !strings.Contains(err.Error(), "302") {
		t.Errorf("redirect: err = %v", err)
	}
	f.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusBadGateway)
	})
	if _, err := f.client().AccessToken(context.Background()); err == nil || !strings.Contains(err.Error(), "502") {
		t.Errorf("HTTP 502: err = %v", err)
	}
}

func TestTokenFetchErrors(t *testing.T) {
	f := newFake(t)
	c := NewClient(Config{BaseURL: f.srv.URL, AppID: testAppID, AppSecret: "wrong-secret"})
	_, err := c.Groups(context.Background())
	if !isCode(err, protocol.CodeInvalidAppSecret) {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "wrong-secret") {
		t.Errorf("error leaks the secret: %v", err)
	}
	f.tokenErr = `{"errcode":40164,"errmsg":"invalid ip 1.2.3.4, not in whitelist rid: x"}`
	if _, err := f.client().AccessToken(context.Background()); !isCode(err, protocol.CodeIPNotWhitelisted) {
		t.Fatalf("err = %v", err)
	}
}

// TestErrorsNeverLeakSecrets drops connections so net/http reports errors that quote the URL.
func TestErrorsNeverLeakSecrets(t *testing.T) {
	f := newFake(t)
	c := f.client()
	tok, err := c.AccessToken(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	hangUp := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	})
	f.srv.Config.Handler = hangUp
	var errs []error
	_, err = c.Groups(context.Background())
	errs = append(errs, err)
	_, err = c.SendAll(context.Background(), SendAllRequest{Filter: MassFilter{IsToAll: true}, Message: MassMessage{MsgType: "text", Text: "x"}})
	errs = append(errs, err)
	_, err = f.client().AccessToken(context.Background()) // the token URL carries the secret
	errs = append(errs, err)
	f.srv.Close()
	_, err = NewClient(Config{BaseURL: f.srv.URL, AppID: testAppID, AppSecret: testSecret}).AccessToken(context.Background())
	errs = append(errs, err)
	for i, err := range errs {
		if err == nil {
			t.Fatalf("%d: expected an error", i)
		}
		msg := fmt.Sprintf("%v %+v %#v", err, err, err)
		if strings.Contains(msg, testSecret) || strings.Contains(msg, tok) || strings.Contains(msg, "SECRETTOKEN") {
			t.Errorf("%d: error leaks a secret: %s", i, msg)
		}
		if !strings.Contains(err.Error(), "/cgi-bin/") {
			t.Errorf("%d: error does not say which call failed: %v", i, err)
		}
	}
}

// The codes the catalogue explains (its words, and the 45009 "明天" check, are tested in
// views/i18n with every known code).
func TestKnownErrcodes(t *testing.T) {
	codes := []int{-1, 40001, 40002, 40003, 40004, 40005, 40006, 40007, 40008, 40009, 40013, 40014, 40031, 40032,
		40050, 40059, 40060, 40125, 40130, 40164, 40243, 41001, 41005, 41006, 42001, 42010, 43004, 44002, 44003,
		45001, 45002, 45004, 45008, 45009, 45011, 45027, 45028, 45047, 45056, 45057, 45058, 45059, 45065, 45066,
		45067, 45083, 45084, 45157, 45158, 45159, 46004, 47001, 48001, 48003, 48004, 48008, 50001, 50002, 61004,
		76021, 76022, 89503, 89504, 89505, 89506, 9500002}
	known := KnownErrcodes()
	if !slices.IsSorted(known) {
		t.Error("KnownErrcodes is not sorted: ErrcodeKey's search needs it")
	}
	for _, code := range codes {
		if !slices.Contains(known, code) {
			t.Errorf("errcode %d missing from the table", code)
		}
		if key, args := ErrcodeKey(code); key != fmt.Sprintf("errcode.%d", code) || args != nil {
			t.Errorf("ErrcodeKey(%d) = %q %v", code, key, args)
		}
	}
	if key, args := ErrcodeKey(123456); key != "errcode.unknown" || len(args) != 1 || args[0] != 123456 {
		t.Errorf("unknown code: %q %v", key, args)
	}
	if !IsTokenError(42001) || IsTokenError(48001) || !protocol.Transient(-1) || protocol.Transient(45009) {
		t.Error("IsTokenError/Retryable")
	}
}
