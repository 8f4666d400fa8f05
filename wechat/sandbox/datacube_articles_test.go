package sandbox

import (
	"encoding/json"
	"testing"
	"time"

	"qunfa/wechat"
)

type totalAnswer struct {
	List []struct {
		RefDate string                   `json:"ref_date"`
		MsgID   string                   `json:"msgid"`
		Title   string                   `json:"title"`
		Details []wechat.ArticleTotalDay `json:"details"`
	} `json:"list"`
}

type summaryAnswer struct {
	List []struct {
		RefDate string `json:"ref_date"`
		MsgID   string `json:"msgid"`
		wechat.ArticleCounters
	} `json:"list"`
}

func (h *harness) datacube(name, begin, end string, out any) map[string]any {
	h.t.Helper()
	h.token = h.fetchToken() // the clock may have moved past the token's 2 hours
	r := h.post("/datacube/"+name, map[string]string{"begin_date": begin, "end_date": end})
	wantCode(h.t, r, 0)
	raw, _ := json.Marshal(r)
	if err := json.Unmarshal(raw, out); err != nil {
		h.t.Fatalf("%s: %v (%s)", name, err, raw)
	}
	return r
}

// Reads grow over the 7 days after a send, are published the next morning from 08:00 Beijing,
// and follow the documented formula from the job's SentCount.
func TestArticleTotalGrowsAndIsPublishedNextMorning(t *testing.T) {
	h := newHarness(t, Config{Followers: 2000})
	media := h.news(2)
	r := h.post("/cgi-bin/message/mass/sendall", map[string]any{"filter": map[string]any{"is_to_all": true},
		"msgtype": "mpnews", "mpnews": map[string]any{"media_id": media}, "clientmsgid": "stats-1"})
	wantCode(t, r, 0)
	h.s.FinishPending()
	job, _ := h.s.Job(num(r, "msg_id"))
	if job.SentCount < 1000 || job.MsgDataID == 0 {
		t.Fatalf("job = %+v", job)
	}
	quota := h.s.QuotaLeft()
	sendDay := "2014-03-10"

	var ans totalAnswer
	h.datacube("getarticletotal", sendDay, sendDay, &ans)
	if len(ans.List) != 0 {
		t.Fatalf("the send day is published the same day: %+v", ans.List)
	}
	h.datacube("getarticlesummary", "2014-03-09", "2014-03-09", &ans)
	if h.s.QuotaLeft() != quota {
		t.Errorf("datacube calls used advanced quota: %d left, was %d", h.s.QuotaLeft(), quota)
	}
	h.clock.Set(time.Date(2014, 3, 11, 7, 59, 0, 0, beijing))
	h.datacube("getarticletotal", sendDay, sendDay, &ans)
	if len(ans.List) != 0 {
		t.Fatal("published before 08:00")
	}
	h.clock.Set(time.Date(2014, 3, 12, 8, 30, 0, 0, beijing)) // the 10th and the 11th are out
	h.datacube("getarticletotal", sendDay, sendDay, &ans)
	if len(ans.List) != 2 {
		t.Fatalf("%d articles, want 2", len(ans.List))
	}
	first := ans.List[0]
	if first.MsgID != wechat.ArticleMsgID(job.MsgDataID, 1) || ans.List[1].MsgID != wechat.ArticleMsgID(job.MsgDataID, 2) || first.Title != "春季上新" {
		t.Errorf("msgids %s %s, title %q", first.MsgID, ans.List[1].MsgID, first.Title)
	}
	if len(first.Details) != 2 || first.Details[0].StatDate != "2014-03-10" || first.Details[1].StatDate != "2014-03-11" {
		t.Fatalf("details = %+v", first.Details)
	}
	// Day 0 of the lead article: 300‰ × 500‰ of the delivered, by hand.
	S := job.SentCount
	if got, want := first.Details[0].IntPageReadUser, S*15/100; got != want || first.Details[0].TargetUser != S {
		t.Errorf("day 0 reads = %d (target %d), want %d of %d", got, first.Details[0].TargetUser, want, S)
	}
	for d, det := range first.Details {
		if det.ArticleCounters != ArticleStats(S, 1, d) {
			t.Errorf("day %d = %+v, want %+v", d, det.ArticleCounters, ArticleStats(S, 1, d))
		}
	}
	if first.Details[1].IntPageReadUser <= first.Details[0].IntPageReadUser || first.Details[1].ShareCount < first.Details[0].ShareCount {
		t.Errorf("figures do not grow: %+v", first.Details)
	}
	if second := ans.List[1].Details[1]; second.ArticleCounters != ArticleStats(S, 2, 1) || second.IntPageReadUser >= first.Details[1].IntPageReadUser {
		t.Errorf("second article = %+v", second)
	}

	// Three weeks on: the 7 days WeChat counts, no more; the last is the full rate.
	h.clock.Set(time.Date(2014, 3, 31, 12, 0, 0, 0, beijing))
	h.datacube("getarticletotal", sendDay, sendDay, &ans)
	if d := ans.List[0].Details; len(d) != 7 || d[6].StatDate != "2014-03-16" || d[6].IntPageReadUser != S*300/1000 {
		t.Errorf("details after the window = %+v", d)
	}
	// Another day has no sends.
	h.datacube("getarticletotal", "2014-03-11", "2014-03-11", &ans)
	if len(ans.List) != 0 {
		t.Errorf("2014-03-11 lists %d articles", len(ans.List))
	}

	// getarticlesummary: one day's part, the cumulative figures' difference.
	var sum summaryAnswer
	h.datacube("getarticlesummary", "2014-03-11", "2014-03-11", &sum)
	if len(sum.List) != 2 {
		t.Fatalf("summary lists %d articles", len(sum.List))
	}
	want := dayPart(ArticleStats(S, 1, 1), ArticleStats(S, 1, 0))
	if sum.List[0].ArticleCounters != want || want.IntPageReadUser != ArticleStats(S, 1, 1).IntPageReadUser-S*15/100 {
		t.Errorf("summary = %+v, want %+v", sum.List[0].ArticleCounters, want)
	}
	h.datacube("getarticlesummary", "2014-03-17", "2014-03-17", &sum) // day 7: out of the window
	if len(sum.List) != 0 {
		t.Errorf("summary after the window = %+v", sum.List)
	}
}

