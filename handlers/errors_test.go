package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"qunfa/models"
	"qunfa/views/i18n"
	"qunfa/wechat"
)

// closedWeChat is a protocol client pointed at a port nobody listens on, without retries.
func closedWeChat(t *testing.T) *wechat.Client {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return wechat.NewClient(wechat.Config{BaseURL: "http://" + addr, AppID: testAppID,
		AppSecret: "0123456789abcdef0123456789abcdef", MaxRetries: -1})
}

// unreachableErr is what the models hand up when WeChat cannot be reached: the client's own
// transport error, wrapped as the models wrap it.
func unreachableErr(t *testing.T) error {
	t.Helper()
	_, err := closedWeChat(t).Groups(context.Background())
	if err == nil {
		t.Fatal("a closed port answered")
	}
	return fmt.Errorf("models: fetch groups: %w", err)
}

// The one mapping from an action's error to its page and its log line.
func TestFailMapsErrorsToPages(t *testing.T) {
	ta := newTestApp(t)
	tests := []struct {
		name     string
		err      error
		status   int
		say      string // catalogue key whose zh text the page shows
		logLevel string // "" when nothing is logged at Warn or above
		cause    string // what the log line must carry
	}{
		{"not found", fmt.Errorf("send 12: %w", models.ErrNotFound), http.StatusNotFound, "err.not_found", "", ""},
		{"validation", &models.ValidationError{Fields: models.FieldErrors{"target": "err.target_invalid"}},
			http.StatusUnprocessableEntity, "err.target_invalid", "", ""},
		{"wechat unreachable", unreachableErr(t), http.StatusServiceUnavailable, "err.wechat_unreachable", "WARN", "connection refused"},
		{"wechat answered an errcode", fmt.Errorf("models: fetch groups: %w", &wechat.Error{Code: 45009, Msg: "reach max api daily quota limit"}),
			http.StatusInternalServerError, "err.internal", "ERROR", "errcode 45009"},
		{"anything else", errors.New("disk full"), http.StatusInternalServerError, "err.internal", "ERROR", "disk full"},
		{"malformed request", badRequest(errors.New("bad form")), http.StatusBadRequest, "err.bad_request", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logBuf strings.Builder
			a := &app{svc: ta.svc, log: slog.New(slog.NewTextHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelWarn}))}
			rec := httptest.NewRecorder()
			c, _ := gin.CreateTestContext(rec)
			c.Request = httptest.NewRequest(http.MethodGet, "/somewhere", nil)

			a.fail(c, tt.err)

			if rec.Code != tt.status {
				t.Errorf("status %d, want %d", rec.Code, tt.status)
			}
			if want := i18n.T("zh", tt.say); !strings.Contains(rec.Body.String(), want) {
				t.Errorf("page lacks %q:\n%s", want, rec.Body.String())
			}
			logged := logBuf.String()
			switch {
			case tt.logLevel == "" && logged != "":
				t.Errorf("logged %q, want nothing at Warn or above", logged)
			case tt.logLevel != "" && (!strings.Contains(logged, "level="+tt.logLevel) || !strings.Contains(logged, tt.cause)):
				t.Errorf("log %q, want the cause at %s", logged, tt.logLevel)
			}
		})
	}
}

// A response the action already wrote is not overwritten by an error page.
func TestFailKeepsAResponseAlreadyWritten(t *testing.T) {
	ta := newTestApp(t)
	a := &app{svc: ta.svc, log: slog.New(slog.DiscardHandler)}
	rec := httptest.NewRecorder()
	c, _ := gin.CreateTestContext(rec)
	c.Request = httptest.NewRequest(http.MethodGet, "/x", nil)
	c.String(http.StatusOK, "done")
	a.fail(c, errors.New("late"))
	if rec.Code != http.StatusOK || rec.Body.String() != "done" {
		t.Errorf("got %d %q", rec.Code, rec.Body.String())
	}
}

// The send confirmation when WeChat cannot be reached (the group list comes from WeChat): a 503
// page that says so and what to check, in the page language — not a bare 500.
func TestSendConfirmWithWeChatUnreachableAnswers503(t *testing.T) {
	ta := newTestApp(t)
	ta.setupAndLogin()
	draft := ta.createDraft("微信不通")
	tok := ta.csrf("/drafts/" + draft + "/send")
	ta.wx.groupsVia = closedWeChat(t)

	form := url.Values{"csrf_token": {tok}, "key": {"k1"}, "target": {"group"}, "group_id": {"100"}}
	r := ta.post("/drafts/"+draft+"/send/confirm", form)
	if r.status != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503\n%s", r.status, r.body)
	}
	msg := r.doc(t).Find(`[data-testid=error-message]`).Text()
	if msg != i18n.T("zh", "err.wechat_unreachable") || !strings.Contains(msg, "无法连接微信") {
		t.Errorf("message %q", msg)
	}

	ta.client.Jar.SetCookies(mustURL(t, ta.srv.URL), []*http.Cookie{{Name: langCookie, Value: "en"}})
	r = ta.post("/drafts/"+draft+"/send/confirm", form)
	if msg := r.doc(t).Find(`[data-testid=error-message]`).Text(); r.status != http.StatusServiceUnavailable ||
		!strings.Contains(msg, "WeChat could not be reached") {
		t.Errorf("en: %d %q", r.status, msg)
	}
}

func mustURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
