package models

import (
	"encoding/json"

	"gorm.io/gorm"
)

// migrateV22 lets the history find things (issue 9 §6):
//
//   - sends.search_text: the titles and authors of the send's articles, normalised
//     (searchText), so a search is one LIKE over a small indexed column instead of the articles'
//     JSON; filled here for the sends already made.
//   - sends.audience_id (and plan_lists', schedules'): the saved audience an OpenID-list send was
//     resolved from, 0 for none, carried from the confirmation (or the schedule) to the send.
//   - an index for each filter (see below), and one for the search, which a search scans: one
//     short entry per send (search_text is at most maxSearchText bytes).
func migrateV22(tx *gorm.DB) error {
	if err := execAll(tx,
		`ALTER TABLE sends ADD COLUMN search_text TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE sends ADD COLUMN audience_id INTEGER NOT NULL DEFAULT 0`,
		`ALTER TABLE plan_lists ADD COLUMN audience_id INTEGER NOT NULL DEFAULT 0`,
		`ALTER TABLE schedules ADD COLUMN audience_id INTEGER NOT NULL DEFAULT 0`,
		// Each filter's index leads with its column and carries the other filters' columns, so a
		// page's ids are found in one index, without reading a send's row (whose articles' JSON
		// lies before the columns added since: reading past it costs its overflow pages).
		`CREATE INDEX sends_history_state ON sends(state, target, audience, group_id, audience_id, created_at)`,
		`CREATE INDEX sends_history_target ON sends(target, audience, group_id, state, audience_id, created_at)`,
		`CREATE INDEX sends_history_audience ON sends(audience_id, state, target, audience, group_id, created_at)`,
		`CREATE INDEX sends_history_created ON sends(created_at, state, target, audience, group_id, audience_id)`,
		`CREATE INDEX sends_history_search ON sends(id, search_text)`,
		// sends_history_state serves every query the state's own index did (it leads with state).
		`DROP INDEX idx_sends_state`,
	); err != nil {
		return err
	}
	// Backfill a chunk of sends at a time (their articles' JSON can be large).
	var last uint
	for {
		var rows []struct {
			ID           uint
			Title        string
			ArticlesJSON string
		}
		if err := tx.Raw(`SELECT id, title, articles_json FROM sends WHERE id > ? ORDER BY id LIMIT 500`, last).
			Scan(&rows).Error; err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		for _, r := range rows {
			var arts []ArticleInput
			_ = json.Unmarshal([]byte(r.ArticlesJSON), &arts) // unreadable: the title alone
			if err := tx.Exec(`UPDATE sends SET search_text = ? WHERE id = ?`, searchText(r.Title, arts), r.ID).Error; err != nil {
				return err
			}
			last = r.ID
		}
	}
}
