package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"qunfa/models"
	"qunfa/views"
	"qunfa/wechat"
)

// followerState reads one follower as the followers page's query sees it (any status).
func (ta *testApp) followerState(openID string) (models.Follower, bool) {
	ta.t.Helper()
	p, err := ta.svc.Followers(context.Background(), models.FollowerFilter{Prefix: openID, Status: models.FollowersAll}, models.FollowerCursor{})
	if err != nil {
		ta.t.Fatal(err)
	}
	for _, f := range p.Followers {
		if f.OpenID == openID {
			return f, true
		}
	}
	return models.Follower{}, false
}

// subscribe and unsubscribe pushes, plaintext and AES, keep the followers table current; a
// retried push changes nothing and every push is answered "success".
func TestCallbackRecordsSubscriptions(t *testing.T) {
	ta := newTestApp(t)
	ta.codec.EncodingAESKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	push := func(openID, event string, at time.Time, secure bool) {
		t.Helper()
		ev := wechat.Event{ToUserName: "gh_0123456789ab", FromUserName: openID, CreateTime: at.Unix(), MsgType: "event", Event: event}
		r := ta.callbackSecure(ev, secure)
		if r.status != http.StatusOK || r.body != "success" {
			t.Fatalf("%s push: %d %q", event, r.status, r.body)
		}
	}
	for _, secure := range []bool{false, true} {
		id := "oPlainFollower000000000001"
		if secure {
			id = "oSecureFollower00000000001"
		}
		t0 := ta.now.Add(-time.Hour)
		push(id, "subscribe", t0, secure)
		push(id, "subscribe", t0, secure) // WeChat's retry
		f, ok := ta.followerState(id)
		if !ok || !f.Subscribed || f.SubscribedAt == nil || !f.SubscribedAt.Equal(t0.Truncate(time.Second)) {
			t.Fatalf("secure=%v after subscribe: %+v %v", secure, f, ok)
		}
		push(id, "unsubscribe", t0.Add(time.Minute), secure)
		push(id, "subscribe", t0, secure) // a late retry of the subscribe
		f, _ = ta.followerState(id)
		if f.Subscribed || f.UnsubscribedAt == nil {
			t.Fatalf("secure=%v after unsubscribe: %+v", secure, f)
		}
	}
}

func TestFollowerSyncStatusJSON(t *testing.T) {
	ta := newTestApp(t)
	ta.setupAndLogin()
	status := func() views.FollowerSyncView {
		t.Helper()
		r := ta.get("/followers/sync/status")
		if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
			t.Fatalf("status: %d %s", r.status, r.header.Get("Content-Type"))
		}
		var v views.FollowerSyncView
		if err := json.Unmarshal([]byte(r.body), &v); err != nil {
			t.Fatalf("%v: %s", err, r.body)
		}
		return v
	}
	if v := status(); v.ID != 0 || v.Running {
		t.Fatalf("before any sync: %+v", v)
	}
	// A sync started from the page (the worker is not running in this test).
	tok := ta.csrf("/followers")
	if r := ta.post("/followers/sync", url.Values{"csrf_token": {tok}, "mode": {"full"}}); r.status != http.StatusSeeOther || r.location != "/followers" {
		t.Fatalf("start: %d %q", r.status, r.location)
	}
	v := status()
	if v.ID == 0 || !v.Running || v.Finished || v.Phase != "listing" || !strings.Contains(v.Text, "0 / 0") {
		t.Fatalf("started: %+v", v)
	}
	page := ta.get("/followers").doc(t)
	if run, _ := page.Find(`[data-testid=sync-progress]`).Attr("data-running"); run != "true" {
		t.Errorf("page's progress not running: %q", run)
	}
	if _, dis := page.Find(`[data-testid=sync-full]`).Attr("disabled"); !dis {
		t.Error("sync buttons enabled while a sync runs")
	}
	// A second start shows the running one.
	if r := ta.post("/followers/sync", url.Values{"csrf_token": {tok}, "mode": {"incremental"}}); r.status != http.StatusSeeOther {
		t.Fatalf("second start: %d", r.status)
	}
	if v2 := status(); v2.ID != v.ID {
		t.Fatalf("second start made job %d beside %d", v2.ID, v.ID)
	}
	if r := ta.post("/followers/sync", url.Values{"csrf_token": {tok}, "mode": {"bogus"}}); r.status != http.StatusBadRequest {
		t.Fatalf("bad mode: %d", r.status)
	}
	if err := ta.svc.RunFollowerSync(context.Background()); err != nil {
		t.Fatal(err)
	}
	v = status()
	if !v.Finished || v.Running || v.Phase != "done" || v.Percent != 100 {
		t.Fatalf("finished: %+v", v)
	}
	if got := ta.get("/followers").doc(t).Find(`[data-testid=last-sync]`).Text(); !strings.Contains(got, "全量") {
		t.Errorf("last sync line = %q", got)
	}
}

