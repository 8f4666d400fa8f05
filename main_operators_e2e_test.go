package main

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserOperators (issue 8): the admin adds an editor; the editor, in a browser context of
// their own, logs in, must first choose a password of their own (the admin knows the first one),
// sees no Settings link, meets the 403 page at /settings and changes their password again; the admin disables the editor, whose next page load goes to the login.
func TestBrowserOperators(t *testing.T) {
	browser := findBrowser(t)
	base := startApp(t, map[string]string{"QUNFA_ADMIN_USER": "admin", "QUNFA_ADMIN_PASSWORD": "correct horse"})
	admin := newBrowser(t, browser)
	do(t, admin, "admin logs in", logIn(base, "admin", "correct horse"))

	do(t, admin, "admin adds an editor",
		chromedp.Navigate(base+"/operators"),
		clickLoad(`[data-testid=new-operator]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=operator-form]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=operator-username]`), "xiaobian"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=operator-password]`), "first-pass-1"),
		chromedp.SetValue(chromedp.CSS(`[data-testid=role-select]`), "editor"),
		clickLoad(`[data-testid=operator-create]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=operator-row][data-username=xiaobian]`)),
	)
	if role, err := text(admin, `[data-testid=operator-row][data-username=xiaobian] [data-testid=operator-role]`); err != nil || role != "编辑" {
		t.Fatalf("the new operator's role on the list: %q, %v", role, err)
	}

	// The editor's own browser context: cookies apart from the admin's.
	editor, cancel := chromedp.NewContext(admin, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(editor); err != nil { // the tab lives as long as this context, not a stage's
		t.Fatal(err)
	}
	// The admin knows the password: the editor must choose their own before anything else.
	do(t, editor, "editor logs in", logIn(base, "xiaobian", "first-pass-1"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=password-forced]`)))
	do(t, editor, "editor tries the drafts first", chromedp.Navigate(base+"/drafts"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=password-forced]`)))
	do(t, editor, "editor chooses a password",
		chromedp.SendKeys(chromedp.CSS(`[data-testid=password-current]`), "first-pass-1"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=password-new]`), "own-pass-9"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=password-confirm]`), "own-pass-9"),
		clickLoad(`[data-testid=password-submit]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=nav-drafts]`)))
	if loc, err := chromedp.Run(editor, chromedp.Location()); err != nil || strings.Contains(loc, "/account/password") {
		t.Fatalf("after choosing a password the editor is at %q, %v; want their home", loc, err)
	}
	links, err := chromedp.Run(editor, chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll('#site-menu [data-testid^=nav-]')).map(a => a.dataset.testid)`))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(links, " "); got != "nav-overview nav-drafts nav-sends nav-schedules nav-audiences nav-followers nav-abtests nav-account" {
		t.Fatalf("the editor's menu: %s", got)
	}
	do(t, editor, "editor opens /settings", chromedp.Navigate(base+"/settings"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=error-page]`)))
	if h, err := text(editor, `[data-testid=error-page] h1`); err != nil || h != "403" {
		t.Fatalf("the editor at /settings: %q, %v", h, err)
	}
	if msg, _ := text(editor, `[data-testid=error-message]`); !strings.Contains(msg, "角色无权") {
		t.Fatalf("the 403 page says %q", msg)
	}

	do(t, editor, "editor changes own password",
		chromedp.Navigate(base+"/"),
		clickLoad(`[data-testid=nav-account]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=password-form]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=password-current]`), "own-pass-9"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=password-new]`), "second-pass-2"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=password-confirm]`), "second-pass-2"),
		clickLoad(`[data-testid=password-submit]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash]`)),
	)
	if msg, _ := text(editor, `[data-testid=flash]`); !strings.Contains(msg, "密码已修改") {
		t.Fatalf("after the change: %q", msg)
	}
	do(t, editor, "editor still logged in", chromedp.Navigate(base+"/drafts"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=new-draft]`)))

	do(t, admin, "admin disables the editor",
		chromedp.Navigate(base+"/operators"),
		clickLoad(`[data-testid=operator-row][data-username=xiaobian] [data-testid=operator-link]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=disable-form]`)),
		evalVoid(`window.confirm = () => true`),
		clickLoad(`[data-testid=operator-disable]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=operator-status][data-status=disabled]`)),
	)

	do(t, editor, "the disabled editor's next page", chromedp.Navigate(base+"/drafts"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=login-submit]`)))
	loc, err := chromedp.Run(editor, chromedp.Location())
	if err != nil || !strings.Contains(loc, "/login") {
		t.Fatalf("the disabled editor is at %q, %v; want the login", loc, err)
	}
	do(t, editor, "the disabled editor tries to log in",
		chromedp.SendKeys(chromedp.CSS(`input[name=username]`), "xiaobian"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "second-pass-2"),
		clickLoad(`[data-testid=login-submit]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=login-error]`)),
	)
	if msg, _ := text(editor, `[data-testid=login-error]`); !strings.Contains(msg, "已停用") {
		t.Fatalf("the disabled editor's login: %q", msg)
	}
}

// seedOperators adds, for TestLayout, an editor with the longest username and a viewer that has
// logged in, and returns the editor's id (its page is walked).
func seedOperators(c *seedClient) uint {
	c.t.Helper()
	long := strings.Repeat("编", 16) + strings.Repeat("w", 16) // 32 characters, the most allowed
	for _, o := range []url.Values{
		{"username": {long}, "password": {"layout-pass-1"}, "role": {"editor"}},
		{"username": {"viewer-zhang"}, "password": {"layout-pass-2"}, "role": {"viewer"}},
	} {
		if res := c.post("/operators", o); res.StatusCode != http.StatusSeeOther {
			c.t.Fatalf("seed: add operator answered %d", res.StatusCode)
		}
	}
	m := regexp.MustCompile(`data-username="` + regexp.QuoteMeta(long) + `"[^>]*>\s*<td[^>]*>\s*<a href="/operators/(\d+)"`).FindStringSubmatch(c.get("/operators"))
	if m == nil {
		c.t.Fatal("seed: the long-named operator is not on the list")
	}
	id, _ := strconv.ParseUint(m[1], 10, 32)
	return uint(id)
}

// operatorLayoutPages are TestLayout's walks of the operators pages and the own password form.
func operatorLayoutPages() []layoutPage {
	const get, post = http.MethodGet, http.MethodPost
	operator := func(then ...chromedp.Action[chromedp.Void]) func(string, *layoutSeed) chromedp.Action[chromedp.Void] {
		return func(base string, s *layoutSeed) chromedp.Action[chromedp.Void] {
			return chromedp.Steps(append([]chromedp.Action[chromedp.Void]{
				chromedp.Navigate(base + "/operators/" + strconv.FormatUint(uint64(s.operator), 10)),
				chromedp.WaitReady(chromedp.CSS(`[data-testid=reset-form]`)),
			}, then...)...)
		}
	}
	return []layoutPage{
		{"operators", get, "/operators", false, visit("/operators", `tr[data-testid=operator-row]`)},
		{"operator-new", get, "/operators/new", false, visit("/operators/new", `[data-testid=operator-form]`)},
		{"operator", get, "/operators/:id", false, operator()},
		// The answer to "generate a random password": the password shown once.
		{"operator-password", post, "/operators/:id/reset", false, operator(
			jsClick(`[data-testid=reset-generate]`),
			chromedp.WaitReady(chromedp.CSS(`[data-testid=new-password]`)),
		)},
		// The last enabled admin's refusal (the form submitted past its confirmation).
		{"operator-last-admin", post, "/operators/:id/disable", false, func(base string, _ *layoutSeed) chromedp.Action[chromedp.Void] {
			return chromedp.Steps(
				chromedp.Navigate(base+"/operators/1"),
				chromedp.WaitReady(chromedp.CSS(`[data-testid=disable-form]`)),
				evalVoid(`document.querySelector('[data-testid=disable-form]').submit()`),
				chromedp.WaitReady(chromedp.CSS(`[data-testid=operator-error]`)),
			)
		}},
		{"account-password", get, "/account/password", false, visit("/account/password", `[data-testid=password-form]`)},
	}
}
