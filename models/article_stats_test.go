package models

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"qunfa/wechat/protocol"
	"qunfa/wechat/sandbox"
)

// statsWeChat is the fake WeChat with getarticletotal: for each send day it lists the articles of
// the batches sent that day, with the sandbox's figures for every day WeChat has published by
// the clock, as the sandbox does.
type statsWeChat struct {
	*fakeWeChat
	clock *testClock
	mu    sync.Mutex
	jobs  []statsJob
	asked []string
	fail  map[string]error // the next call for that day answers this
	hook  func(day string) // called before answering
}

type statsJob struct {
	day       string
	msgDataID int64
	sent      int
	articles  int
}

func (w *statsWeChat) ArticleTotals(ctx context.Context, day string) ([]ArticleTotal, error) {
	w.mu.Lock()
	w.asked = append(w.asked, day)
	err := w.fail[day]
	delete(w.fail, day)
	hook := w.hook
	w.mu.Unlock()
	if hook != nil {
		hook(day)
	}
	if err != nil {
		return nil, err
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	now := w.clock.Now()
	var out []ArticleTotal
	if !protocol.ArticleStatsReady(day, now) {
		return nil, nil
	}
	last := protocol.LastArticleStatsDay(now)
	for _, j := range w.jobs {
		if j.day != day {
			continue
		}
		for a := 1; a <= j.articles; a++ {
			at := ArticleTotal{MsgDataID: j.msgDataID, ArticleIdx: a, Title: fmt.Sprintf("第%d篇", a)}
			for d := 0; d < protocol.ArticleStatsWindowDays && addDay(day, d) <= last; d++ {
				c := sandbox.ArticleStats(j.sent, a, d)
				at.Days = append(at.Days, ArticleDay{StatDate: addDay(day, d), TargetUser: j.sent,
					ReadFigures: ReadFigures{c.IntPageReadUser, c.IntPageReadCount, c.ShareUser, c.ShareCount, c.AddToFavUser, c.AddToFavCount}})
			}
			out = append(out, at)
		}
	}
	return out, nil
}

func (w *statsWeChat) takeAsked() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	a := w.asked
	w.asked = nil
	return a
}

// statsFixture is a fixture whose WeChat answers getarticletotal.
func statsFixture(t *testing.T) (*fixture, *statsWeChat) {
	f := newFixture(t)
	w := &statsWeChat{fakeWeChat: f.wx, clock: f.clock, fail: map[string]error{}}
	f.svc = NewService(f.store, w, Rules{DailyQuota: 10, Now: f.clock.Now, RetryBackoff: time.Second, MaxAttempts: 3,
		ReconcileAfter: 10 * time.Minute}, nil)
	return f, w
}

// sendAndFinish sends a one-article draft to n OpenIDs (split in batches over 10,000), reports
// every batch delivered to all but one, and registers the batches with the stats WeChat.
func sendAndFinish(t *testing.T, f *fixture, w *statsWeChat, n int, key string) Send {
	t.Helper()
	ctx := context.Background()
	d := f.draft(t, 1)
	s, err := f.svc.StartSend(ctx, SendInput{DraftID: d.ID, Target: TargetOpenIDs, OpenIDs: openIDList(n), Key: key}, 1)
	if err != nil {
		t.Fatal(err)
	}
	runOnce(t, f.svc)
	s = mustSend(t, f.svc, s.ID)
	for _, b := range s.Batches {
		if _, err := f.svc.RecordJobFinished(ctx, JobFinished{MsgID: b.MsgID, Status: "send success", Total: b.OpenIDCount,
			Filter: b.OpenIDCount, Sent: b.OpenIDCount - 1, Error: 1}); err != nil {
			t.Fatal(err)
		}
		w.jobs = append(w.jobs, statsJob{day: protocol.BeijingDay(f.clock.Now()), msgDataID: b.MsgDataID, sent: b.OpenIDCount - 1, articles: 1})
	}
	s = mustSend(t, f.svc, s.ID)
	if s.State != StateFinished {
		t.Fatalf("send not finished: %+v", s)
	}
	return s
}

