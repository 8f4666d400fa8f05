package models

import "gorm.io/gorm"

// migrateV8 keeps a pasted OpenID list on the server between the confirmation page and the send,
// so the page carries only the list's id (not 2.9 MB of OpenIDs back and forth). A list is the
// text as pasted, for one draft and one operator; it expires after planListLifetime.
func migrateV8(tx *gorm.DB) error {
	return execAll(tx,
		`CREATE TABLE plan_lists (
			id          TEXT PRIMARY KEY,
			draft_id    INTEGER NOT NULL,
			operator_id INTEGER NOT NULL DEFAULT 0,
			open_ids    TEXT NOT NULL,
			created_at  DATETIME NOT NULL
		)`,
		`CREATE INDEX idx_plan_lists_created ON plan_lists(created_at)`,
	)
}
