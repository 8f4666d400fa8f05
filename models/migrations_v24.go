package models

import "gorm.io/gorm"

// migrateV24 keeps the callback replay guard's (timestamp, nonce) pairs in the database, so that
// instances sharing a PostgreSQL database refuse a pair another instance has seen (on SQLite
// the guard stays in memory and the table stays empty). body is the digest of the body the
// pair was accepted with; expires (unix seconds) is when the timestamp check refuses the pair
// anyway, after which the row is pruned.
func migrateV24(tx *gorm.DB) error {
	return execAll(tx,
		`CREATE TABLE callback_nonces (
			ts      INTEGER NOT NULL,
			nonce   TEXT NOT NULL,
			body    TEXT NOT NULL,
			done    BOOLEAN NOT NULL DEFAULT 0,
			expires INTEGER NOT NULL,
			PRIMARY KEY (ts, nonce)
		)`,
		`CREATE INDEX idx_callback_nonces_expires ON callback_nonces(expires)`,
	)
}
