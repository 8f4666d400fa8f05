package wechat

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"qunfa/wechat/protocol"
)

// The official getarticletotal sample (wechatpy's fixture, §11.3), with the list-level
// "user_source" real answers carry, which must be ignored.
const articleTotalJSON = `{"list":[{"ref_date":"2014-12-14","msgid":"2247483654_1","title":"12月14日 DiLi日报","user_source":0,
 "details":[{"stat_date":"2014-12-14","target_user":261917,"int_page_read_user":23676,"int_page_read_count":25615,
  "ori_page_read_user":29,"ori_page_read_count":34,"share_user":122,"share_count":994,"add_to_fav_user":1,"add_to_fav_count":3,
  "int_page_from_session_read_user":657283,"feed_share_from_session_user":123},
  {"stat_date":"2014-12-15","target_user":261917,"int_page_read_user":24000,"int_page_read_count":26000,
  "ori_page_read_user":30,"ori_page_read_count":35,"share_user":130,"share_count":1000,"add_to_fav_user":2,"add_to_fav_count":4}]}]}`

func TestArticleTotalsParsesMsgIDAndCumulativeDays(t *testing.T) {
	f := newFake(t)
	f.handle("/datacube/getarticletotal", func(string, []byte) string { return articleTotalJSON })
	got, err := f.client().ArticleTotals(context.Background(), "2014-12-14", "2014-12-14")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("got %d articles, want 1", len(got))
	}
	a := got[0]
	if a.MsgDataID != 2247483654 || a.ArticleIdx != 1 || a.RefDate != "2014-12-14" || a.Title != "12月14日 DiLi日报" {
		t.Errorf("article = %+v", a)
	}
	want := []ArticleTotalDay{
		{StatDate: "2014-12-14", TargetUser: 261917, ArticleCounters: ArticleCounters{23676, 25615, 29, 34, 122, 994, 1, 3}},
		{StatDate: "2014-12-15", TargetUser: 261917, ArticleCounters: ArticleCounters{24000, 26000, 30, 35, 130, 1000, 2, 4}},
	}
	if !reflect.DeepEqual(a.Details, want) {
		t.Errorf("details = %+v, want %+v", a.Details, want)
	}
	calls := f.calls("/datacube/getarticletotal")
	if len(calls) != 1 || string(calls[0].Body) != `{"begin_date":"2014-12-14","end_date":"2014-12-14"}` || calls[0].Method != "POST" {
		t.Errorf("request = %+v", calls)
	}
}

// A range is asked one day a call (span 1), in order, and the answers are joined.
func TestArticleSummariesSplitsARangeIntoOneDayCalls(t *testing.T) {
	f := newFake(t)
	f.handle("/datacube/getarticlesummary", func(_ string, body []byte) string {
		var rq struct{ Begin, End string }
		json.Unmarshal(body, &struct {
			B *string `json:"begin_date"`
			E *string `json:"end_date"`
		}{&rq.Begin, &rq.End})
		if rq.Begin != rq.End {
			return `{"errcode":61501,"errmsg":"date range error"}`
		}
		return fmt.Sprintf(`{"list":[{"ref_date":%q,"msgid":"10000050_2","title":"t","int_page_read_user":5,"share_count":1}]}`, rq.Begin)
	})
	got, err := f.client().ArticleSummaries(context.Background(), "2014-12-30", "2015-01-02")
	if err != nil {
		t.Fatal(err)
	}
	var days []string
	for _, s := range got {
		days = append(days, s.RefDate)
		if s.MsgDataID != 10000050 || s.ArticleIdx != 2 || s.IntPageReadUser != 5 || s.ShareCount != 1 {
			t.Errorf("summary = %+v", s)
		}
	}
	if want := []string{"2014-12-30", "2014-12-31", "2015-01-01", "2015-01-02"}; !reflect.DeepEqual(days, want) {
		t.Errorf("days = %v, want %v", days, want)
	}
	if n := len(f.calls("/datacube/getarticlesummary")); n != 4 {
		t.Errorf("%d calls, want 4 (one a day)", n)
	}
}

