package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/color"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"qunfa/handlers"
	"qunfa/wechat/sandbox"
)

// layoutWidths are a phone, a tablet and a desktop (issue 11).
var layoutWidths = []int64{390, 768, 1280}

// layoutLangs are the catalogue's languages; zh is the default.
var layoutLangs = []string{"zh", "en"}

// layoutSkips are the GET routes of the route table that render no page of their own, each with
// the reason. Every other GET route must be walked by a layoutPage: a page added to the route
// table later, and neither walked nor listed here, fails TestLayout.
var layoutSkips = map[string]string{
	"/healthz":               "plain-text health check",
	"/static/*filepath":      "CSS, JS and vendored files",
	"/wechat/callback":       "WeChat's URL verification (plain echostr)",
	"/":                      "redirects to /overview",
	"/thumbs/:id":            "image bytes (a cover)",
	"/images/:id":            "image bytes (inside an article)",
	"/sends/:id/stats":       "htmx fragment, drawn inside /sends/:id (walked there)",
	"/followers/sync/status": "JSON of the follower sync's progress, polled by /followers",
	"/audit.csv":             "CSV file (the audit log's export)",
	"/overview/live":         "htmx fragment, drawn inside /overview (walked there)",
	"/overview/data.csv":     "CSV file (a chart's figures)",
	"/overview/data.xlsx":    "XLSX file (a chart's figures)",
	"/sends/:id/report/live": "htmx fragment, drawn inside /sends/:id/report (walked there)",
	"/sends.csv":             "CSV file (the history's download)",
	"/sends.xlsx":            "XLSX file (the history's download)",
}

// layoutSeed is what the seeding made, for the pages to point at.
type layoutSeed struct {
	bigDraft, listDraft, failDraft uint  // 8 articles / one long title / the failed send's draft
	finished, openids, failed      int64 // sends: to a group (callback arrived), to 10,001 OpenIDs, failed
	openidList                     string
	schedule                       int64 // a waiting scheduled send to a group (seedSchedules)
	audienceList, audienceFilter   uint  // saved audiences (main_audiences_e2e_test.go)
	operator                       uint  // an editor with a 32-character name (main_operators_e2e_test.go)
	awaiting                       int64 // a send to everyone waiting for approval (four-eyes)
	versioned                      uint  // a draft saved several times, one a restore (main_autosave_e2e_test.go)
	abtest                         int64 // an A/B test, judged (main_abtest_e2e_test.go)
}

// layoutPage is one page the test walks: how to reach it (logged in unless public) and the
// route of the route table it renders.
type layoutPage struct {
	name   string
	method string // route's method: GET, or POST for a page a form submission renders
	route  string
	public bool
	open   func(base string, s *layoutSeed) chromedp.Action[chromedp.Void]
}

func visit(path, ready string) func(string, *layoutSeed) chromedp.Action[chromedp.Void] {
	return func(base string, _ *layoutSeed) chromedp.Action[chromedp.Void] {
		// Present, not visible: on a phone a table may give way to a list, a panel to a menu.
		return chromedp.Steps(chromedp.Navigate(base+path), chromedp.WaitReady(chromedp.CSS(ready)))
	}
}

