package models

import "gorm.io/gorm"

// migrateV7 records on a send that its article page was removed by another send's delete:
// sends of the same unchanged draft within 3 days share one uploadnews media id, and deleting
// one of them at WeChat removes the article for all (protocol §3.4). 0: not removed that way.
func migrateV7(tx *gorm.DB) error {
	return tx.Exec(`ALTER TABLE sends ADD COLUMN article_removed_by INTEGER NOT NULL DEFAULT 0`).Error
}
