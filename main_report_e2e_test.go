package main

import (
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"qunfa/wechat/protocol"
	"qunfa/wechat/sandbox"
)

// loggedInSeedClient is a second session (seedClient) logged in as user.
func loggedInSeedClient(t *testing.T, base, user, password string) *seedClient {
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
	return c
}

// letDaysPass moves the clock of the pipeline and of a sandbox reading appNow to 12:00 Beijing,
// days after today, until the test ends (or the returned func is called).
func letDaysPass(t *testing.T, days int) func() {
	b := time.Now().In(protocol.Beijing)
	target := time.Date(b.Year(), b.Month(), b.Day(), 12, 0, 0, 0, protocol.Beijing).AddDate(0, 0, days)
	clockShift.Store(int64(time.Until(target)))
	back := func() { clockShift.Store(0) }
	t.Cleanup(back)
	return back
}

// seedReport gives the layout walk a report with WeChat's reading statistics: two days pass, an
// admin fetches them now, and the report shows them; then the clock comes back (the schedules
// seeded after this must not fire).
func seedReport(c *seedClient, send int64) {
	c.t.Helper()
	back := letDaysPass(c.t, 2)
	defer back()
	path := fmt.Sprintf("/sends/%d/report", send)
	if res := c.post(path+"/fetch", url.Values{}); res.StatusCode != http.StatusSeeOther {
		c.t.Fatalf("seed: statistics fetch answered %d", res.StatusCode)
	}
	for deadline := time.Now().Add(30 * time.Second); strings.Count(c.get(path), `data-testid="reads-row"`) < 2; time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			c.t.Fatal("seed: the report never showed two days of reads")
		}
	}
}