func layoutPages() []layoutPage {
	const get, post = http.MethodGet, http.MethodPost
	byID := func(format string, id func(*layoutSeed) int64, ready string) func(string, *layoutSeed) chromedp.Action[chromedp.Void] {
		return func(base string, s *layoutSeed) chromedp.Action[chromedp.Void] {
			return visit(fmt.Sprintf(format, id(s)), ready)(base, s)
		}
	}
	return append([]layoutPage{
		{"drafts", get, "/drafts", false, visit("/drafts", `tr[data-testid=draft-row]`)},
		{"draft-new", get, "/drafts/new", false, visit("/drafts/new", `form[data-testid=draft-form] .jodit-wysiwyg`)},
		{"editor", get, "/drafts/:id", false, byID("/drafts/%d", func(s *layoutSeed) int64 { return int64(s.bigDraft) },
			`fieldset[data-testid=article]:nth-of-type(8) .jodit-wysiwyg`)},
		{"send-form", get, "/drafts/:id/send", false, byID("/drafts/%d/send", func(s *layoutSeed) int64 { return int64(s.bigDraft) },
			`[data-testid=previews] tr[data-testid=preview-row]`)},
		{"send-confirm", post, "/drafts/:id/send/confirm", false, func(base string, s *layoutSeed) chromedp.Action[chromedp.Void] {
			// Two lines that are not OpenIDs: the page lists them, unbroken, beside the plan.
			list, _ := json.Marshal(s.openidList + "\n" + strings.Repeat("oV5Crj-not-an-openid-", 5) + "\nhttps://mp.weixin.qq.com/s?__biz=MzA3NjE4MzI1Mg==&mid=2650000001&idx=1")
			return chromedp.Steps(
				chromedp.Navigate(fmt.Sprintf("%s/drafts/%d/send", base, s.listDraft)),
				chromedp.WaitVisible(chromedp.CSS(`input[name=target][value=openids]`)),
				chromedp.Click(chromedp.CSS(`input[name=target][value=openids]`)),
				evalVoid(`document.querySelector('textarea[name=openids]').value = `+string(list)),
				clickLoad(`[data-testid=plan-send]`),
				chromedp.WaitReady(chromedp.CSS(`[data-testid=confirm-send]`)),
			)
		}},
		{"list-too-large", post, "/drafts/:id/send/confirm", false, func(base string, s *layoutSeed) chromedp.Action[chromedp.Void] {
			// 200,000 line breaks are a list over the limit (the 413 page), in 200 KB.
			return chromedp.Steps(
				chromedp.Navigate(fmt.Sprintf("%s/drafts/%d/send", base, s.listDraft)),
				chromedp.WaitVisible(chromedp.CSS(`input[name=target][value=openids]`)),
				chromedp.Click(chromedp.CSS(`input[name=target][value=openids]`)),
				// (hidden first: laying out 200,000 empty lines takes the browser seconds)
				evalVoid(`(t => { t.style.display = 'none'; t.value = '\n'.repeat(200000); })(document.querySelector('textarea[name=openids]'))`),
				clickLoad(`[data-testid=plan-send]`),
				chromedp.WaitReady(chromedp.CSS(`[data-testid=list-too-large]`)),
			)
		}},
		{"history", get, "/sends", false, visit("/sends", `tr[data-testid=send-row]`)},
		{"history-filtered", get, "/sends", false, visit("/sends?state=finished&from=2020-01-01&q=%E6%98%A5", `form[data-testid=history-filter]`)},
		{"history-bad-filter", get, "/sends", false, visit("/sends?from=2025-02-30&state=nope", `[data-testid=field-error]`)},
		{"send-finished", get, "/sends/:id", false, byID("/sends/%d", func(s *layoutSeed) int64 { return s.finished },
			`[data-testid=article-urls]`)},
		{"send-openids", get, "/sends/:id", false, byID("/sends/%d", func(s *layoutSeed) int64 { return s.openids },
			`[data-testid=batches-table]`)},
		{"send-failed", get, "/sends/:id", false, byID("/sends/%d", func(s *layoutSeed) int64 { return s.failed },
			`[data-testid=send-state][data-state=failed]`)},
		{"send-delete", get, "/sends/:id/delete", false, byID("/sends/%d/delete", func(s *layoutSeed) int64 { return s.finished },
			`[data-testid=confirm-delete]`)},
		{"send-catch-up", get, "/sends/:id/catchup", false, byID("/sends/%d/catchup", func(s *layoutSeed) int64 { return s.finished },
			`[data-testid=confirm-catch-up]`)},
		{"settings", get, "/settings", false, visit("/settings", `form[data-testid=settings-form]`)},
		{"schedules", get, "/schedules", false, visit("/schedules", `tr[data-testid=schedule-row]`)},
		{"schedule-edit", get, "/schedules/:id", false, byID("/schedules/%d", func(s *layoutSeed) int64 { return s.schedule }, `[data-testid=schedule-edit-form]`)},
		{"audiences", get, "/audiences", false, visit("/audiences", `tr[data-testid=audience-row]`)},
		{"audience-new", get, "/audiences/new", false, visit("/audiences/new", `[data-testid=filter-form]`)},
		{"audience-list", get, "/audiences/:id", false, byID("/audiences/%d", func(s *layoutSeed) int64 { return int64(s.audienceList) },
			`[data-testid=audience-report]`)},
		{"audience-filter", get, "/audiences/:id", false, byID("/audiences/%d", func(s *layoutSeed) int64 { return int64(s.audienceFilter) },
			`[data-testid=audience-conditions]`)},
		{"followers", get, "/followers", false, visit("/followers?tag=100", `tr[data-testid=follower-row]`)},
		{"not-found", get, "/sends/:id", false, visit("/sends/999999", `[data-testid=error-page]`)},
		{"no-route", "", "", false, visit("/no/such/page", `[data-testid=error-page]`)},
		{"send-awaiting", get, "/sends/:id", false, byID("/sends/%d", func(s *layoutSeed) int64 { return s.awaiting }, `[data-testid=approval]`)},
		{"audit", get, "/audit", false, visit("/audit", `tr[data-testid=audit-row]`)},
		{"overview", get, "/overview", false, visit("/overview", `[data-testid=recent-row]`)},
		{"draft-versions", get, "/drafts/:id/versions", false, byID("/drafts/%d/versions", func(s *layoutSeed) int64 { return int64(s.versioned) }, `tr[data-testid=version-row]`)},
		{"draft-version", get, "/drafts/:id/versions/:v", false, func(base string, s *layoutSeed) chromedp.Action[chromedp.Void] {
			return chromedp.Steps(visit(fmt.Sprintf("/drafts/%d/versions", s.versioned), `tr[data-testid=version-row]`)(base, s),
				clickLoad(`tr[data-testid=version-row]:last-child a[data-testid=view-version]`), chromedp.WaitReady(chromedp.CSS(`[data-testid=version-content]`)))
		}},
		{"send-report", get, "/sends/:id/report", false, byID("/sends/%d/report", func(s *layoutSeed) int64 { return s.openids }, `[data-testid=reads-row]`)},
		{"send-report-failed", get, "/sends/:id/report", false, byID("/sends/%d/report", func(s *layoutSeed) int64 { return s.failed }, `[data-testid=reads-pending]`)},
	}, append(operatorLayoutPages(), abLayoutPages()...)...)
}