// The interfaces take one day: a wider or reversed span is 61501, a malformed date 61500.
func TestArticleStatsSpanAndDateErrors(t *testing.T) {
	h := newHarness(t, Config{})
	for _, name := range []string{"getarticletotal", "getarticlesummary"} {
		wantCode(t, h.post("/datacube/"+name, map[string]string{"begin_date": "2014-03-01", "end_date": "2014-03-02"}), 61501)
		wantCode(t, h.post("/datacube/"+name, map[string]string{"begin_date": "2014-03-02", "end_date": "2014-03-01"}), 61501)
		wantCode(t, h.post("/datacube/"+name, map[string]string{"begin_date": "2014/03/01", "end_date": "2014-03-01"}), 61500)
		wantCode(t, h.post("/datacube/"+name, map[string]string{"begin_date": "2014-03-01", "end_date": "2014-03-01"}), 0)
	}
}

// A job that failed review has no article statistics; the figures depend only on SentCount.
func TestArticleStatsDeterministic(t *testing.T) {
	a, b := ArticleStats(1234, 1, 3), ArticleStats(1234, 1, 3)
	if a != b || a.IntPageReadUser != 1234*300*930/1_000_000 {
		t.Errorf("ArticleStats = %+v / %+v", a, b)
	}
	if ArticleStats(1234, 9, 3).IntPageReadUser != 1234*80*930/1_000_000 {
		t.Error("later articles do not use the 80‰ rate")
	}
	if ArticleStats(1234, 1, 12) != ArticleStats(1234, 1, 6) || ArticleStats(0, 1, 2) != (wechat.ArticleCounters{}) {
		t.Error("the window or the empty job is wrong")
	}
	h := newHarness(t, Config{Followers: 300})
	h.s.FailReviewNext(10001)
	media := h.news(1)
	wantCode(t, h.post("/cgi-bin/message/mass/sendall", map[string]any{"filter": map[string]any{"is_to_all": true},
		"msgtype": "mpnews", "mpnews": map[string]any{"media_id": media}, "clientmsgid": "rev"}), 0)
	h.s.FinishPending()
	h.clock.Set(time.Date(2014, 3, 12, 12, 0, 0, 0, beijing))
	var ans totalAnswer
	h.datacube("getarticletotal", "2014-03-10", "2014-03-10", &ans)
	if len(ans.List) != 0 {
		t.Errorf("a job that failed review has statistics: %+v", ans.List)
	}
}
