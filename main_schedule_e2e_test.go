package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"qunfa/wechat/protocol"
)

// startAppOn runs the binary in-process (as startApp does) with env as given — QUNFA_DB names the
// database — and returns its URL and a stop that shuts it down and waits, so a test can start
// it again on the same database: a restart.
func startAppOn(t *testing.T, env map[string]string) (string, func()) {
	t.Helper()
	full := map[string]string{"QUNFA_ADDR": "127.0.0.1:0", "QUNFA_SANDBOX_FINISH_DELAY": "1s"}
	for k, v := range env {
		full[k] = v
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, envOf(full), io.Discard, io.Discard, ready) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("run returned %v", err)
				}
			case <-time.After(30 * time.Second):
				t.Error("the server did not shut down")
			}
		})
	}
	t.Cleanup(stop)
	select {
	case u := <-ready:
		return u, stop
	case err := <-done:
		t.Fatalf("run failed: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("the server did not start")
	}
	return "", stop
}

// scheduleDB opens the app's database beside it (WAL: reads and small writes do not disturb it).
func scheduleDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func count(t *testing.T, db *sql.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// scheduleDraft logs a seed client in and saves a one-article draft; the browser then logs in.
func scheduleDraft(t *testing.T, base, title string) uint {
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
	return c.draft(1, c.thumb(), []string{title})
}

// scheduleFromConfirm plans a send of the draft to the first group and schedules it at due
// through the confirmation page's date and time inputs (seconds included: the test lets the
// time input, which steps by minutes, take seconds).
func scheduleFromConfirm(base string, draft uint, due time.Time) chromedp.Action[chromedp.Void] {
	b := due.In(protocol.Beijing)
	return chromedp.Steps(
		chromedp.Navigate(fmt.Sprintf("%s/drafts/%d/send", base, draft)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=plan-send]`)),
		clickLoad(`[data-testid=plan-send]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=schedule-controls]`)),
		chromedp.SetValue(chromedp.CSS(`[data-testid=schedule-date]`), b.Format("2006-01-02")),
		evalVoid(`document.querySelector('[data-testid=schedule-time]').step = 1`),
		chromedp.SetValue(chromedp.CSS(`[data-testid=schedule-time]`), b.Format("15:04:05")),
		clickLoad(`[data-testid=schedule-at]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=schedule-row]`)),
	)
}

// signedIn opens base's drafts, logging in first if the session did not survive the restart
// (it does: sessions are in the database).
func signedIn(base string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		if _, err := chromedp.Navigate(base+"/drafts")(ctx, tg); err != nil {
			return chromedp.Void{}, err
		}
		if _, err := chromedp.WaitReady(chromedp.CSS(`nav, [data-testid=login-submit]`))(ctx, tg); err != nil {
			return chromedp.Void{}, err
		}
		loc, err := chromedp.Location()(ctx, tg)
		if err != nil || !strings.Contains(loc, "/login") {
			return chromedp.Void{}, err
		}
		return logIn(base, "admin", "password123")(ctx, tg)
	}
}

// scheduleRowState reloads /schedules until the first row is in state want.
func scheduleRowState(t *testing.T, ctx context.Context, base, want string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var got string
	for time.Now().Before(deadline) {
		do(t, ctx, "reload schedules", chromedp.Navigate(base+"/schedules"),
			chromedp.WaitReady(chromedp.CSS(`[data-testid=schedule-row]`)))
		got, _ = chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('[data-testid=schedule-row]').dataset.state`))
		if got == want {
			return
		}
		time.Sleep(time.Second)
	}
	t.Fatalf("schedule state %q after %v; want %q", got, timeout, want)
}

