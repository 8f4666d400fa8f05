package models

import (
	"context"
	"fmt"

	"gorm.io/gorm"
)

// follower_month_levels (migration 19) counts the ledger's followers at each number of mass
// messages in a month, so the overview's cap distribution reads a few rows instead of counting
// 1,000,000 ledger entries. Every write that adds one to follower_months first asks, in the same
// transaction, at which levels the followers it is about to count stood (their ledger rows, read
// through the primary key), and moves them one level up here.

// levelsQuery lists (level, followers) of the followers a ledger write is about to count: level
// is their received before the write (0 when they have no row yet).
type levelsQuery struct {
	sql  string
	args []any
}

// bumpMonthLevels moves the followers q names one level up in month's counts. The caller holds
// the write transaction and runs the ledger's own increment right after.
func bumpMonthLevels(db *gorm.DB, month string, q levelsQuery) error {
	var rows []struct {
		Level     int
		Followers int
	}
	if err := db.Raw(q.sql, q.args...).Scan(&rows).Error; err != nil {
		return fmt.Errorf("models: ledger levels: %w", err)
	}
	delta := map[int]int{}
	for _, r := range rows {
		if r.Level > 0 {
			delta[r.Level] -= r.Followers
		}
		delta[r.Level+1] += r.Followers
	}
	for level, n := range delta {
		if n == 0 {
			continue
		}
		if err := db.Exec(`INSERT INTO follower_month_levels (month, received, followers) VALUES (?, ?, ?)
			ON CONFLICT (month, received) DO UPDATE SET followers = follower_month_levels.followers + excluded.followers`,
			month, level, n).Error; err != nil {
			return fmt.Errorf("models: ledger levels: %w", err)
		}
	}
	return nil
}

// MonthLevel is how many followers the ledger counts at Received mass messages in a month.
type MonthLevel struct {
	Received  int
	Followers int
}

// monthLevels reads month's counts (levels ≥ 1), lowest first.
func (st *Store) monthLevels(ctx context.Context, month string) ([]MonthLevel, error) {
	var out []MonthLevel
	err := st.db(ctx).Raw(`SELECT received, followers FROM follower_month_levels
		WHERE month = ? AND followers > 0 ORDER BY received`, month).Scan(&out).Error
	return out, err
}
