package models

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// The overview (issue 9 §1): the account's sends, their delivery, review failures, the daily
// quota, this month's cap distribution and follower growth over a range of Beijing days. Every
// figure is aggregated in SQL through an index: a time series joins its buckets (a VALUES list
// of Beijing bounds computed here, so no dialect's date functions are needed) with the rows of
// each bucket's range.

// PeriodSends is the sends WeChat took in a period (their first batch's msg_id), and what they
// delivered.
type PeriodSends struct {
	Period
	Sends int
	Sent  int // SentCount summed
}

// PeriodDelivery is the MASSSENDJOBFINISH figures of the jobs submitted in a period that have
// reported. Jobs counts them.
type PeriodDelivery struct {
	Period
	Jobs, Filter, Sent, Error int
}

// DeliveryRate is Sent/Filter, and ErrorRate Error/Filter; ok is false when nothing was filtered.
func (d PeriodDelivery) DeliveryRate() (float64, bool) { return ratio(d.Sent, d.Filter) }
func (d PeriodDelivery) ErrorRate() (float64, bool)    { return ratio(d.Error, d.Filter) }

func ratio(n, d int) (float64, bool) {
	if d <= 0 {
		return 0, false
	}
	return float64(n) / float64(d), true
}

// StatusCount is how many jobs ended with a failing Status ("send fail", "err(N)").
type StatusCount struct {
	Status string
	Jobs   int
}

// DayQuota is the advanced calls made on a Beijing day, against the daily quota.
type DayQuota struct {
	Day   string // 2006-01-02
	Calls int
	Limit int
}

// CapDistribution is how many followers the ledger counts at each number of mass messages this
// Beijing month: Followers[i] at i messages, the last entry at the cap or beyond. Followers[0]
// is the synced followers not in the ledger; ZeroKnown is false before any follower sync.
type CapDistribution struct {
	Month     string // 2006-01
	Cap       int
	Followers []int
	ZeroKnown bool
}

// PeriodGrowth is WeChat's user analytics summed over a period: new and cancelled followers,
// net growth, and the total at the period's last day with data. Days counts those days.
type PeriodGrowth struct {
	Period
	New, Cancel, Cumulate, Days int
}

// Net is New − Cancel.
func (g PeriodGrowth) Net() int { return g.New - g.Cancel }

// RecentSend is one of the last sends of the range, with its figures.
type RecentSend struct {
	ID                         uint
	Title                      string
	State                      SendState
	Target                     TargetKind
	GroupName                  string
	ByTag                      bool // the group is a tag (today's API)
	Recipients                 int
	Status                     string
	SubmittedAt                time.Time
	Total, Filter, Sent, Error int
}

// OverviewRecent is how many of the last sends the overview lists.
const OverviewRecent = 10

// Overview is every figure of the overview page for one range.
type Overview struct {
	Range    OverviewRange
	Sends    []PeriodSends
	Delivery []PeriodDelivery
	Failures []StatusCount
	Quota    []DayQuota
	Caps     CapDistribution
	Growth   []PeriodGrowth
	Recent   []RecentSend
	// GrowthFetchedAt is when WeChat's user analytics were last stored (zero: never).
	GrowthFetchedAt time.Time
}

// Overview computes the overview of r.
func (s *Service) Overview(ctx context.Context, r OverviewRange) (ov Overview, err error) {
	defer wrap(&err, "overview %s..%s by %s", r.FirstDay(), r.LastDay(), r.Gran)
	ov.Range = r
	ps := r.Periods()
	if ov.Sends, err = s.sendsByPeriod(ctx, ps); err != nil {
		return ov, err
	}
	if ov.Delivery, err = s.deliveryByPeriod(ctx, ps); err != nil {
		return ov, err
	}
	if ov.Failures, err = s.reviewFailures(ctx, r); err != nil {
		return ov, err
	}
	if ov.Quota, err = s.quotaByDay(ctx, r); err != nil {
		return ov, err
	}
	if ov.Caps, err = s.CapDistribution(ctx); err != nil {
		return ov, err
	}
	if ov.Growth, err = s.growthByPeriod(ctx, ps); err != nil {
		return ov, err
	}
	if ov.Recent, err = s.recentSends(ctx, r); err != nil {
		return ov, err
	}
	ov.GrowthFetchedAt, err = s.userStatsFetchedAt(ctx)
	return ov, err
}

// bucketsByTime is the WITH clause of periods as instants: b(k, lo, hi), k the period's index.
// (Typed for PostgreSQL, which would take a VALUES list's parameters as text.)
func bucketsByTime(d dialect, ps []Period) (string, []any) {
	row := "(" + d.param("BIGINT") + ", " + d.param("TIMESTAMPTZ") + ", " + d.param("TIMESTAMPTZ") + ")"
	var sb strings.Builder
	args := make([]any, 0, 3*len(ps))
	sb.WriteString("WITH b (k, lo, hi) AS (VALUES ")
	for i, p := range ps {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(row)
		args = append(args, i, p.From.UTC(), p.To.UTC())
	}
	sb.WriteString(") ")
	return sb.String(), args
}

