package models

import "gorm.io/gorm"

// migrateV13 keeps saved audiences (issue 7 point 5): OpenID lists imported by paste, CSV or XLSX,
// and saved filters over the followers table, resolved to an OpenID list when a send is made.
//
//   - audiences: one row per saved audience. kind 'list' carries its import report (the counts of
//     every kind of problem; size is its distinct valid OpenIDs); kind 'filter' carries its
//     conditions (by_tag says whether group_id is a 2014 group or today's tag; dates are Beijing
//     days 'YYYY-MM-DD', ” for open; received_below is "fewer than N mass messages this Beijing
//     month", 0 for no condition).
//   - audience_members: a list's OpenIDs as rows (not a blob), with the line they came from, so
//     the report and the send resolve them with joins against followers. Distinct per audience
//     by construction (the import keeps one of each) and written in OpenID order, so a plain
//     rowid table is appended to (an OpenID key would make a 100,000-line import twice as slow)
//     and read back in the order followers' primary key is looked up in.
//   - audience_problems: the first problems of each kind, with their line, for the report.
func migrateV13(tx *gorm.DB) error {
	return execAll(tx,
		`CREATE TABLE audiences (
			id              INTEGER PRIMARY KEY AUTOINCREMENT,
			name            TEXT NOT NULL,
			kind            TEXT NOT NULL,
			source          TEXT NOT NULL DEFAULT '',
			by_tag          BOOLEAN NOT NULL DEFAULT 0,
			group_id        INTEGER,
			group_name      TEXT NOT NULL DEFAULT '',
			subscribed_from TEXT NOT NULL DEFAULT '',
			subscribed_to   TEXT NOT NULL DEFAULT '',
			received_below  INTEGER NOT NULL DEFAULT 0,
			lines           INTEGER NOT NULL DEFAULT 0,
			size            INTEGER NOT NULL DEFAULT 0,
			invalid         INTEGER NOT NULL DEFAULT 0,
			duplicate       INTEGER NOT NULL DEFAULT 0,
			unknown         INTEGER NOT NULL DEFAULT 0,
			unsubscribed    INTEGER NOT NULL DEFAULT 0,
			created_at      DATETIME NOT NULL,
			updated_at      DATETIME NOT NULL
		)`,
		`CREATE TABLE audience_members (
			audience_id INTEGER NOT NULL,
			open_id     TEXT NOT NULL,
			line        INTEGER NOT NULL
		)`,
		`CREATE INDEX idx_audience_members ON audience_members(audience_id)`,
		`CREATE TABLE audience_problems (
			audience_id INTEGER NOT NULL,
			seq         INTEGER NOT NULL,
			reason      TEXT NOT NULL,
			line        INTEGER NOT NULL,
			value       TEXT NOT NULL,
			PRIMARY KEY (audience_id, seq)
		) WITHOUT ROWID`,
	)
}
