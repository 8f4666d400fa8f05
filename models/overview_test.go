package models

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

func bj(y int, m time.Month, d, h, min, s int) time.Time {
	return time.Date(y, m, d, h, min, s, 0, Beijing)
}

func rangeOf(t *testing.T, from, to string, g Granularity) OverviewRange {
	t.Helper()
	r, err := ParseOverviewRange(from, to, string(g), bj(2025, 3, 20, 12, 0, 0))
	if err != nil {
		t.Fatalf("range %s..%s: %v", from, to, err)
	}
	return r
}

func periodKeys(ps []Period) string {
	var ks []string
	for _, p := range ps {
		ks = append(ks, p.Key+"("+p.FirstDay()+".."+p.EndDay()+")")
	}
	return strings.Join(ks, " ")
}

// Days, ISO weeks (Monday first) and months, cut at the range's ends, in Beijing time.
func TestOverviewPeriods(t *testing.T) {
	for _, c := range []struct {
		from, to string
		g        Granularity
		want     string
	}{
		{"2025-03-01", "2025-03-03", GranDay, "2025-03-01(2025-03-01..2025-03-02) 2025-03-02(2025-03-02..2025-03-03) 2025-03-03(2025-03-03..2025-03-04)"},
		// 2025-03-01 is a Saturday: its week is cut to two days; 03-03 and 03-10 are Mondays.
		{"2025-03-01", "2025-03-12", GranWeek, "2025-03-01(2025-03-01..2025-03-03) 2025-03-03(2025-03-03..2025-03-10) 2025-03-10(2025-03-10..2025-03-13)"},
		{"2025-01-30", "2025-03-02", GranMonth, "2025-01(2025-01-30..2025-02-01) 2025-02(2025-02-01..2025-03-01) 2025-03(2025-03-01..2025-03-03)"},
		// A year's end: weeks run across it.
		{"2024-12-28", "2025-01-06", GranWeek, "2024-12-28(2024-12-28..2024-12-30) 2024-12-30(2024-12-30..2025-01-06) 2025-01-06(2025-01-06..2025-01-07)"},
	} {
		if got := periodKeys(rangeOf(t, c.from, c.to, c.g).Periods()); got != c.want {
			t.Errorf("%s..%s by %s:\n got %s\nwant %s", c.from, c.to, c.g, got, c.want)
		}
	}
}

func TestParseOverviewRange(t *testing.T) {
	now := bj(2025, 3, 20, 0, 30, 0) // 2025-03-19 16:30 UTC: already the 20th in Beijing
	r, err := ParseOverviewRange("", "", "", now)
	if err != nil || r.FirstDay() != "2025-02-19" || r.LastDay() != "2025-03-20" || r.Gran != GranDay || r.Days() != 30 {
		t.Fatalf("default range: %s..%s %s (%d days) %v", r.FirstDay(), r.LastDay(), r.Gran, r.Days(), err)
	}
	if r, err := ParseOverviewRange("", "2025-01-31", "month", now); err != nil || r.FirstDay() != "2025-01-02" || r.Gran != GranMonth {
		t.Errorf("to alone: %s..%s %v", r.FirstDay(), r.LastDay(), err)
	}
	for _, c := range []struct{ from, to, gran, field, key string }{
		{"2025-3-1", "", "", "from", "err.overview_date"},
		{"", "tomorrow", "", "to", "err.overview_date"},
		{"", "", "hour", "gran", "err.overview_gran"},
		{"2025-03-10", "2025-03-09", "", "to", "err.overview_order"},
		{"2024-01-01", "2025-01-01", "", "to", "err.overview_span"},
	} {
		_, err := ParseOverviewRange(c.from, c.to, c.gran, now)
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Fields[c.field] != c.key {
			t.Errorf("%q..%q %q: %v, want %s on %s", c.from, c.to, c.gran, err, c.key, c.field)
		}
	}
	if _, err := ParseOverviewRange("2024-03-20", "2025-03-20", "", now); err != nil {
		t.Errorf("366 days are allowed: %v", err)
	}
}

