package models

import (
	"fmt"

	"gorm.io/gorm"
)

// migrateV23 keeps drafts safe from lost work (issue 10 §3):
//
//   - drafts.revision counts the saves of a draft; a save names the revision it was based on and
//     is refused when another save came in between (two tabs, two operators). updated_by is who
//     made the last save, for the message that says so.
//   - draft_versions keeps the last MaxDraftVersions saves of each draft (draft_versions.go), in
//     the snapshot format of sends.articles_json. Each live draft starts with its current content
//     as its first version, so the first save after the upgrade can be undone too.
func migrateV23(tx *gorm.DB) error {
	if err := execAll(tx,
		`ALTER TABLE drafts ADD COLUMN revision INTEGER NOT NULL DEFAULT 1`,
		`ALTER TABLE drafts ADD COLUMN updated_by INTEGER NOT NULL DEFAULT 0`,
		`CREATE TABLE draft_versions (
			id            INTEGER PRIMARY KEY AUTOINCREMENT,
			draft_id      INTEGER NOT NULL,
			revision      INTEGER NOT NULL,
			operator_id   INTEGER NOT NULL,
			kind          TEXT NOT NULL,
			source        TEXT NOT NULL DEFAULT '',
			editor        TEXT NOT NULL DEFAULT '',
			title         TEXT NOT NULL,
			size          INTEGER NOT NULL,
			content_hash  TEXT NOT NULL,
			articles_json TEXT NOT NULL,
			created_at    DATETIME NOT NULL,
			updated_at    DATETIME NOT NULL
		)`,
		`CREATE INDEX idx_draft_versions_draft ON draft_versions(draft_id, id)`,
	); err != nil {
		return err
	}
	var drafts []draftRow
	if err := tx.Select("id, operator_id, updated_at").Find(&drafts).Error; err != nil {
		return fmt.Errorf("backfill versions: drafts: %w", err)
	}
	for _, d := range drafts {
		var rows []articleRow
		if err := tx.Where("draft_id = ?", d.ID).Order("position").Find(&rows).Error; err != nil {
			return fmt.Errorf("backfill versions: draft %d: %w", d.ID, err)
		}
		v := newVersionRow(d.ID, 1, d.OperatorID, VersionSave, "", rowsSnapshot(rows), d.UpdatedAt)
		if err := tx.Create(&v).Error; err != nil {
			return fmt.Errorf("backfill versions: draft %d: %w", d.ID, err)
		}
	}
	return nil
}
