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

// migrations is the schema's history, in order: append one line per new version, whose function
// migrateVN lives in migrations_vN.go.
var migrations = []migration{
	{1, "initial schema", migrateV1},
	{2, "persisted access token; article URLs and copyright check of a finished job", migrateV2},
	{3, "images inside article content", migrateV3},
	{4, "operator-editable settings", migrateV4},
	{5, "API profile per send and per news upload", migrateV5},
	{6, "previews of a draft sent to one person", migrateV6},
	{7, "article removed by another send's delete", migrateV7},
	{8, "OpenID lists kept between confirmation and send", migrateV8},
	{9, "WeChat's daily quota per interface", migrateV9},
	{10, "followers, their tags and the monthly ledger of sends", migrateV10},
	{11, "catch-up sends linked to their first; follower indexes for the plan", migrateV11},
	{12, "scheduled sends", migrateV12},
	{13, "saved audiences: imported OpenID lists and saved filters", migrateV13},
	{14, "follower sync jobs and the followers page indexes", migrateV14},
	{15, "operators' roles and disabling", migrateV15},
	{16, "operators' last login and session epoch", migrateV16},
	{17, "audit log", migrateV17},
	{18, "sessions under a hash of their token, per operator; login throttling", migrateV18},
	{19, "overview: monthly cap levels, user analytics by day, indexes by submission", migrateV19},
	{20, "article statistics per send and day (datacube), their fetch days and calls", migrateV20},
	{21, "A/B title tests", migrateV21},
	{22, "history filters: search text, saved audience of a send, filter indexes", migrateV22},
	{23, "draft revisions and the last 20 versions of each draft", migrateV23},
	{24, "operators choose their own password after an admin set it", migrateV24},
}

// SchemaTooNewError refuses a database written by a newer Qunfa: its schema has versions this
// binary does not know, so reading or migrating it could lose data. The database is left as found.
type SchemaTooNewError struct {
	Database int // the highest version recorded in the database
	Known    int // the highest version this binary knows
}

func (e *SchemaTooNewError) Error() string {
	return fmt.Sprintf("models: the database has schema version %d, newer than %d, the newest this binary knows", e.Database, e.Known)
}

// latestVersion is the newest schema version this binary knows.
func latestVersion() int { return migrations[len(migrations)-1].version }

// migrate brings the schema to the newest version, refusing a database newer than that.
func (s *Store) migrate(ctx context.Context) error {
	return migrateTo(s.gdb.WithContext(ctx), latestVersion())
}

// migrateTo applies every migration up to version target not yet recorded, each in its own
// transaction together with its schema_migrations row. A database that records a version
// above the newest known is refused before anything is written.
func migrateTo(db *gorm.DB, target int) error {
	if db.Dialector.Name() == "postgres" {
		// Instances starting together: one migrates, the others wait and find it done.
		return db.Transaction(func(tx *gorm.DB) error {
			if err := lockTx(tx); err != nil {
				return err
			}
			if err := migrateLocked(tx, target, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'schema_migrations'"); err != nil {
				return err
			}
			return execAll(tx, postgresOnly...)
		})
	}
	return migrateLocked(db, target, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
}

// migrateLocked is migrateTo once no other process can migrate at the same time; hasTableSQL
// counts the schema_migrations tables.
func migrateLocked(db *gorm.DB, target int, hasTableSQL string) error {
	var hasTable int64
	if err := db.Raw(hasTableSQL).Scan(&hasTable).Error; err != nil {
		return fmt.Errorf("models: read the schema version: %w", err)
	}
	if hasTable > 0 {
		var v *int
		if err := db.Raw("SELECT MAX(version) FROM schema_migrations").Scan(&v).Error; err != nil {
			return fmt.Errorf("models: read the schema version: %w", err)
		}
		if v != nil && *v > latestVersion() {
			return &SchemaTooNewError{Database: *v, Known: latestVersion()}
		}
	} else if err := db.Exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		applied_at DATETIME NOT NULL
	)`).Error; err != nil {
		return fmt.Errorf("models: create schema_migrations: %w", err)
	}
	for _, m := range migrations {
		if m.version > target {
			break
		}
		err := db.Transaction(func(tx *gorm.DB) error {
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

// execAll runs a migration's statements in order, stopping at the first that fails.
func execAll(tx *gorm.DB, stmts ...string) error {
	for i, q := range stmts {
		if err := tx.Exec(q).Error; err != nil {
			return fmt.Errorf("statement %d: %w", i+1, err)
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
