package handlers

import (
	"cmp"
	"database/sql"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"qunfa/models"
	"qunfa/static"
	"qunfa/wechat"
)

// appOptions varies newTestApp for the tests and benchmarks of issue 6 point 9: a logger to read,
// rows written straight into the database before the app starts.
type appOptions struct {
	log    *slog.Logger
	seed   func(db *sql.DB) error
	dbPath *string // set to the database file's path
	rules  models.Rules
	// idle is the session idle timeout (0: a year, for the tests whose clock jumps days).
	idle     time.Duration
	throttle *ThrottleConfig
	proxies  []string
	reads    models.ReadSource // the A/B tests' read figures (abtest_test.go)
	dbURL    string            // a PostgreSQL database instead of a fresh SQLite file (callback_replay_shared_test.go)
}

// newTestAppWith is newTestApp with options (the store at a path the seed can open).
func newTestAppWith(tb testing.TB, o appOptions) *testApp {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "qunfa.db")
	open := models.Open
	if o.dbURL != "" {
		path, open = o.dbURL, func(url string) (*models.Store, error) {
			return models.OpenWithKey(url, make([]byte, models.SecretKeySize))
		}
	}
	st, err := open(path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	if o.dbPath != nil {
		*o.dbPath = path
	}
	if o.seed != nil {
		db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=5000&_foreign_keys=on")
		if err != nil {
			tb.Fatal(err)
		}
		if err := o.seed(db); err != nil {
			tb.Fatal(err)
		}
		db.Close()
	}
	ta := &testApp{
		t:     tb,
		store: st,
		now:   time.Date(2024, 5, 20, 10, 0, 0, 0, models.Beijing),
		codec: wechat.Codec{Token: testToken, AppID: testAppID},
		wx:    &fakeWeChat{},
	}
	log := o.log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	clock := func() time.Time { return ta.now }
	o.rules.Now = clock
	ta.svc = models.NewService(st, ta.wx, o.rules, log)
	ta.srv = httptest.NewServer(New(Deps{
		Service: ta.svc,
		Codec:   func() wechat.Codec { return ta.codec },
		Static:  static.FS,
		Logger:  log,
		Now:     clock,

		SessionIdle:    cmp.Or(o.idle, 365*24*time.Hour),
		Throttle:       o.throttle,
		TrustedProxies: o.proxies,
		Reads:          o.reads,
	}))
	tb.Cleanup(ta.srv.Close)
	ta.client = ta.newClient()
	return ta
}

// seedSends writes n finished group sends (ids 1..n), each with batches batches (msg_id
// 1000000*batch+id), and a draft for them to point at.
func seedSends(n, batches int) func(db *sql.DB) error {
	return func(db *sql.DB) error {
		at := time.Date(2024, 5, 1, 2, 0, 0, 0, time.UTC)
		stmts := []struct {
			q    string
			args []any
		}{
			{`INSERT INTO drafts (id, operator_id, created_at, updated_at) VALUES (1, 1, ?, ?)`, []any{at, at}},
			{`WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM seq WHERE i < ?)
			INSERT INTO sends (idem_key, draft_id, title, target, group_id, group_name, recipients, articles_json, state,
				created_at, submitted_at, finished_at, status, total_count, filter_count, sent_count, error_count)
			SELECT 'k'||i, 1, '春季上新 第 '||i||' 期', 'group', 100, '北京用户', 42, '[]', 'finished', ?, ?, ?, 'send success',
				42, 40, 38, 2 FROM seq`, []any{n, at, at, at}},
		}
		for b := 0; b < batches; b++ {
			stmts = append(stmts, struct {
				q    string
				args []any
			}{`INSERT INTO send_batches (send_id, batch_index, client_msg_id, open_id_count, state, msg_id, status,
				total_count, filter_count, sent_count, error_count)
			SELECT id, ?, 'qunfa-'||id||'-'||?, 10000, 'finished', ? * 1000000 + id, 'send success', 42, 40, 38, 2 FROM sends`,
				[]any{b, b, b + 1}})
		}
		for _, s := range stmts {
			if _, err := db.Exec(s.q, s.args...); err != nil {
				return fmt.Errorf("seed: %w", err)
			}
		}
		return nil
	}
}

// interleaved runs every case once per round, in turn (so a slow spell of the shared machine
// lands on all of them), and logs each case's median ns/op and its ratio to its baseline case.
//
// baseOf names the case each case is compared with (nil: the first case).
func interleaved(b *testing.B, rounds int, names []string, baseOf func(name string) string, run func(b *testing.B, name string)) {
	b.Helper()
	perOp := map[string][]float64{}
	for r := 1; r <= rounds; r++ {
		for _, name := range names {
			// b.Run calls the function more than once (a probe with b.N = 1 first): only the
			// last, full-size run of each round counts.
			var last float64
			b.Run(fmt.Sprintf("round%d/%s", r, name), func(b *testing.B) {
				run(b, name)
				last = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			})
			perOp[name] = append(perOp[name], last)
		}
	}
	med := func(xs []float64) float64 {
		s := slices.Clone(xs)
		slices.Sort(s)
		if len(s) == 0 {
			return 0
		}
		return s[len(s)/2]
	}
	var sum strings.Builder
	for _, name := range names {
		base := names[0]
		if baseOf != nil {
			base = baseOf(name)
		}
		m, bm := med(perOp[name]), med(perOp[base])
		fmt.Fprintf(&sum, "\n  %-24s median %9.0f ns/op  time %.2fx of %s, throughput %.2fx", name, m, m/bm, base, bm/m)
	}
	b.Logf("medians over %d interleaved rounds:%s", rounds, sum.String())
}
