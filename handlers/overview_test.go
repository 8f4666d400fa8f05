package handlers

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/xuri/excelize/v2"

	"qunfa/models"
)

// seedOverview writes a week of known figures around the test clock (2024-05-20 10:00 Beijing):
// three sends (one split in two jobs, one failed review), quota calls, user analytics and this
// month's ledger levels with a sync's counts.
func seedOverview(db *sql.DB) error {
	utc := func(d, h, m int) time.Time { return time.Date(2024, 5, d, h, m, 0, 0, models.Beijing).UTC() }
	stmts := []struct {
		q    string
		args []any
	}{
		{`INSERT INTO drafts (id, operator_id, created_at, updated_at) VALUES (1, 1, ?, ?)`, []any{utc(1, 0, 0), utc(1, 0, 0)}},
		// Send 1: 18 May 23:59 Beijing (15:59 UTC), two jobs. Send 2: 19 May 00:00 Beijing. Send 3: 20 May, err(20013).
		{`INSERT INTO sends (id, idem_key, draft_id, title, target, group_id, group_name, recipients, articles_json, state,
			created_at, submitted_at, status, total_count, filter_count, sent_count, error_count) VALUES
			(1, 'k1', 1, '五月特刊', 'all', 0, '', 0, '[]', 'finished', ?, ?, 'send success', 300, 200, 180, 20),
			(2, 'k2', 1, '周末活动', 'group', 100, '北京用户', 50, '[]', 'finished', ?, ?, 'send success', 50, 50, 49, 1),
			(3, 'k3', 1, '新品预告', 'all', 0, '', 0, '[]', 'finished', ?, ?, 'err(20013)', 0, 0, 0, 0)`,
			[]any{utc(18, 23, 59), utc(18, 23, 59), utc(19, 0, 0), utc(19, 0, 0), utc(20, 9, 0), utc(20, 9, 0)}},
		{`INSERT INTO send_batches (send_id, batch_index, client_msg_id, state, msg_id, status, submitted_at,
			total_count, filter_count, sent_count, error_count) VALUES
			(1, 0, 'c1a', 'finished', 1001, 'send success', ?, 200, 120, 110, 10),
			(1, 1, 'c1b', 'finished', 1002, 'send success', ?, 100, 80, 70, 10),
			(2, 0, 'c2', 'finished', 2001, 'send success', ?, 50, 50, 49, 1),
			(3, 0, 'c3', 'finished', 3001, 'err(20013)', ?, 0, 0, 0, 0)`,
			[]any{utc(18, 23, 59), utc(18, 23, 59), utc(19, 0, 0), utc(20, 9, 0)}},
		{`INSERT INTO quota_calls (day, endpoint, reserved, at) VALUES
			('2024-05-18', 'media/uploadnews', 0, ?), ('2024-05-18', 'message/mass/sendall', 0, ?),
			('2024-05-20', 'message/mass/sendall', 0, ?), ('2024-05-20', 'message/mass/sendall', 1, ?)`,
			[]any{utc(18, 1, 0), utc(18, 1, 0), utc(20, 1, 0), utc(20, 1, 0)}},
		{`INSERT INTO user_stats (day, new_user, cancel_user, cumulate_user, fetched_at) VALUES
			('2024-05-17', 12, 2, 1010, ?), ('2024-05-18', 30, 5, 1035, ?), ('2024-05-19', 8, 9, 1034, ?)`,
			[]any{utc(20, 8, 0), utc(20, 8, 0), utc(20, 8, 0)}},
		{`INSERT INTO follower_month_levels (month, received, followers) VALUES ('2024-05', 1, 600), ('2024-05', 2, 250),
			('2024-05', 4, 40), ('2024-05', 5, 10), ('2024-04', 1, 999)`, nil},
		{`INSERT INTO follower_counts (kind, id, count) VALUES ('group', 0, 1500), ('group', 100, 500), ('tag', 2, 77)`, nil},
	}
	for _, s := range stmts {
		if _, err := db.Exec(s.q, s.args...); err != nil {
			return err
		}
	}
	return nil
}

// tableOf reads a chart's table: each row's header, then its cells, as shown.
func tableOf(doc *goquery.Document, id string) [][]string {
	var rows [][]string
	doc.Find(`[data-testid="table-` + id + `"] tbody tr`).Each(func(_ int, tr *goquery.Selection) {
		var row []string
		tr.Find("th, td").Each(func(_ int, c *goquery.Selection) { row = append(row, strings.TrimSpace(c.Text())) })
		rows = append(rows, row)
	})
	return rows
}

func joinRows(rows [][]string) string {
	var out []string
	for _, r := range rows {
		out = append(out, strings.Join(r, "|"))
	}
	return strings.Join(out, "\n")
}

const overviewRange = "from=2024-05-17&gran=day&to=2024-05-20"

