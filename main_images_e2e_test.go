package main

import (
	"image/color"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"qunfa/wechat/sandbox"
)

// startAppWithSandbox runs the binary against a sandbox the test holds, so it can look at what
// WeChat received. It is the embedded sandbox's setup, with the account given as a real one
// (QUNFA_APPID…) and the API pointed at the sandbox; callbacks go back to the app.
func startAppWithSandbox(t *testing.T, extraEnv map[string]string) (string, *sandbox.Server) {
	t.Helper()
	const appID, secret, token = "wx0e2e0images0a1b", "e2e-images-secret", "qunfaimages"
	sim := sandbox.New(sandbox.Config{AppID: appID, AppSecret: secret, Token: token, FinishDelay: 500 * time.Millisecond})
	api := httptest.NewServer(sim)
	t.Cleanup(func() { api.Close(); sim.Close() })
	env := map[string]string{
		"QUNFA_APPID": appID, "QUNFA_APPSECRET": secret, "QUNFA_TOKEN": token, "QUNFA_WECHAT_API": api.URL,
	}
	for k, v := range extraEnv {
		env[k] = v
	}
	base := startApp(t, env)
	sim.SetCallbackURL(base + "/wechat/callback")
	return base, sim
}

var mmbizImg = regexp.MustCompile(`<img[^>]+src="(http://mmbiz\.qpic\.cn/[^"]+)"`)

