package wechat_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"qunfa/wechat"
	"qunfa/wechat/protocol"
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
	return wechat.NewClient(wechat.Config{BaseURL: srv.URL, AppID: sbAppID, AppSecret: sbSecret, RetryBaseDelay: time.Microsecond}), sb
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
	if we := wantErrcode(t, err, protocol.CodeClientMsgIDExist); we.ExistingMsgID() != toGroup.MsgID || dup.MsgID != toGroup.MsgID {
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
		we := wantErrcode(t, err, protocol.CodeDailyQuota)
		if key, _ := wechat.ErrcodeKey(we.Code); key == "errcode.unknown" {
			t.Error("45009 has no explanation")
		}
	})

	t.Run("40130 openid list size", func(t *testing.T) {
		c, sb := newSandboxClient(t, sandbox.Config{})
		text := wechat.MassMessage{MsgType: "text", Text: "hi"}
		_, err := c.Send(ctx, wechat.SendRequest{ToUser: sb.OpenIDs(sandbox.GroupTest)[:1], Message: text})
		wantErrcode(t, err, protocol.CodeOpenIDListSize)
		many := make([]string, 10001)
		for i := range many {
			many[i] = sb.OpenIDs(sandbox.AllFollowers)[i%300]
		}
		_, err = c.Send(ctx, wechat.SendRequest{ToUser: many, Message: text})
		wantErrcode(t, err, protocol.CodeOpenIDListSize)
	})

	t.Run("40007 invalid media_id", func(t *testing.T) {
		c, _ := newSandboxClient(t, sandbox.Config{})
		_, err := c.SendAll(ctx, wechat.SendAllRequest{Filter: wechat.MassFilter{IsToAll: true}, Message: wechat.MassMessage{MsgType: "mpnews", MediaID: "no-such-media"}})
		wantErrcode(t, err, protocol.CodeInvalidMediaID)
		_, err = c.UploadNews(ctx, []wechat.Article{{ThumbMediaID: "no-such-thumb", Title: "t", Content: "c"}})
		wantErrcode(t, err, protocol.CodeInvalidMediaID)
	})
}

func TestClientStableTokenAgainstSandbox(t *testing.T) {
	ctx := context.Background()
	_, sb := newSandboxClient(t, sandbox.Config{})
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	c := wechat.NewClient(wechat.Config{BaseURL: srv.URL, AppID: sbAppID, AppSecret: sbSecret, StableToken: true, RetryBaseDelay: time.Microsecond})
	first, err := c.AccessToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if sb.Calls("/cgi-bin/stable_token") != 1 || sb.Calls("/cgi-bin/token") != 0 {
		t.Fatalf("stable_token %d, token %d fetches", sb.Calls("/cgi-bin/stable_token"), sb.Calls("/cgi-bin/token"))
	}
	// A plain client of the same account fetching cgi-bin/token does not disturb the stable one.
	plain := wechat.NewClient(wechat.Config{BaseURL: srv.URL, AppID: sbAppID, AppSecret: sbSecret})
	if _, err := plain.Groups(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Groups(ctx); err != nil {
		t.Fatal(err)
	}
	// WeChat rejects the token while stable_token's normal mode would hand the same one back:
	// the client forces one refresh.
	sb.FailNext("/cgi-bin/groups/get", protocol.CodeInvalidCredential)
	if _, err := c.Groups(ctx); err != nil {
		t.Fatalf("Groups after 40001: %v", err)
	}
	if tok, _ := c.AccessToken(ctx); tok == first || sb.Calls("/cgi-bin/stable_token") != 3 {
		t.Errorf("after 40001: same token %v, %d stable_token calls (want 3: normal, normal, forced)", tok == first, sb.Calls("/cgi-bin/stable_token"))
	}
	// An expired token is renewed by normal mode: no force needed.
	sb.ExpireTokens()
	if _, err := c.Groups(ctx); err != nil {
		t.Fatal(err)
	}
	if n := sb.Calls("/cgi-bin/stable_token"); n != 4 {
		t.Errorf("%d stable_token calls, want 4", n)
	}
}

func TestClientConcurrentTokenFailuresRefreshOnce(t *testing.T) {
	ctx := context.Background()
	c, sb := newSandboxClient(t, sandbox.Config{})
	if _, err := c.Groups(ctx); err != nil {
		t.Fatal(err)
	}
	sb.ExpireTokens() // every caller's cached token now answers 42001
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.Groups(ctx)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := sb.Calls("/cgi-bin/token"); got != 2 {
		t.Errorf("%d token fetches, want 2: the first and exactly one refresh for %d failing callers", got, n)
	}
}

func png(n int) []byte { return append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, n-8)...) }

