package models

import "gorm.io/gorm"

// migrateV24 makes an operator whose password an admin set (a new operator, a reset) choose their
// own at the next login: the admin knows the password, or it was shown on a screen. Operators
// from before this version keep the passwords they have.
func migrateV24(tx *gorm.DB) error {
	return execAll(tx,
		`ALTER TABLE operators ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT 0`,
	)
}
