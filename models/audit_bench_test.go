package models

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkAuditLog reads one page of a 1,000,000-entry audit log: the newest page (the
// baseline) and pages 10,000 entries deep, unfiltered and with each filter of the page. Keyset
// paging over an index per filter makes a deep page cost what the first does; OFFSET would read
// every entry it skips.
//
//	go test -run '^$' -bench BenchmarkAuditLog -benchtime 2000x -count 5 ./models/
func BenchmarkAuditLog(b *testing.B) {
	st, err := Open(filepath.Join(b.TempDir(), "audit.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	svc := NewService(st, nil, Rules{}, nil)
	ctx := context.Background()
	const n = 1_000_000
	start := time.Now()
	// Stored as GORM stores a UTC time.Time ("2006-01-02 15:04:05+00:00"), one a second from
	// 2025-01-01 00:00 UTC; 50 operators, 10 actions, 10,000 targets.
	if err := st.gdb.Exec(`WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM s WHERE i < ?)
		INSERT INTO audit_log (at, operator_id, username, client_addr, action, target, detail)
		SELECT strftime('%Y-%m-%d %H:%M:%S', 1735689600 + i, 'unixepoch') || '+00:00', i % 50, 'op' || (i % 50), '192.0.2.1',
			CASE i % 10 WHEN 0 THEN 'login.ok' WHEN 1 THEN 'login.failed' WHEN 2 THEN 'send.create' WHEN 3 THEN 'send.approve'
				WHEN 4 THEN 'send.delete' WHEN 5 THEN 'draft.delete' WHEN 6 THEN 'schedule.create' WHEN 7 THEN 'settings.save'
				WHEN 8 THEN 'preview.send' ELSE 'followers.sync' END,
			'send:' || (i % 10000), 'detail ' || i FROM s`, n).Error; err != nil {
		b.Fatal(err)
	}
	if err := st.gdb.Exec("ANALYZE").Error; err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d entries in %v", n, time.Since(start).Round(time.Millisecond))
	// 10,000 entries deep: the cursor is the entry 10,000 from the newest.
	deep := uint(n - 10_000)
	op, from := uint(7), time.Date(2025, 1, 5, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name string
		f    AuditFilter
	}{
		{"first", AuditFilter{}},
		{"deep", AuditFilter{Before: deep}},
		{"operator-deep", AuditFilter{OperatorID: &op, Before: deep}},
		{"action-deep", AuditFilter{Action: AuditSendDelete, Before: deep}},
		{"range-deep", AuditFilter{From: from, To: from.Add(24 * time.Hour), Before: deep}},
		{"target", AuditFilter{Target: "send:4242"}},
		{"target-deep", AuditFilter{Target: "send:4242", Before: deep}},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := svc.AuditLog(ctx, tc.f, AuditPageSize); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
