package models

import "gorm.io/gorm"

// migrateV4: operator-editable settings (to be written).
func migrateV4(tx *gorm.DB) error { return nil }
