package main

import (
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"qunfa/wechat/sandbox"
)

// TestBrowserFollowerSync: from the followers page, start a full sync of the sandbox's 30,000
// followers, watch the progress bar move (rows, rate) without a reload and finish, then see the
// table and filter it by a group. The sandbox answers batchget slowly (80 ms a call; details are
// committed 10,000 at a time) so that the sync takes a few seconds, as a real account's would; it
// is held by the test, as the layout test holds one, to set that latency.
func TestBrowserFollowerSync(t *testing.T) {
	browser := findBrowser(t)
	const appID, secret, token = "wx0e2e0followers01", "e2e-followers-secret", "qunfafollowers"
	const followers = 30_000
	sim := sandbox.New(sandbox.Config{AppID: appID, AppSecret: secret, Token: token, Followers: followers})
	api := httptest.NewServer(sim)
	t.Cleanup(func() { api.Close(); sim.Close() })
	sim.SetLatency("/cgi-bin/user/info/batchget", 80*time.Millisecond)
	base := startApp(t, map[string]string{
		"QUNFA_APPID": appID, "QUNFA_APPSECRET": secret, "QUNFA_TOKEN": token, "QUNFA_WECHAT_API": api.URL,
		"QUNFA_ADMIN_USER": "admin", "QUNFA_ADMIN_PASSWORD": "correct horse battery",
	})
	ctx := newBrowser(t, browser)
	do(t, ctx, "log in", logIn(base, "admin", "correct horse battery"))
	// The 2014 profile (groups), as the embedded sandbox uses: every follower is in one group.
	do(t, ctx, "groups profile",
		chromedp.Navigate(base+"/settings"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=preset]`)),
		evalVoid(`(s => { s.value = 'seed'; s.dispatchEvent(new Event('change')); })(document.querySelector('[data-testid=preset]'))`),
		clickLoad(`[data-testid=settings-save]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash]`)),
	)
	do(t, ctx, "followers page",
		clickLoad(`[data-testid=nav-followers]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=followers-empty]`)),
	)
	shot(t, ctx, "followers-empty")

	do(t, ctx, "start a full sync",
		clickLoad(`[data-testid=sync-full]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=sync-bar]`)),
	)
	// The bar and the figures move while the page stays: the same document (a marker set on it
	// survives) shows more rows done each time, with a rate, until the page reloads itself at the end.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.stillHere = true`)); err != nil {
		t.Fatal(err)
	}
	var seen []int
	var speeds []string
	shotTaken := false
	deadline := time.Now().Add(60 * time.Second)
	for {
		if time.Now().After(deadline) {
			t.Fatalf("the sync did not finish; bar values seen %v", seen)
		}
		type syncState struct {
			Here    bool
			Percent int
			Text    string
			Speed   string
		}
		state, err := chromedp.Run(ctx, chromedp.Evaluate[syncState](`({
			here: window.stillHere === true,
			percent: (document.querySelector('[data-testid=sync-bar]') || {}).value | 0,
			text: (document.querySelector('[data-testid=sync-text]') || {}).textContent || '',
			speed: (document.querySelector('[data-testid=sync-speed]') || {}).textContent || ''
		})`))
		if err != nil {
			time.Sleep(100 * time.Millisecond) // the page is reloading
			continue
		}
		if !state.Here {
			break // followers.js reloaded the page: the sync has ended
		}
		if len(seen) == 0 || seen[len(seen)-1] != state.Percent {
			seen = append(seen, state.Percent)
			t.Logf("bar %d%%: %s %s", state.Percent, state.Text, state.Speed)
		}
		if state.Speed != "" {
			speeds = append(speeds, state.Speed)
		}
		if !shotTaken && state.Percent > 20 && state.Percent < 90 && strings.Contains(state.Text, "粉丝资料") {
			shot(t, ctx, "followers-sync-progress")
			shotTaken = true
		}
		time.Sleep(150 * time.Millisecond)
	}
	moving := 0
	for _, p := range seen {
		if p > 0 && p < 100 {
			moving++
		}
	}
	if moving < 2 || len(speeds) == 0 {
		t.Fatalf("the bar did not move in place: values %v, rate shown %d times", seen, len(speeds))
	}
	if !strings.Contains(speeds[len(speeds)-1], "每秒") {
		t.Errorf("rate text %q", speeds[len(speeds)-1])
	}

	// After the reload: the last sync's summary, the groups with counts (the sandbox's own), and the table.
	last, err := waitText(ctx, `[data-testid=last-sync]`, func(s string) bool { return strings.Contains(s, "30,000") }, 20*time.Second)
	if err != nil {
		t.Fatalf("last sync line: %v", err)
	}
	t.Logf("last sync: %s", last)
	do(t, ctx, "table", chromedp.WaitVisible(chromedp.CSS(`tr[data-testid=follower-row]`)))
	shot(t, ctx, "followers-synced")
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('tr[data-testid=follower-row]').length`))
	if err != nil || rows != 50 {
		t.Fatalf("rows on the first page = %d, %v", rows, err)
	}
	type audienceCount struct {
		ID    string
		Name  string
		Count string
	}
	counts, err := chromedp.Run(ctx, chromedp.Evaluate[[]audienceCount](`[...document.querySelectorAll('[data-testid=audience-count]')].map(li => ({
		id: li.dataset.id, name: li.querySelector('a').textContent.trim(), count: li.querySelector('[data-testid=audience-n]').textContent.trim()}))`))
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	var group struct{ ID, Name string }
	want := map[string]int{}
	for _, g := range sim.Groups() {
		want[strconv.FormatInt(g.ID, 10)] = g.Count
	}
	for _, c := range counts {
		n, _ := strconv.Atoi(c.Count)
		total += n
		if n != want[c.ID] {
			t.Errorf("group %s (%s): %d followers, the sandbox has %d", c.ID, c.Name, n, want[c.ID])
		}
		if n > 100 && c.ID != "0" && group.ID == "" {
			group.ID, group.Name = c.ID, c.Name
		}
	}
	if total != followers || group.ID == "" || len(counts) != len(want) {
		t.Fatalf("group counts %+v add up to %d, want %d", counts, total, followers)
	}

	// Filter by that group: every row shown is in it, and the next page too.
	do(t, ctx, "filter by a group",
		chromedp.SetValue(chromedp.CSS(`[data-testid=filter-audience]`), group.ID),
		clickLoad(`[data-testid=filter-apply]`),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-testid=follower-row]`)),
	)
	shot(t, ctx, "followers-group")
	checkGroup := func(stage string) {
		cells, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('tr[data-testid=follower-row] [data-testid=follower-audience]')].map(td => td.textContent.trim())`))
		if err != nil {
			t.Fatal(err)
		}
		if len(cells) == 0 {
			t.Fatalf("%s: no rows", stage)
		}
		for _, c := range cells {
			if c != group.Name {
				t.Fatalf("%s: a row of group %q under the filter %q", stage, c, group.Name)
			}
		}
	}
	checkGroup("first page")
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	if !strings.Contains(loc, "group="+group.ID) {
		t.Errorf("filtered page's address %q", loc)
	}
	do(t, ctx, "next page", clickLoad(`[data-testid=followers-next]`), chromedp.WaitVisible(chromedp.CSS(`[data-testid=followers-prev]`)))
	checkGroup("second page")
	do(t, ctx, "back", clickLoad(`[data-testid=followers-prev]`), chromedp.WaitVisible(chromedp.CSS(`tr[data-testid=follower-row]`)))
	checkGroup("first page again")
}