// bucketsByDay is bucketsByTime for a day column: lo and hi are 2006-01-02 days, hi excluded.
func bucketsByDay(d dialect, ps []Period) (string, []any) {
	row := "(" + d.param("BIGINT") + ", ?, ?)"
	var sb strings.Builder
	args := make([]any, 0, 3*len(ps))
	sb.WriteString("WITH b (k, lo, hi) AS (VALUES ")
	for i, p := range ps {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(row)
		args = append(args, i, p.FirstDay(), p.EndDay())
	}
	sb.WriteString(") ")
	return sb.String(), args
}

func (s *Service) sendsByPeriod(ctx context.Context, ps []Period) ([]PeriodSends, error) {
	out := make([]PeriodSends, len(ps))
	for i, p := range ps {
		out[i].Period = p
	}
	if len(ps) == 0 {
		return out, nil
	}
	with, args := bucketsByTime(s.store.dialect, ps)
	var rows []struct{ K, Sends, Sent int }
	if err := s.store.db(ctx).Raw(with+`SELECT b.k AS k, COUNT(s.id) AS sends, COALESCE(SUM(s.sent_count), 0) AS sent
		FROM b JOIN sends AS s ON s.submitted_at >= b.lo AND s.submitted_at < b.hi GROUP BY b.k`, args...).
		Scan(&rows).Error; err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.K].Sends, out[r.K].Sent = r.Sends, r.Sent
	}
	return out, nil
}

func (s *Service) deliveryByPeriod(ctx context.Context, ps []Period) ([]PeriodDelivery, error) {
	out := make([]PeriodDelivery, len(ps))
	for i, p := range ps {
		out[i].Period = p
	}
	if len(ps) == 0 {
		return out, nil
	}
	with, args := bucketsByTime(s.store.dialect, ps)
	var rows []struct{ K, Jobs, Filter, Sent, Error int }
	// A job counts once WeChat reported it (a status); its index holds every column read here.
	if err := s.store.db(ctx).Raw(with+`SELECT b.k AS k, COUNT(*) AS jobs, COALESCE(SUM(j.filter_count), 0) AS filter,
			COALESCE(SUM(j.sent_count), 0) AS sent, COALESCE(SUM(j.error_count), 0) AS error
		FROM b JOIN send_batches AS j ON j.submitted_at >= b.lo AND j.submitted_at < b.hi
		WHERE j.status <> '' GROUP BY b.k`, args...).Scan(&rows).Error; err != nil {
		return nil, err
	}
	for _, r := range rows {
		d := &out[r.K]
		d.Jobs, d.Filter, d.Sent, d.Error = r.Jobs, r.Filter, r.Sent, r.Error
	}
	return out, nil
}

// reviewFailures counts the jobs submitted in r that WeChat reported failed, by Status, most
// frequent first.
func (s *Service) reviewFailures(ctx context.Context, r OverviewRange) ([]StatusCount, error) {
	var rows []StatusCount
	if err := s.store.db(ctx).Raw(`SELECT status, COUNT(*) AS jobs FROM send_batches
		WHERE submitted_at >= ? AND submitted_at < ? AND status <> '' GROUP BY status ORDER BY jobs DESC, status`,
		r.From.UTC(), r.To.UTC()).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := rows[:0]
	for _, row := range rows {
		if !statusIsSuccess(row.Status) {
			out = append(out, row)
		}
	}
	return out, nil
}

// quotaByDay is the advanced calls made each Beijing day of r (reservations of queued sends are
// not calls), against the daily quota.
func (s *Service) quotaByDay(ctx context.Context, r OverviewRange) ([]DayQuota, error) {
	var rows []struct {
		Day   string
		Calls int
	}
	if err := s.store.db(ctx).Raw(`SELECT day, COUNT(*) AS calls FROM quota_calls
		WHERE day >= ? AND day <= ? AND reserved = 0 GROUP BY day`, r.FirstDay(), r.LastDay()).Scan(&rows).Error; err != nil {
		return nil, err
	}
	calls := make(map[string]int, len(rows))
	for _, row := range rows {
		calls[row.Day] = row.Calls
	}
	out := make([]DayQuota, 0, r.Days())
	for d := r.From; d.Before(r.To); d = d.AddDate(0, 0, 1) {
		day := d.In(Beijing).Format(time.DateOnly)
		out = append(out, DayQuota{Day: day, Calls: calls[day], Limit: s.rules.DailyQuota})
	}
	return out, nil
}