// The public pages are walked apart: setup before the operator exists, login after logging out.
var (
	setupPage = layoutPage{"setup", http.MethodGet, "/setup", true, visit("/setup", `[data-testid=setup-submit]`)}
	loginPage = layoutPage{"login", http.MethodGet, "/login", true, visit("/login", `[data-testid=login-submit]`)}
)

// jsClick clicks from script: on a phone the language switch and the logout button may sit in
// a closed menu, where a mouse could not reach them.
func jsClick(sel string) chromedp.Action[chromedp.Void] {
	return evalVoid(`document.querySelector('` + sel + `').click()`)
}

// routePattern matches the paths of a route of the table (":id" is one path segment).
func routePattern(route string) *regexp.Regexp {
	return regexp.MustCompile(`^` + regexp.MustCompile(`:[a-z]+`).ReplaceAllString(regexp.QuoteMeta(route), `[^/]+`) + `$`)
}

func evalVoid(expr string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Evaluate[any](expr)(ctx, t)
		return chromedp.Void{}, err
	}
}

// TestLayoutCoversEveryPage needs no browser: every GET route of the route table is walked by
// TestLayout or skipped for a stated reason, and neither list names a route that is gone.
func TestLayoutCoversEveryPage(t *testing.T) {
	checkLayoutCoverage(t)
}

func checkLayoutCoverage(t *testing.T) {
	t.Helper()
	table := map[string]bool{}
	for _, r := range handlers.Routes() {
		table[r.Method+" "+r.Path] = true
	}
	walked := map[string]bool{}
	for _, p := range append(layoutPages(), setupPage, loginPage) {
		if p.route == "" {
			continue // an extra page (gin's NoRoute), not a route of the table
		}
		k := p.method + " " + p.route
		if !table[k] {
			t.Errorf("layout page %s walks %s, which is not in the route table", p.name, k)
		}
		walked[k] = true
	}
	for path := range layoutSkips {
		if !table[http.MethodGet+" "+path] {
			t.Errorf("layoutSkips lists GET %s, which is not in the route table", path)
		}
	}
	for _, r := range handlers.Routes() {
		if r.Method != http.MethodGet {
			continue
		}
		_, skipped := layoutSkips[r.Path]
		k := r.Method + " " + r.Path
		switch {
		case walked[k] && skipped:
			t.Errorf("GET %s is both walked and skipped", r.Path)
		case !walked[k] && !skipped:
			t.Errorf("GET %s renders a page that TestLayout does not walk: add it to layoutPages (or, if it renders no page, to layoutSkips with the reason)", r.Path)
		}
	}
}

