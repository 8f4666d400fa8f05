package models

import "gorm.io/gorm"

// migrateV6 records every preview (message/mass/preview): a draft sent to one person, by WeChat
// ID (to_wxname) or OpenID (to_openid), with WeChat's answer — msg_id, or the errcode and errmsg
// of a refusal. Drafts are soft-deleted, so a preview keeps its draft.
func migrateV6(tx *gorm.DB) error {
	return execAll(tx,
		`CREATE TABLE previews (
			id          INTEGER PRIMARY KEY AUTOINCREMENT,
			draft_id    INTEGER NOT NULL REFERENCES drafts(id),
			to_wxname   TEXT NOT NULL DEFAULT '',
			to_openid   TEXT NOT NULL DEFAULT '',
			msg_id      INTEGER NOT NULL DEFAULT 0,
			errcode     INTEGER NOT NULL DEFAULT 0,
			errmsg      TEXT NOT NULL DEFAULT '',
			operator_id INTEGER NOT NULL DEFAULT 0,
			at          DATETIME NOT NULL
		)`,
		`CREATE INDEX idx_previews_draft ON previews(draft_id, at)`,
		`CREATE INDEX idx_previews_at ON previews(at)`,
	)
}