func TestDaySpans(t *testing.T) {
	for _, tt := range []struct {
		begin, end string
		max        int
		want       [][2]string
	}{
		{"2026-03-01", "2026-03-01", 1, [][2]string{{"2026-03-01", "2026-03-01"}}},
		{"2026-02-27", "2026-03-01", 1, [][2]string{{"2026-02-27", "2026-02-27"}, {"2026-02-28", "2026-02-28"}, {"2026-03-01", "2026-03-01"}}},
		{"2026-03-01", "2026-03-10", 7, [][2]string{{"2026-03-01", "2026-03-07"}, {"2026-03-08", "2026-03-10"}}},
		{"2026-03-01", "2026-03-03", 3, [][2]string{{"2026-03-01", "2026-03-03"}}},
	} {
		got, err := DaySpans(tt.begin, tt.end, tt.max)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("DaySpans(%s, %s, %d) = %v, %v; want %v", tt.begin, tt.end, tt.max, got, err, tt.want)
		}
	}
	for _, bad := range [][2]string{{"2026-3-1", "2026-03-02"}, {"2026-03-02", "2026-03-01"}, {"", ""}} {
		if _, err := DaySpans(bad[0], bad[1], 1); err == nil {
			t.Errorf("DaySpans(%q, %q) took a bad range", bad[0], bad[1])
		}
	}
}

// 61500, 61501 and 61503 come back as typed errors; a malformed msgid is an error, not a zero.
func TestArticleStatsErrcodes(t *testing.T) {
	for _, code := range []int{protocol.CodeArticleStatsDate, protocol.CodeArticleStatsRange, protocol.CodeArticleStatsNotReady} {
		f := newFake(t)
		f.handle("/datacube/getarticletotal", func(string, []byte) string {
			return fmt.Sprintf(`{"errcode":%d,"errmsg":"x"}`, code)
		})
		_, err := f.client().ArticleTotals(context.Background(), "2026-03-01", "2026-03-01")
		if !isCode(err, code) {
			t.Errorf("errcode %d: err = %v", code, err)
		}
		if n := len(f.calls("/datacube/getarticletotal")); n != 1 {
			t.Errorf("errcode %d: %d calls, want 1 (not transient)", code, n)
		}
	}
	f := newFake(t)
	f.handle("/datacube/getarticletotal", func(string, []byte) string {
		return `{"list":[{"ref_date":"2026-03-01","msgid":"2247483654","details":[]}]}`
	})
	if _, err := f.client().ArticleTotals(context.Background(), "2026-03-01", "2026-03-01"); err == nil {
		t.Error("a msgid without its index was taken")
	}
}

func TestParseArticleMsgID(t *testing.T) {
	id, idx, err := ParseArticleMsgID("2247485082_3")
	if err != nil || id != 2247485082 || idx != 3 {
		t.Errorf("= %d, %d, %v", id, idx, err)
	}
	if ArticleMsgID(id, idx) != "2247485082_3" {
		t.Error("ArticleMsgID does not round-trip")
	}
	for _, bad := range []string{"", "_1", "12_", "12_0", "x_1", "12_x", "-5_1"} {
		if _, _, err := ParseArticleMsgID(bad); err == nil {
			t.Errorf("ParseArticleMsgID(%q) took it", bad)
		}
	}
}

func TestArticleStatsReady(t *testing.T) {
	for _, tt := range []struct {
		day, now string
		want     bool
	}{
		{"2026-03-01", "2026-03-01T23:59:00+08:00", false},
		{"2026-03-01", "2026-03-02T07:59:59+08:00", false},
		{"2026-03-01", "2026-03-02T08:00:00+08:00", true},
		{"2026-03-01", "2026-03-02T00:30:00Z", true}, // 08:30 Beijing
		{"bad", "2026-03-09T00:00:00Z", false},
	} {
		now := mustTime(t, tt.now)
		if got := protocol.ArticleStatsReady(tt.day, now); got != tt.want {
			t.Errorf("ready(%s at %s) = %v", tt.day, tt.now, got)
		}
	}
	if got := protocol.LastArticleStatsDay(mustTime(t, "2026-03-02T07:00:00+08:00")); got != "2026-02-28" {
		t.Errorf("last day before 08:00 = %s", got)
	}
	if got := protocol.LastArticleStatsDay(mustTime(t, "2026-03-02T09:00:00+08:00")); got != "2026-03-01" {
		t.Errorf("last day after 08:00 = %s", got)
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
