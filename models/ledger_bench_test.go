package models

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// benchFixture is a store with n followers (every one subscribed, 1 in 1000 blacklisted, spread
// over 10 groups) and a month of sends in the ledger: 3 everyone sends, so every follower has a
// row, and one in ten at the cap.
func benchFixture(b *testing.B, n int) (*fixture, Draft) {
	b.Helper()
	f := &fixture{path: filepath.Join(b.TempDir(), "qunfa.db"), wx: newFakeWeChat(),
		clock: &testClock{t: time.Date(2025, 3, 10, 2, 0, 0, 0, time.UTC)}}
	// QUNFA_BENCH_DB keeps the built database between runs (building it takes minutes here).
	reuse := false
	if keep := os.Getenv("QUNFA_BENCH_DB"); keep != "" {
		f.path = keep
		_, err := os.Stat(keep)
		reuse = err == nil
	}
	st, err := Open(f.path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.Close() })
	f.store, f.svc = st, f.newService(st)
	if reuse {
		var d Draft
		if d, err = f.svc.Draft(context.Background(), 1); err != nil {
			b.Fatal(err)
		}
		return f, d
	}
	at := f.clock.Now().Add(-40 * 24 * time.Hour).UTC()
	// (x * 7919) mod a prime above n: the OpenIDs arrive in scattered order, as from user/get.
	for _, q := range []string{
		`WITH RECURSIVE x(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM x WHERE i + 1 < ?)
		INSERT INTO followers (open_id, subscribed, subscribed_at, group_id, blacklisted, updated_at)
		SELECT printf('oBENCH%022d', (i * 7919) % 1000003), 1, ?, i % 10, i % 1000 = 7, ? FROM x`,
		`INSERT INTO follower_months (month, open_id, received)
		SELECT '2025-03', open_id, CASE WHEN group_id = 3 THEN 4 ELSE 3 END FROM followers WHERE 1`,
	} {
		args := []any{n, at, at}
		if !strings.Contains(q, "RECURSIVE") {
			args = nil
		}
		if err := st.gdb.Exec(q, args...).Error; err != nil {
			b.Fatal(err)
		}
	}
	img := image.NewRGBA(image.Rect(0, 0, 32, 32))
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		b.Fatal(err)
	}
	th, err := f.svc.SaveThumb(context.Background(), "c.jpg", buf.Bytes())
	if err != nil {
		b.Fatal(err)
	}
	d, err := f.svc.SaveDraft(context.Background(), 0, DraftInput{Articles: []ArticleInput{{Title: "t", Content: "<p>x</p>", ThumbID: th.ID}}}, 1)
	if err != nil {
		b.Fatal(err)
	}
	return f, d
}

// BenchmarkPlanList plans a 10,000-OpenID list against 1,000,000 followers with a month of sends
// in the ledger (PlanSend: parse, the one join, uploads, quota), interleaved with the baseline:
// the month's ledger and the blacklisted loaded into Go maps and the list looked up in them.
//
//	go test -run '^$' -bench BenchmarkPlanList -benchtime=5x ./models/
func BenchmarkPlanList(b *testing.B) {
	f, d := benchFixture(b, 1_000_000)
	ctx := context.Background()
	ids := make([]string, 0, 10000)
	for i := range 10000 {
		ids = append(ids, fmt.Sprintf("oBENCH%022d", (i*97*7919)%1000003))
	}
	list := strings.Join(ids, "\n")
	var plan, maps []time.Duration
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		var ledger []struct {
			OpenID   string
			Received int
		}
		if err := f.store.gdb.Raw(`SELECT open_id, received FROM follower_months WHERE month = '2025-03'`).Scan(&ledger).Error; err != nil {
			b.Fatal(err)
		}
		var black []string
		if err := f.store.gdb.Raw(`SELECT open_id FROM followers WHERE blacklisted = 1`).Scan(&black).Error; err != nil {
			b.Fatal(err)
		}
		m := make(map[string]int, len(ledger))
		for _, r := range ledger {
			m[r.OpenID] = r.Received
		}
		capped := 0
		for _, id := range ids {
			if m[id] >= 4 {
				capped++
			}
		}
		maps = append(maps, time.Since(t0))

		t0 = time.Now()
		p, err := f.svc.PlanSend(ctx, SendInput{DraftID: d.ID, Target: TargetOpenIDs, OpenIDs: list})
		plan = append(plan, time.Since(t0))
		if err != nil || p.OverCap != capped || p.LeftOut != capped || p.Recipients != 10000-capped {
			b.Fatalf("plan: %+v %v (capped %d)", p, err, capped)
		}
	}
	b.ReportMetric(float64(median(plan).Milliseconds()), "plan-ms")
	b.ReportMetric(float64(median(maps).Milliseconds()), "maps-baseline-ms")
	b.ReportMetric(float64(median(plan))/float64(median(maps)), "ratio")
}