// TestLayout (issue 11): with realistic data (64-character titles, 8 articles, a send whose
// callback brought 8 long mp.weixin.qq.com links, a send to 10,001 OpenIDs in 2 batches, its
// confirmation page, a failed send, error pages, Settings, setup and login), every page of the
// route table, at 390, 768 and 1280 px and in Chinese and English, does not scroll sideways
// (document.scrollingElement.scrollWidth <= innerWidth), has <html lang> set to its language, no
// chart squashed or stretched after a resize, and no serious or critical axe-core violation
// (axe-core 4.14.1, static/testdata/axe-core). All failures are reported together; with QUNFA_E2E_ARTIFACTS set, each page ×
// width × language is saved as layout-<page>-<width>-<lang>.png.
func TestLayout(t *testing.T) {
	checkLayoutCoverage(t)
	if t.Failed() {
		t.FailNow()
	}
	browser := findBrowser(t)
	axeSrc, err := os.ReadFile(filepath.Join("static", "testdata", "axe-core", "axe.min.js"))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	base, sim := startLayoutApp(t)
	ctx := newBrowser(t, browser)
	w := &layoutWalker{t: t, ctx: ctx, base: base, axe: string(axeSrc), artifacts: os.Getenv("QUNFA_E2E_ARTIFACTS")}

	// First run: the setup page, in both languages, then the operator is created (in English).
	for _, lang := range layoutLangs {
		w.walk(setupPage, lang, nil)
	}
	do(t, ctx, "setup",
		chromedp.SendKeys(chromedp.CSS(`input[name=username]`), "admin"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "correct horse battery"),
		clickLoad(`[data-testid=setup-submit]`),
		chromedp.WaitReady(chromedp.CSS(`[data-testid=logout]`)),
	)
	seed := seedLayout(t, base, sim, "admin", "correct horse battery")
	t.Logf("setup and seeding took %v", time.Since(start).Round(time.Millisecond))

	pages := layoutPages()
	for i, lang := range []string{"en", "zh"} {
		if i == 1 {
			// The login page, in both languages, between the two rounds.
			do(t, ctx, "log out", chromedp.Navigate(base+"/drafts"), jsClick(`[data-testid=logout]`), chromedp.WaitVisible(chromedp.CSS(`[data-testid=login-submit]`)))
			w.walk(loginPage, "en", seed)
			w.walk(loginPage, "zh", seed)
			do(t, ctx, "log in", logIn(base, "admin", "correct horse battery"))
		}
		for _, p := range pages {
			w.walk(p, lang, seed)
		}
	}
	t.Logf("walked %d page views in %v (%d failures)", w.views, time.Since(start).Round(time.Millisecond), len(w.failures))
	if len(w.failures) > 0 {
		if w.artifacts != "" {
			os.WriteFile(filepath.Join(w.artifacts, "layout-failures.txt"), []byte(strings.Join(w.failures, "\n")+"\n"), 0o644)
		}
		t.Errorf("%d layout/accessibility failures:\n%s", len(w.failures), strings.Join(w.failures, "\n"))
	}
}

// layoutQuota leaves room, after the seeding's 9 calls (the 10 of WeChat's day would be nearly
// spent), for the 4 that the confirmation page of 10,001 OpenIDs plans: that page is walked as
// an operator sees it on a normal day, not refused.
const layoutQuota = 20

// startLayoutApp runs the binary against a sandbox the test holds (as startAppWithSandbox does)
// with enough followers for a list of 10,001 OpenIDs and a short finish delay; no operator yet.
func startLayoutApp(t *testing.T) (string, *sandbox.Server) {
	t.Helper()
	const appID, secret, token = "wx0e2e0layout00a1b", "e2e-layout-secret", "qunfalayout"
	sim := sandbox.New(sandbox.Config{AppID: appID, AppSecret: secret, Token: token,
		FinishDelay: 300 * time.Millisecond, Followers: 10_500, DailyQuota: layoutQuota, Now: appNow})
	api := httptest.NewServer(sim)
	t.Cleanup(func() { api.Close(); sim.Close() })
	base := startApp(t, map[string]string{
		"QUNFA_APPID": appID, "QUNFA_APPSECRET": secret, "QUNFA_TOKEN": token, "QUNFA_WECHAT_API": api.URL,
		"QUNFA_DAILY_QUOTA": strconv.Itoa(layoutQuota),
	})
	relay := httptest.NewServer(longLinkRelay(t, base+"/wechat/callback"))
	t.Cleanup(relay.Close)
	sim.SetCallbackURL(relay.URL + "/wechat/callback")
	return base, sim
}

// sandboxLink is the short permanent link the sandbox puts in ArticleUrlResult.
var sandboxLink = regexp.MustCompile(`http://mp\.weixin\.qq\.com/s/([A-Za-z0-9_-]+)`)

// longLinkRelay passes the sandbox's callbacks on to the app with each article link in the long
// form WeChat also uses (about 170 characters with no place to break). In plaintext mode the
// signature covers only token, timestamp and nonce, so the body may change on the way.
func longLinkRelay(t *testing.T, target string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		n := 0
		body = sandboxLink.ReplaceAllFunc(body, func(m []byte) []byte {
			n++
			token := sandboxLink.FindSubmatch(m)[1]
			return fmt.Appendf(nil, "https://mp.weixin.qq.com/s?__biz=MzA3NjE4MzI1Mg==&mid=2650%06d&idx=%d&sn=%.16x&chksm=84a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9&scene=21#wechat_redirect",
				n, n, token)
		})
		req, _ := http.NewRequest(r.Method, target+"?"+r.URL.RawQuery, bytes.NewReader(body))
		req.Header.Set("Content-Type", r.Header.Get("Content-Type"))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Logf("callback relay: %v", err)
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer res.Body.Close()
		w.WriteHeader(res.StatusCode)
		io.Copy(w, res.Body)
	})
}

