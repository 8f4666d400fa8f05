package models

import "gorm.io/gorm"

// migrateV4 adds the operator-editable settings (settings.go): one row per key, so a later
// setting needs no schema change. Values are text; secrets among them (AppSecret, Token,
// EncodingAESKey) are never logged or shown.
func migrateV4(tx *gorm.DB) error {
	return tx.Exec(`CREATE TABLE settings (
		key        TEXT PRIMARY KEY,
		value      TEXT NOT NULL,
		updated_at DATETIME NOT NULL
	)`).Error
}