func TestFollowersPageAndDailySetting(t *testing.T) {
	ta := newTestApp(t)
	ta.setupAndLogin()
	ctx := context.Background()
	for _, id := range []string{"oAAA000000000000000000000001", "oAAA000000000000000000000002", "oBBB000000000000000000000003"} {
		if err := ta.svc.RecordSubscription(ctx, id, true, ta.now.Add(-48*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	if err := ta.svc.RecordSubscription(ctx, "oBBB000000000000000000000003", false, ta.now); err != nil {
		t.Fatal(err)
	}
	rows := func(path string) []string {
		t.Helper()
		var ids []string
		d := ta.get(path).doc(t)
		for i := range d.Find(`[data-testid=follower-row]`).Nodes {
			id, _ := d.Find(`[data-testid=follower-row]`).Eq(i).Attr("data-openid")
			ids = append(ids, id)
		}
		return ids
	}
	if got := rows("/followers"); len(got) != 2 {
		t.Fatalf("subscribed rows = %v", got)
	}
	if got := rows("/followers?status=unsubscribed"); len(got) != 1 || got[0] != "oBBB000000000000000000000003" {
		t.Fatalf("unsubscribed rows = %v", got)
	}
	if got := rows("/followers?q=oAAA&status=all"); len(got) != 2 {
		t.Fatalf("prefix rows = %v", got)
	}
	day := ta.now.In(models.Beijing).Format("2006-01-02")
	if got := rows("/followers?from=" + day + "&to=" + day); len(got) != 0 {
		t.Fatalf("subscribed today = %v", got)
	}
	if r := ta.get("/followers?after=a&before=b"); r.status != http.StatusBadRequest {
		t.Fatalf("both cursors: %d", r.status)
	}

	// The daily sync switch on the settings page.
	set := ta.get("/settings").doc(t)
	if _, on := set.Find(`[data-testid=daily-sync]`).Attr("checked"); on {
		t.Fatal("daily sync on by default")
	}
	tok, _ := set.Find(`[data-testid=daily-sync-form] input[name=csrf_token]`).Attr("value")
	if r := ta.post("/settings/followers-sync", url.Values{"csrf_token": {tok}, "daily": {"1"}}); r.status != http.StatusSeeOther {
		t.Fatalf("save: %d", r.status)
	}
	if on, _ := ta.svc.DailyFollowerSync(ctx); !on {
		t.Fatal("daily sync not saved")
	}
	if _, on := ta.get("/settings").doc(t).Find(`[data-testid=daily-sync]`).Attr("checked"); !on {
		t.Fatal("settings page does not show it on")
	}
}

func TestDigits(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567"} {
		if got := digits(n); got != want {
			t.Errorf("digits(%d) = %q", n, got)
		}
	}
}

// The status shows rows done, the rate and the time left, in the page's language.
func TestSyncViewWordsProgress(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	j := models.FollowerSync{ID: 3, Mode: models.SyncFull, Phase: "details", ToDetail: 100000, Detailed: 25000,
		PhaseStartedAt: t0, UpdatedAt: t0.Add(5 * time.Second)}
	zh := syncView(j, views.Layout{Lang: "zh"})
	if !zh.Running || zh.Percent != 25 || zh.Text != "正在获取粉丝资料：25,000 / 100,000" || zh.Speed != "每秒 5,000 人 · 约剩 15 秒" {
		t.Fatalf("zh: %+v", zh)
	}
	j.Detailed = 10000 // 2,000 a second: 45 s left
	en := syncView(j, views.Layout{Lang: "en"})
	if en.Text != "Fetching follower details: 10,000 / 100,000" || en.Speed != "2,000 a second · about 45 s left" {
		t.Fatalf("en: %+v", en)
	}
	j.Detailed, j.UpdatedAt = 1000, t0.Add(10*time.Second) // 100 a second: 990 s left
	if v := syncView(j, views.Layout{Lang: "en"}); v.Speed != "100 a second · about 16 min 30 s left" {
		t.Fatalf("minutes: %+v", v)
	}
	now := t0.Add(time.Minute)
	j.Phase, j.FinishedAt, j.Error = "failed", &now, "user/get: errcode 45009"
	if v := syncView(j, views.Layout{Lang: "zh"}); !v.Failed || !v.Finished || v.Running || v.Error == "" || v.Speed != "" {
		t.Fatalf("failed: %+v", v)
	}
}