// Every role lands on the overview after login and at /; its menu lists it first.
func TestOverviewIsEveryonesHome(t *testing.T) {
	ta := newTestApp(t)
	ta.setupAndLogin()
	if r := ta.get("/"); r.status != http.StatusSeeOther || r.location != "/overview" {
		t.Fatalf("admin's home: %d %q", r.status, r.location)
	}
	doc := ta.get("/overview").doc(t)
	if first := doc.Find(`#site-menu nav a`).First(); first.AttrOr("data-testid", "") != "nav-overview" || first.AttrOr("aria-current", "") != "page" {
		t.Errorf("first menu entry: %s", first.AttrOr("data-testid", "?"))
	}
}

// The page shows each aggregate in its table, with the figures seeded.
func TestOverviewPageFigures(t *testing.T) {
	ta := newTestAppWith(t, appOptions{seed: seedOverview, rules: models.Rules{DailyQuota: 10}})
	ta.setupAndLogin()
	r := ta.get("/overview?" + overviewRange)
	if r.status != http.StatusOK {
		t.Fatalf("GET /overview: %d", r.status)
	}
	doc := r.doc(t)
	for id, want := range map[string]string{
		chartSends: "2024-05-17|0|0\n2024-05-18|1|180\n2024-05-19|1|49\n2024-05-20|1|0",
		chartDelivery: "2024-05-17|0|0|0|0|—|—\n2024-05-18|2|200|180|20|90.0%|10.0%\n" +
			"2024-05-19|1|50|49|1|98.0%|2.0%\n2024-05-20|1|0|0|0|—|—",
		chartFailures: "审核未通过：涉嫌版权|err(20013)|1",
		chartQuota:    "2024-05-17|0|10\n2024-05-18|2|10\n2024-05-19|0|10\n2024-05-20|1|10",
		chartCaps:     "0|1100\n1|600\n2|250\n3|0\n4 次及以上（已达上限）|50",
		chartGrowth:   "2024-05-17|12|2|10|1010\n2024-05-18|30|5|25|1035\n2024-05-19|8|9|-1|1034\n2024-05-20|—|—|—|—",
	} {
		if got := joinRows(tableOf(doc, id)); got != want {
			t.Errorf("table %s:\n got %s\nwant %s", id, got, want)
		}
		if doc.Find(`[data-testid="table-`+id+`"] caption`).Length() != 1 || doc.Find(`[data-testid="table-`+id+`"] th[scope=col]`).Length() < 2 {
			t.Errorf("table %s lacks its caption or column headers", id)
		}
	}
	// The last sends, newest first, each linking to its page.
	var recent []string
	doc.Find(`[data-testid=recent-row]`).Each(func(_ int, s *goquery.Selection) {
		recent = append(recent, s.Find("a").AttrOr("href", "")+" "+strings.TrimSpace(s.Find(`[data-testid=recent-sent]`).Text()))
	})
	if got := strings.Join(recent, ", "); got != "/sends/3 0, /sends/2 49, /sends/1 180" {
		t.Errorf("recent sends: %s", got)
	}
	if v := doc.Find(`[data-testid=overview-live]`).AttrOr("hx-get", ""); !strings.Contains(v, overviewRange) {
		t.Errorf("the live part polls %q", v)
	}

	// By week, the same figures summed: the 17th–19th are one week (Friday to Sunday), the 20th the next.
	doc = ta.get("/overview?from=2024-05-17&to=2024-05-20&gran=week").doc(t)
	if got := joinRows(tableOf(doc, chartSends)); got != "2024-05-17 当周|2|229\n2024-05-20 当周|1|0" {
		t.Errorf("sends by week: %s", got)
	}
}

// A bad range keeps the page, with the fields' messages, answered 422.
func TestOverviewBadRange(t *testing.T) {
	ta := newTestApp(t)
	ta.setupAndLogin()
	r := ta.get("/overview?from=2024-05-20&to=2024-05-01")
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "结束日期不能早于开始日期") {
		t.Fatalf("reversed range: %d", r.status)
	}
	if r := ta.get("/overview/data.csv?chart=sends&from=x"); r.status != http.StatusUnprocessableEntity {
		t.Errorf("CSV of a bad range: %d", r.status)
	}
	if r := ta.get("/overview/data.xlsx?chart=nope&" + overviewRange); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "没有这个图表") {
		t.Errorf("XLSX of no chart: %d", r.status)
	}
}

