package models

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// analyticsWeChat is the fake WeChat with user analytics: day D has D's day-of-month new
// followers (one from search, the rest other), one cancellation, and a total of 1000 + 10·D.
// Days from notBefore on are not published; err answers every call when set.
type analyticsWeChat struct {
	*fakeWeChat
	spans     [][2]string // every call's begin and end, summary and cumulate alike
	notBefore string
	skip      map[string]bool // days WeChat has no data for
	err       error
}

func (a *analyticsWeChat) days(begin, end string) ([]time.Time, error) {
	a.spans = append(a.spans, [2]string{begin, end})
	if a.err != nil {
		return nil, a.err
	}
	b, _ := time.Parse(time.DateOnly, begin)
	e, _ := time.Parse(time.DateOnly, end)
	if e.Before(b) || e.Sub(b) >= UserStatsSpan*24*time.Hour {
		return nil, &fakeAPIError{code: 61501}
	}
	var out []time.Time
	for d := b; !d.After(e); d = d.AddDate(0, 0, 1) {
		if (a.notBefore == "" || d.Format(time.DateOnly) < a.notBefore) && !a.skip[d.Format(time.DateOnly)] {
			out = append(out, d)
		}
	}
	return out, nil
}

func (a *analyticsWeChat) UserSummary(_ context.Context, begin, end string) ([]UserSummaryRow, error) {
	ds, err := a.days(begin, end)
	var out []UserSummaryRow
	for _, d := range ds {
		day := d.Format(time.DateOnly)
		out = append(out, UserSummaryRow{Day: day, Source: 0, New: d.Day() - 1, Cancel: 1}, UserSummaryRow{Day: day, Source: 1, New: 1})
	}
	return out, err
}

func (a *analyticsWeChat) UserCumulate(_ context.Context, begin, end string) ([]UserCumulateRow, error) {
	ds, err := a.days(begin, end)
	var out []UserCumulateRow
	for _, d := range ds {
		out = append(out, UserCumulateRow{Day: d.Format(time.DateOnly), Cumulate: 1000 + 10*d.Day()})
	}
	return out, err
}

func analyticsFixture(t *testing.T) (*fixture, *analyticsWeChat, *Service) {
	f := newFixture(t)
	wx := &analyticsWeChat{fakeWeChat: f.wx}
	return f, wx, NewService(f.store, wx, Rules{DailyQuota: 10, Now: f.clock.Now}, nil)
}

// A year is fetched newest first in spans of at most 7 days, within the day's budget; a second
// fetch asks nothing; the next day asks for that day alone once it is published (08:00).
func TestFetchUserStats(t *testing.T) {
	f, wx, svc := analyticsFixture(t)
	ctx := context.Background()
	stored, missing, err := svc.FetchUserStats(ctx) // 2025-03-10 10:00 Beijing: up to the 9th
	if err != nil || stored != UserStatsBackfill || missing != 0 {
		t.Fatalf("first fetch: %d stored, %d missing, %v", stored, missing, err)
	}
	if len(wx.spans) != 2*53 || wx.spans[0] != [2]string{"2025-03-03", "2025-03-09"} {
		t.Fatalf("%d calls, the first %v", len(wx.spans), wx.spans[0])
	}
	for _, s := range wx.spans {
		b, _ := time.Parse(time.DateOnly, s[0])
		e, _ := time.Parse(time.DateOnly, s[1])
		if e.Before(b) || e.Sub(b) >= 7*24*time.Hour {
			t.Fatalf("a span of more than 7 days: %v", s)
		}
	}
	days, err := svc.UserStats(ctx, "2025-03-08", "2025-03-09")
	if err != nil || fmt.Sprint(days) != "[{2025-03-08 8 1 1080} {2025-03-09 9 1 1090}]" {
		t.Fatalf("stored: %v %v", days, err)
	}
	today := beijingDay(f.clock.Now())
	for _, ep := range []string{EndpointUserSummary, EndpointUserCumulate} {
		if n, _ := svc.DatacubeCalls(ctx, today, ep); n != 53 {
			t.Errorf("%s: %d calls counted, want 53", ep, n)
		}
	}

	// Again: nothing is missing, nothing is asked, nothing changes.
	wx.spans = nil
	if stored, missing, err := svc.FetchUserStats(ctx); stored != 0 || missing != 0 || err != nil || len(wx.spans) != 0 {
		t.Fatalf("re-fetch: %d stored, %d missing, %v, calls %v", stored, missing, err, wx.spans)
	}
	// The next day before 08:00: the 10th is not published yet, so nothing to ask.
	f.clock.t = time.Date(2025, 3, 11, 7, 59, 0, 0, Beijing)
	if _, _, err := svc.FetchUserStats(ctx); err != nil || len(wx.spans) != 0 {
		t.Fatalf("before 08:00: %v, calls %v", err, wx.spans)
	}
	f.clock.t = time.Date(2025, 3, 11, 8, 0, 0, 0, Beijing)
	if stored, _, err := svc.FetchUserStats(ctx); stored != 1 || err != nil || len(wx.spans) != 2 || wx.spans[0] != [2]string{"2025-03-10", "2025-03-10"} {
		t.Fatalf("after 08:00: %d stored, %v, calls %v", stored, err, wx.spans)
	}
}

