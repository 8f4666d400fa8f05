package views

import (
	"strings"
	"testing"

	"qunfa/views/i18n"
)

// On the draft path the cover goes up as a permanent material: the confirm page lists the call
// but marks it as not counted, and the quota line counts only the others.
func TestConfirmMarksUncountedCalls(t *testing.T) {
	for _, lang := range []string{"zh", "en"} {
		l := Layout{Lang: lang, Title: "confirm.title", Operator: "admin", CSRF: "tok", QuotaLeft: 10, QuotaTotal: 10}
		page := SendConfirmPage{Layout: l, DraftID: 3, DraftTitle: "春季上新", Form: SendFields{Target: "group", GroupID: 134},
			GroupName: "广东", Recipients: 30, Batches: 1, QuotaLeft: 10, CallsNeeded: 2,
			Calls: []PlannedCall{
				{Endpoint: "material/add_material?type=thumb", Count: 1, Uncounted: true},
				{Endpoint: "draft/add", Count: 1},
				{Endpoint: "message/mass/sendall", Count: 1},
			}}
		d := render(t, SendConfirm(page))
		rows := d.Find(`[data-testid=plan-calls] tbody tr`)
		if rows.Length() != 3 {
			t.Fatalf("%s: %d plan rows, want 3", lang, rows.Length())
		}
		marks := d.Find(`[data-testid=plan-not-counted]`)
		if marks.Length() != 1 || rows.Eq(0).Find(`[data-testid=plan-not-counted]`).Length() != 1 {
			t.Fatalf("%s: %d not-counted marks, want one, on the add_material row", lang, marks.Length())
		}
		if got, want := strings.TrimSpace(marks.Text()), i18n.T(lang, "confirm.not_counted"); got != want || want == "confirm.not_counted" {
			t.Errorf("%s: mark %q, want %q", lang, got, want)
		}
		if title, _ := marks.Attr("title"); title != i18n.T(lang, "confirm.not_counted_hint") {
			t.Errorf("%s: mark title %q", lang, title)
		}
		if _, ok := rows.Eq(0).Attr("data-uncounted"); !ok {
			t.Errorf("%s: the add_material row is not marked uncounted", lang)
		}
		if quota := d.Find(`[data-testid=plan-quota]`).Text(); !strings.Contains(quota, i18n.T(lang, "confirm.quota", 2, 10)) {
			t.Errorf("%s: quota line %q, want 2 calls counted", lang, quota)
		}
	}
}
