package models

import (
	"context"
	"fmt"
	"slices"

	"gorm.io/gorm"
)

// HistoryPageSize is how many sends one page of the history shows.
const HistoryPageSize = 50

// HistoryCursor names a page of the history by keyset: the sends just older than Before, or just
// newer than After (send ids; ids only grow, so newest first is id descending). Both zero is the
// newest page. Pages are found through the primary key alone: no OFFSET, no count, no read of a
// row that is not shown, so the 200th page costs what the first does.
type HistoryCursor struct {
	Before uint
	After  uint
	// Filter selects which sends the pages walk (history_filter.go); the neighbours' cursors
	// are within it.
	Filter HistoryFilter
}

// HistoryPage is one page of sends, newest first, each with its batches (not its history).
// Older and Newer are the cursors of the neighbouring pages (Before=Older, After=Newer); zero
// when there is none.
type HistoryPage struct {
	Sends []Send
	Older uint
	Newer uint
}

// HistoryPage returns the page of sends that cur names. A page of newer sends that would come out
// short (the newest ones) is the newest page itself, so "newer" always lands on a full page.
func (s *Service) HistoryPage(ctx context.Context, cur HistoryCursor) (HistoryPage, error) {
	if cur.Before != 0 && cur.After != 0 {
		return HistoryPage{}, fmt.Errorf("%w: history cursor with both before and after", ErrInvalidArgument)
	}
	db := s.store.db(ctx)
	var rows []sendRow
	if err := historyQuery(db, cur).Find(&rows).Error; err != nil {
		return HistoryPage{}, fmt.Errorf("models: history page %+v: %w", cur, err)
	}
	var page HistoryPage
	more := len(rows) > HistoryPageSize
	if more {
		rows = rows[:HistoryPageSize]
	}
	if cur.After != 0 {
		if !more {
			return s.HistoryPage(ctx, HistoryCursor{Filter: cur.Filter})
		}
		slices.Reverse(rows)
	}
	if len(rows) == 0 {
		return page, nil
	}
	newest, oldest := rows[0].ID, rows[len(rows)-1].ID
	switch {
	case cur.After != 0:
		page.Newer = newest // more exist above: the query found them
		older, err := s.sendExists(ctx, cur.Filter, "id < ?", oldest)
		if err != nil {
			return HistoryPage{}, err
		}
		if older {
			page.Older = oldest
		}
	default:
		if more {
			page.Older = oldest
		}
		if cur.Before != 0 {
			newer, err := s.sendExists(ctx, cur.Filter, "id > ?", newest)
			if err != nil {
				return HistoryPage{}, err
			}
			if newer {
				page.Newer = newest
			}
		}
	}

	ids := make([]uint, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	var batches []batchRow
	if err := batchesQuery(db, ids).Find(&batches).Error; err != nil {
		return HistoryPage{}, fmt.Errorf("models: history page batches: %w", err)
	}
	bySend := make(map[uint][]Batch, len(rows))
	for _, b := range batches {
		bySend[b.SendID] = append(bySend[b.SendID], b.batch())
	}
	page.Sends = make([]Send, 0, len(rows))
	for _, r := range rows {
		sd := r.send()
		sd.Batches = bySend[r.ID]
		page.Sends = append(page.Sends, sd)
	}
	return page, nil
}

// historyQuery selects one more send than a page holds (to know whether another page follows),
// walking the primary key from the cursor.
// Filtered, the page's ids are found first (in the filter's index, history_filter.go), then
// their rows read by primary key.
func historyQuery(db *gorm.DB, cur HistoryCursor) *gorm.DB {
	if cur.Filter.IsZero() {
		return keysetPage(db.Model(&sendRow{}).Omit("articles_json", "search_text"), cur, HistoryPageSize+1)
	}
	ids := keysetPage(cur.Filter.apply(db.Session(&gorm.Session{NewDB: true}).Model(&sendRow{}).Select("id")), cur, HistoryPageSize+1)
	return keysetPage(db.Model(&sendRow{}).Omit("articles_json", "search_text").Where("id IN (?)", ids), HistoryCursor{After: cur.After}, HistoryPageSize+1)
}

// keysetPage orders q from the cursor: after it ascending, else descending, at most n rows.
func keysetPage(q *gorm.DB, cur HistoryCursor, n int) *gorm.DB {
	q = q.Limit(n)
	switch {
	case cur.After != 0:
		return q.Where("id > ?", cur.After).Order("id ASC")
	case cur.Before != 0:
		return q.Where("id < ?", cur.Before).Order("id DESC")
	default:
		return q.Order("id DESC")
	}
}

// batchesQuery reads the batches of the sends shown, through the (send_id, batch_index) index.
func batchesQuery(db *gorm.DB, sendIDs []uint) *gorm.DB {
	return db.Model(&batchRow{}).Select(batchColumns).Where("send_id IN ?", sendIDs).Order("send_id, batch_index")
}

// sendExists reports whether a send of f matches cond (one primary-key probe unfiltered).
func (s *Service) sendExists(ctx context.Context, f HistoryFilter, cond string, id uint) (bool, error) {
	var ids []uint
	if err := f.apply(s.store.db(ctx).Model(&sendRow{})).Where(cond, id).Limit(1).Pluck("id", &ids).Error; err != nil {
		return false, fmt.Errorf("models: history neighbour: %w", err)
	}
	return len(ids) > 0, nil
}
