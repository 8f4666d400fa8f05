package models

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"qunfa/wechat/protocol"
)

// WeChat's user analytics (datacube getusersummary / getusercumulate, protocol §12): new,
// cancelled and total followers per Beijing day, fetched by the worker for the days WeChat
// publishes and kept in user_stats (migration 19) for the overview.
//
// The rules the fetch obeys: data is T+1 (day D is ready after 08:00 Beijing on D+1, and still
// sometimes empty then); a call spans at most 7 days; each call counts against a daily budget of
// its own (datacube_calls), and a 45009 stops that interface for the day. A stored day is never
// asked again (WeChat does not revise them), so a re-fetch changes nothing.

// UserAnalytics is what the fetch needs from WeChat. The WeChat handed to NewService provides it
// when it can (the gateway does); without it nothing is fetched.
type UserAnalytics interface {
	// UserSummary is datacube/getusersummary: rows per (day, source) with activity, begin..end
	// (2006-01-02, inclusive, at most UserStatsSpan days).
	UserSummary(ctx context.Context, begin, end string) ([]UserSummaryRow, error)
	// UserCumulate is datacube/getusercumulate: the total followers per day, begin..end.
	UserCumulate(ctx context.Context, begin, end string) ([]UserCumulateRow, error)
}

// UserSummaryRow is one row of getusersummary.
type UserSummaryRow struct {
	Day         string
	Source      int
	New, Cancel int
}

// UserCumulateRow is one row of getusercumulate.
type UserCumulateRow struct {
	Day      string
	Cumulate int
}

// Datacube endpoints, as recorded in datacube_calls.
const (
	EndpointUserSummary  = "datacube/getusersummary"
	EndpointUserCumulate = "datacube/getusercumulate"
)

const (
	// UserStatsSpan is the longest span one user-analytics call may ask (protocol §12).
	UserStatsSpan = 7
	// UserStatsBackfill is how far back the fetch reaches: a year of days, the overview's longest range.
	UserStatsBackfill = 366
	// UserStatsDailyCalls is Qunfa's own budget of calls per interface and Beijing day: a year's
	// backfill (53 spans) fits in one day, then one call a day keeps it current.
	UserStatsDailyCalls = 60
	// userStatsReadyHour is the Beijing hour after which yesterday's figures are published.
	userStatsReadyHour = 8
	// userStatsRetry is how long the worker waits before asking again for days still missing.
	userStatsRetry = 30 * time.Minute
)

// userStatsState is the worker's memory of its last fetch.
type userStatsState struct {
	mu      sync.Mutex
	nextTry time.Time
}

// UserStat is one stored day.
type UserStat struct {
	Day                   string
	New, Cancel, Cumulate int
}

// latestUserStatsDay is the newest day WeChat publishes at now: yesterday from 08:00 Beijing,
// the day before until then.
func latestUserStatsDay(now time.Time) time.Time {
	b := now.In(Beijing)
	back := 1
	if b.Hour() < userStatsReadyHour {
		back = 2
	}
	return time.Date(b.Year(), b.Month(), b.Day()-back, 0, 0, 0, 0, Beijing)
}

// userStatsSpans splits the missing days (newest first, yesterday's first) into runs of at
// most UserStatsSpan consecutive days, each as [begin, end] days.
func userStatsSpans(missing []time.Time) [][2]time.Time {
	var out [][2]time.Time
	for i := 0; i < len(missing); {
		end := missing[i]
		begin := end
		j := i + 1
		for j < len(missing) && j-i < UserStatsSpan && missing[j].Equal(begin.AddDate(0, 0, -1)) {
			begin = missing[j]
			j++
		}
		out = append(out, [2]time.Time{begin, end})
		i = j
	}
	return out
}

