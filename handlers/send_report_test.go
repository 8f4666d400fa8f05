package handlers

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"qunfa/models"
	"qunfa/wechat"
)

// seedReads stores WeChat's figures for the fake's first two msg_data_ids (its first two mass
// calls): article 1 of both batches and article 2 of the first, on two days, cumulative.
func seedReads(db *sql.DB) error {
	for _, r := range []struct {
		id         int64
		idx        int
		day        string
		read, shr  int
		fav, times int
	}{
		{2000000001, 1, "2024-05-20", 100, 10, 5, 120},
		{2000000001, 1, "2024-05-21", 150, 14, 7, 180},
		{2000000001, 2, "2024-05-20", 20, 1, 0, 22},
		{2000000001, 2, "2024-05-21", 30, 2, 1, 33},
		{2000000002, 1, "2024-05-20", 50, 4, 2, 60},
		{2000000002, 1, "2024-05-21", 80, 6, 3, 95},
	} {
		if _, err := db.Exec(`INSERT INTO article_stats (msg_data_id, article_idx, stat_date, ref_date, title, target_user,
			int_page_read_user, int_page_read_count, share_user, share_count, add_to_fav_user, add_to_fav_count, fetched_at)
			VALUES (?, ?, ?, '2024-05-20', ?, 5000, ?, ?, ?, ?, ?, ?, '2024-05-22 02:05:00')`,
			r.id, r.idx, r.day, fmt.Sprintf("第%d篇", r.idx), r.read, r.times, r.shr, r.shr, r.fav, r.fav); err != nil {
			return err
		}
	}
	return nil
}

