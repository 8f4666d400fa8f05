package main

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"qunfa/models"
)

// abReads stands in for the article statistics (the sandbox has none): readers per send, as
// the test sets them, through the dashboard's models.ReadSource.
type abReads struct {
	mu   sync.Mutex
	rate map[uint]float64 // readers per recipient sent to
}

// useABReads installs r as the running dashboard's read figures for this test.
func useABReads(t *testing.T) *abReads {
	r := &abReads{rate: map[uint]float64{}}
	f := models.ReadsFunc(r.reads)
	abReadsOverride.Store(&f)
	t.Cleanup(func() { abReadsOverride.Store(nil) })
	return r
}

func (r *abReads) set(id uint, rate float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rate[id] = rate
}

// reads gives a fixed share of the send's SentCount (as the test read it from the page: abSent).
func (r *abReads) reads(ctx context.Context, id uint) (int64, bool, error) {
	r.mu.Lock()
	rate, ok := r.rate[id]
	r.mu.Unlock()
	if !ok {
		return 0, false, nil
	}
	sent, ok := abSent.get(id)
	if !ok {
		return 0, false, nil
	}
	return abReadsAt(rate, sent), true, nil
}

// abReadsAt is rate of sent, rounded.
func abReadsAt(rate float64, sent int) int64 { return int64(math.Round(rate * float64(sent))) }

// abSent is each send's SentCount as the test read it from the send's page.
var abSent = &sentCounts{n: map[uint]int{}}

type sentCounts struct {
	mu sync.Mutex
	n  map[uint]int
}

func (s *sentCounts) put(id uint, n int) { s.mu.Lock(); s.n[id] = n; s.mu.Unlock() }
func (s *sentCounts) get(id uint) (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, ok := s.n[id]
	return n, ok
}

// abTestSends reads the two sends of A/B test page body (A first).
func abTestSends(t *testing.T, body string) (uint, uint) {
	t.Helper()
	m := regexp.MustCompile(`href="/sends/(\d+)" data-testid="abtest-send"`).FindAllStringSubmatch(body, -1)
	if len(m) != 2 {
		t.Fatalf("A/B page names %d sends", len(m))
	}
	a, _ := strconv.ParseUint(m[0][1], 10, 32)
	b, _ := strconv.ParseUint(m[1][1], 10, 32)
	return uint(a), uint(b)
}

var sentCell = regexp.MustCompile(`data-variant="([AB])".*?data-testid="abtest-sent">(\d+)<`)

// waitABSent waits until both sends of the test at path have finished (the page is past
// "sending") and records their SentCount for the read figures.
func waitABSent(t *testing.T, c *seedClient, path string, a, b uint) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		body := c.get(path)
		if !strings.Contains(body, `data-status="`+models.ABStatusSending+`"`) {
			for _, m := range sentCell.FindAllStringSubmatch(strings.ReplaceAll(body, "\n", " "), -1) {
				n, _ := strconv.Atoi(m[2])
				id := a
				if m[1] == "B" {
					id = b
				}
				abSent.put(id, n)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the A/B test's sends did not finish")
		}
	}
}

