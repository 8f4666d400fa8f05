package models

import "gorm.io/gorm"

// migrateV5 records, per send, the API profile it was planned under (groups or tags;
// uploadnews or draft/add), so a settings change cannot alter a send already queued; and per
// news upload the path that made it (draft/add media ids do not expire).
func migrateV5(tx *gorm.DB) error {
	for _, q := range []string{
		`ALTER TABLE sends ADD COLUMN audience TEXT NOT NULL DEFAULT 'groups'`,
		`ALTER TABLE sends ADD COLUMN upload_path TEXT NOT NULL DEFAULT 'uploadnews'`,
		`ALTER TABLE news_uploads ADD COLUMN path TEXT NOT NULL DEFAULT 'uploadnews'`,
	} {
		if err := tx.Exec(q).Error; err != nil {
			return err
		}
	}
	return nil
}
