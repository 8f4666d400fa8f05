package models

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"gorm.io/gorm"
)

// seedSends inserts n sends of one draft straight into the table (ids 1..n); every third has two
// batches.
func seedSends(t *testing.T, f *fixture, n int) {
	t.Helper()
	d := f.draft(t, 1)
	for i := 1; i <= n; i++ {
		row := sendRow{IdemKey: fmt.Sprintf("k%d", i), DraftID: d.ID, Title: fmt.Sprintf("send %d", i),
			Target: TargetGroup, ArticlesJSON: "[]", State: StateFinished, CreatedAt: f.clock.Now()}
		if err := f.store.gdb.Create(&row).Error; err != nil {
			t.Fatal(err)
		}
		for b := 0; b < 1+btoi(i%3 == 0); b++ {
			br := batchRow{SendID: row.ID, BatchIndex: b, ClientMsgID: fmt.Sprintf("c%d-%d", i, b), State: StateFinished,
				MsgID: int64(i*10 + b)}
			if err := f.store.gdb.Create(&br).Error; err != nil {
				t.Fatal(err)
			}
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Walking the history older and then newer again meets every send exactly once each way, newest
// first on every page, each with its own batches; the ends have no link beyond them.
func TestHistoryPagesByKeyset(t *testing.T) {
	ctx := context.Background()
	for _, n := range []int{0, 1, 50, 51, 130} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			f := newFixture(t)
			seedSends(t, f, n)
			var down []uint
			var pages []HistoryPage
			cur := HistoryCursor{}
			for {
				p, err := f.svc.HistoryPage(ctx, cur)
				if err != nil {
					t.Fatal(err)
				}
				if len(p.Sends) > HistoryPageSize {
					t.Fatalf("page of %d", len(p.Sends))
				}
				for _, s := range p.Sends {
					if len(s.Batches) != 1+btoi(s.ID%3 == 0) || s.Batches[0].MsgID != int64(s.ID*10) {
						t.Fatalf("send %d batches %+v", s.ID, s.Batches)
					}
					down = append(down, s.ID)
				}
				pages = append(pages, p)
				if p.Older == 0 {
					break
				}
				cur = HistoryCursor{Before: p.Older}
			}
			if len(down) != n {
				t.Fatalf("walked %d sends, want %d: %v", len(down), n, down)
			}
			for i, id := range down {
				if id != uint(n-i) {
					t.Fatalf("order %v: position %d is %d, want %d", down, i, id, n-i)
				}
			}
			if pages[0].Newer != 0 {
				t.Errorf("first page links to newer %d", pages[0].Newer)
			}
			if want := (n + HistoryPageSize - 1) / HistoryPageSize; n > 0 && len(pages) != want {
				t.Errorf("%d pages, want %d", len(pages), want)
			}
			// And back up with the newer links, to the first page exactly.
			last := pages[len(pages)-1]
			var up []uint
			for cur := last; cur.Newer != 0; {
				p, err := f.svc.HistoryPage(ctx, HistoryCursor{After: cur.Newer})
				if err != nil {
					t.Fatal(err)
				}
				if len(p.Sends) != HistoryPageSize {
					t.Fatalf("a newer page of %d sends", len(p.Sends))
				}
				for _, s := range p.Sends {
					up = append(up, s.ID)
				}
				cur = p
			}
			if len(pages) > 1 {
				if got, want := len(up), n-len(last.Sends); got != want {
					t.Fatalf("walked %d sends back up, want %d", got, want)
				}
				seen := map[uint]bool{}
				for _, id := range up {
					if seen[id] {
						t.Fatalf("send %d twice going up", id)
					}
					seen[id] = true
				}
			}
		})
	}
}

// The page's queries walk the primary key (and the batches' send_id index): no table scan, no
// sort, whatever the number of sends.
func TestHistoryQueriesUseTheKey(t *testing.T) {
	skipOnPostgres(t, "SQLite's EXPLAIN QUERY PLAN")
	f := newFixture(t)
	seedSends(t, f, 3)
	plan := func(build func(tx *gorm.DB) *gorm.DB) string {
		sql := f.store.gdb.ToSQL(func(tx *gorm.DB) *gorm.DB { return build(tx).Find(&[]map[string]any{}) })
		rows, err := f.store.gdb.Raw("EXPLAIN QUERY PLAN " + sql).Rows()
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			out = append(out, detail)
		}
		return sql + " => " + strings.Join(out, "; ")
	}
	for _, tt := range []struct {
		name  string
		build func(tx *gorm.DB) *gorm.DB
		want  string
	}{
		{"newest", func(tx *gorm.DB) *gorm.DB { return historyQuery(tx, HistoryCursor{}) }, "SCAN sends"},
		{"before", func(tx *gorm.DB) *gorm.DB { return historyQuery(tx, HistoryCursor{Before: 2}) }, "USING INTEGER PRIMARY KEY (rowid<?)"},
		{"after", func(tx *gorm.DB) *gorm.DB { return historyQuery(tx, HistoryCursor{After: 2}) }, "USING INTEGER PRIMARY KEY (rowid>?)"},
		{"batches", func(tx *gorm.DB) *gorm.DB { return batchesQuery(tx, []uint{1, 2, 3}) }, "USING INDEX sqlite_autoindex_send_batches"},
	} {
		p := plan(tt.build)
		if !strings.Contains(p, tt.want) || strings.Contains(p, "TEMP B-TREE") {
			t.Errorf("%s: %s\nwant %q and no sort", tt.name, p, tt.want)
		}
		if strings.Contains(strings.ToUpper(p), "OFFSET") {
			t.Errorf("%s uses OFFSET: %s", tt.name, p)
		}
	}
}

func TestHistoryCursorBothWaysRefused(t *testing.T) {
	f := newFixture(t)
	if _, err := f.svc.HistoryPage(context.Background(), HistoryCursor{Before: 3, After: 1}); err == nil {
		t.Fatal("before and after together accepted")
	}
}
