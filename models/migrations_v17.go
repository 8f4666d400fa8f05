package models

import "gorm.io/gorm"

// migrateV17 adds the audit log (issue 8): who did what, when, from which address. Rows are
// only ever appended. The page lists them newest first and pages by (at, id), so each filter has
// an index that ends in at (and, implicitly, the rowid id): time alone, an operator, an action,
// an exact target. Four-eyes approval needs no schema: its send states are new values of
// sends.state and its setting lives in the settings table.
func migrateV17(tx *gorm.DB) error {
	return execAll(tx,
		`CREATE TABLE audit_log (
			id          INTEGER PRIMARY KEY AUTOINCREMENT,
			at          DATETIME NOT NULL,
			operator_id INTEGER NOT NULL DEFAULT 0,
			username    TEXT NOT NULL DEFAULT '',
			client_addr TEXT NOT NULL DEFAULT '',
			action      TEXT NOT NULL,
			target      TEXT NOT NULL DEFAULT '',
			detail      TEXT NOT NULL DEFAULT ''
		)`,
		`CREATE INDEX idx_audit_at ON audit_log(at)`,
		`CREATE INDEX idx_audit_operator ON audit_log(operator_id, at)`,
		`CREATE INDEX idx_audit_action ON audit_log(action, at)`,
		`CREATE INDEX idx_audit_target ON audit_log(target, at)`,
	)
}