func setBeijing(c *testClock, y int, m time.Month, d, h, min int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = time.Date(y, m, d, h, min, 0, 0, protocol.Beijing).UTC()
}

func fetchStats(t *testing.T, f *fixture, force bool) ArticleStatsFetch {
	t.Helper()
	r, err := f.svc.FetchArticleStats(context.Background(), force)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func statRows(t *testing.T, f *fixture) int64 {
	var n int64
	if err := f.store.gdb.Table("article_stats").Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// A split send's statistics: asked the morning after, once a day, for the 7 days WeChat
// counts; the figures are the sandbox's, summed over both batches.
func TestFetchArticleStatsDailyForTheWindow(t *testing.T) {
	f, w := statsFixture(t)
	s := sendAndFinish(t, f, w, 10001, "split") // 2025-03-10, two batches
	if len(s.Batches) != 2 || s.Batches[0].MsgDataID == 0 || s.Batches[0].MsgDataID == s.Batches[1].MsgDataID {
		t.Fatalf("batches = %+v", s.Batches)
	}
	sent := []int{s.Batches[0].OpenIDCount - 1, s.Batches[1].OpenIDCount - 1}

	// The send day is not published yet: nothing is asked, even when forced.
	if r := fetchStats(t, f, true); len(r.Days) != 0 || len(w.takeAsked()) != 0 {
		t.Fatalf("asked before WeChat publishes: %+v", r)
	}
	// Two days later, before 10:00: the daily fetch waits; at 10:30 it asks the send day once.
	setBeijing(f.clock, 2025, 3, 12, 9, 30)
	if r := fetchStats(t, f, false); len(r.Days) != 0 {
		t.Fatalf("asked before 10:00: %+v", r)
	}
	setBeijing(f.clock, 2025, 3, 12, 10, 30)
	r := fetchStats(t, f, false)
	if got := w.takeAsked(); !slices.Equal(got, []string{"2025-03-10"}) || r.Stored != 4 || r.Pending != 0 {
		t.Fatalf("asked %v, fetch %+v", got, r)
	}
	st, err := f.svc.SendReadStats(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Days) != 2 || st.Days[0].Date != "2025-03-10" || st.Days[1].Date != "2025-03-11" {
		t.Fatalf("days = %+v", st.Days)
	}
	for d, day := range st.Days {
		want := sandbox.ArticleStats(sent[0], 1, d).IntPageReadUser + sandbox.ArticleStats(sent[1], 1, d).IntPageReadUser
		if day.Total.ReadUser != want {
			t.Errorf("day %d readers = %d, want %d", d, day.Total.ReadUser, want)
		}
	}
	// Batches of 5000 and 5001 delivered to all but one: 300‰ × 500‰ of each on day 0,
	// 4999×0.15 = 749 and 5000×0.15 = 750 (integer parts).
	if st.Days[0].Day.ReadUser != 749+750 || st.Days[1].Day.ReadUser != st.Days[1].Total.ReadUser-st.Days[0].Total.ReadUser {
		t.Errorf("day parts = %+v", st.Days)
	}
	if st.LeadReaders != st.Days[1].Total.ReadUser || len(st.Articles) != 1 || st.Articles[0].Title != "第1篇" {
		t.Errorf("lead readers %d, articles %+v", st.LeadReaders, st.Articles)
	}

	// Idempotent: the same day again asks nothing and stores nothing new.
	if r := fetchStats(t, f, false); len(r.Days) != 0 || statRows(t, f) != 4 {
		t.Fatalf("second fetch the same day: %+v, %d rows", r, statRows(t, f))
	}
	if r := fetchStats(t, f, true); len(r.Days) != 0 {
		t.Fatalf("a forced fetch asked a day already complete: %+v", r)
	}
	// Ten days on: asked once more, now with the 7 days; then never again.
	setBeijing(f.clock, 2025, 3, 20, 11, 0)
	fetchStats(t, f, false)
	if got := w.takeAsked(); !slices.Equal(got, []string{"2025-03-10"}) || statRows(t, f) != 14 {
		t.Fatalf("asked %v, %d rows (want 2 batches × 7 days)", got, statRows(t, f))
	}
	st, _ = f.svc.SendReadStats(context.Background(), s)
	if len(st.Days) != 7 || st.Total.ReadUser != sent[0]*300/1000+sent[1]*300/1000 {
		t.Errorf("final = %d days, %d readers", len(st.Days), st.Total.ReadUser)
	}
	setBeijing(f.clock, 2025, 3, 21, 11, 0)
	fetchStats(t, f, true)
	if got := w.takeAsked(); len(got) != 0 {
		t.Fatalf("asked %v after the window", got)
	}
	if n, _ := f.svc.ArticleStatsCalls(context.Background(), "2025-03-20"); n != 1 {
		t.Errorf("calls counted on the 20th = %d", n)
	}
}

// The day's budget bounds the calls; what is left waits for the next day.
func TestFetchArticleStatsRespectsTheBudget(t *testing.T) {
	f, w := statsFixture(t)
	for i, day := range []int{10, 11, 12} {
		setBeijing(f.clock, 2025, 3, day, 10, 0)
		sendAndFinish(t, f, w, 3, fmt.Sprint("day", i))
	}
	f.svc.stats.budget = 2
	setBeijing(f.clock, 2025, 3, 13, 10, 5)
	r := fetchStats(t, f, false)
	if got := w.takeAsked(); !slices.Equal(got, []string{"2025-03-10", "2025-03-11"}) || !r.Budget || r.Pending != 1 {
		t.Fatalf("asked %v, fetch %+v", got, r)
	}
	if r := fetchStats(t, f, true); len(w.takeAsked()) != 0 || !r.Budget {
		t.Fatalf("a forced fetch went over the budget: %+v", r)
	}
	if n, _ := f.svc.ArticleStatsCalls(context.Background(), "2025-03-13"); n != 2 {
		t.Errorf("calls counted = %d, want 2", n)
	}
	// The next day: the day left, then the two others for their new day (budget 2 again).
	setBeijing(f.clock, 2025, 3, 14, 10, 5)
	fetchStats(t, f, false)
	if got := w.takeAsked(); !slices.Equal(got, []string{"2025-03-10", "2025-03-11"}) {
		t.Fatalf("asked %v", got)
	}
	// WeChat's own 45009 ends the day's fetching at once.
	f.svc.stats.budget = 10
	setBeijing(f.clock, 2025, 3, 15, 10, 5)
	w.fail["2025-03-10"] = &fakeAPIError{code: protocol.CodeDailyQuota}
	r = fetchStats(t, f, false)
	if got := w.takeAsked(); !slices.Equal(got, []string{"2025-03-10"}) || !r.Budget {
		t.Fatalf("after 45009 asked %v, fetch %+v", got, r)
	}
	if n, _ := f.svc.ArticleStatsCalls(context.Background(), "2025-03-15"); n != 10 {
		t.Errorf("after 45009 the day's count = %d, want the budget spent", n)
	}
}

// A fetch that fails or stops half-way keeps what it stored; the next asks only what is missing,
// and rows are never stored twice.
func TestFetchArticleStatsResumes(t *testing.T) {
	f, w := statsFixture(t)
	for i, day := range []int{10, 11} {
		setBeijing(f.clock, 2025, 3, day, 10, 0)
		sendAndFinish(t, f, w, 3, fmt.Sprint("day", i))
	}
	setBeijing(f.clock, 2025, 3, 13, 10, 5)
	w.fail["2025-03-11"] = &fakeAPIError{code: protocol.CodeSystemBusy}
	r := fetchStats(t, f, false)
	if got := w.takeAsked(); !slices.Equal(got, []string{"2025-03-10", "2025-03-11"}) || r.Pending != 1 || statRows(t, f) != 3 {
		t.Fatalf("asked %v, fetch %+v, %d rows", got, r, statRows(t, f))
	}
	// Within the hour the failed day waits; forced, it is asked, alone.
	fetchStats(t, f, false)
	if got := w.takeAsked(); len(got) != 0 {
		t.Fatalf("asked %v within the retry pause", got)
	}
	fetchStats(t, f, true)
	if got := w.takeAsked(); !slices.Equal(got, []string{"2025-03-11"}) || statRows(t, f) != 5 {
		t.Fatalf("asked %v, %d rows", got, statRows(t, f))
	}

	// A crash in the middle: the worker's context ends while the second day is asked.
	setBeijing(f.clock, 2025, 3, 14, 10, 5)
	ctx, cancel := context.WithCancel(context.Background())
	w.hook = func(day string) {
		if day == "2025-03-11" {
			cancel()
		}
	}
	if _, err := f.svc.FetchArticleStats(ctx, false); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	w.hook = nil
	if got := w.takeAsked(); !slices.Equal(got, []string{"2025-03-10", "2025-03-11"}) || statRows(t, f) != 6 {
		t.Fatalf("asked %v, %d rows", got, statRows(t, f))
	}
	fetchStats(t, f, false)
	if got := w.takeAsked(); !slices.Equal(got, []string{"2025-03-11"}) || statRows(t, f) != 7 {
		t.Fatalf("after the restart asked %v, %d rows", got, statRows(t, f))
	}
	var dup int64
	f.store.gdb.Raw(`SELECT COUNT(*) FROM (SELECT msg_data_id, article_idx, stat_date FROM article_stats
		GROUP BY msg_data_id, article_idx, stat_date HAVING COUNT(*) > 1) AS d`).Scan(&dup)
	if dup != 0 {
		t.Errorf("%d rows stored twice", dup)
	}
}

// Without the interface (a WeChat that has none) the fetch does nothing.
func TestFetchArticleStatsWithoutSource(t *testing.T) {
	f := newFixture(t)
	if r, err := f.svc.FetchArticleStats(context.Background(), true); err != nil || len(r.Days) != 0 {
		t.Fatalf("= %+v, %v", r, err)
	}
}

// The A/B tests read a send's readers from these statistics: none known before a day is
// fetched, then the first article's readers summed over the send's batches.
func TestABReadsComeFromArticleStats(t *testing.T) {
	f, w := statsFixture(t)
	s := sendAndFinish(t, f, w, 10001, "ab-reads") // two batches
	reads := f.svc.StatsReads()
	if n, ok, err := reads.ReadsOfSend(context.Background(), s.ID); err != nil || ok || n != 0 {
		t.Fatalf("before any fetch: %d %v %v, want unknown", n, ok, err)
	}
	setBeijing(f.clock, 2025, 3, 12, 10, 30)
	fetchStats(t, f, false)
	st, err := f.svc.SendReadStats(context.Background(), s)
	if err != nil || st.LeadReaders == 0 {
		t.Fatalf("statistics: %+v, %v", st, err)
	}
	n, ok, err := reads.ReadsOfSend(context.Background(), s.ID)
	want := sandbox.ArticleStats(s.Batches[0].OpenIDCount-1, 1, 1).IntPageReadUser + sandbox.ArticleStats(s.Batches[1].OpenIDCount-1, 1, 1).IntPageReadUser
	if err != nil || !ok || n != int64(want) || n != int64(st.LeadReaders) {
		t.Fatalf("after the fetch: %d %v %v, want %d", n, ok, err, want)
	}
}