// TestBrowserImageInContent: an image put into the content with Jodit's image button is uploaded
// to the dashboard and shown from /images/N; after saving and sending to a group, the news WeChat
// received has the image's uploadimg URL (mmbiz.qpic.cn) in place of /images/N, and uploadimg
// used none of the daily quota.
func TestBrowserImageInContent(t *testing.T) {
	browser := findBrowser(t)
	base, sim := startAppWithSandbox(t, map[string]string{"QUNFA_ADMIN_USER": "admin", "QUNFA_ADMIN_PASSWORD": "password123"})
	ctx := newBrowser(t, browser)
	dir := t.TempDir()
	thumb := writeJPEG(t, dir, "cover.jpg", color.RGBA{200, 60, 0, 255})
	photo := writeJPEG(t, dir, "photo.jpg", color.RGBA{0, 120, 200, 255})
	const article = `fieldset[data-testid=article]:nth-of-type(1)`

	do(t, ctx, "login",
		logIn(base, "admin", "password123"),
		chromedp.Navigate(base+"/drafts/new"),
		chromedp.WaitVisible(chromedp.CSS(`form[data-testid=draft-form]`)),
		fillArticle(0, "图文并茂", "小编", "下面是一张图：", thumb),
	)
	// Jodit's image button opens a popup whose upload tab holds a file input. A GIF is refused
	// (uploadimg takes JPEG and PNG) with the catalogue's message, which Jodit shows.
	gif := filepath.Join(dir, "anim.gif")
	if err := os.WriteFile(gif, []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), 0o600); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, "refused image",
		chromedp.Click(chromedp.CSS(article+` .jodit-toolbar-button_image button`)),
		chromedp.WaitReady(chromedp.CSS(`.jodit-popup input[type=file]`)),
		chromedp.SetUploadFiles(chromedp.CSS(`.jodit-popup input[type=file]`), []string{gif}),
	)
	refusal, err := chromedp.Run(ctx, chromedp.Poll[string](`(() => { const m = document.querySelector('.jodit-ui-message'); return m ? m.textContent : false; })()`,
		chromedp.WithPollingTimeout(20*time.Second)))
	if err != nil || !strings.Contains(refusal, "JPG 或 PNG") {
		t.Fatalf("Jodit showed %q for a GIF (%v), want the catalogue's message", refusal, err)
	}
	shot(t, ctx, "image-refused")
	do(t, ctx, "close popup", chromedp.Click(chromedp.CSS(article+` .jodit-wysiwyg`)))

	do(t, ctx, "insert image",
		chromedp.Click(chromedp.CSS(article+` .jodit-toolbar-button_image button`)),
		chromedp.WaitReady(chromedp.CSS(`.jodit-popup input[type=file]`)),
		chromedp.SetUploadFiles(chromedp.CSS(`.jodit-popup input[type=file]`), []string{photo}),
		chromedp.WaitVisible(chromedp.CSS(article+` .jodit-wysiwyg img[src^="/images/"]`)),
	)
	shot(t, ctx, "image-in-editor")
	// The editor shows the image from the dashboard (it loaded: the browser has its size).
	loaded, err := chromedp.Run(ctx, chromedp.Poll[bool](`(() => { const i = document.querySelector('.jodit-wysiwyg img[src^="/images/"]'); return !!i && i.complete && i.naturalWidth === 120; })()`,
		chromedp.WithPollingTimeout(20*time.Second)))
	if err != nil || !loaded {
		t.Fatalf("the editor did not show the uploaded image (%v)", err)
	}

	do(t, ctx, "save",
		clickLoad(`button[data-testid=save-draft]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash]`)),
	)
	saved, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('textarea[name$=".content"]').value`))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`<img src="/images/\d+"`).MatchString(saved) || strings.Contains(saved, "data:") {
		t.Fatalf("saved content = %q, want the image as /images/N", saved)
	}

	do(t, ctx, "plan",
		clickLoad(`a[data-testid=send-draft]`),
		chromedp.WaitVisible(chromedp.CSS(`input[name=target][value=group]`)),
		chromedp.Click(chromedp.CSS(`input[name=target][value=group]`)),
		chromedp.SetValue(chromedp.CSS(`select[name=group_id]`), "100"),
		clickLoad(`[data-testid=plan-send]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=confirm-send]`)),
	)
	// The cover goes up as a permanent material: listed in the plan, not counted.
	if mark, err := text(ctx, `[data-testid=plan-calls] tr[data-uncounted] [data-testid=plan-not-counted]`); err != nil || mark != "不计入每日次数" {
		t.Fatalf("the plan's add_material line = %q (%v), want it marked 不计入每日次数", mark, err)
	}
	if quota, err := text(ctx, `[data-testid=plan-quota]`); err != nil || !strings.Contains(quota, "本次需要 2 次") {
		t.Fatalf("plan quota = %q (%v), want 2 calls (draft/add, sendall)", quota, err)
	}
	do(t, ctx, "send",
		clickLoad(`[data-testid=confirm-send]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=send-state]`)),
	)
	var msgID int64
	for deadline := time.Now().Add(45 * time.Second); msgID == 0 && time.Now().Before(deadline); {
		// The worker submits in the background; the page shows the msg_id once it has one.
		do(t, ctx, "reload send page", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`[data-testid=send-state]`)))
		if s, err := text(ctx, `[data-testid=send-msgid]`); err == nil && s != "" {
			msgID, _ = strconv.ParseInt(strings.Fields(strings.ReplaceAll(s, ",", " "))[0], 10, 64)
		}
		if msgID == 0 {
			time.Sleep(300 * time.Millisecond)
		}
	}
	if msgID == 0 {
		state, _ := text(ctx, `[data-testid=send-state]`)
		t.Fatalf("no msg_id on the send page (state %q)", state)
	}
	shot(t, ctx, "image-sent")

	job, ok := sim.Job(msgID)
	if !ok {
		t.Fatalf("the sandbox has no job %d", msgID)
	}
	news, ok := sim.News(job.MediaID)
	if !ok || len(news) != 1 {
		t.Fatalf("the sandbox has no news for media %q", job.MediaID)
	}
	content := news[0].Content
	m := mmbizImg.FindStringSubmatch(content)
	if m == nil || strings.Contains(content, "/images/") || !strings.Contains(content, "下面是一张图") {
		t.Fatalf("content WeChat received: %s", content)
	}
	if !sim.ImageURL(m[1]) {
		t.Fatalf("%s was not issued by media/uploadimg", m[1])
	}
	if n := sim.Calls("/cgi-bin/media/uploadimg"); n != 1 {
		t.Fatalf("uploadimg called %d times, want 1", n)
	}
	// A real account's profile (today's API): draft/add and sendall are advanced calls; uploadimg
	// is not, nor is the cover's upload as a permanent material (add_material).
	if n := sim.Calls("/cgi-bin/material/add_material"); n != 1 {
		t.Fatalf("add_material called %d times, want 1", n)
	}
	if left := sim.QuotaLeft(); left != sandbox.DefaultDailyQuota-2 {
		t.Fatalf("sandbox quota left %d, want %d", left, sandbox.DefaultDailyQuota-2)
	}
}
