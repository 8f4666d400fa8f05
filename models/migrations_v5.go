package models

import "gorm.io/gorm"

// migrateV5 records, per send, the API profile it was planned under (groups or tags;
// uploadnews or draft/add), so a settings change cannot alter a send already queued; per news
// upload the path that made it (draft/add media ids do not expire, but a mass send takes them);
// per thumb its permanent material (material/add_material: draft/add takes no other cover); and
// per batch the media id it was called with (on the draft path each batch has its own draft) and
// when it was first called.
func migrateV5(tx *gorm.DB) error {
	return execAll(tx,
		`ALTER TABLE sends ADD COLUMN audience TEXT NOT NULL DEFAULT 'groups'`,
		`ALTER TABLE sends ADD COLUMN upload_path TEXT NOT NULL DEFAULT 'uploadnews'`,
		`ALTER TABLE news_uploads ADD COLUMN path TEXT NOT NULL DEFAULT 'uploadnews'`,
		`ALTER TABLE thumbs ADD COLUMN material_id TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE send_batches ADD COLUMN media_id TEXT NOT NULL DEFAULT ''`,
		// when the batch was first called: WeChat remembers a clientmsgid for 24 h only
		`ALTER TABLE send_batches ADD COLUMN called_at DATETIME`,
	)
}
