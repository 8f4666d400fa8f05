package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// clock is an injected Config.Now that tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *clock { return &clock{t: t} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func (c *clock) Add(d time.Duration) { c.Set(c.Now().Add(d)) }

// harness drives a sandbox over real HTTP with raw requests, independent of package wechat's client.
type harness struct {
	t     *testing.T
	s     *Server
	srv   *httptest.Server
	clock *clock
	token string
}

const (
	testAppID  = "wx2c2769f8efd9abc2"
	testSecret = "s3cr3t-app-secret"
	testToken  = "spamtest"
	testAESKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
)

// start is 2014-03-10 10:00 in Beijing.
var start = time.Date(2014, 3, 10, 10, 0, 0, 0, beijing)

func newHarness(t *testing.T, cfg Config) *harness {
	t.Helper()
	c := newClock(start)
	cfg.AppID, cfg.AppSecret, cfg.Token = testAppID, testSecret, testToken
	if cfg.Followers == 0 {
		cfg.Followers = 200
	}
	if cfg.FinishDelay == 0 {
		cfg.FinishDelay = time.Hour // tests finish jobs with FinishPending
	}
	if cfg.PushRetryGap == 0 {
		cfg.PushRetryGap = time.Millisecond
	}
	if cfg.Now == nil {
		cfg.Now = c.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := New(cfg)
	srv := httptest.NewServer(s)
	t.Cleanup(func() { s.Close(); srv.Close() })
	h := &harness{t: t, s: s, srv: srv, clock: c}
	h.token = h.fetchToken()
	return h
}

func (h *harness) fetchToken() string {
	h.t.Helper()
	r := h.get("/cgi-bin/token", url.Values{"grant_type": {"client_credential"}, "appid": {testAppID}, "secret": {testSecret}})
	tok, _ := r["access_token"].(string)
	if tok == "" {
		h.t.Fatalf("no token: %v", r)
	}
	return tok
}

func (h *harness) url(path string, q url.Values) string {
	if q == nil {
		q = url.Values{}
	}
	if path != "/cgi-bin/token" && !q.Has("access_token") {
		q.Set("access_token", h.token)
	}
	return h.srv.URL + path + "?" + q.Encode()
}

func (h *harness) do(req *http.Request) map[string]any {
	h.t.Helper()
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		h.t.Fatalf("%s %s: HTTP %d %s", req.Method, req.URL.Path, resp.StatusCode, raw)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var out map[string]any
	if err := dec.Decode(&out); err != nil {
		h.t.Fatalf("%s: not JSON: %s", req.URL.Path, raw)
	}
	return out
}

func (h *harness) get(path string, q url.Values) map[string]any {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, h.url(path, q), nil)
	return h.do(req)
}

func (h *harness) post(path string, body any) map[string]any {
	h.t.Helper()
	var raw []byte
	switch b := body.(type) {
	case string:
		raw = []byte(b)
	default:
		raw, _ = json.Marshal(b)
	}
	req, _ := http.NewRequest(http.MethodPost, h.url(path, nil), bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	return h.do(req)
}

func (h *harness) upload(kind string, data []byte) map[string]any {
	h.t.Helper()
	return h.uploadTo("/cgi-bin/media/upload", url.Values{"type": {kind}}, data)
}

func (h *harness) uploadTo(path string, q url.Values, data []byte) map[string]any {
	h.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if data != nil {
		fw, _ := mw.CreateFormFile("media", "cover.jpg")
		fw.Write(data)
	}
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, h.url(path, q), &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return h.do(req)
}

// errcode returns the body's errcode (0 when absent, as on data-only successes).
func errcode(r map[string]any) int {
	n, _ := r["errcode"].(json.Number)
	v, _ := n.Int64()
	return int(v)
}

func num(r map[string]any, key string) int64 {
	n, _ := r[key].(json.Number)
	v, _ := n.Int64()
	return v
}

func wantCode(t *testing.T, r map[string]any, code int) {
	t.Helper()
	if got := errcode(r); got != code {
		t.Fatalf("errcode = %d, want %d (body %v)", got, code, r)
	}
	if code != 0 {
		msg, _ := r["errmsg"].(string)
		if !strings.Contains(msg, " rid: ") {
			t.Errorf("errmsg %q lacks the rid suffix", msg)
		}
	}
}

// jpeg returns a JPEG-looking file of n bytes; png a PNG-looking one.
func jpeg(n int) []byte { return append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, make([]byte, n-4)...) }
func png(n int) []byte  { return append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, n-8)...) }

func (h *harness) thumb() string {
	h.t.Helper()
	r := h.upload("thumb", jpeg(1024))
	wantCode(h.t, r, 0)
	return r["media_id"].(string)
}

// material adds a permanent thumb (material/add_material): the only cover draft/add takes.
func (h *harness) material() string {
	h.t.Helper()
	r := h.uploadTo("/cgi-bin/material/add_material", url.Values{"type": {"thumb"}}, jpeg(1024))
	wantCode(h.t, r, 0)
	return r["media_id"].(string)
}

func article(thumb string) map[string]any {
	return map[string]any{"thumb_media_id": thumb, "title": "春季上新", "content": "<p style=\"color:red\">hello</p>", "show_cover_pic": 1}
}

func (h *harness) news(n int) string {
	h.t.Helper()
	th := h.thumb()
	var arts []any
	for range n {
		arts = append(arts, article(th))
	}
	r := h.post("/cgi-bin/media/uploadnews", map[string]any{"articles": arts})
	wantCode(h.t, r, 0)
	return r["media_id"].(string)
}

func textToGroup(group any, content, clientMsgID string) map[string]any {
	return map[string]any{
		"filter":  map[string]any{"is_to_all": false, "group_id": group},
		"msgtype": "text", "text": map[string]any{"content": content}, "clientmsgid": clientMsgID,
	}
}

func newRequest(ctx context.Context, u string) (*http.Request, error) {
	return http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
}