// FetchUserStats asks WeChat for the published days of the last UserStatsBackfill not stored
// yet, newest first, within the day's budget; it returns how many days it stored and how many
// are still missing. Nothing is asked when the WeChat in use has no user analytics.
func (s *Service) FetchUserStats(ctx context.Context) (stored, missing int, err error) {
	defer wrap(&err, "fetch user analytics")
	ua, ok := s.wx.(UserAnalytics)
	if !ok {
		return 0, 0, nil
	}
	latest := latestUserStatsDay(s.now())
	earliest := latest.AddDate(0, 0, -(UserStatsBackfill - 1))
	var have []string
	if err := s.store.db(ctx).Raw(`SELECT day FROM user_stats WHERE day >= ? AND day <= ?`,
		earliest.Format(time.DateOnly), latest.Format(time.DateOnly)).Scan(&have).Error; err != nil {
		return 0, 0, err
	}
	haveSet := make(map[string]bool, len(have))
	for _, d := range have {
		haveSet[d] = true
	}
	var days []time.Time
	for d := latest; !d.Before(earliest); d = d.AddDate(0, 0, -1) {
		if !haveSet[d.Format(time.DateOnly)] {
			days = append(days, d)
		}
	}
	missing = len(days)
	for _, span := range userStatsSpans(days) {
		n, err := s.fetchUserStatsSpan(ctx, ua, span[0], span[1], latest)
		stored += n
		missing -= n
		if err != nil {
			if errors.Is(err, errDatacubeBudget) {
				return stored, missing, nil
			}
			return stored, missing, err
		}
	}
	return stored, missing, nil
}

// errDatacubeBudget: today's budget of an analytics interface is used (ours, or WeChat's 45009).
var errDatacubeBudget = errors.New("models: the day's user-analytics budget is used")

// fetchUserStatsSpan asks both interfaces about begin..end and stores the days WeChat answered.
// A day getusercumulate leaves out is not published yet when it is the newest (asked again
// later); an older one has no data at all and is stored as zeros, so it is not asked again.
func (s *Service) fetchUserStatsSpan(ctx context.Context, ua UserAnalytics, begin, end, latest time.Time) (int, error) {
	b, e := begin.Format(time.DateOnly), end.Format(time.DateOnly)
	var cum []UserCumulateRow
	if err := s.datacubeCall(ctx, EndpointUserCumulate, func() (err error) {
		cum, err = ua.UserCumulate(ctx, b, e)
		return err
	}); err != nil {
		return 0, err
	}
	var sum []UserSummaryRow
	if err := s.datacubeCall(ctx, EndpointUserSummary, func() (err error) {
		sum, err = ua.UserSummary(ctx, b, e)
		return err
	}); err != nil {
		return 0, err
	}
	byDay := map[string]*UserStat{}
	for _, c := range cum {
		if c.Day >= b && c.Day <= e {
			byDay[c.Day] = &UserStat{Day: c.Day, Cumulate: c.Cumulate}
		}
	}
	for _, r := range sum {
		if st := byDay[r.Day]; st != nil {
			st.New += r.New
			st.Cancel += r.Cancel
		}
	}
	newest := latest.Format(time.DateOnly)
	for d := begin; !d.After(end); d = d.AddDate(0, 0, 1) {
		day := d.Format(time.DateOnly)
		if byDay[day] == nil && day < newest {
			byDay[day] = &UserStat{Day: day}
		}
	}
	rows := make([]UserStat, 0, len(byDay))
	for _, st := range byDay {
		rows = append(rows, *st)
	}
	slices.SortFunc(rows, func(x, y UserStat) int { return cmpStr(x.Day, y.Day) })
	return len(rows), s.storeUserStats(ctx, rows)
}

func cmpStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// storeUserStats writes the days (a day stored again takes the new figures).
func (s *Service) storeUserStats(ctx context.Context, rows []UserStat) error {
	if len(rows) == 0 {
		return nil
	}
	now := s.now()
	return s.store.inTx(ctx, func(ctx context.Context) error {
		for _, r := range rows {
			if err := s.store.db(ctx).Exec(`INSERT INTO user_stats (day, new_user, cancel_user, cumulate_user, fetched_at)
				VALUES (?, ?, ?, ?, ?) ON CONFLICT (day) DO UPDATE SET new_user = excluded.new_user,
				cancel_user = excluded.cancel_user, cumulate_user = excluded.cumulate_user, fetched_at = excluded.fetched_at`,
				r.Day, r.New, r.Cancel, r.Cumulate, now).Error; err != nil {
				return err
			}
		}
		return nil
	})
}

