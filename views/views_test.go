package views

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"

	"qunfa/views/i18n"
)

func render(t *testing.T, c templ.Component) *goquery.Document {
	t.Helper()
	var buf bytes.Buffer
	if err := c.Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	d, err := goquery.NewDocumentFromReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestAssetCarriesContentHash(t *testing.T) {
	got := Asset("css/app.css")
	if !strings.HasPrefix(got, "/static/css/app.css?v=") || len(got) <= len("/static/css/app.css?v=") {
		t.Fatalf("Asset = %q", got)
	}
	if got := Asset("no/such.css"); got != "/static/no/such.css" {
		t.Fatalf("missing asset = %q", got)
	}
}

func TestFormatTimeIsBeijing(t *testing.T) {
	utc := time.Date(2024, 5, 20, 16, 30, 5, 0, time.UTC)
	if got := FormatTime(utc); got != "2024-05-21 00:30:05" {
		t.Fatalf("FormatTime = %q", got)
	}
	if FormatTime(time.Time{}) != "—" || FormatTimePtr(nil) != "—" {
		t.Fatal("zero times should show a dash")
	}
}

func TestSendPagePollsUntilFinal(t *testing.T) {
	l := Layout{Lang: "en", Title: "sends.title", Operator: "admin", CSRF: "tok", QuotaLeft: 7, QuotaTotal: 10}
	live := SendView{ID: 3, Title: "Hello", State: "submitted", MsgIDs: []int64{1000000001}, Stats: Stats{}, Awaiting: true}
	d := render(t, SendShow(SendPage{Layout: l, Send: live}))
	if d.Find(`#send-live[hx-trigger]`).Length() != 1 {
		t.Fatal("a submitted send should poll")
	}
	if got := d.Find(`[data-testid=quota-left]`).Text(); got != "API calls left today 7/10" {
		t.Errorf("quota %q", got)
	}
	done := live
	done.State, done.Stats, done.HasFigures, done.CanDelete, done.Awaiting = "finished", Stats{Total: 10, Filter: 9, Sent: 8, Error: 1}, true, true, false
	d = render(t, SendShow(SendPage{Layout: l, Send: done}))
	if d.Find(`#send-live[hx-trigger]`).Length() != 0 {
		t.Fatal("a finished send should not poll")
	}
	var data ChartData
	if err := json.Unmarshal([]byte(d.Find(`script#stats-data`).Text()), &data); err != nil {
		t.Fatal(err)
	}
	if len(data.Values) != 4 || data.Values[0] != 10 || data.Values[3] != 1 || data.Labels[2] != "Sent" {
		t.Fatalf("chart data %+v", data)
	}
	if d.Find(`[data-testid=delete-send]`).Length() != 1 {
		t.Error("finished send offers no delete")
	}
}

func TestEditorRendersNamedFieldsPerArticle(t *testing.T) {
	p := DraftEditPage{
		Layout:      Layout{Lang: "zh", Title: "editor.title_new", CSRF: "tok"},
		Articles:    []ArticleForm{{Title: "一"}, {Title: "二", ThumbID: 5}},
		Errors:      FieldErrors{"articles.1.title": "err.title_required"},
		MaxArticles: 10,
	}
	d := render(t, DraftEdit(p))
	arts := d.Find(`fieldset[data-testid=article]`)
	if arts.Length() != 2 {
		t.Fatalf("%d articles", arts.Length())
	}
	for _, f := range []string{"title", "author", "digest", "source_url", "show_cover_pic", "content", "thumb_id"} {
		if arts.Eq(1).Find(`[name="articles[1].`+f+`"]`).Length() != 1 {
			t.Errorf("article 1 lacks articles[1].%s", f)
		}
	}
	if got := arts.Eq(1).Find(`[data-testid=field-error]`).Text(); got != "请填写标题。" {
		t.Errorf("field error %q", got)
	}
	if src, _ := arts.Eq(1).Find(`img[data-testid=thumb-preview]`).Attr("src"); src != "/thumbs/5" {
		t.Errorf("preview src %q", src)
	}
	if _, hidden := arts.Eq(0).Find(`img[data-testid=thumb-preview]`).Attr("hidden"); !hidden {
		t.Error("empty preview should be hidden")
	}
}

// A send that failed without a WeChat errcode (network, timeouts) still says
// why, in the page language, with the raw cause tucked into details.
func TestFailedSendWithoutErrcodeExplains(t *testing.T) {
	l := Layout{Lang: "zh", Title: "sends.title", Operator: "admin", CSRF: "tok", QuotaLeft: 7, QuotaTotal: 10}
	v := SendView{ID: 4, Title: "Hi", State: "failed", Errmsg: "dial tcp 127.0.0.1:1: connection refused"}
	d := render(t, SendShow(SendPage{Layout: l, Send: v}))
	box := d.Find(`[data-testid=send-error]`)
	if box.Length() != 1 || !strings.Contains(box.Text(), i18n.T("zh", "err.send_failed_local")) {
		t.Fatalf("send-error = %q", box.Text())
	}
	if got := box.Find("details code").Text(); got != v.Errmsg {
		t.Errorf("details = %q", got)
	}
}

// A batch whose call got no answer is reported as "outcome unknown", with
// what to check, not as an ordinary failure.
func TestFailedSendOutcomeUnknown(t *testing.T) {
	l := Layout{Lang: "en", Title: "sends.title", Operator: "admin", CSRF: "tok", QuotaLeft: 7, QuotaTotal: 10}
	v := SendView{ID: 5, Title: "Hi", State: "failed", Errmsg: "outcome unknown: context deadline exceeded", OutcomeUnknown: true}
	got := render(t, SendShow(SendPage{Layout: l, Send: v})).Find(`[data-testid=send-error]`).Text()
	if !strings.Contains(got, i18n.T("en", "err.outcome_unknown")) || strings.Contains(got, i18n.T("en", "err.send_failed_local")) {
		t.Fatalf("send-error = %q", got)
	}
}
