package models

import "gorm.io/gorm"

// migrateV16 lets admins manage operators (issue 8):
//
//   - operators.last_login_at: when the operator last logged in, for the operators page; NULL
//     until the first login after this version;
//   - operators.session_epoch: a counter raised whenever the operator's password changes (by
//     themselves or an admin's reset). A session remembers the epoch it was started under and
//     stops working once it differs, so changing a password ends the operator's other sessions
//     without reading or changing the sessions table.
func migrateV16(tx *gorm.DB) error {
	return execAll(tx,
		`ALTER TABLE operators ADD COLUMN last_login_at DATETIME`,
		`ALTER TABLE operators ADD COLUMN session_epoch INTEGER NOT NULL DEFAULT 0`,
	)
}
