package models

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"
)

func TestAuditFilterAndKeysetPaging(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	start := f.clock.Now()
	for i := range 30 {
		op := uint(1 + i%3)
		action := []string{AuditLoginOK, AuditSendCreate, AuditSendDelete}[i%3]
		e := AuditEntry{OperatorID: op, Username: fmt.Sprintf("op%d", op), ClientAddr: "192.0.2.1", Action: action,
			Target: fmt.Sprintf("send:%d", i), Detail: "d"}
		if i%5 == 0 {
			e.At = f.clock.Now() // every fifth shares its time with the next: ties are paged by id
		}
		if err := f.svc.Audit(ctx, e); err != nil {
			t.Fatal(err)
		}
		if i%5 != 0 {
			f.clock.Advance(time.Minute)
		}
	}
	// Paging the whole log 7 at a time gives each entry once, newest first.
	var ids []uint
	var prev AuditEntry
	filter := AuditFilter{}
	for {
		p, err := f.svc.AuditLog(ctx, filter, 7)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range p.Entries {
			if prev.ID != 0 && (e.At.After(prev.At) || (e.At.Equal(prev.At) && e.ID > prev.ID)) {
				t.Fatalf("out of order: %+v after %+v", e, prev)
			}
			prev = e
			ids = append(ids, e.ID)
		}
		if p.Next == 0 {
			break
		}
		filter.Before = p.Next
	}
	seen := map[uint]bool{}
	for _, id := range ids {
		seen[id] = true
	}
	if len(ids) != 30 || len(seen) != 30 {
		t.Fatalf("paged %d entries, %d distinct", len(ids), len(seen))
	}

	two := uint(2)
	zero := uint(0)
	cases := []struct {
		name string
		f    AuditFilter
		want int
	}{
		{"operator", AuditFilter{OperatorID: &two}, 10},
		{"anonymous", AuditFilter{OperatorID: &zero}, 0},
		{"action", AuditFilter{Action: AuditSendDelete}, 10},
		{"operator and action", AuditFilter{OperatorID: &two, Action: AuditSendCreate}, 10},
		{"operator, other action", AuditFilter{OperatorID: &two, Action: AuditSendDelete}, 0},
		{"exact target", AuditFilter{Target: "send:1"}, 1},
		{"piece of target", AuditFilter{Target: "send"}, 30},
		{"digits", AuditFilter{Target: "2"}, 3}, // send:2, send:12, send:20..29 → "2" in 2, 12, 20-29
		{"from", AuditFilter{From: start.Add(10 * time.Minute)}, 0},
		{"range", AuditFilter{From: start, To: start.Add(5 * time.Minute)}, 0},
	}
	// Work out the time-based expectations from the entries themselves.
	var all []AuditEntry
	if err := f.svc.EachAudit(ctx, AuditFilter{}, func(e AuditEntry) error { all = append(all, e); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(all) != 30 {
		t.Fatalf("EachAudit gave %d", len(all))
	}
	count := func(keep func(AuditEntry) bool) int {
		n := 0
		for _, e := range all {
			if keep(e) {
				n++
			}
		}
		return n
	}
	cases[7].want = count(func(e AuditEntry) bool { return strings.Contains(e.Target, "2") })
	cases[8].want = count(func(e AuditEntry) bool { return !e.At.Before(start.Add(10 * time.Minute)) })
	cases[9].want = count(func(e AuditEntry) bool { return !e.At.Before(start) && e.At.Before(start.Add(5*time.Minute)) })
	for _, tc := range cases {
		n := 0
		if err := f.svc.EachAudit(ctx, tc.f, func(AuditEntry) error { n++; return nil }); err != nil {
			t.Fatal(err)
		}
		if n != tc.want {
			t.Errorf("%s: %d entries, want %d", tc.name, n, tc.want)
		}
	}
}

// What an entry stores is bounded and one line: a form cannot smuggle a newline or a
// megabyte into the log.
func TestAuditClipsFields(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	long := strings.Repeat("名", 5000)
	if err := f.svc.Audit(ctx, AuditEntry{Username: "a\nb", Action: AuditLoginFailed, Detail: long, Target: "x\r\ny"}); err != nil {
		t.Fatal(err)
	}
	p, err := f.svc.AuditLog(ctx, AuditFilter{}, 10)
	if err != nil || len(p.Entries) != 1 {
		t.Fatal(p, err)
	}
	e := p.Entries[0]
	if e.Username != "a b" || e.Target != "x  y" || len([]rune(e.Detail)) != maxAuditDetail || !e.At.Equal(f.clock.Now()) {
		t.Fatalf("entry = %q %q %d runes %v", e.Username, e.Target, len([]rune(e.Detail)), e.At)
	}
}

// Each filter of the page walks an index in the page's order: no temporary sort, no full scan,
// whatever the size of the log (1,000,000 rows in the issue).
func TestAuditQueriesUseAnIndex(t *testing.T) {
	skipOnPostgres(t, "SQLite's EXPLAIN QUERY PLAN")
	f := newFixture(t)
	ctx := context.Background()
	// Enough rows for the planner's statistics to look like a real log.
	if err := f.store.gdb.Exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 20000)
		INSERT INTO audit_log (at, operator_id, username, action, target)
		SELECT datetime('2025-01-01', '+' || i || ' seconds'), i % 7, 'op', 'send.create', 'send:' || i FROM n`).Error; err != nil {
		t.Fatal(err)
	}
	if err := f.store.gdb.Exec(`ANALYZE`).Error; err != nil {
		t.Fatal(err)
	}
	op := uint(3)
	from, to := time.Date(2025, 1, 1, 1, 0, 0, 0, time.UTC), time.Date(2025, 1, 1, 2, 0, 0, 0, time.UTC)
	cases := map[string]AuditFilter{
		"none":             {},
		"range":            {From: from, To: to},
		"operator":         {OperatorID: &op},
		"operator+range":   {OperatorID: &op, From: from, To: to},
		"action":           {Action: AuditSendCreate},
		"action+range":     {Action: AuditSendCreate, From: from},
		"target":           {Target: "send:12"},
		"cursor":           {Before: 500},
		"operator+cursor":  {OperatorID: &op, Before: 500},
		"action+op+cursor": {Action: AuditSendCreate, OperatorID: &op, Before: 500},
	}
	for name, flt := range cases {
		var steps []struct {
			ID, Parent, Notused int
			Detail              string
		}
		sql := f.store.gdb.ToSQL(func(tx *gorm.DB) *gorm.DB {
			var rows []auditRow
			return auditQuery(tx.Model(&auditRow{}), flt, time.Date(2025, 1, 1, 0, 8, 0, 0, time.UTC), 500).
				Order("at DESC, id DESC").Limit(51).Find(&rows)
		})
		if err := f.store.gdb.Raw("EXPLAIN QUERY PLAN " + sql).Scan(&steps).Error; err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var plan []string
		for _, st := range steps {
			plan = append(plan, st.Detail)
		}
		text := strings.Join(plan, " | ")
		t.Logf("%s: %s", name, text)
		if strings.Contains(text, "TEMP B-TREE") || !strings.Contains(text, "INDEX") {
			t.Errorf("%s: %s\n%s", name, text, sql)
		}
	}
	_ = ctx
}
