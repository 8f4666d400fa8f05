package main

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestBrowserPhoneMenu: at a phone's width the navigation folds behind a menu button that the
// keyboard opens (Enter) and closes (Escape, focus back on the button), the quota meter stays in
// sight, and every button and link a thumb needs is at least 44 px; without JavaScript the menu
// is simply open. At a desktop's width there is no button and the navigation shows.
func TestBrowserPhoneMenu(t *testing.T) {
	browser := findBrowser(t)
	base := startApp(t, map[string]string{"QUNFA_ADMIN_USER": "admin", "QUNFA_ADMIN_PASSWORD": "correct horse"})
	ctx := newBrowser(t, browser)
	do(t, ctx, "login", logIn(base, "admin", "correct horse"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=nav-drafts]`)),
	)
	eval := func(js string) bool {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return v
	}
	const (
		navShown    = `!!document.querySelector('[data-testid=nav-sends]').offsetParent`
		buttonShown = `!!document.querySelector('[data-testid=menu-toggle]').offsetParent`
		expanded    = `document.querySelector('[data-testid=menu-toggle]').getAttribute('aria-expanded') === 'true'`
		quotaShown  = `(() => { const r = document.querySelector('[data-testid=quota-left]').getBoundingClientRect();
			return r.height > 0 && r.top >= 0 && r.bottom <= innerHeight && r.right <= innerWidth; })()`
	)
	if eval(buttonShown) || !eval(navShown) {
		t.Fatal("at 1280 px: the menu button shows or the navigation does not")
	}

	do(t, ctx, "phone width", chromedp.EmulateViewport(390, 844), chromedp.Navigate(base+"/drafts/new"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=menu-toggle]`)))
	if eval(navShown) || eval(expanded) || !eval(quotaShown) {
		t.Fatalf("at 390 px the menu should start closed with the quota in sight (nav %v, expanded %v, quota %v)",
			eval(navShown), eval(expanded), eval(quotaShown))
	}
	// The primary actions and every other control a thumb needs: 44 px or more.
	small, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll(
			'.btn, button, .nav a, label.check, input[type=text], input[type=url], input[type=file], select'))
		.filter(e => e.offsetParent && !e.closest('.jodit-container'))
		.filter(e => { const r = e.getBoundingClientRect(); return r.height < 44 || r.width < 44; })
		.map(e => (e.dataset.testid || e.tagName) + ' ' + Math.round(e.getBoundingClientRect().width) + 'x' + Math.round(e.getBoundingClientRect().height))`))
	if err != nil || len(small) > 0 {
		t.Errorf("touch targets under 44 px on the editor at 390 px: %v %v", small, err)
	}

	do(t, ctx, "open with Enter", chromedp.Focus(chromedp.CSS(`[data-testid=menu-toggle]`)), chromedp.KeyEvent("\r"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=nav-sends]`)))
	if !eval(expanded) || !eval(quotaShown) {
		t.Fatal("open: aria-expanded should be true and the quota still in sight")
	}
	small, err = chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('#site-menu a, #site-menu button, [data-testid=menu-toggle]'))
		.filter(e => e.getBoundingClientRect().height < 44).map(e => e.dataset.testid || e.textContent)`))
	if err != nil || len(small) > 0 {
		t.Errorf("menu entries under 44 px high: %v %v", small, err)
	}
	do(t, ctx, "close with Escape", chromedp.KeyEvent(kb.Escape), chromedp.WaitNotVisible(chromedp.CSS(`[data-testid=nav-sends]`)))
	if eval(expanded) || !eval(`document.activeElement === document.querySelector('[data-testid=menu-toggle]')`) {
		t.Fatal("Escape should close the menu and leave the focus on its button")
	}

	noJS := chromedp.Action[chromedp.Void](func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return chromedp.Void{}, err
	})
	do(t, ctx, "without JavaScript", noJS, chromedp.Navigate(base+"/drafts"), chromedp.WaitReady(chromedp.CSS(`body`)),
		chromedp.Sleep(200*time.Millisecond))
	if eval(buttonShown) || !eval(navShown) {
		t.Fatal("without JavaScript the menu should be open and its button hidden")
	}
}