// overviewSend inserts a send WeChat took at submitted, with one job per figures given.
func overviewSend(t *testing.T, f *fixture, submitted time.Time, status string, figures ...[4]int) uint {
	t.Helper()
	db := f.store.gdb
	if len(figures) == 0 {
		figures = [][4]int{{}} // one job, reported with no figures
	}
	var draftID []uint
	db.Raw(`SELECT id FROM drafts LIMIT 1`).Scan(&draftID)
	if len(draftID) == 0 {
		draftID = []uint{f.draft(t, 1).ID}
	}
	var tot [4]int
	for _, fg := range figures {
		for i := range tot {
			tot[i] += fg[i]
		}
	}
	res := sendRow{DraftID: draftID[0], Title: "t " + submitted.Format(time.RFC3339), Target: TargetAll, State: StateFinished, ArticlesJSON: "[]",
		CreatedAt: submitted.UTC(), SubmittedAt: ptrTime(submitted.UTC()), Status: status,
		TotalCount: tot[0], FilterCount: tot[1], SentCount: tot[2], ErrorCount: tot[3], IdemKey: fmt.Sprint(submitted.UnixNano())}
	if err := db.Create(&res).Error; err != nil {
		t.Fatal(err)
	}
	for i, fg := range figures {
		b := batchRow{SendID: res.ID, BatchIndex: i, State: StateFinished, MsgID: int64(res.ID)*100 + int64(i), Status: status,
			SubmittedAt: ptrTime(submitted.UTC()), TotalCount: fg[0], FilterCount: fg[1], SentCount: fg[2], ErrorCount: fg[3],
			ClientMsgID: fmt.Sprintf("c%d-%d", res.ID, i)}
		if err := db.Create(&b).Error; err != nil {
			t.Fatal(err)
		}
	}
	return res.ID
}

func ptrTime(t time.Time) *time.Time { return &t }

// Sends and their figures land in the Beijing day (week, month) of their submission: one second
// before Beijing midnight is the day before, midnight itself the next day.
func TestOverviewAggregatesByBeijingPeriod(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	overviewSend(t, f, bj(2025, 3, 9, 23, 59, 59), "send success", [4]int{100, 90, 85, 5})
	overviewSend(t, f, bj(2025, 3, 10, 0, 0, 0), "send success", [4]int{50, 40, 40, 0}, [4]int{60, 60, 50, 10})
	overviewSend(t, f, bj(2025, 3, 10, 12, 0, 0), "err(20013)")
	overviewSend(t, f, bj(2025, 3, 11, 8, 0, 0), "err(20013)")
	overviewSend(t, f, bj(2025, 3, 12, 8, 0, 0), "send fail")
	overviewSend(t, f, bj(2025, 3, 8, 23, 59, 59), "err(10001)") // before the range
	// A job WeChat has not reported: a send, but no delivery figures yet.
	pending := overviewSend(t, f, bj(2025, 3, 11, 9, 0, 0), "", [4]int{0, 0, 0, 0})

	ov, err := f.svc.Overview(ctx, rangeOf(t, "2025-03-09", "2025-03-12", GranDay))
	if err != nil {
		t.Fatal(err)
	}
	var sends []string
	for _, s := range ov.Sends {
		sends = append(sends, fmt.Sprintf("%s:%d/%d", s.Key, s.Sends, s.Sent))
	}
	if got, want := strings.Join(sends, " "), "2025-03-09:1/85 2025-03-10:2/90 2025-03-11:2/0 2025-03-12:1/0"; got != want {
		t.Errorf("sends by day:\n got %s\nwant %s", got, want)
	}
	var del []string
	for _, d := range ov.Delivery {
		r, ok := d.DeliveryRate()
		e, _ := d.ErrorRate()
		del = append(del, fmt.Sprintf("%s:%d jobs %d/%d/%d %v %.4f %.4f", d.Key, d.Jobs, d.Filter, d.Sent, d.Error, ok, r, e))
	}
	want := "2025-03-09:1 jobs 90/85/5 true 0.9444 0.0556 2025-03-10:3 jobs 100/90/10 true 0.9000 0.1000 " +
		"2025-03-11:1 jobs 0/0/0 false 0.0000 0.0000 2025-03-12:1 jobs 0/0/0 false 0.0000 0.0000"
	if got := strings.Join(del, " "); got != want {
		t.Errorf("delivery by day:\n got %s\nwant %s", got, want)
	}
	if got := fmt.Sprint(ov.Failures); got != "[{err(20013) 2} {send fail 1}]" {
		t.Errorf("failures = %s", got)
	}
	if len(ov.Recent) != 7-1 || ov.Recent[0].Title != "t "+bj(2025, 3, 12, 8, 0, 0).Format(time.RFC3339) || ov.Recent[1].ID != pending {
		t.Errorf("recent sends, newest first: %+v", ov.Recent)
	}

	// By week: Sunday the 9th ends one week, Monday the 10th starts the next.
	ov, err = f.svc.Overview(ctx, rangeOf(t, "2025-03-08", "2025-03-12", GranWeek))
	if err != nil {
		t.Fatal(err)
	}
	if len(ov.Sends) != 2 || ov.Sends[0].Sends != 2 || ov.Sends[1].Sends != 5 || ov.Delivery[1].Filter != 100 {
		t.Errorf("by week: %+v / %+v", ov.Sends, ov.Delivery)
	}
	// By month, the whole of March.
	ov, err = f.svc.Overview(ctx, rangeOf(t, "2025-02-20", "2025-03-31", GranMonth))
	if err != nil {
		t.Fatal(err)
	}
	if len(ov.Sends) != 2 || ov.Sends[0].Sends != 0 || ov.Sends[1].Sends != 7 || ov.Sends[1].Sent != 175 {
		t.Errorf("by month: %+v", ov.Sends)
	}
}

