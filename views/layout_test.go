package views

import (
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"
)

// The phone's menu button names the menu it opens, starts closed, and leaves the quota meter
// outside that menu (it stays visible on a phone); signed out there is no button.
func TestPhoneMenuButton(t *testing.T) {
	for _, tt := range []struct{ lang, htmlLang, label string }{{"zh", "zh-CN", "菜单"}, {"en", "en", "Menu"}} {
		l := Layout{Lang: tt.lang, Title: "sends.title", Operator: "admin", CSRF: "tok", QuotaLeft: 7, QuotaTotal: 10, Nav: "sends",
			CanEdit: true, CanAdmin: true}
		d := render(t, Sends(SendsPage{Layout: l}))
		if got, _ := d.Find("html").Attr("lang"); got != tt.htmlLang {
			t.Errorf("%s: html lang %q, want %q", tt.lang, got, tt.htmlLang)
		}
		b := d.Find(`button[data-testid=menu-toggle]`)
		if b.Length() != 1 {
			t.Fatalf("%s: %d menu buttons", tt.lang, b.Length())
		}
		if typ, _ := b.Attr("type"); typ != "button" {
			t.Errorf("%s: menu button type %q (a submit would post a form)", tt.lang, typ)
		}
		if exp, _ := b.Attr("aria-expanded"); exp != "false" {
			t.Errorf("%s: aria-expanded %q, want false", tt.lang, exp)
		}
		if got := b.Text(); !strings.Contains(got, tt.label) {
			t.Errorf("%s: menu button says %q, want %q", tt.lang, got, tt.label)
		}
		id, _ := b.Attr("aria-controls")
		menu := d.Find("#" + id)
		if id == "" || menu.Length() != 1 {
			t.Fatalf("%s: aria-controls %q names no element", tt.lang, id)
		}
		for _, sel := range []string{`[data-testid=nav-drafts]`, `[data-testid=nav-sends]`, `[data-testid=nav-settings]`, `[data-testid=nav-operators]`, `[data-testid=nav-account]`, `[data-testid=logout]`, `[data-testid=lang-switch]`} {
			if menu.Find(sel).Length() != 1 {
				t.Errorf("%s: %s is not inside the menu the button opens", tt.lang, sel)
			}
		}
		if menu.Find(`[data-testid=quota-left]`).Length() != 0 || d.Find(`[data-testid=quota-left]`).Length() != 1 {
			t.Errorf("%s: the quota meter must stay outside the folding menu", tt.lang)
		}
		if cur, _ := d.Find(`[data-testid=nav-sends]`).Attr("aria-current"); cur != "page" {
			t.Errorf("%s: active link aria-current %q, want page", tt.lang, cur)
		}
		if _, ok := d.Find(`[data-testid=nav-drafts]`).Attr("aria-current"); ok {
			t.Errorf("%s: an inactive link is marked current", tt.lang)
		}
		if nav := menu.Find("nav"); nav.AttrOr("aria-label", "") == "" {
			t.Errorf("%s: the navigation landmark has no name", tt.lang)
		}
	}
	out := render(t, Login(LoginPage{Layout: Layout{Lang: "zh", Title: "login.title", CSRF: "tok"}}))
	if out.Find(`[data-testid=menu-toggle]`).Length() != 0 || out.Find(`[data-testid=lang-switch]`).Length() != 1 {
		t.Error("signed out: no menu button, but the language switch")
	}
}

