package handlers

import (
	"database/sql"
	"fmt"
	"net/http"
	"testing"
	"time"
)

// seedOverviewScale fills the database the issue names: 10,000 sends (a year of them, about 27 a
// day, each a job WeChat reported, one in 20 refused at review), 100,000 callback events, a year
// of daily user analytics and of quota calls, and 1,000,000 followers, each in this month's
// ledger (their levels counted as the ledger keeps them) and counted by the last sync.
func seedOverviewScale(db *sql.DB) error {
	end := time.Date(2024, 5, 20, 0, 0, 0, 0, time.UTC) // the test clock's day
	start := end.AddDate(-1, 0, 0)
	span := int64(end.Sub(start).Seconds())
	day := func(i int) string { return end.AddDate(0, 0, -i).Format(time.DateOnly) }
	stmts := []struct {
		q    string
		args []any
	}{
		{`INSERT INTO drafts (id, operator_id, created_at, updated_at) VALUES (1, 1, ?, ?)`, []any{start, start}},
		{`WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM seq WHERE i < 10000)
		INSERT INTO sends (id, idem_key, draft_id, title, target, group_id, group_name, recipients, articles_json, state,
			created_at, submitted_at, finished_at, status, total_count, filter_count, sent_count, error_count)
		SELECT i, 'k'||i, 1, '春季上新 第 '||i||' 期', 'group', 100, '北京用户', 42, '[]', 'finished', t, t, t,
			CASE WHEN i % 20 = 0 THEN 'err(' || (20001 + i % 3) || ')' ELSE 'send success' END, 1000, 990, 980 - i % 7, 10 + i % 7
		FROM (SELECT i, datetime(?, '+' || (i * ? / 10000) || ' seconds') || '+00:00' AS t FROM seq)`, []any{start.Format("2006-01-02 15:04:05"), span}},
		{`INSERT INTO send_batches (send_id, batch_index, client_msg_id, open_id_count, state, msg_id, status, submitted_at,
			total_count, filter_count, sent_count, error_count)
		SELECT id, 0, 'c'||id, 0, 'finished', 1000000 + id, status, submitted_at, total_count, filter_count, sent_count, error_count FROM sends`, nil},
		{`WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM seq WHERE i < 100000)
		INSERT INTO callback_events (msg_id, event, from_user, create_time, status, total_count, filter_count, sent_count, error_count, received_at)
		SELECT 1000000 + i, 'MASSSENDJOBFINISH', 'mphelper', 1700000000 + i, 'send success', 1000, 990, 980, 10, ? FROM seq`, []any{end}},
		{`WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i+1 FROM seq WHERE i < 2999)
		INSERT INTO quota_calls (day, endpoint, reserved, at) SELECT date(?, '-' || (i % 366) || ' days'), 'message/mass/sendall', 0, ? FROM seq`,
			[]any{end.Format(time.DateOnly), end}},
		{`WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i+1 FROM seq WHERE i < 1000000)
		INSERT INTO followers (open_id, subscribed, subscribed_at, group_id, updated_at)
		SELECT printf('oBench%022d', i), 1, ?, 100 * (i % 3), ? FROM seq`, []any{start, end}},
		{`INSERT INTO follower_months (month, open_id, received) SELECT '2024-05', open_id, 1 + length(open_id) % 5 + (rowid_hash % 2)
			FROM (SELECT open_id, unicode(substr(open_id, -1)) AS rowid_hash FROM followers)`, nil},
		{`INSERT INTO follower_month_levels (month, received, followers) SELECT month, received, COUNT(*) FROM follower_months GROUP BY month, received`, nil},
		{`INSERT INTO follower_counts (kind, id, count) SELECT 'group', group_id, COUNT(*) FROM followers GROUP BY group_id`, nil},
	}
	for i := range 366 {
		stmts = append(stmts, struct {
			q    string
			args []any
		}{`INSERT INTO user_stats (day, new_user, cancel_user, cumulate_user, fetched_at) VALUES (?, ?, ?, ?, ?)`,
			[]any{day(i + 1), 300 + i%50, 100 + i%30, 1000000 - 200*i, end}})
	}
	for _, s := range append(stmts, struct {
		q    string
		args []any
	}{`ANALYZE`, nil}) {
		if _, err := db.Exec(s.q, s.args...); err != nil {
			return fmt.Errorf("seed: %.60s: %w", s.q, err)
		}
	}
	return nil
}

// BenchmarkOverview serves the overview through the real router (session, layout, every
// aggregate, render) at the scale, against a trivial page of the same layout
// (/account/password) in the same run, interleaved: the default range (30 days by day), a year by
// day and by week, and a poll of the live part that finds nothing new (204).
//
//	go test -run '^$' -bench BenchmarkOverview -benchtime 50x -timeout 30m ./handlers/
func BenchmarkOverview(b *testing.B) {
	ta := newTestAppWith(b, appOptions{seed: seedOverviewScale})
	ta.setupAndLogin()
	page := ta.get("/overview")
	if page.status != http.StatusOK {
		b.Fatalf("GET /overview: %d", page.status)
	}
	poll := page.doc(b).Find(`[data-testid=overview-live]`).AttrOr("hx-get", "")
	cases := map[string]struct {
		path   string
		status int
	}{
		"trivial-page":    {"/account/password", http.StatusOK},
		"overview-30d":    {"/overview", http.StatusOK},
		"overview-year":   {"/overview?from=2023-05-21&to=2024-05-20&gran=day", http.StatusOK},
		"overview-year-w": {"/overview?from=2023-05-21&to=2024-05-20&gran=week", http.StatusOK},
		"live-unchanged":  {poll, http.StatusNoContent},
	}
	names := []string{"trivial-page", "overview-30d", "overview-year", "overview-year-w", "live-unchanged"}
	interleaved(b, 7, names, nil, func(b *testing.B, name string) {
		c := cases[name]
		for i := 0; i < b.N; i++ {
			if r := ta.get(c.path); r.status != c.status {
				b.Fatalf("GET %s: %d", c.path, r.status)
			}
		}
	})
}