type layoutWalker struct {
	t         *testing.T
	ctx       context.Context
	base      string
	axe       string
	artifacts string
	failures  []string
	views     int
}

// axeViolation is the part of an axe-core violation the failure message reports.
type axeViolation struct {
	ID      string   `json:"id"`
	Impact  string   `json:"impact"`
	Help    string   `json:"help"`
	Targets []string `json:"targets"`
	Count   int      `json:"count"`
}

type overflow struct {
	ScrollWidth int      `json:"scrollWidth"`
	InnerWidth  int      `json:"innerWidth"`
	Culprits    []string `json:"culprits"`
	Lang        string   `json:"lang"`
}

// measureOverflow reads the page's scroll width and names the elements that stick out of the
// window (the innermost ones, outside any box that clips or scrolls them), to say where to look.
const measureOverflow = `(() => {
	const iw = window.innerWidth;
	const name = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
		(e.getAttribute('data-testid') ? '[data-testid=' + e.getAttribute('data-testid') + ']' : '') +
		(typeof e.className === 'string' && e.className.trim() ? '.' + e.className.trim().split(/\s+/).join('.') : '');
	const path = e => { const p = []; for (let n = e; n && n !== document.body && p.length < 4; n = n.parentElement) p.unshift(name(n)); return p.join(' > '); };
	const clipped = e => { for (let n = e.parentElement; n && n !== document.body; n = n.parentElement) { const o = getComputedStyle(n).overflowX; if (o !== 'visible') return true; } return false; };
	const out = [];
	for (const e of document.body.querySelectorAll('*')) {
		const r = e.getBoundingClientRect();
		if (r.width === 0 || r.right <= iw + 1 || clipped(e)) continue;
		if (Array.from(e.children).some(c => c.getBoundingClientRect().right > iw + 1)) continue;
		out.push(path(e) + ' (right ' + Math.round(r.right) + ')');
		if (out.length >= 5) break;
	}
	return {scrollWidth: document.scrollingElement.scrollWidth, innerWidth: iw, culprits: out, lang: document.documentElement.lang};
})()`

// squashedCanvases lists the canvases (the send page's chart) shown at another shape than they
// are drawn: a chart that did not resize with its card is stretched or squashed. It gives a
// chart's own resize (throttled to animation frames) up to two seconds before answering.
const squashedCanvases = `new Promise(resolve => {
	const t0 = performance.now();
	const check = () => {
		const bad = [];
		for (const c of document.querySelectorAll('canvas')) {
			if (!c.clientWidth || !c.clientHeight || !c.width || !c.height) continue;
			const shown = c.clientWidth / c.clientHeight, drawn = c.width / c.height;
			if (Math.abs(shown - drawn) / drawn > 0.05) {
				bad.push('canvas' + (c.id ? '#' + c.id : '') + ' shown ' + c.clientWidth + 'x' + c.clientHeight + ', drawn ' + c.width + 'x' + c.height);
			}
		}
		if (!bad.length || performance.now() - t0 > 2000) resolve(bad); else requestAnimationFrame(check);
	};
	check();
})`

// runAxe runs axe-core on the whole document and keeps the serious and critical violations.
const runAxe = `axe.run(document, {resultTypes: ['violations']}).then(r => r.violations
	.filter(v => v.impact === 'serious' || v.impact === 'critical')
	.map(v => ({id: v.id, impact: v.impact, help: v.help, count: v.nodes.length,
		targets: v.nodes.slice(0, 6).map(n => n.target.join(' '))})))`

// settle waits two animation frames, so a resize's layout and a chart's redraw are done.
const settle = `new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))`

