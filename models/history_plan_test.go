package models

import (
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"
)

// explain is the query plan of what build selects, one line per step.
func explain(t *testing.T, f *fixture, build func(tx *gorm.DB) *gorm.DB) (string, []string) {
	t.Helper()
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
	return sql, out
}

// historyPlanFilters are the filters whose plans are checked: each single filter, a rare one, a
// search, and combinations.
func historyPlanFilters() map[string]HistoryFilter {
	day := time.Date(2025, 3, 1, 0, 0, 0, 0, Beijing)
	return map[string]HistoryFilter{
		"state finished":     {States: []SendState{StateFinished}},
		"state sending":      {States: []SendState{StateUploading, StateSubmitting, StateSubmitted}},
		"everyone":           {Audience: HistoryEveryone},
		"any group":          {Audience: HistoryGroup},
		"tag 104":            {Audience: HistoryTag, ID: 104},
		"openids":            {Audience: HistoryOpenIDs},
		"saved 3":            {Audience: HistorySaved, ID: 3},
		"any saved":          {Audience: HistorySaved},
		"dates":              {From: day, To: day.AddDate(0, 1, 0)},
		"search":             {Query: "年终"},
		"state+tag":          {States: []SendState{StateFinished}, Audience: HistoryTag, ID: 104},
		"state+dates+search": {States: []SendState{StateFailed}, From: day, To: day.AddDate(0, 1, 0), Query: "春季"},
	}
}

// Under every filter the history finds a page's ids in an index that holds every filtered
// column (covering: no send's row is read to test it, whose articles' JSON would be read too),
// then reads the page's rows by primary key. Nothing walks the table; a search scans the
// search index (one entry of at most maxSearchText bytes per send), nothing else.
func TestHistoryFilterPlansUseIndexes(t *testing.T) {
	skipOnPostgres(t, "EXPLAIN QUERY PLAN")
	f := newFixture(t)
	seedSends(t, f, 3)
	allowed := func(step string) bool {
		switch {
		case !strings.HasPrefix(step, "SCAN sends") && !strings.HasPrefix(step, "SEARCH sends"):
			return true // LIST SUBQUERY, USE TEMP B-TREE (of ids) …
		case step == "SEARCH sends USING INTEGER PRIMARY KEY (rowid=?)":
			return true
		case strings.HasPrefix(step, "SEARCH sends USING COVERING INDEX sends_history_"):
			return true
		case strings.HasPrefix(step, "SCAN sends USING COVERING INDEX sends_history_search"),
			strings.HasPrefix(step, "SEARCH sends USING COVERING INDEX sends_history_search"):
			return true
		}
		return false
	}
	for name, flt := range historyPlanFilters() {
		for _, cur := range []HistoryCursor{{Filter: flt}, {Before: 2, Filter: flt}, {After: 2, Filter: flt}} {
			queries := map[string]func(tx *gorm.DB) *gorm.DB{
				"page": func(tx *gorm.DB) *gorm.DB { return historyQuery(tx, cur) },
				"neighbours": func(tx *gorm.DB) *gorm.DB {
					return flt.apply(tx.Model(&sendRow{}).Select("id")).Where("id < ?", 9).Limit(1)
				},
			}
			for q, build := range queries {
				sql, plan := explain(t, f, build)
				if name == "search" && q == "page" && (!strings.Contains(strings.Join(plan, ";"), "COVERING INDEX sends_history_search") ||
					strings.Contains(strings.Join(plan, ";"), "TEMP B-TREE")) {
					// A search alone walks the search index in id order and stops at a page.
					t.Errorf("search (before %d, after %d): %s", cur.Before, cur.After, strings.Join(plan, "; "))
				}
				for _, step := range plan {
					if !allowed(step) {
						t.Errorf("%s %s (before %d, after %d): %q reads sends' rows\n%s\n%s", name, q, cur.Before, cur.After,
							step, strings.Join(plan, "; "), sql)
					}
				}
			}
		}
	}
}