// The newest day left out of WeChat's answer is asked again later; an older day left out has no
// data and is stored as zeros, never asked again.
func TestFetchUserStatsNewestNotPublished(t *testing.T) {
	f, wx, svc := analyticsFixture(t)
	ctx := context.Background()
	// Only the last week is missing.
	var rows []UserStat
	for d := time.Date(2025, 3, 2, 0, 0, 0, 0, Beijing); d.After(time.Date(2024, 3, 7, 0, 0, 0, 0, Beijing)); d = d.AddDate(0, 0, -1) {
		rows = append(rows, UserStat{Day: d.Format(time.DateOnly), Cumulate: 1})
	}
	if err := svc.storeUserStats(ctx, rows); err != nil {
		t.Fatal(err)
	}
	wx.notBefore = "2025-03-09"
	stored, missing, err := svc.FetchUserStats(ctx)
	if err != nil || stored != 6 || missing != 1 || len(wx.spans) != 2 {
		t.Fatalf("%d stored, %d missing, %v, calls %v", stored, missing, err, wx.spans)
	}
	wx.skip = map[string]bool{"2025-03-07": true} // an older day WeChat has nothing for
	if err := f.store.gdb.Exec(`DELETE FROM user_stats WHERE day = '2025-03-07'`).Error; err != nil {
		t.Fatal(err)
	}
	stored, missing, err = svc.FetchUserStats(ctx)
	days, _ := svc.UserStats(ctx, "2025-03-07", "2025-03-09")
	if err != nil || stored != 1 || missing != 1 || fmt.Sprint(days) != "[{2025-03-07 0 0 0} {2025-03-08 8 1 1080}]" {
		t.Fatalf("%d stored, %d missing, %v: %v", stored, missing, err, days)
	}
}

// The day's budget holds: calls stop when it is used, and a 45009 stops the interface for the day.
func TestFetchUserStatsBudget(t *testing.T) {
	f, wx, svc := analyticsFixture(t)
	ctx := context.Background()
	today := beijingDay(f.clock.Now())
	if err := f.store.gdb.Exec(`INSERT INTO datacube_calls (day, endpoint, calls) VALUES (?, ?, ?), (?, ?, ?)`,
		today, EndpointUserCumulate, UserStatsDailyCalls-2, today, EndpointUserSummary, UserStatsDailyCalls-2).Error; err != nil {
		t.Fatal(err)
	}
	stored, missing, err := svc.FetchUserStats(ctx)
	if err != nil || stored != 14 || missing != UserStatsBackfill-14 || len(wx.spans) != 4 {
		t.Fatalf("with two calls left: %d stored, %d missing, %v, %d calls", stored, missing, err, len(wx.spans))
	}
	if n, _ := svc.DatacubeCalls(ctx, today, EndpointUserSummary); n != UserStatsDailyCalls {
		t.Errorf("summary calls %d", n)
	}

	// Tomorrow: WeChat says 45009; the fetch stops and asks nothing more that day.
	f.clock.t = f.clock.t.Add(24 * time.Hour)
	wx.spans, wx.err = nil, &fakeAPIError{code: 45009}
	if _, _, err := svc.FetchUserStats(ctx); err != nil || len(wx.spans) != 1 {
		t.Fatalf("45009: %v, %d calls", err, len(wx.spans))
	}
	wx.err = nil
	if _, _, err := svc.FetchUserStats(ctx); err != nil || len(wx.spans) != 1 {
		t.Fatalf("after 45009 the same day: %v, %d calls", err, len(wx.spans))
	}
}