// TestBrowserScheduledSendAfterRestart: schedule a send a few seconds ahead from the
// confirmation page, stop Qunfa before it is due, start it again on the same database, and see
// the schedule fire once: its row links to the send, which reaches WeChat (the sandbox) once.
func TestBrowserScheduledSendAfterRestart(t *testing.T) {
	browser := findBrowser(t)
	env := map[string]string{"QUNFA_DB": filepath.Join(t.TempDir(), "qunfa.db"),
		"QUNFA_ADMIN_USER": "admin", "QUNFA_ADMIN_PASSWORD": "password123"}
	base, stop := startAppOn(t, env)
	draft := scheduleDraft(t, base, "定时群发：重启之后")
	ctx := newBrowser(t, browser)
	due := time.Now().Add(20 * time.Second)
	do(t, ctx, "schedule", logIn(base, "admin", "password123"), scheduleFromConfirm(base, draft, due))
	shot(t, ctx, "schedule-waiting")
	if s, err := text(ctx, `[data-testid=schedule-left]`); err != nil || !strings.Contains(s, "分钟后") && !strings.Contains(s, "即将") {
		t.Fatalf("time left %q (%v)", s, err)
	}
	if s, _ := text(ctx, `[data-testid=schedule-due]`); s != due.In(protocol.Beijing).Format("2006-01-02 15:04") {
		t.Fatalf("due shown as %q", s)
	}

	stop() // before it is due
	db := scheduleDB(t, env["QUNFA_DB"])
	if n := count(t, db, `SELECT COUNT(*) FROM schedules WHERE state = 'scheduled'`); n != 1 {
		t.Fatalf("%d waiting schedules after the stop", n)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM sends`); n != 0 {
		t.Fatalf("%d sends before it was due", n)
	}

	base, _ = startAppOn(t, env)
	do(t, ctx, "log in again", signedIn(base))
	scheduleRowState(t, ctx, base, "fired", 60*time.Second)
	shot(t, ctx, "schedule-fired")
	do(t, ctx, "the send", clickLoad(`[data-testid=schedule-send-link]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=send-state]`)))
	if _, err := waitText(ctx, `[data-testid=send-state]`, func(s string) bool { return s == "已完成" || s == "已提交" || strings.Contains(s, "完成") }, 30*time.Second); err != nil {
		t.Fatalf("send state: %v", err)
	}
	shot(t, ctx, "schedule-send")
	time.Sleep(6 * time.Second) // another worker pass or two: still one send
	if n := count(t, db, `SELECT COUNT(*) FROM sends`); n != 1 {
		t.Fatalf("%d sends; want exactly 1", n)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM send_batches WHERE msg_id > 0`); n != 1 {
		t.Fatalf("%d batches reached WeChat; want 1", n)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM schedules s JOIN sends d ON d.id = s.send_id WHERE s.state = 'fired'`); n != 1 {
		t.Fatal("the schedule is not linked to its send")
	}
}

// TestBrowserMissedScheduleShown: a schedule whose time passed while Qunfa was down (moved 20
// minutes into the past while it was stopped) is not sent on the next start: the operator sees
// a notice on every page and the schedule missed on /schedules, and sends it now from there.
func TestBrowserMissedScheduleShown(t *testing.T) {
	browser := findBrowser(t)
	env := map[string]string{"QUNFA_DB": filepath.Join(t.TempDir(), "qunfa.db"),
		"QUNFA_ADMIN_USER": "admin", "QUNFA_ADMIN_PASSWORD": "password123"}
	base, stop := startAppOn(t, env)
	draft := scheduleDraft(t, base, "定时群发：错过了")
	ctx := newBrowser(t, browser)
	do(t, ctx, "schedule", logIn(base, "admin", "password123"), scheduleFromConfirm(base, draft, time.Now().Add(2*time.Hour)))
	stop()
	// Qunfa stays down past the time: the clock moves on, here the schedule moves back.
	db := scheduleDB(t, env["QUNFA_DB"])
	if _, err := db.Exec(`UPDATE schedules SET due_at = ?`, time.Now().UTC().Add(-20*time.Minute)); err != nil {
		t.Fatal(err)
	}

	base, _ = startAppOn(t, env)
	do(t, ctx, "log in again", signedIn(base),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=missed-notice]`)))
	if s, _ := text(ctx, `[data-testid=missed-notice]`); !strings.Contains(s, "1 个定时群发") {
		t.Fatalf("notice %q", s)
	}
	shot(t, ctx, "schedule-missed-notice")
	scheduleRowState(t, ctx, base, "missed", 10*time.Second)
	shot(t, ctx, "schedule-missed")
	if n := count(t, db, `SELECT COUNT(*) FROM sends`); n != 0 {
		t.Fatalf("a missed schedule was sent late: %d sends", n)
	}
	do(t, ctx, "send now", clickLoad(`[data-testid=schedule-send-now]`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=send-state]`)))
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	m := regexp.MustCompile(`/sends/(\d+)$`).FindStringSubmatch(loc)
	if m == nil {
		t.Fatalf("after send now at %s", loc)
	}
	id, _ := strconv.Atoi(m[1])
	if n := count(t, db, `SELECT COUNT(*) FROM schedules WHERE state = 'fired' AND send_id = ?`, id); n != 1 {
		t.Fatal("the schedule is not linked to the send made now")
	}
	do(t, ctx, "notice gone", chromedp.Navigate(base+"/drafts"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=nav-schedules]`)))
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid=missed-notice]').length`)); n != 0 {
		t.Fatal("the missed notice is still shown")
	}
	shot(t, ctx, "schedule-missed-sent")
}

// seedSchedules gives TestLayout's /schedules its kinds of row: a waiting send to a group (its
// id is returned, for the edit page), one to the 10,001-OpenID list, and a cancelled one.
func seedSchedules(c *seedClient, s *layoutSeed) int64 {
	c.t.Helper()
	at := func(days int, clock string) (string, string) {
		return time.Now().In(protocol.Beijing).AddDate(0, 0, days).Format("2006-01-02"), clock
	}
	schedule := func(draft uint, days int, form url.Values) {
		date, clock := at(days, "08:30")
		form.Set("key", fmt.Sprintf("layout-schedule-%d-%d", draft, time.Now().UnixNano()))
		form.Set("when", "at")
		form.Set("schedule_date", date)
		form.Set("schedule_time", clock)
		if res := c.post(fmt.Sprintf("/drafts/%d/schedule", draft), form); res.StatusCode != http.StatusSeeOther {
			c.t.Fatalf("seed: schedule answered %d", res.StatusCode)
		}
	}
	schedule(s.bigDraft, 1, url.Values{"target": {"group"}, "group_id": {"101"}})
	schedule(s.bigDraft, 2, url.Values{"target": {"group"}, "group_id": {"100"}})
	schedule(s.listDraft, 5, url.Values{"target": {"openids"}, "group_id": {"0"}, "openids": {s.openidList}})
	ids := regexp.MustCompile(`data-testid="schedule-row" data-id="(\d+)"`).FindAllStringSubmatch(c.get("/schedules"), -1)
	if len(ids) != 3 {
		c.t.Fatalf("seed: %d schedules listed", len(ids))
	}
	if res := c.post("/schedules/"+ids[0][1]+"/cancel", url.Values{}); res.StatusCode != http.StatusSeeOther {
		c.t.Fatalf("seed: cancel answered %d", res.StatusCode)
	}
	id, _ := strconv.ParseInt(ids[1][1], 10, 64)
	return id
}
