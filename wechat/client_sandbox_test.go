package wechat_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"qunfa/wechat"
	"qunfa/wechat/sandbox"
)

const (
	sbAppID  = "wx2c2769f8efd9abc2"
	sbSecret = "sandbox-secret"
)

// newSandboxClient serves a sandbox over HTTP and returns a client pointed at it.
func newSandboxClient(t *testing.T, cfg sandbox.Config) (*wechat.Client, *sandbox.Server) {
	t.Helper()
	cfg.AppID, cfg.AppSecret, cfg.Token = sbAppID, sbSecret, "tok"
	if cfg.Followers == 0 {
		cfg.Followers = 300
	}
	cfg.FinishDelay = time.Hour // jobs are finished with FinishPending
	cfg.Logger = slog.New(slog.DiscardHandler)
	sb := sandbox.New(cfg)
	srv := httptest.NewServer(sb)
	t.Cleanup(func() { sb.Close(); srv.Close() })
	return wechat.NewClient(wechat.Config{BaseURL: srv.URL, AppID: sbAppID, AppSecret: sbSecret}), sb
}

// tinyJPEG is a JPEG-looking thumbnail (the sandbox checks magic bytes and size).
func tinyJPEG() []byte { return append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, make([]byte, 2048)...) }

func wantErrcode(t *testing.T, err error, code int) *wechat.Error {
	t.Helper()
	var we *wechat.Error
	if !errors.As(err, &we) {
		t.Fatalf("error %v is not a *wechat.Error", err)
	}
	if we.Code != code {
		t.Fatalf("errcode %d (%s), want %d", we.Code, we.Msg, code)
	}
	return we
}

func TestClientAgainstSandbox(t *testing.T) {
	ctx := context.Background()
	c, sb := newSandboxClient(t, sandbox.Config{DailyQuota: 100})

	tok, err := c.AccessToken(ctx)
	if err != nil || tok == "" {
		t.Fatalf("AccessToken = %q, %v", tok, err)
	}
	if again, _ := c.AccessToken(ctx); again != tok || sb.Calls("/cgi-bin/token") != 1 {
		t.Errorf("token not cached: %d fetches", sb.Calls("/cgi-bin/token"))
	}

	thumb, err := c.UploadMedia(ctx, "thumb", "cover.jpg", tinyJPEG())
	if err != nil || thumb.Type != "thumb" || thumb.MediaID == "" || thumb.CreatedAt == 0 {
		t.Fatalf("UploadMedia = %+v, %v", thumb, err)
	}
	news, err := c.UploadNews(ctx, []wechat.Article{
		{ThumbMediaID: thumb.MediaID, Title: "第一篇", Content: `<p style="color:red">一</p>`, ShowCoverPic: 1},
		{ThumbMediaID: thumb.MediaID, Title: "第二篇", Author: "编辑部", Content: "<p>二</p>", Digest: "摘要", ContentSourceURL: "https://example.com"},
	})
	if err != nil || news.Type != "news" || news.MediaID == "" {
		t.Fatalf("UploadNews = %+v, %v", news, err)
	}
	mpnews := wechat.MassMessage{MsgType: "mpnews", MediaID: news.MediaID}

	toGroup, err := c.SendAll(ctx, wechat.SendAllRequest{Filter: wechat.MassFilter{GroupID: sandbox.GroupTest}, Message: mpnews, ClientMsgID: "group-103"})
	if err != nil || toGroup.MsgID <= 1<<31 || toGroup.MsgDataID == 0 {
		t.Fatalf("SendAll to a group = %+v, %v", toGroup, err)
	}
	if j, _ := sb.Job(toGroup.MsgID); j.TotalCount != len(sb.OpenIDs(sandbox.GroupTest)) {
		t.Errorf("group job audience %d, want the 测试组 members", j.TotalCount)
	}
	toTag, err := c.SendAll(ctx, wechat.SendAllRequest{Filter: wechat.MassFilter{GroupID: sandbox.GroupVIP, UseTag: true}, Message: mpnews, ClientMsgID: "tag-102"})
	if err != nil {
		t.Fatalf("SendAll to a tag: %v", err)
	}
	if j, _ := sb.Job(toTag.MsgID); j.TotalCount != len(sb.OpenIDs(sandbox.GroupVIP)) {
		t.Errorf("tag job audience %d", j.TotalCount)
	}
	toAll, err := c.SendAll(ctx, wechat.SendAllRequest{Filter: wechat.MassFilter{IsToAll: true}, Message: wechat.MassMessage{MsgType: "text", Text: "大家好"}, ClientMsgID: "all"})
	if err != nil || toAll.MsgID <= toTag.MsgID || toAll.MsgDataID != 0 {
		t.Fatalf("SendAll to everyone = %+v, %v (text has no msg_data_id)", toAll, err)
	}
	if j, _ := sb.Job(toAll.MsgID); j.TotalCount != 300 {
		t.Errorf("everyone job audience %d, want 300", j.TotalCount)
	}
	ids := sb.OpenIDs(sandbox.GroupBeijing)[:3]
	toIDs, err := c.Send(ctx, wechat.SendRequest{ToUser: ids, Message: mpnews, ClientMsgID: "ids"})
	if err != nil || toIDs.MsgID == 0 {
		t.Fatalf("Send = %+v, %v", toIDs, err)
	}
	if j, _ := sb.Job(toIDs.MsgID); j.TotalCount != 3 {
		t.Errorf("openid job audience %d, want 3", j.TotalCount)
	}

	// A retried submit with the same clientmsgid is "already sent", with the existing msg_id.
	dup, err := c.SendAll(ctx, wechat.SendAllRequest{Filter: wechat.MassFilter{GroupID: sandbox.GroupTest}, Message: mpnews, ClientMsgID: "group-103"})
	if we := wantErrcode(t, err, wechat.CodeClientMsgIDExist); we.ExistingMsgID() != toGroup.MsgID || dup.MsgID != toGroup.MsgID {
		t.Errorf("45065 gave msg_id %d / %d, want %d", we.ExistingMsgID(), dup.MsgID, toGroup.MsgID)
	}

	if st, err := c.GetMass(ctx, toGroup.MsgID); err != nil || st != wechat.MassSending {
		t.Errorf("GetMass before finish = %q, %v", st, err)
	}
	sb.FinishPending()
	if st, err := c.GetMass(ctx, toGroup.MsgID); err != nil || st != wechat.MassSendSuccess {
		t.Errorf("GetMass after finish = %q, %v", st, err)
	}
	if err := c.DeleteMass(ctx, toGroup.MsgID, 0); err != nil {
		t.Fatalf("DeleteMass: %v", err)
	}
	if st, _ := c.GetMass(ctx, toGroup.MsgID); st != wechat.MassDeleted {
		t.Errorf("GetMass after delete = %q", st)
	}
	wantErrcode(t, c.DeleteMass(ctx, toGroup.MsgID, 0), 40059)

	groups, err := c.Groups(ctx)
	if err != nil || fmt.Sprint(groups) != fmt.Sprint(sb.Groups()) {
		t.Errorf("Groups = %v, %v; want %v", groups, err, sb.Groups())
	}
}