// BenchmarkLedgerEveryone records an everyone send to 1,000,000 followers: CommitMsgID, then the
// worker's chunks (ledger.go), interleaved with the baseline: copying the same 1,000,000
// OpenIDs into a table of the same shape in one statement. It reports the whole recording, the
// longest the writer was held at once (the longest chunk) and the ratio of the whole to the copy.
//
//	go test -run '^$' -bench BenchmarkLedgerEveryone -benchtime=3x ./models/
func BenchmarkLedgerEveryone(b *testing.B) {
	f, d := benchFixture(b, 1_000_000)
	ctx := context.Background()
	if err := f.store.gdb.Exec(`CREATE TABLE IF NOT EXISTS copy_baseline (send_id INTEGER NOT NULL, open_id TEXT NOT NULL,
		PRIMARY KEY (send_id, open_id)) WITHOUT ROWID`).Error; err != nil {
		b.Fatal(err)
	}
	var record, longest, copyT []time.Duration
	b.ResetTimer()
	for range b.N {
		i := time.Now().UnixNano() // unique across b.N's rounds and a kept database's runs
		t0 := time.Now()
		if err := f.store.gdb.Exec(`INSERT INTO copy_baseline SELECT ?, open_id FROM followers WHERE subscribed = 1`, i).Error; err != nil {
			b.Fatal(err)
		}
		copyT = append(copyT, time.Since(t0))

		row := sendRow{IdemKey: fmt.Sprintf("all-%d", i), DraftID: d.ID, Target: TargetAll, ArticlesJSON: "[]",
			State: StateSubmitting, OperatorID: 1, CreatedAt: f.clock.Now(), Audience: AudienceGroups, UploadPath: UploadNews}
		id, err := f.svc.pipe.EnqueueSend(ctx, row, [][]string{nil}, nil, "")
		if err != nil {
			b.Fatal(err)
		}
		var batch batchRow
		if err := f.store.gdb.Where("send_id = ?", id).Take(&batch).Error; err != nil {
			b.Fatal(err)
		}
		t0 = time.Now()
		if err := f.svc.pipe.CommitMsgID(ctx, id, batch.ID, MassResult{MsgID: i}, ""); err != nil {
			b.Fatal(err)
		}
		hold := time.Since(t0)
		for {
			c0 := time.Now()
			done, err := f.svc.pipe.LedgerChunk(ctx, batch.ID)
			if err != nil {
				b.Fatal(err)
			}
			hold = max(hold, time.Since(c0))
			if done {
				break
			}
		}
		record, longest = append(record, time.Since(t0)), append(longest, hold)
		var n int64
		f.store.gdb.Raw(`SELECT COUNT(*) FROM send_recipients WHERE send_id = ?`, id).Scan(&n)
		if n != 1_000_000 {
			b.Fatalf("%d recipients recorded, want 1,000,000", n)
		}
	}
	b.ReportMetric(float64(median(record).Milliseconds()), "record-ms")
	b.ReportMetric(float64(median(longest).Milliseconds()), "longest-hold-ms")
	b.ReportMetric(float64(median(copyT).Milliseconds()), "copy-baseline-ms")
	b.ReportMetric(float64(median(record))/float64(median(copyT)), "ratio")
}
