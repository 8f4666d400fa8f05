package models

import "gorm.io/gorm"

// migrateV12 adds scheduled sends (定时群发). A schedule is a send request waiting for its time:
// the draft (by id: it is planned again, with the draft as it then is, when it fires), the
// target, and for an OpenID list the list itself — copied here from plan_lists, which keeps
// lists for 24 h only, so the schedule keeps its list as long as it waits. state follows the
// table in schedule.go; send_id is the send it created; reason is a catalogue key saying why it
// failed (with need_calls/quota_left for the quota, detail for an unexpected error).
// include_capped keeps the operator's choice to send a list to its followers at the cap too.
// idem_key makes a double click on "schedule" one schedule. The (state, due_at) index is the worker's query for due schedules on every pass.
func migrateV12(tx *gorm.DB) error {
	return execAll(tx,
		`CREATE TABLE schedules (
			id          INTEGER PRIMARY KEY AUTOINCREMENT,
			idem_key    TEXT NOT NULL,
			draft_id    INTEGER NOT NULL,
			title       TEXT NOT NULL DEFAULT '',
			target      TEXT NOT NULL,
			group_id    INTEGER NOT NULL DEFAULT 0,
			group_name  TEXT NOT NULL DEFAULT '',
			open_ids    TEXT NOT NULL DEFAULT '',
			list_count  INTEGER NOT NULL DEFAULT 0,
			include_capped BOOLEAN NOT NULL DEFAULT 0,
			operator_id INTEGER NOT NULL,
			due_at      DATETIME NOT NULL,
			state       TEXT NOT NULL,
			send_id     INTEGER,
			reason      TEXT NOT NULL DEFAULT '',
			need_calls  INTEGER NOT NULL DEFAULT 0,
			quota_left  INTEGER NOT NULL DEFAULT 0,
			detail      TEXT NOT NULL DEFAULT '',
			created_at  DATETIME NOT NULL,
			updated_at  DATETIME NOT NULL,
			claimed_at  DATETIME
		)`,
		`CREATE INDEX schedules_state_due ON schedules (state, due_at)`,
		`CREATE UNIQUE INDEX schedules_idem_key ON schedules (idem_key)`,
	)
}