// The CSV and the XLSX of each chart hold the figures of its table on the page.
func TestOverviewDownloadsMatchThePage(t *testing.T) {
	ta := newTestAppWith(t, appOptions{seed: seedOverview, rules: models.Rules{DailyQuota: 10}})
	ta.setupAndLogin()
	doc := ta.get("/overview?" + overviewRange).doc(t)
	for _, id := range []string{chartSends, chartDelivery, chartFailures, chartQuota, chartCaps, chartGrowth} {
		page := tableOf(doc, id)
		csvURL, _ := doc.Find(`[data-testid="csv-` + id + `"]`).Attr("href")
		r := ta.get(csvURL)
		if r.status != http.StatusOK || !strings.HasPrefix(r.body, "\uFEFF") {
			t.Fatalf("%s: %d", csvURL, r.status)
		}
		recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(r.body, "\uFEFF"))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if got := joinRows(recs[1:]); got != joinRows(page) {
			t.Errorf("CSV of %s:\n%s\nthe page:\n%s", id, got, joinRows(page))
		}

		xlsxURL, _ := doc.Find(`[data-testid="xlsx-` + id + `"]`).Attr("href")
		r = ta.get(xlsxURL)
		f, err := excelize.OpenReader(bytes.NewReader([]byte(r.body)))
		if err != nil {
			t.Fatalf("%s: %d %v", xlsxURL, r.status, err)
		}
		rows, err := f.GetRows(f.GetSheetName(0))
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != len(page)+1 {
			t.Fatalf("XLSX of %s: %d rows, the page %d", id, len(rows), len(page))
		}
		for i, row := range page {
			for j, cell := range row {
				// Percentages are numbers in the workbook (the header says so).
				if x := strings.TrimSuffix(cell, "%"); j >= len(rows[i+1]) || !sameFigure(rows[i+1][j], x) {
					t.Errorf("XLSX of %s, row %d col %d: %q, the page %q", id, i+1, j, rows[i+1], cell)
				}
			}
		}
		f.Close()
	}
}

// The live part answers 204 while nothing changed, and the new figures once a callback arrived.
func TestOverviewLiveUpdates(t *testing.T) {
	ta := newTestAppWith(t, appOptions{seed: func(db *sql.DB) error {
		if err := seedOverview(db); err != nil {
			return err
		}
		// Send 4 went out on the 20th; WeChat has not reported yet.
		_, err := db.Exec(`INSERT INTO sends (id, idem_key, draft_id, title, target, articles_json, state, created_at, submitted_at)
			VALUES (4, 'k4', 1, '直播预告', 'all', '[]', 'submitted', ?, ?);
			INSERT INTO send_batches (send_id, batch_index, client_msg_id, state, msg_id, submitted_at) VALUES (4, 0, 'c4', 'submitted', 4001, ?)`,
			time.Date(2024, 5, 20, 1, 0, 0, 0, time.UTC), time.Date(2024, 5, 20, 1, 0, 0, 0, time.UTC), time.Date(2024, 5, 20, 1, 0, 0, 0, time.UTC))
		return err
	}})
	ta.setupAndLogin()
	doc := ta.get("/overview?" + overviewRange).doc(t)
	poll := doc.Find(`[data-testid=overview-live]`).AttrOr("hx-get", "")
	if r := ta.get(poll); r.status != http.StatusNoContent {
		t.Fatalf("poll with nothing new: %d", r.status)
	}
	if _, err := ta.svc.RecordJobFinished(context.Background(), models.JobFinished{MsgID: 4001, Status: "send success",
		Total: 70, Filter: 60, Sent: 57, Error: 3, CreateTime: time.Date(2024, 5, 20, 2, 0, 0, 0, time.UTC).Unix(), FromUser: "mphelper"}); err != nil {
		t.Fatal(err)
	}
	r := ta.get(poll)
	if r.status != http.StatusOK {
		t.Fatalf("poll after a callback: %d", r.status)
	}
	frag := r.doc(t)
	row := frag.Find(`[data-testid=recent-row][data-send="4"]`)
	if row.Find(`[data-testid=recent-sent]`).Text() != "57" || row.Find(`[data-testid=recent-filter]`).Text() != "60" {
		t.Errorf("send 4's figures after the callback: %q", row.Text())
	}
	if got := joinRows(tableOf(frag, chartDelivery)); !strings.Contains(got, "2024-05-20|2|60|57|3|95.0%|5.0%") {
		t.Errorf("delivery after the callback:\n%s", got)
	}
	next := frag.Find(`[data-testid=overview-live]`).AttrOr("hx-get", "")
	if next == poll {
		t.Error("the fragment polls with the old version")
	}
	if r := ta.get(next); r.status != http.StatusNoContent {
		t.Errorf("poll with the new version: %d", r.status)
	}
}

// sameFigure compares a workbook cell with the page's: as numbers when both are ("90" and "90.0").
func sameFigure(a, b string) bool {
	x, errA := strconv.ParseFloat(a, 64)
	y, errB := strconv.ParseFloat(b, 64)
	if errA == nil && errB == nil {
		return x == y
	}
	return a == b
}
