package models

import "gorm.io/gorm"

// migrateV18 hardens logging in (issue 8 §2):
//
//   - sessions are kept under the SHA-256 of their token (the cookie keeps the raw token), so a
//     copy of the database file is no longer a login; each row names its operator so an admin
//     can end all of one operator's sessions. The old rows are keyed by raw tokens and cannot
//     be re-keyed without them being in the clear: they are dropped, and everyone logs in again.
//   - login_throttle counts failed logins per typed username (whether or not such an operator
//     exists, so the lock says nothing about which usernames exist) and holds the lock, so it
//     survives a restart.
func migrateV18(tx *gorm.DB) error {
	return execAll(tx,
		`DROP TABLE sessions`,
		`CREATE TABLE sessions (
			token_hash  TEXT PRIMARY KEY,
			operator_id INTEGER,
			data        BLOB NOT NULL,
			expiry      DATETIME NOT NULL
		)`,
		`CREATE INDEX idx_sessions_expiry ON sessions(expiry)`,
		`CREATE INDEX idx_sessions_operator ON sessions(operator_id)`,
		`CREATE TABLE login_throttle (
			username     TEXT PRIMARY KEY COLLATE NOCASE,
			failures     INTEGER NOT NULL DEFAULT 0,
			window_start DATETIME NOT NULL,
			locked_until DATETIME,
			lockouts     INTEGER NOT NULL DEFAULT 0,
			updated_at   DATETIME NOT NULL
		)`,
		`CREATE INDEX idx_login_throttle_updated ON login_throttle(updated_at)`,
	)
}