// datacubeCall makes one analytics call within the day's budget: the call is counted before it
// is made (committed, as the quota's intents are), and a 45009 marks the interface spent today.
func (s *Service) datacubeCall(ctx context.Context, endpoint string, fn func() error) error {
	day := beijingDay(s.now())
	var row []struct {
		Calls int
		Spent bool
	}
	db := s.store.db(ctx)
	if err := db.Raw(`SELECT calls, spent FROM datacube_calls WHERE day = ? AND endpoint = ?`, day, endpoint).
		Scan(&row).Error; err != nil {
		return err
	}
	if len(row) > 0 && (row[0].Spent || row[0].Calls >= UserStatsDailyCalls) {
		return errDatacubeBudget
	}
	if err := db.Exec(`INSERT INTO datacube_calls (day, endpoint, calls) VALUES (?, ?, 1)
		ON CONFLICT (day, endpoint) DO UPDATE SET calls = datacube_calls.calls + 1`, day, endpoint).Error; err != nil {
		return err
	}
	err := fn()
	if ae, ok := asAPIError(err); ok && ae.Errcode() == protocol.CodeDailyQuota {
		if merr := db.Exec(`UPDATE datacube_calls SET spent = 1 WHERE day = ? AND endpoint = ?`, day, endpoint).Error; merr != nil {
			return errors.Join(err, merr)
		}
		s.log.Warn("WeChat's daily quota of a user-analytics interface is spent", "endpoint", endpoint)
		return errDatacubeBudget
	}
	if err != nil {
		return fmt.Errorf("%s: %w", endpoint, err)
	}
	return nil
}

// DatacubeCalls is how many calls an analytics interface made on a Beijing day (2006-01-02).
func (s *Service) DatacubeCalls(ctx context.Context, day, endpoint string) (int, error) {
	var n []int
	err := s.store.db(ctx).Raw(`SELECT calls FROM datacube_calls WHERE day = ? AND endpoint = ?`, day, endpoint).Scan(&n).Error
	if err != nil || len(n) == 0 {
		return 0, err
	}
	return n[0], nil
}

// UserStats returns the stored days from..to (2006-01-02, inclusive), oldest first.
func (s *Service) UserStats(ctx context.Context, from, to string) ([]UserStat, error) {
	var out []UserStat
	err := s.store.db(ctx).Raw(`SELECT day, new_user AS new, cancel_user AS cancel, cumulate_user AS cumulate
		FROM user_stats WHERE day >= ? AND day <= ? ORDER BY day`, from, to).Scan(&out).Error
	return out, err
}

// userStatsFetchedAt is when analytics were last stored (zero: never).
func (s *Service) userStatsFetchedAt(ctx context.Context) (time.Time, error) {
	var rows []struct{ FetchedAt time.Time }
	if err := s.store.db(ctx).Raw(`SELECT fetched_at FROM user_stats ORDER BY fetched_at DESC LIMIT 1`).Scan(&rows).Error; err != nil {
		return time.Time{}, err
	}
	if len(rows) == 0 {
		return time.Time{}, nil
	}
	return rows[0].FetchedAt, nil
}

// userStatsTick is the worker's part: fetch what is missing, then wait userStatsRetry before
// asking again while days are still missing (yesterday not published yet, the budget spent).
func (s *Service) userStatsTick(ctx context.Context) {
	s.ustats.mu.Lock()
	defer s.ustats.mu.Unlock()
	now := s.now()
	if now.Before(s.ustats.nextTry) {
		return
	}
	stored, missing, err := s.FetchUserStats(ctx)
	if err != nil && ctx.Err() == nil {
		s.log.Warn("user analytics fetch failed", "err", redact(err.Error()))
	}
	if stored > 0 {
		s.log.Info("user analytics stored", "days", stored, "missing", missing)
	}
	s.ustats.nextTry = now.Add(userStatsRetry)
}
