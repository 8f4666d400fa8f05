package models

import "gorm.io/gorm"

// migrateV14 makes the follower sync resumable and the followers page fast (the audience issue):
//
//   - follower_syncs: one row per sync job (full or incremental). Its progress — phase, the
//     user/get cursor, the last OpenID described by batchget, the counts — is committed as it
//     goes, so a crash or a restart resumes where it stopped. finished_at NULL: still to run.
//   - follower_listing: the OpenIDs the running job's user/get listing has returned so far. Merging
//     it into followers in one statement finds the new and the departed followers without writing
//     the rows that did not change (an incremental sync of 1,000,000 stays cheap).
//     It has no index while pages are appended; the merge builds one, sorted once, and drops it.
//   - follower_counts: followers per group ('group') and per tag ('tag') as of the last sync, so
//     the page does not count 1,000,000 rows on every view.
//   - indexes on followers for the page's filters (each ends with open_id, the page's order, as
//     every index of a WITHOUT ROWID table does) and for the sync (details still to fetch). The
//     rare states (unsubscribed, details to fetch, blacklisted) are partial indexes: a row that
//     is not in that state costs nothing to insert or update there.
func migrateV14(tx *gorm.DB) error {
	return execAll(tx,
		`CREATE TABLE follower_syncs (
			id            INTEGER PRIMARY KEY AUTOINCREMENT,
			mode          TEXT NOT NULL,
			phase         TEXT NOT NULL,
			cursor        TEXT NOT NULL DEFAULT '',
			detail_cursor TEXT NOT NULL DEFAULT '',
			listed        INTEGER NOT NULL DEFAULT 0,
			total         INTEGER NOT NULL DEFAULT 0,
			to_detail     INTEGER NOT NULL DEFAULT 0,
			detailed      INTEGER NOT NULL DEFAULT 0,
			added         INTEGER NOT NULL DEFAULT 0,
			gone          INTEGER NOT NULL DEFAULT 0,
			blacklisted   INTEGER NOT NULL DEFAULT -1,
			phase_started_at DATETIME NOT NULL,
			started_at    DATETIME NOT NULL,
			updated_at    DATETIME NOT NULL,
			finished_at   DATETIME,
			error         TEXT NOT NULL DEFAULT ''
		)`,
		`CREATE TABLE follower_listing (open_id TEXT NOT NULL)`,
		`CREATE TABLE follower_counts (
			kind  TEXT NOT NULL,
			id    INTEGER NOT NULL,
			count INTEGER NOT NULL,
			PRIMARY KEY (kind, id)
		) WITHOUT ROWID`,
		`CREATE INDEX ix_followers_unsubscribed ON followers (open_id) WHERE subscribed = 0`,
		`CREATE INDEX ix_followers_group ON followers (group_id)`,
		`CREATE INDEX ix_followers_subscribed_at ON followers (subscribed_at)`,
		`CREATE INDEX ix_followers_group_date ON followers (group_id, subscribed_at)`,
		`CREATE INDEX ix_followers_undetailed ON followers (open_id) WHERE detailed_at IS NULL`,
		`CREATE INDEX ix_followers_blacklisted ON followers (open_id) WHERE blacklisted = 1`,
		`CREATE INDEX ix_follower_tags_open_id ON follower_tags (open_id)`,
	)
}
