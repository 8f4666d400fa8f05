package models

import "gorm.io/gorm"

// migrateV1 creates the whole first schema explicitly, so later structs can change without
// changing what version 1 means.
func migrateV1(tx *gorm.DB) error {
	stmts := []string{
		`CREATE TABLE operators (
			id            INTEGER PRIMARY KEY AUTOINCREMENT,
			username      TEXT NOT NULL COLLATE NOCASE UNIQUE,
			password_hash TEXT NOT NULL,
			created_at    DATETIME NOT NULL
		)`,
		`CREATE TABLE sessions (
			token  TEXT PRIMARY KEY,
			data   BLOB NOT NULL,
			expiry DATETIME NOT NULL
		)`,
		`CREATE INDEX idx_sessions_expiry ON sessions(expiry)`,
		`CREATE TABLE thumbs (
			id                INTEGER PRIMARY KEY AUTOINCREMENT,
			filename          TEXT NOT NULL DEFAULT '',
			content_type      TEXT NOT NULL DEFAULT 'image/jpeg',
			data              BLOB NOT NULL,
			sha256            TEXT NOT NULL,
			media_id          TEXT NOT NULL DEFAULT '',
			media_uploaded_at DATETIME,
			created_at        DATETIME NOT NULL
		)`,
		`CREATE INDEX idx_thumbs_sha256 ON thumbs(sha256)`,
		`CREATE TABLE drafts (
			id          INTEGER PRIMARY KEY AUTOINCREMENT,
			operator_id INTEGER NOT NULL DEFAULT 0,
			created_at  DATETIME NOT NULL,
			updated_at  DATETIME NOT NULL,
			deleted_at  DATETIME
		)`,
		`CREATE INDEX idx_drafts_deleted_at ON drafts(deleted_at)`,
		`CREATE TABLE articles (
			id             INTEGER PRIMARY KEY AUTOINCREMENT,
			draft_id       INTEGER NOT NULL REFERENCES drafts(id) ON DELETE CASCADE,
			position       INTEGER NOT NULL,
			title          TEXT NOT NULL,
			author         TEXT NOT NULL DEFAULT '',
			digest         TEXT NOT NULL DEFAULT '',
			content        TEXT NOT NULL,
			source_url     TEXT NOT NULL DEFAULT '',
			show_cover_pic BOOLEAN NOT NULL DEFAULT 0,
			thumb_id       INTEGER REFERENCES thumbs(id)
		)`,
		`CREATE INDEX idx_articles_draft ON articles(draft_id, position)`,
		`CREATE TABLE news_uploads (
			id           INTEGER PRIMARY KEY AUTOINCREMENT,
			draft_id     INTEGER NOT NULL DEFAULT 0,
			content_hash TEXT NOT NULL,
			media_id     TEXT NOT NULL,
			uploaded_at  DATETIME NOT NULL
		)`,
		`CREATE INDEX idx_news_uploads_hash ON news_uploads(content_hash, uploaded_at)`,
		`CREATE TABLE sends (
			id              INTEGER PRIMARY KEY AUTOINCREMENT,
			idem_key        TEXT NOT NULL UNIQUE,
			draft_id        INTEGER NOT NULL REFERENCES drafts(id),
			title           TEXT NOT NULL DEFAULT '',
			target          TEXT NOT NULL,
			group_id        INTEGER NOT NULL DEFAULT 0,
			group_name      TEXT NOT NULL DEFAULT '',
			recipients      INTEGER NOT NULL DEFAULT 0,
			articles_json   TEXT NOT NULL,
			media_id        TEXT NOT NULL DEFAULT '',
			state           TEXT NOT NULL,
			errcode         INTEGER NOT NULL DEFAULT 0,
			errmsg          TEXT NOT NULL DEFAULT '',
			operator_id     INTEGER NOT NULL DEFAULT 0,
			attempts        INTEGER NOT NULL DEFAULT 0,
			next_attempt_at DATETIME,
			created_at      DATETIME NOT NULL,
			submitted_at    DATETIME,
			finished_at     DATETIME,
			deleted_at      DATETIME,
			status          TEXT NOT NULL DEFAULT '',
			total_count     INTEGER NOT NULL DEFAULT 0,
			filter_count    INTEGER NOT NULL DEFAULT 0,
			sent_count      INTEGER NOT NULL DEFAULT 0,
			error_count     INTEGER NOT NULL DEFAULT 0
		)`,
		`CREATE INDEX idx_sends_state ON sends(state)`,
		`CREATE INDEX idx_sends_draft ON sends(draft_id)`,
		`CREATE TABLE send_batches (
			id            INTEGER PRIMARY KEY AUTOINCREMENT,
			send_id       INTEGER NOT NULL REFERENCES sends(id) ON DELETE CASCADE,
			batch_index   INTEGER NOT NULL,
			client_msg_id TEXT NOT NULL UNIQUE,
			open_ids      TEXT NOT NULL DEFAULT '',
			open_id_count INTEGER NOT NULL DEFAULT 0,
			state         TEXT NOT NULL,
			msg_id        INTEGER NOT NULL DEFAULT 0,
			msg_data_id   INTEGER NOT NULL DEFAULT 0,
			errcode       INTEGER NOT NULL DEFAULT 0,
			errmsg        TEXT NOT NULL DEFAULT '',
			status        TEXT NOT NULL DEFAULT '',
			total_count   INTEGER NOT NULL DEFAULT 0,
			filter_count  INTEGER NOT NULL DEFAULT 0,
			sent_count    INTEGER NOT NULL DEFAULT 0,
			error_count   INTEGER NOT NULL DEFAULT 0,
			submitted_at  DATETIME,
			finished_at   DATETIME,
			checked_at    DATETIME,
			deleted_at    DATETIME,
			UNIQUE (send_id, batch_index)
		)`,
		`CREATE INDEX idx_send_batches_msg_id ON send_batches(msg_id)`,
		`CREATE TABLE quota_calls (
			id       INTEGER PRIMARY KEY AUTOINCREMENT,
			day      TEXT NOT NULL,
			endpoint TEXT NOT NULL,
			send_id  INTEGER REFERENCES sends(id) ON DELETE SET NULL,
			reserved BOOLEAN NOT NULL DEFAULT 0,
			at       DATETIME NOT NULL
		)`,
		`CREATE INDEX idx_quota_calls_day ON quota_calls(day)`,
		`CREATE INDEX idx_quota_calls_send ON quota_calls(send_id, reserved)`,
		`CREATE TABLE callback_events (
			id          INTEGER PRIMARY KEY AUTOINCREMENT,
			msg_id      INTEGER NOT NULL DEFAULT 0,
			event       TEXT NOT NULL,
			from_user   TEXT NOT NULL DEFAULT '',
			create_time INTEGER NOT NULL DEFAULT 0,
			status      TEXT NOT NULL DEFAULT '',
			total_count  INTEGER NOT NULL DEFAULT 0,
			filter_count INTEGER NOT NULL DEFAULT 0,
			sent_count   INTEGER NOT NULL DEFAULT 0,
			error_count  INTEGER NOT NULL DEFAULT 0,
			raw         BLOB,
			received_at DATETIME NOT NULL
		)`,
		// WeChat retries a push up to three times: one row per job for MASSSENDJOBFINISH (keyed by
		// MsgID), one per FromUserName+CreateTime for other events (protocol §4.7).
		`CREATE UNIQUE INDEX uq_callback_jobfinished ON callback_events(event, msg_id)
			WHERE event = 'MASSSENDJOBFINISH'`,
		`CREATE UNIQUE INDEX uq_callback_other ON callback_events(from_user, create_time, event)
			WHERE event <> 'MASSSENDJOBFINISH'`,
		`CREATE INDEX idx_callback_events_msg_id ON callback_events(msg_id)`,
		`CREATE TABLE send_history (
			id          INTEGER PRIMARY KEY AUTOINCREMENT,
			send_id     INTEGER NOT NULL REFERENCES sends(id) ON DELETE CASCADE,
			at          DATETIME NOT NULL,
			operator_id INTEGER NOT NULL DEFAULT 0,
			action      TEXT NOT NULL,
			detail      TEXT NOT NULL DEFAULT ''
		)`,
		`CREATE INDEX idx_send_history_send ON send_history(send_id, at)`,
	}
	return execAll(tx, stmts...)
}