func TestClientMediaEndpointsAgainstSandbox(t *testing.T) {
	ctx := context.Background()
	c, sb := newSandboxClient(t, sandbox.Config{DailyQuota: 100})

	u, err := c.UploadImage(ctx, "inline.png", png(4096))
	if err != nil || !strings.HasPrefix(u, "http://mmbiz.qpic.cn/") || !sb.ImageURL(u) {
		t.Fatalf("UploadImage = %q, %v", u, err)
	}
	_, err = c.UploadImage(ctx, "big.jpg", append(tinyJPEG(), make([]byte, 1<<20)...))
	wantErrcode(t, err, 40009)
	_, err = c.UploadImage(ctx, "anim.gif", []byte("GIF89a........"))
	wantErrcode(t, err, 40005)

	img, err := c.UploadMedia(ctx, "image", "photo.png", png(100<<10))
	if err != nil || img.Type != "image" || img.MediaID == "" {
		t.Fatalf("UploadMedia(image) = %+v, %v", img, err)
	}
	_, err = c.UploadMedia(ctx, "image", "huge.png", png(2<<20+1))
	wantErrcode(t, err, 40006)

	thumb, err := c.UploadMedia(ctx, "thumb", "cover.jpg", tinyJPEG())
	if err != nil {
		t.Fatal(err)
	}
	news, err := c.UploadNews(ctx, []wechat.Article{
		{ThumbMediaID: thumb.MediaID, Title: "评论开放", Content: `<p><img src="` + u + `"></p>`, ShowCoverPic: 1, NeedOpenComment: 1, OnlyFansCanComment: 1},
		{ThumbMediaID: img.MediaID, Title: "评论关闭", Content: "<p>二</p>"},
	})
	if err != nil {
		t.Fatal(err)
	}
	arts, ok := sb.News(news.MediaID)
	if !ok || len(arts) != 2 || arts[0].ShowCoverPic != 1 || arts[0].NeedOpenComment != 1 || arts[0].OnlyFansCanComment != 1 ||
		arts[1].NeedOpenComment != 0 || arts[1].OnlyFansCanComment != 0 || !strings.Contains(arts[0].Content, u) {
		t.Errorf("uploadnews received %+v", arts)
	}

	// draft/add wants a permanent material as the cover: a temporary thumb is refused.
	_, err = c.AddDraft(ctx, []wechat.Article{{ThumbMediaID: thumb.MediaID, Title: "草稿", Content: "<p>草稿</p>"}})
	wantErrcode(t, err, protocol.CodeInvalidMediaID)
	material, _, err := c.AddMaterial(ctx, "thumb", "cover.jpg", tinyJPEG())
	if err != nil {
		t.Fatal(err)
	}
	draft, err := c.AddDraft(ctx, []wechat.Article{{ThumbMediaID: material, Title: "草稿", Author: "编辑部", Content: "<p>草稿</p>", NeedOpenComment: 1}})
	if err != nil || draft == "" {
		t.Fatalf("AddDraft = %q, %v", draft, err)
	}
	if arts, ok := sb.News(draft); !ok || len(arts) != 1 || arts[0].Author != "编辑部" || arts[0].NeedOpenComment != 1 {
		t.Errorf("draft/add received %+v", arts)
	}
	nine := make([]wechat.Article, 9)
	for i := range nine {
		nine[i] = wechat.Article{ThumbMediaID: material, Title: "t", Content: "c"}
	}
	_, err = c.AddDraft(ctx, nine)
	wantErrcode(t, err, protocol.CodeArticleSize)
	// A draft's media_id is what today's sendall takes for mpnews.
	res, err := c.SendAll(ctx, wechat.SendAllRequest{Filter: wechat.MassFilter{GroupID: sandbox.GroupTest, UseTag: true},
		Message: wechat.MassMessage{MsgType: "mpnews", MediaID: draft}, SendIgnoreReprint: 1, ClientMsgID: "draft-1"})
	if err != nil || res.MsgDataID == 0 {
		t.Fatalf("SendAll(draft) = %+v, %v", res, err)
	}
	j, _ := sb.Job(res.MsgID)
	if j.MediaID != draft || j.SendIgnoreReprint != 1 || j.ClientMsgID != "draft-1" || j.TotalCount != len(sb.OpenIDs(sandbox.GroupTest)) {
		t.Errorf("job %+v: want the draft to the 测试组 tag with send_ignore_reprint 1 and its clientmsgid", j)
	}
	// The mass send took the draft out of the draft box.
	_, err = c.SendAll(ctx, wechat.SendAllRequest{Filter: wechat.MassFilter{GroupID: sandbox.GroupTest, UseTag: true},
		Message: wechat.MassMessage{MsgType: "mpnews", MediaID: draft}, ClientMsgID: "draft-2"})
	wantErrcode(t, err, protocol.CodeInvalidMediaID)
}

