package models

import "gorm.io/gorm"

// migrateV3: images inside article content (to be written).
func migrateV3(tx *gorm.DB) error { return nil }
