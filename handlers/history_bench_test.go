package handlers

import (
	"database/sql"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// seedHistory writes a year of 10,000 sends as a busy account makes them: one every 50 minutes
// from 2025-01-01 (Beijing), mostly finished, a few waiting, failed, rejected or deleted; to
// everyone, to eight groups and tags, to OpenID lists (some from five saved audiences); two
// batches each; articles' JSON of about 8 KB (so reading a send's row is not free); ten sends
// titled 年终盘点 (a rare search), ten waiting for approval (a rare state); and 100,000 callback
// events (which the history does not read: there to show they do not matter).
func seedHistory(db *sql.DB) error {
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(-8 * time.Hour) // 00:00 Beijing
	body := strings.Repeat("<p style=\\\"color:#333\\\">春季上新，全场八折。</p>", 200)
	stmts := []struct {
		q    string
		args []any
	}{
		{`INSERT INTO drafts (id, operator_id, created_at, updated_at) VALUES (1, 1, ?, ?)`, []any{start, start}},
		{`INSERT INTO audiences (id, name, kind, created_at, updated_at)
			SELECT column1, column2, 'list', ?, ? FROM (VALUES (1, '老客户'), (2, '北京'), (3, '上海'), (4, '新粉'), (5, '沉睡用户'))`, []any{start, start}},
		{`WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM seq WHERE i < 10000)
		INSERT INTO sends (idem_key, draft_id, title, target, group_id, group_name, recipients, articles_json, state,
			created_at, submitted_at, finished_at, status, total_count, filter_count, sent_count, error_count,
			audience, audience_id, search_text)
		SELECT 'k'||i, 1,
			CASE WHEN i % 1000 = 500 THEN '年终盘点 第 '||i||' 期' ELSE '春季上新 第 '||i||' 期' END,
			CASE WHEN i % 10 < 6 THEN 'group' WHEN i % 10 < 8 THEN 'all' ELSE 'openids' END,
			CASE WHEN i % 10 < 6 THEN 100 + i % 8 ELSE 0 END,
			CASE WHEN i % 10 < 6 THEN '分组 '||(100 + i % 8) ELSE '' END,
			42, '[{"Title":"x","Author":"编辑部","Content":"' || ? || '"}]',
			CASE WHEN i % 1000 = 1 THEN 'awaiting_approval' WHEN i % 1000 = 2 THEN 'rejected'
				WHEN i % 1000 = 3 THEN 'submitted' WHEN i % 50 = 5 THEN 'failed' WHEN i % 40 = 6 THEN 'deleted'
				ELSE 'finished' END,
			datetime(?, '+'||(i*50)||' minutes') || '+00:00', NULL, NULL, 'send success', 42, 40, 38, 2,
			CASE WHEN i % 2 = 0 THEN 'tags' ELSE 'groups' END,
			CASE WHEN i % 10 = 9 THEN 1 + (i / 10) % 5 ELSE 0 END,
			lower(CASE WHEN i % 1000 = 500 THEN '年终盘点 第 '||i||' 期' ELSE '春季上新 第 '||i||' 期' END) || char(10) || '编辑部 '||(i % 7)
		FROM seq`, []any{body, start.Format("2006-01-02 15:04:05")}},
		{`INSERT INTO send_batches (send_id, batch_index, client_msg_id, open_id_count, state, msg_id, status,
			total_count, filter_count, sent_count, error_count)
		SELECT id, b, 'qunfa-'||id||'-'||b, 10000, 'finished', (b+1) * 1000000 + id, 'send success', 21, 20, 19, 1
		FROM sends, (SELECT 0 AS b UNION ALL SELECT 1)`, nil},
		{`WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM seq WHERE i < 100000)
		INSERT INTO callback_events (msg_id, event, from_user, create_time, status, received_at)
		SELECT i, 'MASSSENDJOBFINISH', 'gh_bench', 1700000000 + i, 'send success', ? FROM seq`, []any{start}},
	}
	for _, s := range stmts {
		if _, err := db.Exec(s.q, s.args...); err != nil {
			return fmt.Errorf("seed history: %w", err)
		}
	}
	return nil
}

// historyBenchCases are the pages the benchmark serves: the unfiltered first page (the baseline),
// its middle and last pages, each filter alone (a rare one among them), searches (common and
// rare), a combination, and a filtered page deep in the history.
var historyBenchCases = []struct{ name, query string }{
	{"first", ""},
	{"middle", "before=5000"},
	{"last", "before=40"},
	{"state=finished", "state=finished"},
	{"state=finished/middle", "state=finished&before=5000"},
	{"state=sending(rare)", "state=sending"},
	{"state=approval(rare)", "state=approval"},
	{"audience=all", "audience=all"},
	{"audience=tag:104", "audience=tag:104"},
	{"audience=saved:3", "audience=saved:3"},
	{"dates=March", "from=2025-03-01&to=2025-03-31"},
	{"dates=year", "from=2025-01-01&to=2025-12-31"},
	{"q=春季(common)", "q=" + url.QueryEscape("春季")},
	{"q=年终盘点(rare)", "q=" + url.QueryEscape("年终盘点")},
	{"q=rare/last", "q=" + url.QueryEscape("年终盘点") + "&before=1000"},
	{"combined", "state=finished&audience=group&from=2025-02-01&to=2025-06-30&q=" + url.QueryEscape("春季")},
}

// BenchmarkHistoryFilters serves the history page through the real router (session, layout, the
// filter's choices, render) with 10,000 sends, for every case of historyBenchCases, interleaved
// over rounds; the log gives each case's median and its ratio to the unfiltered first page.
//
//	go test -run '^$' -bench BenchmarkHistoryFilters -benchtime 100x ./handlers/
func BenchmarkHistoryFilters(b *testing.B) {
	ta := newTestAppWith(b, appOptions{seed: seedHistory})
	ta.setupAndLogin()
	var names []string
	paths := map[string]string{}
	for _, c := range historyBenchCases {
		names = append(names, c.name)
		paths[c.name] = "/sends?" + c.query
	}
	interleaved(b, 5, names, nil, func(b *testing.B, name string) {
		rows := 0
		for i := 0; i < b.N; i++ {
			r := ta.get(paths[name])
			if r.status != http.StatusOK {
				b.Fatalf("GET %s: %d", paths[name], r.status)
			}
			rows = strings.Count(r.body, `data-testid="send-row"`)
		}
		if rows == 0 {
			b.Fatalf("GET %s: no send shown", paths[name])
		}
		b.ReportMetric(float64(rows), "rows")
	})
}

// BenchmarkHistoryExport downloads the whole unfiltered history (10,000 sends) as CSV and as
// XLSX, and a filtered one, through the router.
//
//	go test -run '^$' -bench BenchmarkHistoryExport -benchtime 3x ./handlers/
func BenchmarkHistoryExport(b *testing.B) {
	ta := newTestAppWith(b, appOptions{seed: seedHistory})
	ta.setupAndLogin()
	paths := map[string]string{"csv": "/sends.csv", "xlsx": "/sends.xlsx", "csv-finished-march": "/sends.csv?state=finished&from=2025-03-01&to=2025-03-31"}
	interleaved(b, 3, []string{"csv", "xlsx", "csv-finished-march"}, nil, func(b *testing.B, name string) {
		size := 0
		for i := 0; i < b.N; i++ {
			r := ta.get(paths[name])
			if r.status != http.StatusOK {
				b.Fatalf("GET %s: %d", paths[name], r.status)
			}
			size = len(r.body)
		}
		b.ReportMetric(float64(size), "bytes")
	})
}
