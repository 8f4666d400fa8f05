package main

import (
	"context"
	"image/color"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// cspWatch collects the page's Content-Security-Policy violations: a listener registered before
// any page script runs (securitypolicyviolation, read after each page) and the console, where
// Chrome reports what it refused.
type cspWatch struct {
	mu   sync.Mutex
	seen []string
}

const cspListener = `window.__csp = [];
document.addEventListener('securitypolicyviolation', function (e) {
	window.__csp.push(e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') + ' at ' + (e.sourceFile || location.pathname) + ':' + e.lineNumber);
});`

func watchCSP(t *testing.T, ctx context.Context) *cspWatch {
	t.Helper()
	w := &cspWatch{}
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: cspListener}); err != nil {
		t.Fatal(err)
	}
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			if strings.Contains(m.Text, "Content Security Policy") || strings.Contains(m.Text, "Content-Security-Policy") {
				w.mu.Lock()
				w.seen = append(w.seen, "console: "+m.Text)
				w.mu.Unlock()
			}
		}
	}()
	return w
}

// check reads the current page's violations and the console's so far, and clears them.
func (w *cspWatch) check(t *testing.T, ctx context.Context, where string) []string {
	t.Helper()
	time.Sleep(300 * time.Millisecond) // the console's events come asynchronously
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(function () { var v = window.__csp || []; window.__csp = []; return v; })()`))
	if err != nil {
		t.Fatalf("%s: read violations: %v", where, err)
	}
	w.mu.Lock()
	got = append(got, w.seen...)
	w.seen = nil
	w.mu.Unlock()
	for i := range got {
		got[i] = where + ": " + got[i]
	}
	return got
}

// TestBrowserCSP walks the main pages with the Content-Security-Policy in force and fails on any
// violation: the editor (Jodit) typed into and saved, a send's page with its chart and htmx's
// polling until the figures arrive, the settings with a preset changed (settings.js), the
// history, schedules, audiences and followers. It first shows that an injected inline script is
// both refused and reported, so a silent watcher cannot pass it.
func TestBrowserCSP(t *testing.T) {
	browser := findBrowser(t)
	base := startApp(t, nil)
	ctx := newBrowser(t, browser)
	csp := watchCSP(t, ctx)
	thumb := writeJPEG(t, t.TempDir(), "cover.jpg", color.RGBA{30, 140, 60, 255})
	var violations []string
	visit := func(stage, path, ready string, more ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		do(t, ctx, stage, append([]chromedp.Action[chromedp.Void]{chromedp.Navigate(base + path), chromedp.WaitVisible(chromedp.CSS(ready))}, more...)...)
		violations = append(violations, csp.check(t, ctx, stage)...)
	}

	do(t, ctx, "setup",
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=setup-submit]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=username]`), "admin"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "correct horse"),
		clickLoad(`[data-testid=setup-submit]`),
		chromedp.WaitVisible(chromedp.CSS(`nav, [data-testid=login-submit]`)),
	)
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); strings.Contains(loc, "/login") {
		violations = append(violations, csp.check(t, ctx, "login")...)
		do(t, ctx, "login", logIn(base, "admin", "correct horse"))
	}

	// The watcher works: an inline script injected now is refused and reported.
	ran, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(function () {
		var s = document.createElement('script');
		s.textContent = 'window.__inlineRan = true';
		document.head.appendChild(s);
		return window.__inlineRan === true;
	})()`))
	if err != nil || ran {
		t.Fatalf("an injected inline script ran (%v): the CSP is not in force", err)
	}
	if probe := csp.check(t, ctx, "probe"); len(probe) == 0 || !strings.Contains(strings.Join(probe, "\n"), "script-src") {
		t.Fatalf("the refused inline script was not reported: %q", probe)
	}

	visit("drafts", "/drafts", `a[data-testid=new-draft]`)
	visit("editor", "/drafts/new", `form[data-testid=draft-form]`,
		fillArticle(0, "内容安全策略", "小编", "正文", thumb),
		clickLoad(`button[data-testid=save-draft]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash]`)),
	)
	violations = append(violations, csp.check(t, ctx, "editor saved")...)
	do(t, ctx, "send form",
		clickLoad(`a[data-testid=send-draft]`),
		chromedp.WaitVisible(chromedp.CSS(`input[name=target][value=group]`)),
		chromedp.Click(chromedp.CSS(`input[name=target][value=group]`)),
		chromedp.SetValue(chromedp.CSS(`select[name=group_id]`), "100"),
	)
	violations = append(violations, csp.check(t, ctx, "send form")...)
	do(t, ctx, "plan", clickLoad(`[data-testid=plan-send]`), chromedp.WaitVisible(chromedp.CSS(`[data-testid=plan-calls]`)))
	violations = append(violations, csp.check(t, ctx, "plan")...)
	do(t, ctx, "send", clickLoad(`[data-testid=confirm-send]`), chromedp.WaitVisible(chromedp.CSS(`canvas[data-testid=stats-chart]`)))
	// htmx polls the figures in until the sandbox's callback has come.
	if _, err := waitText(ctx, `td[data-testid=stat-total]`, func(s string) bool { return s != "" && s != "0" }, 60*time.Second); err != nil {
		t.Fatalf("figures never arrived: %v", err)
	}
	if drawn, err := waitChart(ctx, func(v []int) bool { return len(v) == 4 && v[0] > 0 }, 10*time.Second); err != nil {
		t.Fatalf("the chart was not drawn under the CSP: %v %v", drawn, err)
	}
	violations = append(violations, csp.check(t, ctx, "send page")...)

	visit("history", "/sends", `tr[data-testid=send-row]`)
	visit("schedules", "/schedules", `main`)
	visit("settings", "/settings", `[data-testid=settings-form]`,
		chromedp.SetValue(chromedp.CSS(`select[data-testid=max-articles]`), "3"),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.Evaluate[bool](`document.querySelector('[data-testid=max-articles]').dispatchEvent(new Event('change'))`)(ctx, t)
			return err
		}),
	)
	if preset, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('[data-testid=preset]').value`)); err != nil || preset != "custom" {
		t.Errorf("settings.js did not mark the profile custom (%q, %v)", preset, err)
	}
	visit("audiences", "/audiences", `main`)
	visit("audience import", "/audiences/new", `main`)
	visit("followers", "/followers", `main`)
	visit("not found", "/no/such/page", `main, body`)
	if len(violations) > 0 {
		t.Fatalf("Content-Security-Policy violations:\n%s", strings.Join(violations, "\n"))
	}
}