// The calendar counts the calls made each Beijing day, not a queued send's reservations.
func TestOverviewQuotaCalendar(t *testing.T) {
	f := newFixture(t)
	for _, c := range []struct {
		day      string
		reserved bool
	}{{"2025-03-09", false}, {"2025-03-10", false}, {"2025-03-10", false}, {"2025-03-10", true}, {"2025-03-12", false}} {
		if err := f.store.gdb.Create(&quotaCallRow{Day: c.day, Endpoint: EndpointSendAll, Reserved: c.reserved, At: time.Now()}).Error; err != nil {
			t.Fatal(err)
		}
	}
	ov, err := f.svc.Overview(context.Background(), rangeOf(t, "2025-03-10", "2025-03-12", GranDay))
	if err != nil {
		t.Fatal(err)
	}
	want := []DayQuota{{"2025-03-10", 2, 10}, {"2025-03-11", 0, 10}, {"2025-03-12", 1, 10}}
	if !reflect.DeepEqual(ov.Quota, want) {
		t.Errorf("quota calendar = %+v, want %+v", ov.Quota, want)
	}
}

// The month's levels follow the ledger as list sends are recorded, and a send after Beijing
// midnight on the last day of the month starts the next month's counts. Followers at 0 are the
// synced followers less those in the ledger.
func TestCapDistributionAcrossMonthEnd(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	d := f.draft(t, 1)
	f.clock.t = bj(2025, 3, 31, 23, 0, 0)
	list := func(ids ...string) string {
		for i := range ids {
			ids[i] = "oOPENID" + ids[i] + "xxxx0" + ids[i]
		}
		return strings.Join(ids, "\n")
	}
	f.sendAndRun(t, SendInput{DraftID: d.ID, Target: TargetOpenIDs, OpenIDs: list("A", "B", "C"), Key: "m1"})
	f.sendAndRun(t, SendInput{DraftID: d.ID, Target: TargetOpenIDs, OpenIDs: list("A", "B"), Key: "m2"})
	for range 3 {
		f.sendAndRun(t, SendInput{DraftID: d.ID, Target: TargetOpenIDs, OpenIDs: list("A", "D"), IncludeCapped: true, Key: fmt.Sprint("m3", f.clock.Now().UnixNano())})
		f.clock.Advance(time.Second)
	}
	// March: oA 5 (past the cap), oB 2, oC 1, oD 3.
	if err := f.store.gdb.Exec(`INSERT INTO follower_counts (kind, id, count) VALUES ('group', 0, 8), ('group', 100, 2)`).Error; err != nil {
		t.Fatal(err)
	}
	c, err := f.svc.CapDistribution(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c.Month != "2025-03" || !c.ZeroKnown || fmt.Sprint(c.Followers) != "[6 1 1 1 1]" {
		t.Errorf("March: %+v, want followers [6 1 1 1 1]", c)
	}
	checkLevelsMatchLedger(t, f, "2025-03")

	f.clock.t = bj(2025, 4, 1, 0, 0, 0)
	f.sendAndRun(t, SendInput{DraftID: d.ID, Target: TargetOpenIDs, OpenIDs: list("A", "E"), IncludeCapped: true, Key: "a1"})
	c, err = f.svc.CapDistribution(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c.Month != "2025-04" || fmt.Sprint(c.Followers) != "[8 2 0 0 0]" {
		t.Errorf("April: %+v, want followers [8 2 0 0 0]", c)
	}
	checkLevelsMatchLedger(t, f, "2025-03")
	checkLevelsMatchLedger(t, f, "2025-04")
}

func checkLevelsMatchLedger(t *testing.T, f *fixture, month string) {
	t.Helper()
	var want []MonthLevel
	if err := f.store.gdb.Raw(`SELECT received, COUNT(*) AS followers FROM follower_months WHERE month = ?
		GROUP BY received ORDER BY received`, month).Scan(&want).Error; err != nil {
		t.Fatal(err)
	}
	got, err := f.store.monthLevels(context.Background(), month)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("%s levels %v (%v), the ledger says %v", month, got, err, want)
	}
}

// Growth sums WeChat's days per period; the total is the last day's with data.
func TestOverviewGrowth(t *testing.T) {
	f := newFixture(t)
	if err := f.svc.storeUserStats(context.Background(), []UserStat{
		{"2025-03-08", 1, 0, 100}, {"2025-03-09", 5, 2, 103}, {"2025-03-10", 7, 1, 109}, {"2025-03-12", 0, 4, 105},
	}); err != nil {
		t.Fatal(err)
	}
	ov, err := f.svc.Overview(context.Background(), rangeOf(t, "2025-03-09", "2025-03-12", GranWeek))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, g := range ov.Growth {
		got = append(got, fmt.Sprintf("%s:+%d-%d=%d total %d (%d days)", g.Key, g.New, g.Cancel, g.Net(), g.Cumulate, g.Days))
	}
	if s := strings.Join(got, " "); s != "2025-03-09:+5-2=3 total 103 (1 days) 2025-03-10:+7-5=2 total 105 (2 days)" {
		t.Errorf("growth by week: %s", s)
	}
	if ov.GrowthFetchedAt.IsZero() {
		t.Error("no fetch time")
	}
}

// The version moves when a callback is stored or analytics are fetched, and only then.
func TestOverviewVersion(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	v1, err := f.svc.OverviewVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := f.svc.OverviewVersion(ctx); v != v1 {
		t.Fatalf("version moved by itself: %s → %s", v1, v)
	}
	if err := f.store.gdb.Exec(`INSERT INTO callback_events (msg_id, event, from_user, create_time, received_at) VALUES (1, 'MASSSENDJOBFINISH', 'x', 1, ?)`, time.Now()).Error; err != nil {
		t.Fatal(err)
	}
	v2, _ := f.svc.OverviewVersion(ctx)
	if v2 == v1 {
		t.Error("a stored callback does not move the version")
	}
	if err := f.svc.storeUserStats(ctx, []UserStat{{Day: "2025-03-09"}}); err != nil {
		t.Fatal(err)
	}
	if v3, _ := f.svc.OverviewVersion(ctx); v3 == v2 {
		t.Error("fetched analytics do not move the version")
	}
}
