package main

import (
	"context"
	"database/sql"
	"fmt"
	"image/color"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"qunfa/models"
	"qunfa/wechat/sandbox"
)

// startPlanApp runs the app on a database file the test opens too, against a sandbox the test
// holds (for its followers' OpenIDs), and logs in with a fresh operator.
func startPlanApp(t *testing.T) (base string, sim *sandbox.Server, db *sql.DB) {
	t.Helper()
	const appID, secret, token = "wx0e2e0plan00000a1", "e2e-plan-secret", "qunfaplan"
	sim = sandbox.New(sandbox.Config{AppID: appID, AppSecret: secret, Token: token,
		FinishDelay: 300 * time.Millisecond, Followers: 300, DailyQuota: 20})
	api := httptest.NewServer(sim)
	t.Cleanup(func() { api.Close(); sim.Close() })
	path := filepath.Join(t.TempDir(), "qunfa.db")
	base = startApp(t, map[string]string{
		"QUNFA_APPID": appID, "QUNFA_APPSECRET": secret, "QUNFA_TOKEN": token, "QUNFA_WECHAT_API": api.URL,
		"QUNFA_DAILY_QUOTA": "20", "QUNFA_DB": path,
	})
	sim.SetCallbackURL(base + "/wechat/callback")
	// The app's database, opened beside it (WAL lets both work on it).
	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return base, sim, db
}