// Every table sits in a wrapper that scrolls sideways inside its card, a named region a keyboard
// can reach, so no table can widen the page.
func TestEveryTableScrollsInsideItsCard(t *testing.T) {
	l := Layout{Lang: "en", Title: "sends.title", Operator: "admin", CSRF: "tok", QuotaLeft: 7, QuotaTotal: 10}
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	send := SendView{ID: 3, Title: "T", State: "finished", CreatedAt: now, HasFigures: true,
		Batches: []BatchView{{Index: 0, State: "finished"}, {Index: 1, State: "failed"}},
		History: []HistoryView{{At: now, Action: "history.created"}}, CanDelete: true}
	quota := QuotaTable{Rows: []QuotaRow{{Endpoint: "message/mass/sendall", DailyLimit: 100, Used: 1, Remain: 99, CheckedAt: now}}}
	pages := map[string]templ.Component{
		"sends":    Sends(SendsPage{Layout: l, Sends: []SendRow{{ID: 1, Title: "T", State: "finished"}}}),
		"drafts":   Drafts(DraftsPage{Layout: l, Drafts: []DraftRow{{ID: 1, Title: "T", Articles: 8}}}),
		"send":     SendShow(SendPage{Layout: l, Send: send}),
		"settings": Settings(SettingsPage{Layout: l, Quota: quota}),
		"confirm": SendConfirm(SendConfirmPage{Layout: l, DraftID: 1, Calls: []PlannedCall{{Endpoint: "message/mass/send", Count: 2}},
			OpenIDProblems: []OpenIDProblem{{Line: 2, Value: "x", Reason: "confirm.problem"}}, ProblemCount: 1}),
		"preview": SendFormView(SendFormPage{Layout: l, DraftID: 1}, PreviewSection{Recent: []PreviewRow{{At: now, Recipient: "o1", OK: true}}}),
	}
	for name, c := range pages {
		d := render(t, c)
		tables := d.Find("table")
		if tables.Length() == 0 {
			t.Fatalf("%s: no table rendered; the fixture is wrong", name)
		}
		tables.Each(func(i int, tb *goquery.Selection) {
			w := tb.Parent()
			if !w.HasClass("table-wrap") {
				t.Errorf("%s: table %d is not in a .table-wrap", name, i)
				return
			}
			if w.AttrOr("role", "") != "region" || w.AttrOr("tabindex", "") != "0" || w.AttrOr("aria-label", "") == "" {
				t.Errorf("%s: table %d's wrapper is not a named, focusable region", name, i)
			}
		})
	}
}

// The stacked lists label each value on a phone from data-label: every cell but the title and
// the actions carries one.
func TestListCellsCarryLabels(t *testing.T) {
	l := Layout{Lang: "zh", Title: "sends.title", Operator: "admin", CSRF: "tok"}
	for name, c := range map[string]templ.Component{
		"sends":  Sends(SendsPage{Layout: l, Sends: []SendRow{{ID: 1, State: "finished", HasFigures: true}, {ID: 2, State: "submitted"}}}),
		"drafts": Drafts(DraftsPage{Layout: l, Drafts: []DraftRow{{ID: 1, Articles: 8}}}),
	} {
		d := render(t, c)
		if d.Find("table.cards").Length() != 1 {
			t.Fatalf("%s: the list is not a table.cards (stacked on a phone)", name)
		}
		d.Find("table.cards tbody td").Each(func(i int, td *goquery.Selection) {
			if td.HasClass("title-cell") || td.HasClass("actions") {
				return
			}
			if td.AttrOr("data-label", "") == "" {
				t.Errorf("%s: cell %d (%q) has no data-label", name, i, td.Text())
			}
		})
	}
}

// Every field of the editor has a label, the cover's file input included.
func TestEditorFieldsLabelled(t *testing.T) {
	l := Layout{Lang: "en", Title: "editor.title_new", Operator: "admin", CSRF: "tok"}
	d := render(t, DraftEdit(DraftEditPage{Layout: l, Articles: []ArticleForm{{}, {}}, MaxArticles: 8}))
	d.Find(`input:not([type=hidden]), textarea, select`).Each(func(i int, in *goquery.Selection) {
		id := in.AttrOr("id", "")
		if in.Closest("label").Length() == 0 && (id == "" || d.Find(`label[for="`+id+`"]`).Length() != 1) {
			t.Errorf("field %d (%s) has no label", i, in.AttrOr("name", in.AttrOr("data-testid", "")))
		}
	})
}