func TestClientAddMaterialAgainstSandbox(t *testing.T) {
	ctx := context.Background()
	c, sb := newSandboxClient(t, sandbox.Config{})
	id, u, err := c.AddMaterial(ctx, "thumb", "cover.jpg", tinyJPEG())
	if err != nil || id == "" || !strings.HasPrefix(u, "http://mmbiz.qpic.cn/") {
		t.Fatalf("AddMaterial(thumb) = %q %q, %v", id, u, err)
	}
	if img, _, err := c.AddMaterial(ctx, "image", "photo.png", png(4096)); err != nil || img == "" || img == id {
		t.Fatalf("AddMaterial(image) = %q, %v", img, err)
	}
	if _, _, err := c.AddMaterial(ctx, "thumb", "big.jpg", append(tinyJPEG(), make([]byte, 64<<10)...)); err == nil {
		t.Fatal("a thumb over 64 KB was accepted")
	} else {
		wantErrcode(t, err, protocol.CodeInvalidMediaSize)
	}
	if _, _, err := c.AddMaterial(ctx, "voice", "a.mp3", tinyJPEG()); err == nil {
		t.Fatal("AddMaterial(voice) reached the server")
	}
	if sb.QuotaLeft() != 10 {
		t.Errorf("quota left %d: add_material is not a mass-send call", sb.QuotaLeft())
	}

	// Retried like other uploads: after a transient errcode (WeChat stored nothing)…
	sb.FailNext("/cgi-bin/material/add_material", -1)
	if _, _, err := c.AddMaterial(ctx, "thumb", "cover.jpg", tinyJPEG()); err != nil || sb.Calls("/cgi-bin/material/add_material") != 3 {
		t.Fatalf("after -1: %v, %d accepted; want retried once", err, sb.Calls("/cgi-bin/material/add_material"))
	}
	// …but not after a timeout, when the material may have been stored.
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	slow := wechat.NewClient(wechat.Config{BaseURL: srv.URL, AppID: sbAppID, AppSecret: sbSecret,
		RequestTimeout: 100 * time.Millisecond, RetryBaseDelay: time.Microsecond})
	sb.HangNextAfterAccept("/cgi-bin/material/add_material")
	if _, _, err := slow.AddMaterial(ctx, "thumb", "cover.jpg", tinyJPEG()); err == nil {
		t.Fatal("a timed-out add_material reported success")
	}
	if n := sb.Calls("/cgi-bin/material/add_material"); n != 4 {
		t.Fatalf("%d add_material accepted, want 4 (no retry after the timeout)", n)
	}
}

