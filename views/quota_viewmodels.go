package views

import (
	"strconv"
	"time"
)

// QuotaTable is the per-interface meter, shown where the account answers openapi/quota/get:
// WeChat's count of each advanced interface today reconciled with Qunfa's own (the larger count
// used, the smaller remainder left). Empty Rows: the account does not report it, and the
// component renders nothing (the nav's single meter stands alone). Filled from
// models.Service.QuotaByInterface, one row per models.InterfaceQuota.
type QuotaTable struct {
	Rows []QuotaRow
}

// QuotaRow is one interface of the meter.
type QuotaRow struct {
	Endpoint   string // "message/mass/sendall", as the plan names calls
	DailyLimit int    // 0: WeChat did not say (a 45009 on an account that does not answer quota/get)
	Used       int
	Remain     int
	Spent      bool // WeChat answered 45009 today: nothing left until Beijing midnight
	CheckedAt  time.Time
}

// limitText is the limit, or the catalogue's "unknown".
func (r QuotaRow) limitText(l Layout) string {
	if r.DailyLimit <= 0 {
		return l.T("quota.limit_unknown")
	}
	return strconv.Itoa(r.DailyLimit)
}

// checkedAt is the latest time WeChat was asked, for the table's note.
func (q QuotaTable) checkedAt() time.Time {
	var t time.Time
	for _, r := range q.Rows {
		if r.CheckedAt.After(t) {
			t = r.CheckedAt
		}
	}
	return t
}