// CapDistribution is this Beijing month's followers at 0, 1, … mass messages, the last level
// the cap and beyond. It reads the ledger's level counts (ledger_levels.go) and the synced
// followers' count (follower_counts): a few rows whatever the number of followers.
func (s *Service) CapDistribution(ctx context.Context) (CapDistribution, error) {
	c := CapDistribution{Month: monthKey(s.now()), Cap: s.rules.MonthlyCap}
	c.Followers = make([]int, c.Cap+1)
	levels, err := s.store.monthLevels(ctx, c.Month)
	if err != nil {
		return c, err
	}
	inLedger := 0
	for _, l := range levels {
		c.Followers[min(l.Received, c.Cap)] += l.Followers
		inLedger += l.Followers
	}
	var synced []int
	if err := s.store.db(ctx).Raw(`SELECT COALESCE(SUM(count), 0) FROM follower_counts WHERE kind = 'group'
		HAVING COUNT(*) > 0`).Scan(&synced).Error; err != nil {
		return c, err
	}
	if len(synced) > 0 {
		c.ZeroKnown = true
		c.Followers[0] = max(synced[0]-inLedger, 0)
	}
	return c, nil
}

func (s *Service) growthByPeriod(ctx context.Context, ps []Period) ([]PeriodGrowth, error) {
	out := make([]PeriodGrowth, len(ps))
	for i, p := range ps {
		out[i].Period = p
	}
	if len(ps) == 0 {
		return out, nil
	}
	with, args := bucketsByDay(s.store.dialect, ps)
	var rows []struct{ K, New, Cancel, Cumulate, Days int }
	if err := s.store.db(ctx).Raw(with+`SELECT b.k AS k, SUM(u.new_user) AS new, SUM(u.cancel_user) AS cancel, COUNT(*) AS days,
			(SELECT l.cumulate_user FROM user_stats AS l WHERE l.day >= b.lo AND l.day < b.hi ORDER BY l.day DESC LIMIT 1) AS cumulate
		FROM b JOIN user_stats AS u ON u.day >= b.lo AND u.day < b.hi GROUP BY b.k, b.lo, b.hi`, args...).Scan(&rows).Error; err != nil {
		return nil, err
	}
	for _, r := range rows {
		g := &out[r.K]
		g.New, g.Cancel, g.Cumulate, g.Days = r.New, r.Cancel, r.Cumulate, r.Days
	}
	return out, nil
}

func (s *Service) recentSends(ctx context.Context, r OverviewRange) ([]RecentSend, error) {
	var rows []sendRow
	if err := s.store.db(ctx).Select("id", "title", "state", "target", "group_name", "audience", "recipients", "status", "submitted_at",
		"total_count", "filter_count", "sent_count", "error_count").
		Where("submitted_at >= ? AND submitted_at < ?", r.From.UTC(), r.To.UTC()).
		Order("submitted_at DESC").Limit(OverviewRecent).Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]RecentSend, len(rows))
	for i, row := range rows {
		out[i] = RecentSend{ID: row.ID, Title: row.Title, State: row.State, Target: row.Target, GroupName: row.GroupName,
			ByTag: row.Audience == AudienceTags, Recipients: row.Recipients, Status: row.Status, Total: row.TotalCount, Filter: row.FilterCount,
			Sent: row.SentCount, Error: row.ErrorCount}
		if row.SubmittedAt != nil {
			out[i].SubmittedAt = *row.SubmittedAt
		}
	}
	return out, nil
}

// OverviewVersion changes whenever a figure of the overview may have: a callback stored, a send's
// step recorded, a quota call made, analytics fetched, the ledger moved. Each part is one index
// lookup, so a poll that finds nothing new costs next to nothing.
func (s *Service) OverviewVersion(ctx context.Context) (string, error) {
	var v struct {
		Events, History, Batches, Calls, Sends int64
		Stats                                  *string
		Levels                                 int64
	}
	err := s.store.db(ctx).Raw(`SELECT
		(SELECT COALESCE(MAX(id), 0) FROM callback_events) AS events,
		(SELECT COALESCE(MAX(id), 0) FROM send_history) AS history,
		(SELECT COALESCE(MAX(id), 0) FROM send_batches) AS batches,
		(SELECT COALESCE(MAX(id), 0) FROM quota_calls) AS calls,
		(SELECT COALESCE(MAX(id), 0) FROM sends) AS sends,
		(SELECT MAX(day) FROM user_stats) AS stats,
		(SELECT COALESCE(SUM(received * followers), 0) FROM follower_month_levels WHERE month = ?) AS levels`, monthKey(s.now())).
		Scan(&v).Error
	if err != nil {
		return "", fmt.Errorf("models: overview version: %w", err)
	}
	stats := ""
	if v.Stats != nil {
		stats = *v.Stats
	}
	return fmt.Sprintf("%d.%d.%d.%d.%d.%s.%d", v.Events, v.History, v.Batches, v.Calls, v.Sends, stats, v.Levels), nil
}