func TestClientUsersPaging(t *testing.T) {
	ctx := context.Background()
	c, sb := newSandboxClient(t, sandbox.Config{Followers: 12345})
	var got []string
	next := ""
	for page := 0; page < 5; page++ {
		l, err := c.Users(ctx, next)
		if err != nil {
			t.Fatal(err)
		}
		if l.Total != 12345 || l.Count != len(l.OpenIDs) {
			t.Fatalf("page %d: %+v", page, l)
		}
		got = append(got, l.OpenIDs...)
		if l.Count == 0 || l.NextOpenID == "" {
			break
		}
		next = l.NextOpenID
	}
	if fmt.Sprint(got) != fmt.Sprint(sb.OpenIDs(sandbox.AllFollowers)) {
		t.Errorf("paged %d OpenIDs, want all 12345 in order", len(got))
	}
}

func TestClientRefreshesExpiredToken(t *testing.T) {
	ctx := context.Background()
	c, sb := newSandboxClient(t, sandbox.Config{})
	if _, err := c.Groups(ctx); err != nil {
		t.Fatal(err)
	}
	before := sb.Calls("/cgi-bin/token")
	sb.ExpireTokens() // the cached token now answers 42001
	if _, err := c.Groups(ctx); err != nil {
		t.Fatalf("Groups after 42001: %v", err)
	}
	if got := sb.Calls("/cgi-bin/token"); got != before+1 {
		t.Errorf("token fetches %d → %d, want exactly one refresh", before, got)
	}
	if got := sb.Calls("/cgi-bin/groups/get"); got != 2 {
		t.Errorf("groups/get accepted %d times, want 2", got)
	}
}

func TestClientTypedErrors(t *testing.T) {
	ctx := context.Background()

	t.Run("45009 daily quota, uploads count", func(t *testing.T) {
		c, _ := newSandboxClient(t, sandbox.Config{}) // the seed's 10 a day
		for i := range 10 {
			if _, err := c.UploadMedia(ctx, "thumb", "t.jpg", tinyJPEG()); err != nil {
				t.Fatalf("upload %d: %v", i+1, err)
			}
		}
		_, err := c.UploadMedia(ctx, "thumb", "t.jpg", tinyJPEG())
		we := wantErrcode(t, err, wechat.CodeDailyQuota)
		if we.Explanation().ZH == "" {
			t.Error("45009 has no explanation")
		}
	})

	t.Run("40130 openid list size", func(t *testing.T) {
		c, sb := newSandboxClient(t, sandbox.Config{})
		text := wechat.MassMessage{MsgType: "text", Text: "hi"}
		_, err := c.Send(ctx, wechat.SendRequest{ToUser: sb.OpenIDs(sandbox.GroupTest)[:1], Message: text})
		wantErrcode(t, err, wechat.CodeOpenIDListSize)
		many := make([]string, 10001)
		for i := range many {
			many[i] = sb.OpenIDs(sandbox.AllFollowers)[i%300]
		}
		_, err = c.Send(ctx, wechat.SendRequest{ToUser: many, Message: text})
		wantErrcode(t, err, wechat.CodeOpenIDListSize)
	})

	t.Run("40007 invalid media_id", func(t *testing.T) {
		c, _ := newSandboxClient(t, sandbox.Config{})
		_, err := c.SendAll(ctx, wechat.SendAllRequest{Filter: wechat.MassFilter{IsToAll: true}, Message: wechat.MassMessage{MsgType: "mpnews", MediaID: "no-such-media"}})
		wantErrcode(t, err, wechat.CodeInvalidMediaID)
		_, err = c.UploadNews(ctx, []wechat.Article{{ThumbMediaID: "no-such-thumb", Title: "t", Content: "c"}})
		wantErrcode(t, err, wechat.CodeInvalidMediaID)
	})
}
