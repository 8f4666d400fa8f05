package models

import "gorm.io/gorm"

// migrateV15 gives operators a role and a way to be disabled (issue 8):
//
//   - operators.role: 'admin' (settings, operators, approvals), 'editor' (drafts, sends,
//     previews) or 'viewer' (history and reports). Every operator before this version was an
//     admin in all but name, so they stay admins;
//   - operators.disabled_at: set when an admin disables the operator, who can then no longer log
//     in and whose open sessions stop working; NULL while enabled.
func migrateV15(tx *gorm.DB) error {
	return execAll(tx,
		`ALTER TABLE operators ADD COLUMN role TEXT NOT NULL DEFAULT 'admin' CHECK (role IN ('admin', 'editor', 'viewer'))`,
		`ALTER TABLE operators ADD COLUMN disabled_at DATETIME`,
	)
}