func TestClientPreviewAgainstSandbox(t *testing.T) {
	ctx := context.Background()
	c, sb := newSandboxClient(t, sandbox.Config{})
	text := wechat.MassMessage{MsgType: "text", Text: "预览"}
	me := sb.OpenIDs(sandbox.GroupTest)[0]

	id, err := c.Preview(ctx, wechat.PreviewRequest{ToUser: me, Message: text})
	if err != nil || id == 0 {
		t.Fatalf("Preview(touser) = %d, %v", id, err)
	}
	if _, err := c.Preview(ctx, wechat.PreviewRequest{ToUser: me, ToWXName: "qunfa_ops", Message: text}); err != nil {
		t.Fatal(err)
	}
	p := sb.Previews()
	if len(p) != 2 || p[0].ToUser != me || p[0].MsgID != id || p[0].Content != "预览" || p[1].ToWXName != "qunfa_ops" || p[1].ToUser != "" {
		t.Errorf("previews %+v: want touser, then towxname winning", p)
	}
	if _, err := c.Preview(ctx, wechat.PreviewRequest{ToUser: "  ", Message: text}); !errors.Is(err, wechat.ErrNoRecipient) {
		t.Errorf("no recipient: %v", err)
	}
	if n := len(sb.Previews()); n != 2 {
		t.Errorf("a preview without recipient reached the server (%d previews)", n)
	}
	_, err = c.Preview(ctx, wechat.PreviewRequest{ToUser: "oNotAFollower000000000000000", Message: text})
	wantErrcode(t, err, protocol.CodeInvalidOpenID)
	// Never retried: a -1 is the answer, and nothing was delivered twice.
	sb.FailNext("/cgi-bin/message/mass/preview", -1)
	_, err = c.Preview(ctx, wechat.PreviewRequest{ToUser: me, Message: text})
	wantErrcode(t, err, protocol.CodeSystemBusy)
	if n := len(sb.Previews()); n != 2 {
		t.Errorf("%d previews, want 2", n)
	}
}