// walk opens page p in lang and checks it at each width.
func (w *layoutWalker) walk(p layoutPage, lang string, seed *layoutSeed) {
	t := w.t
	t.Helper()
	stage := p.name + " " + lang
	// Opened at the narrowest width, then only widened: a chart or an editor toolbar that
	// redraws a frame late is then narrower than its box, never wider (no false overflow).
	do(t, w.ctx, stage, chromedp.EmulateViewport(layoutWidths[0], 900), p.open(w.base, seed))
	// The page is the route it says it walks (the coverage check trusts it).
	if p.route != "" {
		loc, err := chromedp.Run(w.ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(loc)
		if !routePattern(p.route).MatchString(u.Path) {
			t.Fatalf("%s: at %s, which is not route %s", stage, u.Path, p.route)
		}
	}
	w.ensureLang(p, lang, seed)
	if ok, err := chromedp.Run(w.ctx, chromedp.Evaluate[bool](w.axe+"\n;typeof axe === 'object'")); err != nil || !ok {
		t.Fatalf("%s: inject axe-core: %v", stage, err)
	}
	for _, width := range layoutWidths {
		where := fmt.Sprintf("%s %dpx %s", p.name, width, lang)
		do(t, w.ctx, where, chromedp.EmulateViewport(width, 900))
		if _, err := chromedp.Run(w.ctx, chromedp.Evaluate[bool](settle, chromedp.EvalAwaitPromise)); err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		w.views++
		of, err := chromedp.Run(w.ctx, chromedp.Evaluate[overflow](measureOverflow))
		if err != nil {
			t.Fatalf("%s: measure: %v", where, err)
		}
		if !strings.HasPrefix(of.Lang, lang) {
			w.failures = append(w.failures, fmt.Sprintf("%s: <html lang=%q>, want %s", where, of.Lang, lang))
		}
		if of.ScrollWidth > of.InnerWidth {
			w.failures = append(w.failures, fmt.Sprintf("%s: scrolls sideways: scrollWidth %d > innerWidth %d; sticking out: %s",
				where, of.ScrollWidth, of.InnerWidth, strings.Join(of.Culprits, "; ")))
		}
		squashed, err := chromedp.Run(w.ctx, chromedp.Evaluate[[]string](squashedCanvases, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("%s: canvases: %v", where, err)
		}
		for _, c := range squashed {
			w.failures = append(w.failures, fmt.Sprintf("%s: a chart did not resize with its card: %s", where, c))
		}
		vs, err := chromedp.Run(w.ctx, chromedp.Evaluate[[]axeViolation](runAxe, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("%s: axe.run: %v", where, err)
		}
		for _, v := range vs {
			w.failures = append(w.failures, fmt.Sprintf("%s: axe %s (%s, %d node(s)): %s; at %s",
				where, v.ID, v.Impact, v.Count, v.Help, strings.Join(v.Targets, " | ")))
		}
		if w.artifacts != "" {
			png, err := chromedp.Run(w.ctx, chromedp.FullScreenshot(100))
			if err != nil {
				t.Logf("%s: screenshot: %v", where, err)
				continue
			}
			os.WriteFile(filepath.Join(w.artifacts, fmt.Sprintf("layout-%s-%d-%s.png", p.name, width, lang)), png, 0o644)
		}
	}
}

// ensureLang switches the language with the page's own switch (POST /lang) when the page is
// not in lang, and opens the page again (the switch returns to it, but a page a form rendered
// is reached only by its steps).
func (w *layoutWalker) ensureLang(p layoutPage, lang string, seed *layoutSeed) {
	t := w.t
	t.Helper()
	cur, err := chromedp.Run(w.ctx, chromedp.Evaluate[string](`document.body.dataset.lang`))
	if err != nil {
		t.Fatal(err)
	}
	if cur == lang {
		return
	}
	do(t, w.ctx, "switch to "+lang,
		jsClick(`[data-testid=lang-switch]`),
		chromedp.WaitVisible(chromedp.CSS(`body[data-lang=`+lang+`]`)),
		p.open(w.base, seed),
	)
	if cur, _ = chromedp.Run(w.ctx, chromedp.Evaluate[string](`document.body.dataset.lang`)); cur != lang {
		t.Fatalf("%s: page in %q after switching to %q", p.name, cur, lang)
	}
}

// seedLayout makes the data through the dashboard's own forms, as an operator's browser would
// post them (a second session, so the browser's stays as it is), and waits for the sends to
// reach their end states.
func seedLayout(t *testing.T, base string, sim *sandbox.Server, user, password string) *layoutSeed {
	t.Helper()
	c := &seedClient{t: t, base: base}
	jar, _ := cookiejar.New(nil)
	c.http = &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	c.token = c.csrfFrom("/login", `name="csrf_token" value="([^"]+)"`)
	if res := c.post("/login", url.Values{"username": {user}, "password": {password}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("seed: login answered %d", res.StatusCode)
	}
	c.token = c.csrfFrom("/drafts", `data-csrf="([^"]+)"`)

	thumb := c.thumb()
	s := &layoutSeed{}
	s.bigDraft = c.draft(8, thumb, layoutTitles)
	s.listDraft = c.draft(1, thumb, []string{longLatinTitle})
	s.failDraft = c.draft(2, thumb, layoutTitles[3:])
	for i := range 3 { // a longer drafts list
		c.draft(1+i, thumb, layoutTitles[i+1:])
	}

	s.finished = c.send(s.bigDraft, url.Values{"target": {"group"}, "group_id": {"100"}})
	c.waitState(s.finished, "submitted", "finished")
	ids := sim.OpenIDs(sandbox.AllFollowers)
	if len(ids) < 10_001 {
		t.Fatalf("seed: the sandbox has %d followers", len(ids))
	}
	s.openidList = strings.Join(ids[:10_001], "\n")
	// Previews to an OpenID and to a WeChat ID: the send form lists them.
	for kind, to := range map[string]string{"openid": ids[0], "wxname": "qunfa_demo"} {
		if res := c.post(fmt.Sprintf("/drafts/%d/preview", s.bigDraft), url.Values{"preview_kind": {kind}, "preview_to": {to}}); res.StatusCode >= 400 {
			t.Fatalf("seed: preview to %s answered %d", to, res.StatusCode)
		}
	}
	s.openids = c.send(s.listDraft, url.Values{"target": {"openids"}, "openids": {s.openidList}})
	// The group send has its msg_id: the next sendall is the failed send's. 48001 (api
	// unauthorized) is not transient, so the send fails at once.
	sim.FailNext("/cgi-bin/message/mass/sendall", 48001)
	s.failed = c.send(s.failDraft, url.Values{"target": {"group"}, "group_id": {"101"}})
	c.waitState(s.finished, "finished")
	c.waitState(s.openids, "finished")
	c.waitState(s.failed, "failed")
	seedReport(c, s.openids) // two days of WeChat's reading statistics (main_report_e2e_test.go)
	if body := c.get(fmt.Sprintf("/sends/%d", s.finished)); strings.Count(body, "https://mp.weixin.qq.com/s?__biz=") < 8 {
		t.Fatalf("seed: the finished send's page shows fewer than 8 article links")
	}
	seedDispute(t, base, "qunfalayout", c.get(fmt.Sprintf("/sends/%d", s.finished))) // its reports disagree (issue 8)
	s.schedule = seedSchedules(c, s)
	s.audienceList, s.audienceFilter = seedAudiences(c, ids)
	s.operator = seedOperators(c)
	s.versioned = seedVersions(c, thumb)
	// The sandbox's followers synced, for the followers page.
	if res := c.post("/followers/sync", url.Values{"mode": {"full"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("seed: follower sync answered %d", res.StatusCode)
	}
	for deadline := time.Now().Add(60 * time.Second); !strings.Contains(c.get("/followers/sync/status"), `"finished":true`); {
		if time.Now().After(deadline) {
			t.Fatal("seed: the follower sync did not finish")
		}
		time.Sleep(200 * time.Millisecond)
	}
	s.abtest = seedABTest(t, c, s.bigDraft) // on the synced followers, before four-eyes
	// Four-eyes on: a send to everyone waits for another admin's approval.
	if res := c.post("/settings/approval", url.Values{"required": {"1"}, "approval_threshold": {"100000000"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("seed: approval setting answered %d", res.StatusCode)
	}
	s.awaiting = c.send(s.failDraft, url.Values{"target": {"all"}, "confirm_all": {"1"}})
	return s
}

// layoutTitles are 64-character titles (the most WeChat takes), of the kind operators write.
var layoutTitles = func() []string {
	seeds := []string{
		"双十一会员专享福利预告：全场满减、限时秒杀与新品首发一次看全，错过这次再等一年，赶快转发给身边的朋友们吧",
		"【重要通知】关于2026年春节期间门店营业时间调整及线上商城发货安排的说明，请各位会员朋友相互转告并提前做好准备",
		"深度解读｜从用户增长到留存转化，我们在过去十二个月里踩过的坑、总结的方法论，以及接下来准备做的三件大事",
		"Weekly digest: product updates, community highlights and the events coming up in Beijing, Shanghai & Shenzhen",
	}
	var out []string
	for i := 0; len(out) < 10; i++ {
		r := []rune(strings.Repeat(seeds[i%len(seeds)], 2))
		out = append(out, fmt.Sprintf("%d·", len(out)+1)+string(r[:62]))
	}
	return out
}()

// longLatinTitle (64 characters) has no place to break: a campaign code pasted as a title.
var longLatinTitle = "QUNFA-2026-Q4-CAMPAIGN-SHUANGSHIYI-MEMBERS-ONLY-EARLY-ACCESS-001"

type seedClient struct {
	t     *testing.T
	base  string
	http  *http.Client
	token string
}

func (c *seedClient) do(req *http.Request) (*http.Response, string) {
	c.t.Helper()
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("seed: %s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func (c *seedClient) get(path string) string {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.base+path, nil)
	res, body := c.do(req)
	if res.StatusCode != http.StatusOK {
		c.t.Fatalf("seed: GET %s answered %d", path, res.StatusCode)
	}
	return body
}

func (c *seedClient) csrfFrom(path, pattern string) string {
	c.t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(c.get(path))
	if m == nil {
		c.t.Fatalf("seed: no CSRF token on %s", path)
	}
	return m[1]
}

func (c *seedClient) post(path string, form url.Values) *http.Response {
	c.t.Helper()
	res, _ := c.postBody(path, form)
	return res
}

func (c *seedClient) postBody(path string, form url.Values) (*http.Response, string) {
	c.t.Helper()
	form.Set("csrf_token", c.token)
	req, _ := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// thumb uploads one cover through the editor's upload (POST /thumbs) and returns its id.
func (c *seedClient) thumb() string {
	c.t.Helper()
	jpg, err := os.ReadFile(writeJPEG(c.t, c.t.TempDir(), "cover.jpg", color.RGBA{200, 80, 40, 255}))
	if err != nil {
		c.t.Fatal(err)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "cover.jpg")
	fw.Write(jpg)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, c.base+"/thumbs", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("X-CSRF-Token", c.token)
	res, out := c.do(req)
	var th struct{ ID uint }
	if res.StatusCode != http.StatusOK || json.Unmarshal([]byte(out), &th) != nil || th.ID == 0 {
		c.t.Fatalf("seed: thumb upload answered %d %s", res.StatusCode, out)
	}
	return strconv.FormatUint(uint64(th.ID), 10)
}

// draft saves a draft of n articles (POST /drafts) titled from titles and returns its id.
func (c *seedClient) draft(n int, thumb string, titles []string) uint {
	c.t.Helper()
	form := url.Values{}
	for i := range n {
		f := func(k string) string { return fmt.Sprintf("articles[%d].%s", i, k) }
		title := titles[i%len(titles)]
		form.Set(f("title"), title)
		form.Set(f("author"), "运营中心·内容组")
		form.Set(f("digest"), "摘要："+title)
		form.Set(f("content"), "<p>"+strings.Repeat("正文段落，介绍活动的时间、地点与参与方式。", 12)+"</p><p>原文链接 https://mp.weixin.qq.com/s?__biz=MzA3NjE4MzI1Mg==&amp;mid=2650012345&amp;idx=1&amp;sn=0123456789abcdef0123456789abcdef</p>")
		form.Set(f("source_url"), "https://mp.weixin.qq.com/s?__biz=MzA3NjE4MzI1Mg==&mid=2650012345&idx="+strconv.Itoa(i+1)+"&sn=0123456789abcdef0123456789abcdef&chksm=84a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5#rd")
		form.Set(f("thumb_id"), thumb)
		form.Set(f("show_cover_pic"), "1")
	}
	res, body := c.postBody("/drafts", form)
	loc := res.Header.Get("Location")
	id, err := strconv.ParseUint(strings.TrimPrefix(loc, "/drafts/"), 10, 32)
	if res.StatusCode != http.StatusSeeOther || err != nil {
		c.t.Fatalf("seed: save draft answered %d %q: %v", res.StatusCode, loc, regexp.MustCompile(`data-testid="(?:field|form)-error"[^>]*>[^<]*`).FindAllString(body, -1))
	}
	return uint(id)
}

// send starts a send of draft id (POST /drafts/:id/send, as the confirmation page posts it).
func (c *seedClient) send(draft uint, form url.Values) int64 {
	c.t.Helper()
	form.Set("key", fmt.Sprintf("layout-%d-%d", draft, time.Now().UnixNano()))
	res := c.post(fmt.Sprintf("/drafts/%d/send", draft), form)
	loc := res.Header.Get("Location")
	id, err := strconv.ParseInt(strings.TrimPrefix(loc, "/sends/"), 10, 64)
	if res.StatusCode != http.StatusSeeOther || err != nil {
		c.t.Fatalf("seed: send of draft %d answered %d %q", draft, res.StatusCode, loc)
	}
	return id
}

var sendState = regexp.MustCompile(`data-testid="send-state" data-state="([a-z]+)"`)

// waitState polls the send's page until its state is one of states.
func (c *seedClient) waitState(id int64, states ...string) {
	c.t.Helper()
	var last string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if m := sendState.FindStringSubmatch(c.get(fmt.Sprintf("/sends/%d", id))); m != nil {
			if last = m[1]; slices.Contains(states, last) {
				return
			}
		}
	}
	c.t.Fatalf("seed: send %d is %q, want one of %v", id, last, states)
}