// The report of a send split in two batches: the funnel and the batches summed as the callbacks
// arrive (the live part answers 204 until something changes), reads by day from WeChat's
// statistics, the read rate, and the timeline with who did what.
func TestReportFunnelBatchesReadsAndLive(t *testing.T) {
	ta := newTestAppWith(t, appOptions{seed: seedReads})
	ta.setupAndLogin()
	draftID, _ := strconv.ParseUint(ta.createDraft("报告"), 10, 32)
	var ids strings.Builder
	for i := range 10001 {
		fmt.Fprintf(&ids, "oOPENID%020d\n", i)
	}
	s, err := ta.svc.StartSend(context.Background(), models.SendInput{DraftID: uint(draftID), Target: models.TargetOpenIDs,
		OpenIDs: ids.String(), Key: "report"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := ta.svc.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/sends/%d/report", s.ID)
	page := ta.get(path).doc(t)
	if n := page.Find(`[data-testid=report-batch]`).Length(); n != 2 {
		t.Fatalf("%d batch rows, want 2", n)
	}
	version, _ := page.Find(`[data-testid=report-live]`).Attr("data-version")
	trigger, _ := page.Find(`[data-testid=report-live]`).Attr("hx-trigger")
	if version == "" || trigger != "every 2s" {
		t.Fatalf("live part: version %q, trigger %q", version, trigger)
	}
	if r := ta.get(path + "/live?v=" + version); r.status != http.StatusNoContent {
		t.Fatalf("unchanged report answered %d, want 204", r.status)
	}

	s, _ = ta.svc.Send(context.Background(), s.ID)
	finish := func(i, total, sent, errs int) {
		ev := wechat.Event{ToUserName: "gh_0123456789ab", FromUserName: "oFromUser0001", CreateTime: ta.now.Unix(),
			MsgType: "event", Event: "MASSSENDJOBFINISH", MsgID: s.Batches[i].MsgID, Status: "send success",
			TotalCount: total, FilterCount: total, SentCount: sent, ErrorCount: errs}
		if r := ta.callback(ev, ta.now, nil); r.status != http.StatusOK {
			t.Fatalf("callback %d: %d", i, r.status)
		}
	}
	finish(0, 5000, 4990, 10)
	live := ta.get(path + "/live?v=" + version)
	if live.status != http.StatusOK {
		t.Fatalf("a callback later the live part answered %d", live.status)
	}
	doc := live.doc(t)
	if got := doc.Find(`[data-testid=funnel-row][data-key="stats.sent"] [data-testid=funnel-value]`).Text(); got != "4990" {
		t.Errorf("funnel Sent after the first callback = %q", got)
	}
	finish(1, 5001, 5000, 1)
	doc = ta.get(path).doc(t)
	funnel := map[string]string{}
	doc.Find(`[data-testid=funnel-row]`).Each(func(_ int, r *goquery.Selection) {
		k, _ := r.Attr("data-key")
		funnel[k] = strings.TrimSpace(r.Find(`[data-testid=funnel-value]`).Text())
	})
	if funnel["stats.total"] != "10001" || funnel["stats.filter"] != "10001" || funnel["stats.sent"] != "9990" || funnel["stats.error"] != "11" {
		t.Errorf("funnel = %v", funnel)
	}
	if got := doc.Find(`[data-testid=batch-sum-sent]`).Text(); got != "9990" {
		t.Errorf("batches' sum of Sent = %q", got)
	}
	sents := doc.Find(`[data-testid=batch-sent]`)
	if sents.Eq(0).Text() != "4990" || sents.Eq(1).Text() != "5000" {
		t.Errorf("batch Sent = %q, %q", sents.Eq(0).Text(), sents.Eq(1).Text())
	}
	// Reads by day: each day's part of all articles of both batches.
	days := doc.Find(`[data-testid=reads-row]`)
	if days.Length() != 2 || days.Eq(0).Find(`[data-testid=reads-day]`).Text() != "170" || days.Eq(1).Find(`[data-testid=reads-day]`).Text() != "90" {
		t.Errorf("reads by day = %q", days.Text())
	}
	// The read rate: the first article's readers (150 + 80) over SentCount.
	if got := doc.Find(`[data-testid=read-rate]`).Text(); got != "2.3%" {
		t.Errorf("read rate = %q, want 230/9990 = 2.3%%", got)
	}
	if n := doc.Find(`[data-testid=article-row]`).Length(); n != 2 {
		t.Errorf("%d article rows", n)
	}
	timeline := map[string]string{}
	doc.Find(`[data-testid=timeline-row]`).Each(func(_ int, r *goquery.Selection) {
		a, _ := r.Attr("data-action")
		timeline[a] = strings.TrimSpace(r.Find(`[data-testid=timeline-who]`).Text())
	})
	for _, a := range []string{models.HistoryCreated, models.HistorySubmitted, models.HistoryFinished, models.TimelineStats} {
		if _, ok := timeline[a]; !ok {
			t.Errorf("timeline lacks %s: %v", a, timeline)
		}
	}
	if timeline[models.HistoryCreated] != "admin" {
		t.Errorf("who planned it = %q", timeline[models.HistoryCreated])
	}
	// The send's page links to its report.
	if href, _ := ta.get(fmt.Sprintf("/sends/%d", s.ID)).doc(t).Find(`[data-testid=send-report-link]`).Attr("href"); href != path {
		t.Errorf("report link = %q", href)
	}
}

// An admin asks for the statistics now: the worker is asked, the action audited, the report shown.
func TestReportFetchNow(t *testing.T) {
	ta := newTestApp(t)
	ta.setupAndLogin()
	path, s := ta.submittedGroupSend("立即获取")
	tok := ta.csrf(path + "/report")
	r := ta.post(fmt.Sprintf("/sends/%d/report/fetch", s.ID), url.Values{"csrf_token": {tok}})
	if r.status != http.StatusSeeOther || r.location != path+"/report" {
		t.Fatalf("fetch: %d %q", r.status, r.location)
	}
	entries, err := ta.svc.AuditLog(context.Background(), models.AuditFilter{Action: models.AuditStatsFetch}, 0)
	if err != nil || len(entries.Entries) != 1 || entries.Entries[0].Target != fmt.Sprintf("send:%d", s.ID) {
		t.Errorf("audit = %+v, %v", entries, err)
	}
	if got := ta.get(path + "/report").doc(t).Find(`.flash`).Text(); !strings.Contains(got, "获取阅读数据") {
		t.Errorf("flash = %q", got)
	}
	if r := ta.post("/sends/999/report/fetch", url.Values{"csrf_token": {tok}}); r.status != http.StatusNotFound {
		t.Errorf("fetch for no send: %d", r.status)
	}
}

// buildReport with known data: the pending words, the read rate and the polling pace.
func TestBuildReport(t *testing.T) {
	now := time.Date(2024, 5, 20, 12, 0, 0, 0, models.Beijing)
	sub := now.Add(-time.Hour)
	s := models.Send{ID: 7, State: models.StateFinished, SubmittedAt: &sub, Sent: 400, Total: 410, Filter: 405, Error: 5,
		Batches: []models.Batch{{State: models.StateFinished, Sent: 300, Total: 305, Filter: 302, Error: 2, MsgID: 1},
			{Index: 1, State: models.StateFinished, Sent: 100, Total: 105, Filter: 103, Error: 3, MsgID: 2}}}
	r := buildReport(s, "en", models.SendReadStats{}, nil, now)
	if r.Reads.Pending != "report.reads_tomorrow" || r.Reads.Rate != "0.0%" || r.PollEvery != "5s" {
		t.Errorf("sent today: pending %q, rate %q, poll %q", r.Reads.Pending, r.Reads.Rate, r.PollEvery)
	}
	if r.BatchSum.Sent != 400 || r.BatchSum.Total != 410 || r.Funnel[2].Percent != "97.6%" {
		t.Errorf("sum %+v, funnel %+v", r.BatchSum, r.Funnel)
	}
	st := models.SendReadStats{LeadReaders: 50, Days: []models.ReadDay{{Date: "2024-05-20", Day: models.ReadFigures{ReadUser: 50}}},
		Articles: []models.ArticleRead{{Index: 1, ReadFigures: models.ReadFigures{ReadUser: 50}}}}
	r2 := buildReport(s, "en", st, nil, now)
	if r2.Reads.Rate != "12.5%" || r2.Reads.Pending != "" || r2.Reads.Articles[0].Rate != "12.5%" || r2.Version == r.Version {
		t.Errorf("with reads: %+v (version %s vs %s)", r2.Reads, r2.Version, r.Version)
	}
	later := now.Add(9 * 24 * time.Hour)
	if r := buildReport(s, "en", st, nil, later); r.PollEvery != "" {
		t.Errorf("a report past the statistics window still polls every %s", r.PollEvery)
	}
	s.State, s.Sent = models.StateSubmitted, 0
	s.Batches[1].State = models.StateSubmitted
	if r := buildReport(s, "en", models.SendReadStats{}, nil, now); r.PollEvery != "2s" || r.Reads.Pending != "report.reads_after_finish" || r.Reads.Rate != "—" {
		t.Errorf("awaiting: poll %q, pending %q, rate %q", r.PollEvery, r.Reads.Pending, r.Reads.Rate)
	}
}
