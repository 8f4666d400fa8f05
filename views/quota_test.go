package views

import (
	"strings"
	"testing"
	"time"
)

// TestQuotaByInterface: one row per interface with WeChat's figures, "spent" after a 45009, an
// unknown limit said so, the check time in Beijing; nothing at all when WeChat reports none.
func TestQuotaByInterface(t *testing.T) {
	at := time.Date(2025, 3, 10, 2, 0, 0, 0, time.UTC) // 10:00 Beijing
	q := QuotaTable{Rows: []QuotaRow{
		{Endpoint: "media/uploadnews", DailyLimit: 10, Used: 2, Remain: 8, CheckedAt: at},
		{Endpoint: "message/mass/sendall", DailyLimit: 100, Used: 100, Spent: true, CheckedAt: at},
		{Endpoint: "message/mass/send", Spent: true, CheckedAt: at.Add(-time.Minute)},
	}}
	for _, lang := range []string{"zh", "en"} {
		l := Layout{Lang: lang}
		d := render(t, QuotaByInterface(l, q))
		rows := d.Find(`tr[data-testid=quota-row]`)
		if rows.Length() != 3 {
			t.Fatalf("%s: %d rows, want 3", lang, rows.Length())
		}
		first := rows.Eq(0)
		if ep, _ := first.Attr("data-endpoint"); ep != "media/uploadnews" ||
			strings.TrimSpace(first.Find(`[data-testid=quota-used]`).Text()) != "2" ||
			strings.TrimSpace(first.Find(`[data-testid=quota-remain]`).Text()) != "8" {
			t.Errorf("%s: first row = %q", lang, first.Text())
		}
		if got := strings.TrimSpace(rows.Eq(1).Find(`[data-testid=quota-remain]`).Text()); got != l.T("quota.spent") {
			t.Errorf("%s: spent row's remainder = %q, want %q", lang, got, l.T("quota.spent"))
		}
		if !strings.Contains(rows.Eq(2).Text(), l.T("quota.limit_unknown")) {
			t.Errorf("%s: a row without a limit does not say it is unknown: %q", lang, rows.Eq(2).Text())
		}
		if note := d.Find(`p.muted`).Text(); !strings.Contains(note, "2025-03-10 10:00:00") {
			t.Errorf("%s: note = %q, want the latest check in Beijing time", lang, note)
		}
	}
	if d := render(t, QuotaByInterface(Layout{Lang: "zh"}, QuotaTable{})); d.Find(`[data-testid=quota-by-interface]`).Length() != 0 {
		t.Error("an account without quota/get still gets the table")
	}
}