func setupAndDraft(t *testing.T, ctx context.Context, base, title string) {
	t.Helper()
	thumb := writeJPEG(t, t.TempDir(), "cover.jpg", color.RGBA{60, 140, 90, 255})
	do(t, ctx, "setup",
		chromedp.Navigate(base+"/setup"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=setup-submit]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=username]`), "admin"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "correct horse"),
		clickLoad(`[data-testid=setup-submit]`),
		chromedp.WaitVisible(chromedp.CSS(`nav`)),
	)
	do(t, ctx, "draft",
		chromedp.Navigate(base+"/drafts/new"),
		fillArticle(0, title, "小编", "正文", thumb),
		clickLoad(`button[data-testid=save-draft]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=flash]`)),
		chromedp.Navigate(base+"/drafts"),
		clickLoad(`a[data-testid=send-draft]`),
		chromedp.WaitVisible(chromedp.CSS(`input[name=target][value=group]`)),
	)
}

func sqlExec(t *testing.T, db *sql.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// sendIDOf reads the send id from the send page's address.
func sendIDOf(t *testing.T, ctx context.Context) int {
	t.Helper()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	i := strings.LastIndex(loc, "/sends/")
	id, err := strconv.Atoi(strings.TrimSuffix(loc[i+len("/sends/"):], "/"))
	if err != nil {
		t.Fatalf("not a send page: %s", loc)
	}
	return id
}

// (a) The plan of an OpenID list whose followers are partly at their monthly cap (a month of
// ledger put in the database): the confirmation says how many are left out, and the send goes
// to the rest.
func TestBrowserPlanLeavesOutCapped(t *testing.T) {
	browser := findBrowser(t)
	base, sim, db := startPlanApp(t)
	ctx := newBrowser(t, browser)
	ids := sim.OpenIDs(sandbox.AllFollowers)[:8]
	month := time.Now().In(models.Beijing).Format("2006-01")
	for _, id := range ids[:3] {
		sqlExec(t, db, `INSERT INTO follower_months (month, open_id, received) VALUES (?, ?, 4)`, month, id)
	}
	sqlExec(t, db, `INSERT INTO follower_months (month, open_id, received) VALUES (?, ?, 2)`, month, ids[3])

	setupAndDraft(t, ctx, base, "月度上限")
	do(t, ctx, "plan",
		chromedp.Click(chromedp.CSS(`input[name=target][value=openids]`)),
		chromedp.SetValue(chromedp.CSS(`textarea[name=openids]`), strings.Join(ids, "\n")),
		clickLoad(`[data-testid=plan-send]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=plan-left-out]`)),
	)
	shot(t, ctx, "plan-left-out")
	if got, _ := text(ctx, `[data-testid=plan-left-out]`); !strings.Contains(got, "3 人本月已收满 4 次") {
		t.Fatalf("left-out line %q", got)
	}
	if got, _ := text(ctx, `[data-testid=plan-recipients]`); got != "5" {
		t.Fatalf("recipients %q, want 5 (8 less the 3 at their cap)", got)
	}
	// Untick and plan again: the whole list, with the warning instead.
	do(t, ctx, "untick",
		chromedp.Click(chromedp.CSS(`[data-testid=leave-out-capped]`)),
		clickLoad(`[data-testid=replan]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=plan-over-cap]`)),
	)
	shot(t, ctx, "plan-capped-included")
	if got, _ := text(ctx, `[data-testid=plan-recipients]`); got != "8" {
		t.Fatalf("unticked: recipients %q, want 8", got)
	}
	// Tick again and send: it goes to the 5.
	do(t, ctx, "tick and send",
		chromedp.Click(chromedp.CSS(`[data-testid=leave-out-capped]`)),
		clickLoad(`[data-testid=replan]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=plan-left-out]`)),
		clickLoad(`[data-testid=confirm-send]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=send-state]`)),
	)
	id := sendIDOf(t, ctx)
	var lists []string
	rows, err := db.Query(`SELECT open_ids FROM send_batches WHERE send_id = ?`, id)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		rows.Scan(&s)
		lists = append(lists, s)
	}
	rows.Close()
	if got := strings.Join(lists, "\n"); got != strings.Join(ids[3:], "\n") {
		t.Fatalf("sent to\n%s\nwant the 5 below the cap", got)
	}
	if _, err := waitText(ctx, `[data-testid=send-target]`, func(s string) bool { return strings.Contains(s, "5") }, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	shot(t, ctx, "plan-sent")
}

// (b) A catch-up: a group send finishes, followers subscribe after it (put in the database as a
// sync would), the send's page counts them, and its catch-up goes to them as a send of its own,
// each page linking to the other.
func TestBrowserCatchUp(t *testing.T) {
	browser := findBrowser(t)
	base, sim, db := startPlanApp(t)
	ctx := newBrowser(t, browser)
	setupAndDraft(t, ctx, base, "补发测试")
	// The followers synced first, so the send's recipients come from the synced table.
	do(t, ctx, "follower sync", chromedp.Navigate(base+"/followers"), clickLoad(`[data-testid=sync-full]`))
	if _, err := waitText(ctx, `[data-testid=last-sync]`, func(s string) bool { return s != "" }, 60*time.Second); err != nil {
		t.Fatalf("the follower sync did not finish: %v", err)
	}
	do(t, ctx, "send form",
		chromedp.Navigate(base+"/drafts"),
		clickLoad(`a[data-testid=send-draft]`),
		chromedp.WaitVisible(chromedp.CSS(`input[name=target][value=group]`)),
	)
	do(t, ctx, "group send",
		chromedp.Click(chromedp.CSS(`input[name=target][value=group]`)),
		chromedp.SetValue(chromedp.CSS(`select[name=group_id]`), "100"),
		clickLoad(`[data-testid=plan-send]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=confirm-send]`)),
		clickLoad(`[data-testid=confirm-send]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=send-state]`)),
	)
	first := sendIDOf(t, ctx)
	if _, err := waitText(ctx, `[data-testid=send-state]`, func(s string) bool { return strings.Contains(s, "已完成") }, 60*time.Second); err != nil {
		t.Fatalf("the group send did not finish: %v", err)
	}
	// The ledger holds the group's synced members (recorded by the worker after the msg_id).
	var members int
	for deadline := time.Now().Add(20 * time.Second); members == 0 && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		db.QueryRow(`SELECT COUNT(*) FROM send_recipients WHERE send_id = ?`, first).Scan(&members)
	}
	if members == 0 {
		t.Fatal("the group send's recipients were not recorded from the synced followers")
	}
	// Three people follow the account after it went out: the sandbox pushes their subscribe
	// events to the callback, which records them in the followers table.
	newcomers := sim.Subscribe(3)
	var count string
	for deadline := time.Now().Add(30 * time.Second); count != "3" && time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		do(t, ctx, "send page", chromedp.Navigate(fmt.Sprintf("%s/sends/%d", base, first)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=catch-up]`)))
		count, _ = chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector('[data-testid=catch-up-count]') || {dataset: {}}).dataset.count || ''`))
	}
	if count != "3" {
		t.Fatalf("catch-up count %q, want the 3 who subscribed after the send", count)
	}
	do(t, ctx, "send page", chromedp.WaitVisible(chromedp.CSS(`[data-testid=catch-up-action]`)))
	shot(t, ctx, "catch-up-count")
	do(t, ctx, "catch-up plan",
		clickLoad(`[data-testid=catch-up-action]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=confirm-catch-up]`)),
	)
	shot(t, ctx, "catch-up-plan")
	if got, _ := text(ctx, `[data-testid=plan-recipients]`); got != "3" {
		t.Fatalf("catch-up plan recipients %q, want 3", got)
	}
	do(t, ctx, "catch-up send",
		clickLoad(`[data-testid=confirm-catch-up]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=catch-up-of]`)),
	)
	second := sendIDOf(t, ctx)
	if second == first {
		t.Fatal("the catch-up is not a send of its own")
	}
	if _, err := waitText(ctx, `[data-testid=send-state]`, func(s string) bool { return strings.Contains(s, "已完成") }, 60*time.Second); err != nil {
		t.Fatalf("the catch-up did not finish: %v", err)
	}
	shot(t, ctx, "catch-up-send")
	var got []string
	rows, err := db.Query(`SELECT open_id FROM send_recipients WHERE send_id = ? ORDER BY open_id`, second)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		rows.Scan(&s)
		got = append(got, s)
	}
	rows.Close()
	slices.Sort(newcomers)
	if !slices.Equal(got, newcomers) {
		t.Fatalf("catch-up recorded for %v, want the 3 newcomers %v", got, newcomers)
	}
	do(t, ctx, "back to the first",
		clickLoad(`[data-testid=catch-up-of] a`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=catch-up-send]`)),
	)
	if got, _ := text(ctx, `[data-testid=catch-up-count]`); strings.Contains(got, "3") {
		t.Fatalf("after the catch-up the count still says %q", got)
	}
	shot(t, ctx, "catch-up-linked")
}