func TestClientMassGetDeleteSpeedAgainstSandbox(t *testing.T) {
	ctx := context.Background()
	c, sb := newSandboxClient(t, sandbox.Config{DailyQuota: 100})
	thumb, _ := c.UploadMedia(ctx, "thumb", "c.jpg", tinyJPEG())
	news, err := c.UploadNews(ctx, []wechat.Article{{ThumbMediaID: thumb.MediaID, Title: "一", Content: "a"}, {ThumbMediaID: thumb.MediaID, Title: "二", Content: "b"}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.SendAll(ctx, wechat.SendAllRequest{Filter: wechat.MassFilter{IsToAll: true}, Message: wechat.MassMessage{MsgType: "mpnews", MediaID: news.MediaID}, ClientMsgID: "d"})
	if err != nil {
		t.Fatal(err)
	}
	wantErrcode(t, c.DeleteMass(ctx, res.MsgID, 1), protocol.CodeInvalidMsgID) // not finished yet
	sb.FinishPending()
	wantErrcode(t, c.DeleteMass(ctx, res.MsgID, 3), protocol.CodeInvalidArticleIdx)
	if err := c.DeleteMass(ctx, res.MsgID, 1); err != nil {
		t.Fatal(err)
	}
	if st, _ := c.GetMass(ctx, res.MsgID); st != wechat.MassSendSuccess {
		t.Errorf("after deleting article 1 of 2: %q", st)
	}
	if err := c.DeleteMass(ctx, res.MsgID, 2); err != nil {
		t.Fatal(err)
	}
	if st, _ := c.GetMass(ctx, res.MsgID); st != wechat.MassDeleted {
		t.Errorf("after deleting both articles: %q", st)
	}
	_, err = c.GetMass(ctx, 42)
	wantErrcode(t, err, protocol.CodeInvalidMsgID)

	if sp, err := c.GetMassSpeed(ctx); err != nil || sp != (wechat.MassSpeed{Speed: 0, RealSpeed: 80}) {
		t.Errorf("GetMassSpeed = %+v, %v", sp, err)
	}
	if err := c.SetMassSpeed(ctx, 3); err != nil {
		t.Fatal(err)
	}
	if sp, _ := c.GetMassSpeed(ctx); sp != (wechat.MassSpeed{Speed: 3, RealSpeed: 30}) {
		t.Errorf("after SetMassSpeed(3): %+v", sp)
	}
	wantErrcode(t, c.SetMassSpeed(ctx, 5), 45083)
	wantErrcode(t, c.SetMassSpeed(ctx, -1), 45083)
}

func TestClientAudienceAgainstSandbox(t *testing.T) {
	ctx := context.Background()
	c, sb := newSandboxClient(t, sandbox.Config{Followers: 50000})
	tags, err := c.Tags(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var want []wechat.Tag
	for _, g := range sb.Groups() {
		if g.ID == sandbox.GroupStarred || g.ID >= 100 {
			want = append(want, wechat.Tag(g))
		}
	}
	if fmt.Sprint(tags) != fmt.Sprint(want) {
		t.Errorf("Tags = %v, want %v", tags, want)
	}

	// user/tag/get pages through a tag of more than 10 000 followers.
	var got []string
	next := ""
	for range 5 {
		page, err := c.TagUsers(ctx, sandbox.GroupBeijing, next)
		if err != nil {
			t.Fatal(err)
		}
		if page.Count != len(page.OpenIDs) || page.Count > 10000 {
			t.Fatalf("page %+v", page.Count)
		}
		got = append(got, page.OpenIDs...)
		if page.Count == 0 {
			break
		}
		next = page.NextOpenID
	}
	members := sb.OpenIDs(sandbox.GroupBeijing)
	if len(members) <= 10000 || fmt.Sprint(got) != fmt.Sprint(members) {
		t.Errorf("paged %d of the tag's %d followers", len(got), len(members))
	}
	_, err = c.TagUsers(ctx, sandbox.GroupBlacklist, "")
	wantErrcode(t, err, 45159)

	ids := []string{members[0], sb.OpenIDs(sandbox.GroupUngrouped)[0], members[1]}
	infos, err := c.BatchUserInfo(ctx, ids, "")
	if err != nil || len(infos) != 3 {
		t.Fatalf("BatchUserInfo = %v, %v", infos, err)
	}
	for i, u := range infos {
		if u.OpenID != ids[i] || u.Subscribe != 1 || u.SubscribeTime == 0 || u.SubscribeScene == "" || u.Language != "zh_CN" {
			t.Errorf("info %d = %+v", i, u)
		}
	}
	if fmt.Sprint(infos[0].TagIDs) != "[100]" || len(infos[1].TagIDs) != 0 || infos[0].GroupID != 100 {
		t.Errorf("tags %v / %v", infos[0].TagIDs, infos[1].TagIDs)
	}
	_, err = c.BatchUserInfo(ctx, members[:101], "en")
	wantErrcode(t, err, 40032)
	_, err = c.BatchUserInfo(ctx, nil, "")
	wantErrcode(t, err, 40032)

	if tagIDs, err := c.UserTagIDs(ctx, members[2]); err != nil || fmt.Sprint(tagIDs) != "[100]" {
		t.Errorf("UserTagIDs = %v, %v", tagIDs, err)
	}
	_, err = c.UserTagIDs(ctx, "nobody")
	wantErrcode(t, err, protocol.CodeInvalidOpenID)
}

func TestClientTimeoutsAgainstSandbox(t *testing.T) {
	ctx := context.Background()
	_, sb := newSandboxClient(t, sandbox.Config{DailyQuota: 100})
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	c := wechat.NewClient(wechat.Config{BaseURL: srv.URL, AppID: sbAppID, AppSecret: sbSecret,
		RequestTimeout: 100 * time.Millisecond, RetryBaseDelay: time.Microsecond})
	text := wechat.MassMessage{MsgType: "text", Text: "超时"}
	test := wechat.MassFilter{GroupID: sandbox.GroupTest, UseTag: true}

	// A read that hangs once is tried again.
	sb.HangNext("/cgi-bin/tags/get")
	if _, err := c.Tags(ctx); err != nil {
		t.Fatalf("Tags after a timeout: %v", err)
	}
	// A send without clientmsgid that timed out after WeChat accepted it is not repeated.
	sb.HangNextAfterAccept("/cgi-bin/message/mass/sendall")
	if _, err := c.SendAll(ctx, wechat.SendAllRequest{Filter: test, Message: text}); err == nil {
		t.Fatal("a timed-out send without clientmsgid reported success")
	}
	if n := sb.Calls("/cgi-bin/message/mass/sendall"); n != 1 {
		t.Fatalf("%d sendall accepted, want 1", n)
	}
	// With a clientmsgid the retry is safe: WeChat answers 45065 with the job that went out.
	sb.HangNextAfterAccept("/cgi-bin/message/mass/sendall")
	res, err := c.SendAll(ctx, wechat.SendAllRequest{Filter: test, Message: wechat.MassMessage{MsgType: "text", Text: "再试"}, ClientMsgID: "job-7-0"})
	we := wantErrcode(t, err, protocol.CodeClientMsgIDExist)
	j, ok := sb.Job(res.MsgID)
	if !ok || j.ClientMsgID != "job-7-0" || we.ExistingMsgID() != res.MsgID || sb.Calls("/cgi-bin/message/mass/sendall") != 2 {
		t.Errorf("after the retry: result %+v, job %+v; want the one accepted job's msg_id", res, j)
	}
	// A hang past the caller's own deadline is not retried (a retry would succeed).
	sb.HangNext("/cgi-bin/groups/get")
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := c.Groups(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want the caller's deadline", err)
	}
}

func TestClientSeesReviewFailureAgainstSandbox(t *testing.T) {
	ctx := context.Background()
	c, sb := newSandboxClient(t, sandbox.Config{})
	sb.FailReviewNext(20002)
	res, err := c.SendAll(ctx, wechat.SendAllRequest{Filter: wechat.MassFilter{IsToAll: true}, Message: wechat.MassMessage{MsgType: "text", Text: "x"}, ClientMsgID: "r"})
	if err != nil {
		t.Fatal(err)
	}
	sb.FinishPending()
	if st, err := c.GetMass(ctx, res.MsgID); err != nil || st != wechat.MassSendFail {
		t.Errorf("GetMass = %q, %v", st, err)
	}
	if j, _ := sb.Job(res.MsgID); j.Status != "err(20002)" {
		t.Errorf("job status %q", j.Status)
	}
}

// TestQuotaAgainstSandbox: the client reads the sandbox's shared budget and its 76021.
func TestQuotaAgainstSandbox(t *testing.T) {
	ctx := context.Background()
	c, sb := newSandboxClient(t, sandbox.Config{})
	if _, err := c.UploadMedia(ctx, "thumb", "a.jpg", tinyJPEG()); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/cgi-bin/media/upload", "/cgi-bin/message/mass/sendall"} {
		q, err := c.Quota(ctx, p)
		if err != nil || q != (wechat.Quota{DailyLimit: 10, Used: 1, Remain: 9}) {
			t.Fatalf("Quota(%s) = %+v, %v; want 10/1/9", p, q, err)
		}
	}
	if left := sb.QuotaLeft(); left != 9 {
		t.Fatalf("sandbox QuotaLeft = %d, want 9 (quota/get is not counted)", left)
	}
	_, err := c.Quota(ctx, "/cgi-bin/message/mass/get")
	wantErrcode(t, err, protocol.CodeQuotaPathNotFound)
}
