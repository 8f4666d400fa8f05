package main

import (
	"image/color"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"qunfa/wechat/sandbox"
)

// TestBrowserPreview: write a draft, preview it to the WeChat ID qunfa_demo through the send
// page's preview form, and see it in the page's previews table (Beijing time, recipient,
// result). The sandbox received exactly one preview — the news the dashboard uploaded, to that
// WeChat ID — and the preview used none of the daily quota (the news upload did).
func TestBrowserPreview(t *testing.T) {
	browser := findBrowser(t)
	base, sim := startAppWithSandbox(t, map[string]string{"QUNFA_ADMIN_USER": "admin", "QUNFA_ADMIN_PASSWORD": "password123"})
	ctx := newBrowser(t, browser)
	thumb := writeJPEG(t, t.TempDir(), "cover.jpg", color.RGBA{20, 160, 90, 255})

	do(t, ctx, "login and draft",
		logIn(base, "admin", "password123"),
		chromedp.Navigate(base+"/drafts/new"),
		chromedp.WaitVisible(chromedp.CSS(`form[data-testid=draft-form]`)),
		fillArticle(0, "预览一下", "小编", "先发给自己看看", thumb),
		clickLoad(`button[data-testid=save-draft]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash]`)),
	)
	do(t, ctx, "send page",
		clickLoad(`a[data-testid=send-draft]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=preview-section]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=previews-empty]`)),
	)
	do(t, ctx, "preview",
		chromedp.Click(chromedp.CSS(`input[name=preview_kind][value=wxname]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=preview_to]`), "qunfa_demo"),
		chromedp.Click(chromedp.CSS(`button[data-testid=preview-send]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=previews] tr[data-testid=preview-row]`)),
	)
	shot(t, ctx, "preview-sent")

	flash, err := text(ctx, `[data-testid=flash]`)
	if err != nil || !strings.Contains(flash, "预览已发送到 qunfa_demo") {
		t.Fatalf("flash = %q (%v)", flash, err)
	}
	row, err := text(ctx, `[data-testid=previews] tr[data-testid=preview-row]`)
	if err != nil || !strings.Contains(row, "qunfa_demo") || !strings.Contains(row, "已发送") {
		t.Fatalf("preview row = %q (%v)", row, err)
	}
	// The send form is still there, untouched.
	do(t, ctx, "send form intact", chromedp.WaitVisible(chromedp.CSS(`form[data-testid=send-form] [data-testid=plan-send]`)))

	previews := sim.Previews()
	if len(previews) != 1 {
		t.Fatalf("the sandbox has %d previews, want 1: %+v", len(previews), previews)
	}
	p := previews[0]
	if p.ToWXName != "qunfa_demo" || p.ToUser != "" || p.MsgType != "mpnews" || p.MsgID == 0 {
		t.Fatalf("sandbox preview = %+v", p)
	}
	news, ok := sim.News(p.MediaID)
	if !ok || len(news) != 1 || news[0].Title != "预览一下" {
		t.Fatalf("the previewed media %q is not the draft's news: %+v", p.MediaID, news)
	}
	if !strings.Contains(row, "msg_id") {
		t.Errorf("preview row = %q, want WeChat's msg_id", row)
	}
	// The news upload (draft/add, a real account's profile) is an advanced call; the preview is
	// not, nor is the cover's upload as a permanent material (add_material).
	if left := sim.QuotaLeft(); left != sandbox.DefaultDailyQuota-1 || sim.Calls("/cgi-bin/material/add_material") != 1 {
		t.Fatalf("sandbox quota left %d, want %d (add_material calls %d, want 1)", left, sandbox.DefaultDailyQuota-1, sim.Calls("/cgi-bin/material/add_material"))
	}
}
