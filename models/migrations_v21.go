package models

import "gorm.io/gorm"

// migrateV21 keeps A/B title tests (issue 9 §4): one row per test, with what is needed to draw
// its halves again (the audience it was drawn from, the seed, each half's size) and the sends it
// made — each half's OpenID-list send and, once judged, the winner's send to the rest.
func migrateV21(tx *gorm.DB) error {
	return execAll(tx,
		`CREATE TABLE ab_tests (
			id            INTEGER PRIMARY KEY AUTOINCREMENT,
			idem_key      TEXT NOT NULL UNIQUE,
			draft_a_id    INTEGER NOT NULL,
			draft_b_id    INTEGER NOT NULL,
			title_a       TEXT NOT NULL,
			title_b       TEXT NOT NULL,
			cover_b       BOOLEAN NOT NULL DEFAULT 0,
			audience_kind TEXT NOT NULL,
			audience_ref  BIGINT NOT NULL DEFAULT 0,
			audience_name TEXT NOT NULL DEFAULT '',
			audience_size INTEGER NOT NULL,
			share_pct     INTEGER NOT NULL,
			half_size     INTEGER NOT NULL,
			seed          BIGINT NOT NULL,
			send_a_id     INTEGER NOT NULL,
			send_b_id     INTEGER NOT NULL,
			judge_at      DATETIME NOT NULL,
			winner        TEXT NOT NULL DEFAULT '',
			winner_send_id INTEGER NOT NULL DEFAULT 0,
			operator_id   INTEGER NOT NULL,
			created_at    DATETIME NOT NULL
		)`,
		`CREATE INDEX ix_ab_tests_send_a ON ab_tests (send_a_id)`,
		`CREATE INDEX ix_ab_tests_send_b ON ab_tests (send_b_id)`,
	)
}
