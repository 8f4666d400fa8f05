package main

import (
	"context"
	"image/color"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"qunfa/models"
	"qunfa/views/i18n"
)

// Four-eyes in the browser: admin A sends to everyone and the page says it waits for approval;
// admin B logs in, sees it on the send history, approves it; the send goes out in the sandbox.
func TestBrowserFourEyesApproval(t *testing.T) {
	browser := findBrowser(t)
	db := filepath.Join(t.TempDir(), "qunfa.db")
	st, err := models.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"alice", "bob"} { // two admins: the rule is on by default
		if _, err := st.CreateOperator(context.Background(), name, "password-"+name); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	base := startApp(t, map[string]string{"QUNFA_DB": db})
	ctx := newBrowser(t, browser)
	thumb := writeJPEG(t, t.TempDir(), "cover.jpg", color.RGBA{30, 160, 90, 255})

	do(t, ctx, "alice writes",
		logIn(base, "alice", "password-alice"),
		chromedp.Navigate(base+"/drafts/new"),
		chromedp.WaitVisible(chromedp.CSS(`form[data-testid=draft-form]`)),
		fillArticle(0, "全员年终通知", "运营", "正文", thumb),
		clickLoad(`button[data-testid=save-draft]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash]`)),
		chromedp.Navigate(base+"/drafts"),
		clickLoad(`a[data-testid=send-draft]`),
		chromedp.WaitVisible(chromedp.CSS(`input[name=target][value=all]`)),
		chromedp.Click(chromedp.CSS(`input[name=target][value=all]`)),
		clickLoad(`[data-testid=plan-send]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=approval-needed]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=confirm-all]`)),
		clickLoad(`[data-testid=confirm-send]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=approval]`)),
	)
	if s, err := text(ctx, `[data-testid=send-state]`); err != nil || s != i18n.T("zh", "state.awaiting_approval") {
		t.Fatalf("alice's send state = %q, %v", s, err)
	}
	if s, err := text(ctx, `[data-testid=approval]`); err != nil || !strings.Contains(s, i18n.T("zh", "approval.waiting_title")) {
		t.Fatalf("alice's page = %q, %v", s, err)
	}
	shot(t, ctx, "approval-waiting")
	sendURL, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	// Nothing went to WeChat meanwhile.
	time.Sleep(2 * time.Second)
	do(t, ctx, "still waiting", chromedp.Navigate(sendURL), chromedp.WaitVisible(chromedp.CSS(`[data-testid=approval]`)))
	if s, _ := text(ctx, `[data-testid=send-msgid]`); s != "—" {
		t.Fatalf("a msg_id before approval: %q", s)
	}

	do(t, ctx, "bob approves",
		clickLoad(`[data-testid=logout]`),
		logIn(base, "bob", "password-bob"),
		chromedp.Navigate(base+"/sends"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=approval-banner]`)),
	)
	shot(t, ctx, "approval-banner")
	do(t, ctx, "bob opens it",
		clickLoad(`[data-testid=approval-item] a`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=approve]`)),
	)
	if s, err := text(ctx, `[data-testid=approval-requested]`); err != nil || !strings.Contains(s, "alice") {
		t.Fatalf("who asked = %q, %v", s, err)
	}
	do(t, ctx, "approve", clickLoad(`[data-testid=approve]`), chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash]`)))
	finished := i18n.T("zh", "state.finished")
	if _, err := waitText(ctx, `[data-testid=send-state]`, func(s string) bool { return s == finished }, 60*time.Second); err != nil {
		t.Fatalf("the approved send never finished: %v", err)
	}
	if s, err := text(ctx, `[data-testid=send-msgid]`); err != nil || s == "—" || s == "" {
		t.Fatalf("msg_id after approval = %q, %v", s, err)
	}
	shot(t, ctx, "approval-sent")
}