// abSeedClient logs a second session in (admin, password123) for seeding.
func abSeedClient(t *testing.T, base string) *seedClient {
	t.Helper()
	c := &seedClient{t: t, base: base}
	jar, _ := cookiejar.New(nil)
	c.http = &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	c.token = c.csrfFrom("/login", `name="csrf_token" value="([^"]+)"`)
	if res := c.post("/login", url.Values{"username": {"admin"}, "password": {"password123"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("login answered %d", res.StatusCode)
	}
	c.token = c.csrfFrom("/drafts", `data-csrf="([^"]+)"`)
	return c
}

// syncFollowers runs a full follower sync of the sandbox and waits for its end.
func (c *seedClient) syncFollowers() {
	c.t.Helper()
	if res := c.post("/followers/sync", url.Values{"mode": {"full"}}); res.StatusCode != http.StatusSeeOther {
		c.t.Fatalf("seed: follower sync answered %d", res.StatusCode)
	}
	for deadline := time.Now().Add(60 * time.Second); !strings.Contains(c.get("/followers/sync/status"), `"finished":true`); {
		if time.Now().After(deadline) {
			c.t.Fatal("seed: the follower sync did not finish")
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestBrowserABTest: on the embedded sandbox's followers, an editor starts an A/B title test
// from a draft's send page (everyone, 20% a half), both sends go out and finish; with no read
// figures the page says so; with readers at 20% of A and 30% of B it reads "B 更好，置信度 95%"
// with z and p; "send the winner to the rest" sends B to the other 60%, linked from the test.
func TestBrowserABTest(t *testing.T) {
	browser := findBrowser(t)
	reads := useABReads(t)
	base := startApp(t, map[string]string{"QUNFA_ADMIN_USER": "admin", "QUNFA_ADMIN_PASSWORD": "password123"})
	c := abSeedClient(t, base)
	draft := c.draft(1, c.thumb(), []string{"十一月会员日：全场八折"})
	c.syncFollowers()

	ctx := newBrowser(t, browser)
	do(t, ctx, "log in", logIn(base, "admin", "password123"))
	do(t, ctx, "the A/B form from the send page",
		chromedp.Navigate(fmt.Sprintf("%s/drafts/%d/send", base, draft)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=abtest-entry]`)),
		clickLoad(`[data-testid=abtest-entry]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=abtest-form]`)),
		chromedp.SetValue(chromedp.CSS(`[data-testid=abtest-audience]`), "all"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=abtest-title-b]`), "会员日只有今天：全场八折，别错过"),
		chromedp.SetValue(chromedp.CSS(`[data-testid=abtest-share]`), "20"),
		chromedp.SetValue(chromedp.CSS(`[data-testid=abtest-judge-hours]`), "0"),
	)
	shot(t, ctx, "abtest-form")
	do(t, ctx, "start the test", clickLoad(`[data-testid=abtest-start]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=abtest-result]`)))
	shot(t, ctx, "abtest-sending")
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(loc)
	if !regexp.MustCompile(`^/abtests/\d+$`).MatchString(u.Path) {
		t.Fatalf("after starting: at %s", u.Path)
	}
	halves, _ := text(ctx, `[data-testid=abtest-halves]`)
	if halves != "600（共 3000）" {
		t.Errorf("halves %q, want 600 of the sandbox's 3000", halves)
	}
	a, b := abTestSends(t, c.get(u.Path))
	waitABSent(t, c, u.Path, a, b)

	do(t, ctx, "both finished, no reads yet", chromedp.Navigate(loc), chromedp.WaitVisible(chromedp.CSS(`[data-testid=abtest-status]`)))
	if st, _ := text(ctx, `[data-testid=abtest-status]`); !strings.Contains(st, "阅读数据还没有拿到") || strings.Contains(st, "%!") {
		t.Errorf("without reads: %q", st)
	}
	shot(t, ctx, "abtest-no-reads")

	reads.set(a, 0.20)
	reads.set(b, 0.30)
	do(t, ctx, "the verdict", chromedp.Navigate(loc), chromedp.WaitVisible(chromedp.CSS(`[data-testid=abtest-verdict]`)))
	shot(t, ctx, "abtest-verdict")
	if v, _ := text(ctx, `[data-testid=abtest-verdict]`); v != "B 更好，置信度 95%" {
		t.Errorf("verdict %q", v)
	}
	sa, _ := abSent.get(a)
	sb, _ := abSent.get(b)
	want := models.TwoProportionZ(abReadsAt(0.2, sa), int64(sa), abReadsAt(0.3, sb), int64(sb))
	if z, _ := text(ctx, `[data-testid=abtest-z]`); !strings.HasPrefix(z, fmt.Sprintf("z = %.2f，p ", want.Z)) || !strings.HasSuffix(z, "（双侧）") || want.Z > -3 {
		t.Errorf("z line %q, want z %.2f (sent %d and %d)", z, want.Z, sa, sb)
	}
	if r, _ := text(ctx, `[data-variant=B] [data-testid=abtest-rate]`); r != fmt.Sprintf("%.1f%%", 100*float64(abReadsAt(0.3, sb))/float64(sb)) || sb < 500 {
		t.Errorf("B's read rate %q (sent %d)", r, sb)
	}

	do(t, ctx, "send the winner to the rest",
		clickLoad(`[data-testid=abtest-send-winner]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=abtest-winner-send]`)))
	shot(t, ctx, "abtest-winner")
	attr, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(`[data-testid=abtest-winner-send] a`), "href"))
	if err != nil {
		t.Fatal(err)
	}
	href := attr.Value
	do(t, ctx, "the winner's send", chromedp.Navigate(base+href), chromedp.WaitVisible(chromedp.CSS(`[data-testid=send-state]`)))
	body := c.get(href)
	if !strings.Contains(body, "会员日只有今天：全场八折，别错过") || !strings.Contains(body, "1800") {
		t.Errorf("the winner's send is not B to the 1,800 others")
	}
	shot(t, ctx, "abtest-winner-send")

	do(t, ctx, "the list", chromedp.Navigate(base+"/abtests"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=abtest-row]`)))
	shot(t, ctx, "abtests")
}

// abLayoutPages are the A/B pages TestLayout walks, on the test seedABTest made.
func abLayoutPages() []layoutPage {
	const get = http.MethodGet
	return []layoutPage{
		{"abtest-form", get, "/drafts/:id/abtest", false, func(base string, s *layoutSeed) chromedp.Action[chromedp.Void] {
			return visit(fmt.Sprintf("/drafts/%d/abtest", s.bigDraft), `[data-testid=abtest-form]`)(base, s)
		}},
		{"abtests", get, "/abtests", false, visit("/abtests", `tr[data-testid=abtest-row]`)},
		{"abtest", get, "/abtests/:id", false, func(base string, s *layoutSeed) chromedp.Action[chromedp.Void] {
			return visit(fmt.Sprintf("/abtests/%d", s.abtest), `[data-testid=abtest-verdict]`)(base, s)
		}},
	}
}

// seedABTest makes an A/B test of draft (64-character titles) on the synced followers, both
// sends finished and judged with read figures, for TestLayout.
func seedABTest(t *testing.T, c *seedClient, draft uint) int64 {
	t.Helper()
	reads := useABReads(t)
	res := c.post(fmt.Sprintf("/drafts/%d/abtest", draft), url.Values{"key": {"layout-ab"}, "audience": {"all"},
		"title_b": {layoutTitles[5]}, "share": {"5"}, "judge_hours": {"0"}})
	loc := res.Header.Get("Location")
	id, err := strconv.ParseInt(strings.TrimPrefix(loc, "/abtests/"), 10, 64)
	if res.StatusCode != http.StatusSeeOther || err != nil {
		t.Fatalf("seed: A/B test answered %d %q", res.StatusCode, loc)
	}
	a, b := abTestSends(t, c.get(loc))
	waitABSent(t, c, loc, a, b)
	reads.set(a, 0.21)
	reads.set(b, 0.27)
	return id
}
