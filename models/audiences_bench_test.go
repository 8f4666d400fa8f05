package models

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// BenchmarkAudienceImport100k imports a 100,000-line CSV (95% followers, 2% of them unsubscribed,
// 3% unknown, 1% invalid, 1% duplicate; shuffled) with its report, against 1,000,000 followers,
// beside a baseline measured in the same run on the same text: ParseOpenIDs of it and a raw
// insert of its rows into a table keyed by OpenID (database/sql, one transaction, a prepared
// INSERT OR IGNORE of 100 rows). Interleaved rounds, medians.
//
//	go test -run '^$' -bench BenchmarkAudienceImport100k -benchtime=1x ./models/
func BenchmarkAudienceImport100k(b *testing.B) {
	const followers, lines = 1_000_000, 100_000
	f := &fixture{wx: newFakeWeChat(), clock: &testClock{t: time.Date(2025, 3, 10, 2, 0, 0, 0, time.UTC)}}
	st, err := Open(filepath.Join(b.TempDir(), "qunfa.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.Close() })
	f.store, f.svc = st, f.newService(st)
	ctx := context.Background()
	start := time.Now()
	err = f.store.gdb.Exec(`WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM seq WHERE i < ?)
		INSERT INTO followers (open_id, subscribed, group_id, updated_at)
		SELECT printf('oBench%022d', i), i % 50 <> 0, i % 10, '2025-03-01 00:00:00+00:00' FROM seq`, followers).Error
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d followers in %v", followers, time.Since(start).Round(time.Millisecond))
	rng := rand.New(rand.NewPCG(1, 2))
	rows := make([]string, 0, lines+1)
	for len(rows) < lines {
		switch r := rng.IntN(100); {
		case r == 0:
			rows = append(rows, fmt.Sprintf("not valid %d", len(rows)))
		case r == 1 && len(rows) > 0:
			rows = append(rows, rows[rng.IntN(len(rows))])
		case r < 5:
			rows = append(rows, fmt.Sprintf("oUnknown%020d", rng.IntN(1<<40)))
		default:
			rows = append(rows, fmt.Sprintf("oBench%022d", 1+rng.IntN(followers)))
		}
	}
	csv := []byte("\uFEFFopenid\r\n" + strings.Join(rows, "\r\n") + "\r\n")
	if err := f.store.gdb.Exec(`CREATE TABLE bench_raw (open_id TEXT PRIMARY KEY) WITHOUT ROWID`).Error; err != nil {
		b.Fatal(err)
	}
	round := 0
	run := func(b *testing.B, name string) {
		for b.Loop() {
			round++
			switch name {
			case "import":
				a, err := f.svc.ImportAudience(ctx, AudienceImport{Name: fmt.Sprint("bench ", round), Filename: "l.csv", File: csv})
				if err != nil || a.Lines != lines {
					b.Fatalf("import: %+v %v", a, err)
				}
			case "baseline":
				ids, _ := ParseOpenIDs(string(csv))
				sqlDB, err := f.store.gdb.DB()
				if err != nil {
					b.Fatal(err)
				}
				tx, err := sqlDB.Begin()
				if err != nil {
					b.Fatal(err)
				}
				tx.Exec(`DELETE FROM bench_raw`)
				stmt, err := tx.Prepare(`INSERT OR IGNORE INTO bench_raw (open_id) VALUES ` + strings.TrimSuffix(strings.Repeat("(?),", 100), ","))
				if err != nil {
					b.Fatal(err)
				}
				args := make([]any, 100)
				for s := 0; s+100 <= len(ids); s += 100 {
					for i := range args {
						args[i] = ids[s+i]
					}
					if _, err := stmt.Exec(args...); err != nil {
						b.Fatal(err)
					}
				}
				stmt.Close()
				if err := tx.Commit(); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	medians := map[string][]float64{}
	names := []string{"baseline", "import"}
	for r := 1; r <= 5; r++ {
		for _, name := range names {
			var last float64
			b.Run(fmt.Sprintf("round%d/%s", r, name), func(b *testing.B) {
				run(b, name)
				last = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			})
			medians[name] = append(medians[name], last)
		}
	}
	med := func(xs []float64) float64 { s := slices.Clone(xs); slices.Sort(s); return s[len(s)/2] }
	bm, im := med(medians["baseline"]), med(medians["import"])
	b.Logf("medians over 5 interleaved rounds: baseline (ParseOpenIDs + raw insert) %.0f ms, import with report %.0f ms (%.2fx)",
		bm/1e6, im/1e6, im/bm)
}