// TestBrowserReport: a draft of two articles sent to 10,001 OpenIDs (two batches) with the
// embedded sandbox. Its report shows the funnel and the batches at zero, then each callback's
// figures as MASSSENDJOBFINISH arrives, without a reload; two days later an admin fetches
// WeChat's statistics now and the reads by day appear, again without a reload, with the
// sandbox's figures.
func TestBrowserReport(t *testing.T) {
	browser := findBrowser(t)
	base, sim, _ := startAppEmbedded(t, map[string]string{
		"QUNFA_ADMIN_USER": "admin", "QUNFA_ADMIN_PASSWORD": "correct horse battery",
		EnvSandboxFollowers: "10500", "QUNFA_SANDBOX_FINISH_DELAY": "8s", "QUNFA_DAILY_QUOTA": "20",
	})
	c := loggedInSeedClient(t, base, "admin", "correct horse battery")
	draft := c.draft(2, c.thumb(), []string{"双十一活动预告", "会员专享福利"})
	ids := sim.OpenIDs(sandbox.AllFollowers)[:10_001]
	list := `"` + strings.Join(ids, `\n`) + `"`

	ctx := newBrowser(t, browser)
	do(t, ctx, "log in", logIn(base, "admin", "correct horse battery"))
	do(t, ctx, "send to the list",
		chromedp.Navigate(fmt.Sprintf("%s/drafts/%d/send", base, draft)),
		chromedp.WaitVisible(chromedp.CSS(`input[name=target][value=openids]`)),
		chromedp.Click(chromedp.CSS(`input[name=target][value=openids]`)),
		evalVoid(`document.querySelector('textarea[name=openids]').value = `+list),
		clickLoad(`[data-testid=plan-send]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=confirm-send]`)),
		clickLoad(`[data-testid=confirm-send]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=send-report-link]`)),
		clickLoad(`[data-testid=send-report-link]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=funnel-table]`)),
		evalVoid(`window.__qunfaNoReload = true`),
	)
	num := func(sel string) int {
		s, err := text(ctx, sel)
		if err != nil {
			t.Fatal(err)
		}
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			t.Fatalf("%s = %q", sel, s)
		}
		return n
	}
	funnel := func(key string) string {
		return fmt.Sprintf(`[data-testid=funnel-row][data-key="stats.%s"] [data-testid=funnel-value]`, key)
	}
	if n := num(funnel("total")); n != 0 {
		t.Logf("a callback beat the report's first drawing (Total %d): the live update is not exercised from zero", n)
	}
	shot(t, ctx, "report-before")

	// Both batches' MASSSENDJOBFINISH arrive; the funnel and the batches follow without a reload.
	if _, err := waitText(ctx, funnel("total"), func(s string) bool { return s == "10001" }, 60*time.Second); err != nil {
		t.Fatalf("the callbacks' figures never arrived: %v", err)
	}
	if _, err := waitText(ctx, `[data-testid=report-live] [data-testid=send-state]`, func(s string) bool { return s != "" }, time.Second); err != nil {
		t.Fatal(err)
	}
	msgText, _ := text(ctx, `[data-testid=report-live] .facts code`)
	var sent, errs int
	var batchSent []int
	for _, f := range strings.Split(msgText, ",") {
		id, err := strconv.ParseInt(strings.TrimSpace(f), 10, 64)
		if err != nil {
			t.Fatalf("msg_ids %q", msgText)
		}
		j, ok := sim.Job(id)
		if !ok {
			t.Fatalf("no sandbox job %d", id)
		}
		sent, errs = sent+j.SentCount, errs+j.ErrorCount
		batchSent = append(batchSent, j.SentCount)
	}
	if len(batchSent) != 2 {
		t.Fatalf("%d batches, want 2 (msg_ids %q)", len(batchSent), msgText)
	}
	// Wait for the second callback too (Total comes from the first push when both land together).
	if _, err := waitText(ctx, funnel("sent"), func(s string) bool { return s == strconv.Itoa(sent) }, 30*time.Second); err != nil {
		t.Fatalf("funnel Sent: %v, want %d", err, sent)
	}
	if got := num(funnel("error")); got != errs {
		t.Errorf("funnel Error = %d, want %d", got, errs)
	}
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('[data-testid=batch-sent]')].map(e => e.textContent.trim())`))
	if err != nil || len(rows) != 2 || rows[0] != strconv.Itoa(batchSent[0]) || rows[1] != strconv.Itoa(batchSent[1]) {
		t.Errorf("batch Sent = %v %v, want %v", rows, err, batchSent)
	}
	if got := num(`[data-testid=batch-sum-sent]`); got != sent {
		t.Errorf("the batches' sum = %d, want %d", got, sent)
	}
	if kept, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__qunfaNoReload === true`)); !kept {
		t.Fatal("the page was reloaded to show the callbacks")
	}
	shot(t, ctx, "report-callbacks")

	// Two days later an admin asks for WeChat's statistics now; the reads by day arrive live.
	letDaysPass(t, 2)
	do(t, ctx, "fetch statistics",
		clickLoad(`[data-testid=fetch-stats]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash]`)),
		evalVoid(`window.__qunfaNoReload = true`),
	)
	if _, err := waitText(ctx, `[data-testid=reads-table]`, func(s string) bool { return s != "" }, 40*time.Second); err != nil {
		t.Fatalf("the reads never arrived: %v", err)
	}
	days, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('[data-testid=reads-day]')].map(e => e.textContent.trim())`))
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	lead := 0
	for d := range 2 {
		n := 0
		for _, s := range batchSent {
			for a := 1; a <= 2; a++ {
				n += sandbox.ArticleStats(s, a, d).IntPageReadUser - sandbox.ArticleStats(s, a, d-1).IntPageReadUser
				if a == 1 && d == 1 {
					lead += sandbox.ArticleStats(s, a, d).IntPageReadUser
				}
			}
		}
		want = append(want, strconv.Itoa(n))
	}
	if strings.Join(days, ",") != strings.Join(want, ",") {
		t.Errorf("reads by day = %v, want %v (the sandbox's figures)", days, want)
	}
	if got, _ := text(ctx, `[data-testid=read-rate]`); got != fmt.Sprintf("%.1f%%", float64(lead)*100/float64(sent)) {
		t.Errorf("read rate = %q, want %d/%d", got, lead, sent)
	}
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid=article-row]').length`)); n != 2 {
		t.Errorf("%d article rows, want 2", n)
	}
	if kept, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__qunfaNoReload === true`)); !kept {
		t.Fatal("the page was reloaded to show the reads")
	}
	if drawn, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!(window.Chart && Chart.getChart('reads-chart') && Chart.getChart('funnel-chart'))`)); !drawn {
		t.Error("the charts are not drawn")
	}
	shot(t, ctx, "report-reads")
}
