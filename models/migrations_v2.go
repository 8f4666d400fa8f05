package models

import "gorm.io/gorm"

// migrateV2 keeps the access token across restarts (WeChat invalidates the
// previous token on every fetch, so a restart must not fetch a new one) and
// keeps what MASSSENDJOBFINISH says beyond the counts.
func migrateV2(tx *gorm.DB) error {
	stmts := []string{
		`CREATE TABLE access_tokens (
			app_id     TEXT PRIMARY KEY,
			token      TEXT NOT NULL,
			expires_at DATETIME NOT NULL,
			updated_at DATETIME NOT NULL
		)`,
		`ALTER TABLE send_batches ADD COLUMN article_urls TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE send_batches ADD COLUMN copyright_state INTEGER NOT NULL DEFAULT 0`,
		`ALTER TABLE callback_events ADD COLUMN article_urls TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE callback_events ADD COLUMN copyright_state INTEGER NOT NULL DEFAULT 0`,
	}
	return execAll(tx, stmts...)
}
