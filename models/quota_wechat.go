package models

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"qunfa/wechat/protocol"
)

// WeChat's own count of each interface's daily budget (openapi/quota/get, protocol §7), beside
// Qunfa's count in quota_calls. Where the account answers quota/get the meter shows and reconciles
// per interface; where it does not, nothing here is stored and the local count stands alone.
//
// How the pieces are meant to be called (wiring left to quota.go and worker.go):
//   - SyncQuota(ctx): ask WeChat about every counted endpoint and store the answers for the
//     Beijing day. Reads, not counted: call it when a page shows the meter (at most once a
//     minute or so) and after each worker pass that made calls.
//   - MarkBudgetSpent(ctx, endpoint): on a 45009 from that endpoint; it stays spent that day.
//   - QuotaLeftCombined(ctx, local, endpoints...): QuotaLeft's figure limited by what WeChat
//     said of the endpoints a send will call (all counted endpoints when none are named). Pure
//     part: effectiveLeft.
//   - QuotaByInterface(ctx): per-interface rows for the page.

// ErrQuotaUnanswered is what a WeChat answers for an endpoint whose quota the account does not
// report (quota/get's 76021 or 76022). Not a failure: the local count stands alone.
var ErrQuotaUnanswered = errors.New("models: WeChat does not report this interface's quota")

// QuotaInfo is one interface's daily budget as WeChat counts it.
type QuotaInfo struct {
	Endpoint                 string
	DailyLimit, Used, Remain int
	// Spent: a call on it was refused with 45009 today; nothing is left whatever Remain says.
	Spent bool
}

// left is what WeChat leaves of this interface today.
func (q QuotaInfo) left() int {
	if q.Spent {
		return 0
	}
	return max(q.Remain, 0)
}

// CountedEndpoints are the advanced calls WeChat counts, in the order the meter lists them.
var CountedEndpoints = []string{
	EndpointUploadThumb, EndpointUploadNews, EndpointAddDraft, EndpointSendAll, EndpointSend, EndpointDelete,
}

// CGIPath is the quota/get cgi_path of an endpoint name: "media/upload?type=thumb" →
// "/cgi-bin/media/upload" (WeChat counts the path, not the query).
func CGIPath(endpoint string) string {
	path, _, _ := strings.Cut(endpoint, "?")
	return "/cgi-bin/" + path
}

// wechatQuotaRow is a row of wechat_quotas (migration 9).
type wechatQuotaRow struct {
	Day        string `gorm:"primaryKey"`
	Endpoint   string `gorm:"primaryKey"`
	DailyLimit int
	Used       int
	Remain     int
	Spent      bool
	CheckedAt  time.Time
}

func (wechatQuotaRow) TableName() string { return "wechat_quotas" }

// SyncQuota asks WeChat for today's count of every counted endpoint and stores the answers. An
// endpoint the account does not report is skipped; it returns how many were answered. A spent
// mark (45009) stays. Errors name the endpoint; the others are still asked.
func (s *Service) SyncQuota(ctx context.Context) (int, error) {
	var errs []error
	answered := 0
	for _, ep := range CountedEndpoints {
		q, err := s.wx.Quota(ctx, ep)
		if errors.Is(err, ErrQuotaUnanswered) {
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("sync quota %s: %w", ep, err))
			if ctx.Err() != nil {
				break
			}
			continue
		}
		row := wechatQuotaRow{Day: protocol.BeijingDay(s.now()), Endpoint: ep,
			DailyLimit: q.DailyLimit, Used: q.Used, Remain: q.Remain, CheckedAt: s.now()}
		// Upsert that keeps spent: WeChat's figures may lag its own 45009.
		if err := s.store.db(ctx).Exec(`INSERT INTO wechat_quotas (day, endpoint, daily_limit, used, remain, spent, checked_at)
			VALUES (?, ?, ?, ?, ?, 0, ?)
			ON CONFLICT (day, endpoint) DO UPDATE SET daily_limit = excluded.daily_limit, used = excluded.used,
				remain = excluded.remain, checked_at = excluded.checked_at`,
			row.Day, row.Endpoint, row.DailyLimit, row.Used, row.Remain, row.CheckedAt).Error; err != nil {
			return answered, fmt.Errorf("sync quota %s: store: %w", ep, err)
		}
		answered++
	}
	return answered, errors.Join(errs...)
}

// MarkBudgetSpent records that WeChat refused a call on endpoint with 45009: its budget is spent
// for the rest of the Beijing day, whatever quota/get said before or says later. On an account
// that never answered quota/get the row has no limit (0).
func (s *Service) MarkBudgetSpent(ctx context.Context, endpoint string) error {
	now := s.now()
	err := s.store.db(ctx).Exec(`INSERT INTO wechat_quotas (day, endpoint, daily_limit, used, remain, spent, checked_at)
		VALUES (?, ?, 0, 0, 0, 1, ?)
		ON CONFLICT (day, endpoint) DO UPDATE SET spent = 1, remain = 0, used = `+s.store.dialect.greatest("wechat_quotas.used", "wechat_quotas.daily_limit")+`,
			checked_at = excluded.checked_at`,
		protocol.BeijingDay(now), endpoint, now).Error
	if err != nil {
		return fmt.Errorf("mark quota of %s spent: %w", endpoint, err)
	}
	return nil
}

