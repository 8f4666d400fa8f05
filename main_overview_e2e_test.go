package main

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"qunfa/wechat/protocol"
	"qunfa/wechat/sandbox"
)

// TestBrowserOverview (issue 9 §1, §5): an operator logs in and lands on the overview; its charts
// hold the numbers of their tables (read from Chart.js); a send appears in the last sends and its
// figures arrive with WeChat's callback without a reload; another range redraws the charts; the
// CSV download holds the table's figures; the chart comes out as a PNG.
func TestBrowserOverview(t *testing.T) {
	browser := findBrowser(t)
	const appID, secret, token = "wx0e2e0overview0a1", "e2e-overview-secret", "qunfaoverview"
	// Jobs finish when the test says (FinishPending), not on a timer.
	sim := sandbox.New(sandbox.Config{AppID: appID, AppSecret: secret, Token: token, FinishDelay: time.Hour, Followers: 500})
	api := httptest.NewServer(sim)
	t.Cleanup(func() { api.Close(); sim.Close() })
	base := startApp(t, map[string]string{
		"QUNFA_APPID": appID, "QUNFA_APPSECRET": secret, "QUNFA_TOKEN": token, "QUNFA_WECHAT_API": api.URL,
		"QUNFA_ADMIN_USER": "admin", "QUNFA_ADMIN_PASSWORD": "correct horse",
	})
	sim.SetCallbackURL(base + "/wechat/callback")
	ctx := newBrowser(t, browser)

	do(t, ctx, "log in", logIn(base, "admin", "correct horse"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=overview-live]`)))
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); !strings.HasSuffix(loc, "/overview") {
		t.Fatalf("after login: %s, want the overview", loc)
	}
	shot(t, ctx, "overview-empty")

	// A send to a group, made as an operator's browser would post it.
	c := &seedClient{t: t, base: base}
	jar, _ := cookiejar.New(nil)
	c.http = &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	c.token = c.csrfFrom("/login", `name="csrf_token" value="([^"]+)"`)
	if res := c.post("/login", url.Values{"username": {"admin"}, "password": {"correct horse"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("seed login: %d", res.StatusCode)
	}
	c.token = c.csrfFrom("/drafts", `data-csrf="([^"]+)"`)
	draft := c.draft(1, c.thumb(), []string{"五月会员日：全场八折"})
	id := c.send(draft, url.Values{"target": {"group"}, "group_id": {"100"}})
	c.waitState(id, "submitted")

	// Without a reload the send shows up, waiting for WeChat's figures.
	row := fmt.Sprintf(`[data-testid=recent-row][data-send="%d"]`, id)
	do(t, ctx, "mark the page", evalVoid(`window.__sameDocument = true`))
	do(t, ctx, "send appears", chromedp.WaitVisible(chromedp.CSS(row)))
	if s, _ := text(ctx, row+` [data-testid=recent-sent]`); s != "—" {
		t.Fatalf("figures before the callback: %q", s)
	}
	sim.FinishPending()
	job, ok := sim.Job(onlyJobMsgID(t, sim))
	if !ok || !job.Finished {
		t.Fatalf("the sandbox's job: %+v", job)
	}
	do(t, ctx, "figures arrive", chromedp.WaitVisible(chromedp.CSS(row+` [data-testid=recent-sent]:not(:empty)`)))
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		if s, _ := text(ctx, row+` [data-testid=recent-sent]`); s == fmt.Sprint(job.SentCount) {
			break
		}
		if time.Now().After(deadline) {
			s, _ := text(ctx, row+` [data-testid=recent-sent]`)
			t.Fatalf("SentCount on the overview %q, WeChat said %d", s, job.SentCount)
		}
	}
	same, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__sameDocument === true`))
	if err != nil || !same {
		t.Fatalf("the page was reloaded (%v)", err)
	}
	shot(t, ctx, "overview-after-callback")

	// Each chart draws its table's numbers: today's send, and the delivery rate WeChat's figures give.
	today := time.Now().In(protocol.Beijing).Format(time.DateOnly)
	checkChart := func(chart string, col int, want float64) {
		t.Helper()
		got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](fmt.Sprintf(`(() => {
			const ch = window.qunfaCharts[%q];
			const i = ch.data.labels.indexOf(%q);
			const row = Array.from(document.querySelectorAll('[data-testid="table-%s"] tbody tr')).find(r => r.querySelector('th').textContent.trim() === %q);
			return [String(ch.data.datasets[0].data[i]), row ? row.querySelectorAll('td')[%d].textContent.trim() : 'no row'];
		})()`, chart, today, chart, today, col)))
		if err != nil || len(got) != 2 {
			t.Fatalf("%s: %v %v", chart, got, err)
		}
		drawn, err1 := strconv.ParseFloat(got[0], 64)
		shown, err2 := strconv.ParseFloat(strings.TrimSuffix(got[1], "%"), 64)
		if err1 != nil || err2 != nil || drawn != want || shown != want {
			t.Errorf("%s today: chart draws %s, the table shows %s, want %v", chart, got[0], got[1], want)
		}
	}
	// Every panel with a canvas has its chart drawn (the calendar included).
	undrawn, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('[data-chart-panel]'))
		.filter(p => p.querySelector('canvas') && !(window.qunfaCharts[p.dataset.chartPanel] && window.qunfaCharts[p.dataset.chartPanel].canvas === p.querySelector('canvas')))
		.map(p => p.dataset.chartPanel)`))
	if err != nil || len(undrawn) > 0 {
		t.Errorf("charts not drawn: %v %v", undrawn, err)
	}
	checkChart("sends", 0, 1)
	rate, _ := strconv.ParseFloat(fmt.Sprintf("%.1f", float64(job.SentCount)/float64(job.FilterCount)*100), 64)
	checkChart("delivery", 4, rate)

	// Another range: the last 7 days, by week.
	do(t, ctx, "last 7 days", clickLoad(`[data-testid=preset-7]`), chromedp.WaitVisible(chromedp.CSS(`[data-testid=overview-live]`)))
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="table-quota"] tbody tr').length`))
	if err != nil || n != 7 {
		t.Fatalf("quota calendar of 7 days: %d rows (%v)", n, err)
	}
	labels, err := chromedp.Run(ctx, chromedp.Evaluate[int](`window.qunfaCharts.sends.data.labels.length`))
	if err != nil || labels != 7 {
		t.Errorf("the sends chart has %d labels over 7 days (%v)", labels, err)
	}

	// The CSV download holds the table's rows.
	body, err := chromedp.Run(ctx, chromedp.Evaluate[string](`fetch(document.querySelector('[data-testid="csv-sends"]').href).then(r => r.text())`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\uFEFF"))).ReadAll()
	if err != nil || len(recs) != 8 || recs[7][0] != today || recs[7][1] != "1" {
		t.Fatalf("CSV of the sends: %v %v", recs, err)
	}
	png, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!document.querySelector('[data-testid="png-sends"]').hidden &&
		window.qunfaCharts.sends.toBase64Image().startsWith('data:image/png')`))
	if err != nil || !png {
		t.Errorf("PNG of the chart: %v %v", png, err)
	}
	shot(t, ctx, "overview-7-days")
}

// onlyJobMsgID is the msg_id of the sandbox's only job.
func onlyJobMsgID(t *testing.T, sim *sandbox.Server) int64 {
	t.Helper()
	jobs := sim.Jobs()
	if len(jobs) != 1 {
		t.Fatalf("%d jobs in the sandbox, want 1", len(jobs))
	}
	return jobs[0].MsgID
}
