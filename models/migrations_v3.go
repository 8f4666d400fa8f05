package models

import "gorm.io/gorm"

// migrateV3 keeps the images put inside article content (editor uploads and pasted data: URLs).
// The bytes are what lasts; wechat_url is the media/uploadimg URL, which does not expire, so each
// image is uploaded to WeChat once.
func migrateV3(tx *gorm.DB) error {
	return execAll(tx,
		`CREATE TABLE images (
			id           INTEGER PRIMARY KEY AUTOINCREMENT,
			filename     TEXT NOT NULL DEFAULT '',
			content_type TEXT NOT NULL,
			data         BLOB NOT NULL,
			sha256       TEXT NOT NULL,
			wechat_url   TEXT NOT NULL DEFAULT '',
			uploaded_at  DATETIME,
			created_at   DATETIME NOT NULL
		)`,
		`CREATE UNIQUE INDEX uq_images_sha256 ON images(sha256)`,
	)
}