// todayQuotaRows returns today's stored answers, in CountedEndpoints order (others after).
func (s *Service) todayQuotaRows(ctx context.Context) ([]wechatQuotaRow, error) {
	var rows []wechatQuotaRow
	if err := s.store.db(ctx).Where("day = ?", protocol.BeijingDay(s.now())).Find(&rows).Error; err != nil {
		return nil, err
	}
	rank := func(ep string) int {
		if i := slices.Index(CountedEndpoints, ep); i >= 0 {
			return i
		}
		return len(CountedEndpoints)
	}
	slices.SortFunc(rows, func(a, b wechatQuotaRow) int { return cmp.Compare(rank(a.Endpoint), rank(b.Endpoint)) })
	return rows, nil
}

func (r wechatQuotaRow) info() QuotaInfo {
	return QuotaInfo{Endpoint: r.Endpoint, DailyLimit: r.DailyLimit, Used: r.Used, Remain: r.Remain, Spent: r.Spent}
}

// InterfaceQuota is one row of the per-interface meter: WeChat's figures reconciled with Qunfa's
// own count, so that neither side's calls are missed.
type InterfaceQuota struct {
	Endpoint   string
	DailyLimit int // 0: WeChat did not say (a 45009 on an account that does not answer quota/get)
	Used       int // the larger of WeChat's count and Qunfa's
	Remain     int // what is left by both counts; 0 once spent
	Spent      bool
	LocalUsed  int // calls Qunfa recorded today on this endpoint
	CheckedAt  time.Time
}

// QuotaByInterface returns today's meter per interface, for the endpoints WeChat reported (or
// refused with 45009) today; empty where the account does not answer quota/get.
func (s *Service) QuotaByInterface(ctx context.Context) ([]InterfaceQuota, error) {
	rows, err := s.todayQuotaRows(ctx)
	if err != nil {
		return nil, fmt.Errorf("quota by interface: %w", err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	var local []struct {
		Endpoint string
		N        int
	}
	if err := s.store.db(ctx).Model(&quotaCallRow{}).Select("endpoint, COUNT(*) AS n").
		Where("day = ? AND reserved = ?", protocol.BeijingDay(s.now()), false).Group("endpoint").Scan(&local).Error; err != nil {
		return nil, fmt.Errorf("quota by interface: %w", err)
	}
	localBy := map[string]int{}
	for _, l := range local {
		localBy[l.Endpoint] = l.N
	}
	out := make([]InterfaceQuota, 0, len(rows))
	for _, r := range rows {
		out = append(out, reconcileInterface(r.info(), localBy[r.Endpoint], r.CheckedAt))
	}
	return out, nil
}

// reconcileInterface joins WeChat's figures for one interface with Qunfa's count: used is the
// larger count, remain never more than either side leaves.
func reconcileInterface(q QuotaInfo, localUsed int, checked time.Time) InterfaceQuota {
	iq := InterfaceQuota{Endpoint: q.Endpoint, DailyLimit: q.DailyLimit, Spent: q.Spent, LocalUsed: localUsed,
		Used: max(q.Used, localUsed), Remain: q.left(), CheckedAt: checked}
	if q.DailyLimit > 0 {
		iq.Remain = min(iq.Remain, max(q.DailyLimit-localUsed, 0))
	}
	if q.Spent && q.DailyLimit > 0 {
		iq.Used = max(iq.Used, q.DailyLimit)
	}
	return iq
}

// QuotaLeftCombined limits local (Qunfa's own count of what is left, QuotaLeft's figure) by
// what WeChat said today of the endpoints named (every counted endpoint when none are).
func (s *Service) QuotaLeftCombined(ctx context.Context, local int, endpoints ...string) (int, error) {
	rows, err := s.todayQuotaRows(ctx)
	if err != nil {
		return 0, fmt.Errorf("quota left: %w", err)
	}
	if len(endpoints) == 0 {
		endpoints = CountedEndpoints
	}
	remote := make([]QuotaInfo, len(rows))
	for i, r := range rows {
		remote[i] = r.info()
	}
	return effectiveLeft(local, remote, endpoints...), nil
}

// effectiveLeft is never more than either side says: the local figure, and what WeChat leaves of
// each named endpoint it reported (0 for one spent by a 45009). Endpoints WeChat did not report
// do not limit it.
func effectiveLeft(local int, remote []QuotaInfo, endpoints ...string) int {
	left := max(local, 0)
	for _, q := range remote {
		if slices.Contains(endpoints, q.Endpoint) {
			left = min(left, q.left())
		}
	}
	return left
}
