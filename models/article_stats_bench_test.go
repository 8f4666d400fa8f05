package models

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"gorm.io/gorm"
)

// BenchmarkSendReadStats reads one split send's statistics and timeline, and lists the days the
// daily fetch is due, among 10,000 sends' worth of statistics (a year and more of sends, two
// articles each, their 7 days: 140,000 rows) and 10,000 batches with a msg_data_id.
//
//	go test -run '^$' -bench 'SendReadStats|DueArticleStatDays' -benchtime 200x ./models/
func BenchmarkSendReadStats(b *testing.B) {
	f, s := benchStatsFixture(b)
	ctx := context.Background()
	b.ResetTimer()
	for range b.N {
		st, err := f.svc.SendReadStats(ctx, s)
		if err != nil || len(st.Days) != 7 {
			b.Fatalf("%+v %v", st.Days, err)
		}
		if _, err := f.svc.SendTimeline(ctx, s, st); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDueArticleStatDays(b *testing.B) {
	f, _ := benchStatsFixture(b)
	ctx := context.Background()
	now := f.clock.Now()
	b.ResetTimer()
	for range b.N {
		if _, err := f.svc.dueArticleStatDays(ctx, now, false); err != nil {
			b.Fatal(err)
		}
	}
}

// benchStatsFixture seeds 10,000 sends of one batch each, one a day-ish back over 400 days,
// with two articles × 7 days of statistics each, and returns a two-batch send among them.
func benchStatsFixture(b *testing.B) (*fixture, Send) {
	b.Helper()
	st, err := Open(filepath.Join(b.TempDir(), "qunfa.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	f := &fixture{store: st, clock: &testClock{t: time.Date(2025, 3, 10, 4, 0, 0, 0, time.UTC)}}
	f.svc = NewService(st, newFakeWeChat(), Rules{Now: f.clock.Now}, nil)
	base := f.clock.Now()
	err = st.gdb.Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(`INSERT INTO operators (id, username, password_hash, created_at) VALUES (1, 'admin', 'x', ?)`, base).Error; err != nil {
			return err
		}
		if err := tx.Exec(`INSERT INTO drafts (id, operator_id, created_at, updated_at) VALUES (1, 1, ?, ?)`, base, base).Error; err != nil {
			return err
		}
		for i := range 10_000 {
			at := base.Add(-time.Duration(i) * 58 * time.Minute)
			id := i + 1
			if err := tx.Exec(`INSERT INTO sends (id, idem_key, draft_id, title, target, articles_json, state, operator_id, created_at, submitted_at, finished_at, sent_count)
				VALUES (?, ?, 1, 't', 'openids', '[]', 'finished', 1, ?, ?, ?, 100)`, id, fmt.Sprint("k", id), at, at, at).Error; err != nil {
				return err
			}
			for bi := range 2 {
				if err := tx.Exec(`INSERT INTO send_batches (send_id, batch_index, client_msg_id, state, msg_id, msg_data_id, sent_count, submitted_at, finished_at)
					VALUES (?, ?, ?, 'finished', ?, ?, 50, ?, ?)`, id, bi, fmt.Sprint("c", id, "-", bi), id*10+bi, int64(id*10+bi), at, at).Error; err != nil {
					return err
				}
			}
			day := at.In(Beijing).Format(time.DateOnly)
			for a := 1; a <= 2; a++ {
				for d := range 7 {
					for bi := range 2 {
						if err := tx.Exec(`INSERT INTO article_stats (msg_data_id, article_idx, stat_date, ref_date, int_page_read_user, fetched_at)
							VALUES (?, ?, ?, ?, ?, ?)`, int64(id*10+bi), a, addDay(day, d), day, 10*d, at).Error; err != nil {
							return err
						}
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	s, err := f.svc.Send(context.Background(), 5000)
	if err != nil || len(s.Batches) != 2 {
		b.Fatalf("%+v %v", s, err)
	}
	return f, s
}
