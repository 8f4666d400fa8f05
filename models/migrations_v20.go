package models

import "gorm.io/gorm"

// migrateV20 keeps WeChat's article statistics (datacube getarticletotal, issue 9): one row per
// article of a send's msg_data_id per stat_date, with the figures cumulative up to that day as
// WeChat gives them (the report computes each day's part). article_stat_days records, per send
// day asked, the last stat_date stored and when it was asked, so the daily fetch asks each day
// once and resumes after a crash; article_stat_calls counts the datacube calls of a Beijing day
// against Qunfa's own budget. Days are 'YYYY-MM-DD' Beijing dates computed in Go (portable SQL).
// The partial index finds the batches sent in the last days that have a msg_data_id.
func migrateV20(tx *gorm.DB) error {
	return execAll(tx,
		`CREATE TABLE article_stats (
			msg_data_id         BIGINT  NOT NULL,
			article_idx         INTEGER NOT NULL,
			stat_date           TEXT    NOT NULL,
			ref_date            TEXT    NOT NULL,
			title               TEXT    NOT NULL DEFAULT '',
			target_user         INTEGER NOT NULL DEFAULT 0,
			int_page_read_user  INTEGER NOT NULL DEFAULT 0,
			int_page_read_count INTEGER NOT NULL DEFAULT 0,
			ori_page_read_user  INTEGER NOT NULL DEFAULT 0,
			ori_page_read_count INTEGER NOT NULL DEFAULT 0,
			share_user          INTEGER NOT NULL DEFAULT 0,
			share_count         INTEGER NOT NULL DEFAULT 0,
			add_to_fav_user     INTEGER NOT NULL DEFAULT 0,
			add_to_fav_count    INTEGER NOT NULL DEFAULT 0,
			fetched_at          DATETIME NOT NULL,
			PRIMARY KEY (msg_data_id, article_idx, stat_date)
		)`,
		`CREATE INDEX idx_article_stats_ref_date ON article_stats(ref_date)`,
		`CREATE TABLE article_stat_days (
			ref_date     TEXT PRIMARY KEY,
			through      TEXT NOT NULL DEFAULT '',
			attempted_at DATETIME,
			fetched_at   DATETIME
		)`,
		`CREATE TABLE article_stat_calls (
			day   TEXT PRIMARY KEY,
			calls INTEGER NOT NULL DEFAULT 0
		)`,
		`CREATE INDEX idx_send_batches_stats ON send_batches(submitted_at) WHERE msg_data_id <> 0`,
	)
}
