package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// migration is one schema step. Steps are append-only: never edit one that has shipped.
type migration struct {
	version int
	name    string
	up      func(tx *gorm.DB) error
}

var migrations = []migration{
	{1, "initial schema", migrateV1},
	{2, "persisted access token; article URLs and copyright check of a finished job", migrateV2},
	{3, "images inside article content", migrateV3},            // migrations_v3.go
	{4, "operator-editable settings", migrateV4},               // migrations_v4.go
	{5, "API profile per send and per news upload", migrateV5}, // migrations_v5.go
	{6, "previews of a draft sent to one person", migrateV6},   // migrations_v6.go
	{7, "article removed by another send's delete", migrateV7}, // migrations_v7.go
	{8, "OpenID lists kept between confirmation and send", migrateV8},
	{9, "WeChat's daily quota per interface", migrateV9}, // migrations_v9.go
}

// migrate applies every migration newer than the recorded version, each in its own transaction
// together with its schema_migrations row.
func (s *Store) migrate(ctx context.Context) error {
	if err := s.gdb.WithContext(ctx).Exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		applied_at DATETIME NOT NULL
	)`).Error; err != nil {
		return fmt.Errorf("models: create schema_migrations: %w", err)
	}
	for _, m := range migrations {
		err := s.gdb.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			var n int64
			if err := tx.Table("schema_migrations").Where("version = ?", m.version).Count(&n).Error; err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if err := m.up(tx); err != nil {
				return err
			}
			return tx.Exec("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
				m.version, time.Now().UTC()).Error
		})
		if err != nil {
			return fmt.Errorf("models: migration %d (%s): %w", m.version, m.name, err)
		}
	}
	return nil
}

// SchemaVersion returns the highest applied migration.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v *int
	if err := s.db(ctx).Raw("SELECT MAX(version) FROM schema_migrations").Row().Scan(&v); err != nil {
		return 0, err
	}
	if v == nil {
		return 0, nil
	}
	return *v, nil
}

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
	for _, q := range stmts {
		if err := tx.Exec(q).Error; err != nil {
			return err
		}
	}
	return nil
}

// migrateV2 keeps the access token across restarts (WeChat invalidates the
// previous token on every fetch, so a restart must not fetch a new one) and
// keeps what MASSSENDJOBFINISH says beyond the counts.
func migrateV2(tx *gorm.DB) error {
	stmts := []string{
		`CREATE TABLE access_tokens (
			app_id     TEXT PRIMARY KEY,
			token      TEXT NOT NULL,
			expires_at DATETIME NOT NULL,
			updated_at DATETIME NOT NULL
		)`,
		`ALTER TABLE send_batches ADD COLUMN article_urls TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE send_batches ADD COLUMN copyright_state INTEGER NOT NULL DEFAULT 0`,
		`ALTER TABLE callback_events ADD COLUMN article_urls TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE callback_events ADD COLUMN copyright_state INTEGER NOT NULL DEFAULT 0`,
	}
	for _, q := range stmts {
		if err := tx.Exec(q).Error; err != nil {
			return err
		}
	}
	return nil
}
