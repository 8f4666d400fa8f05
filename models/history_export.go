package models

import (
	"context"
	"fmt"
)

// historyExportChunk is how many sends an export reads at a time: memory stays bounded however
// many sends the filter selects, and no read holds the database for the whole download.
const historyExportChunk = 500

// EachHistorySend calls fn with every send f selects, newest first, each with its batches, reading
// them historyExportChunk at a time by keyset (the page's query, walked to the end).
func (s *Service) EachHistorySend(ctx context.Context, f HistoryFilter, fn func(Send) error) error {
	var before uint
	for {
		db := s.store.db(ctx)
		q := f.apply(db.Model(&sendRow{}).Omit("articles_json", "search_text")).Order("id DESC").Limit(historyExportChunk)
		if before != 0 {
			q = q.Where("id < ?", before)
		}
		var rows []sendRow
		if err := q.Find(&rows).Error; err != nil {
			return fmt.Errorf("models: history export before %d: %w", before, err)
		}
		if len(rows) == 0 {
			return nil
		}
		ids := make([]uint, len(rows))
		for i, r := range rows {
			ids[i] = r.ID
		}
		var batches []batchRow
		if err := batchesQuery(db, ids).Find(&batches).Error; err != nil {
			return fmt.Errorf("models: history export batches: %w", err)
		}
		bySend := make(map[uint][]Batch, len(rows))
		for _, b := range batches {
			bySend[b.SendID] = append(bySend[b.SendID], b.batch())
		}
		for _, r := range rows {
			sd := r.send()
			sd.Batches = bySend[r.ID]
			if err := fn(sd); err != nil {
				return err
			}
		}
		if len(rows) < historyExportChunk {
			return nil
		}
		before = rows[len(rows)-1].ID
	}
}

// HistorySendGroup is a group or tag some send went to, for the history's audience filter.
type HistorySendGroup struct {
	ID    int64
	Name  string // as recorded with its newest send
	ByTag bool
}

// HistorySendGroups lists the groups and tags the history's sends went to: the audience index read
// for target 'group' (one entry per such send), then one row per group for its name.
func (s *Service) HistorySendGroups(ctx context.Context) ([]HistorySendGroup, error) {
	var rows []struct {
		Audience string
		GroupID  int64
		Last     uint
	}
	db := s.store.db(ctx)
	if err := db.Raw(`SELECT audience, group_id, MAX(id) AS last FROM sends WHERE target = ?
		GROUP BY audience, group_id ORDER BY audience, group_id`, TargetGroup).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("models: history groups: %w", err)
	}
	out := make([]HistorySendGroup, 0, len(rows))
	for _, r := range rows {
		var names []string
		if err := db.Model(&sendRow{}).Where("id = ?", r.Last).Limit(1).Pluck("group_name", &names).Error; err != nil {
			return nil, fmt.Errorf("models: history group name: %w", err)
		}
		g := HistorySendGroup{ID: r.GroupID, ByTag: r.Audience == AudienceTags}
		if len(names) > 0 {
			g.Name = names[0]
		}
		out = append(out, g)
	}
	return out, nil
}
