package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
	"gorm.io/plugin/dbresolver"
)

// Store is the SQLite database behind named methods. GORM stays inside this package.
//
// One writer connection and a small pool of readers: SQLite takes one writer at a time anyway,
// and in WAL mode readers read the last committed state while a write transaction is open, so a
// page's queries need not wait behind a callback's write or the worker's transaction.
// gorm.io/plugin/dbresolver routes every statement: writes, raw statements that are not a
// SELECT, and everything inside a transaction to the writer; reads to a reader.
type Store struct {
	gdb      *gorm.DB
	readers  *sql.DB // nil with a single connection (openWith(path, 0))
	sessions *SessionStore
	box      *secretBox // seals the secrets among the settings (secrets.go)
	dialect  dialect    // SQLite, or PostgreSQL (postgres.go)
	claims   *sql.DB    // PostgreSQL: the connections that hold the worker's and the token's locks

	noncePruned atomic.Int64 // unix nanoseconds of the last pruning of callback_nonces
	claimed     sync.Map     // SQLite: the sends a worker of this process is carrying (claimSend)
}

// readerConns is the size of the reader pool: a page's reads, the callback's repeat check and
// the worker's reads at once, on a small machine.
const readerConns = 4

// dsn builds a mattn/go-sqlite3 URI. mattn runs busy_timeout before every other pragma, so a
// second process (or connection) waits instead of failing with "database is locked"; _txlock=immediate
// takes the write lock at BEGIN so a read-then-write transaction never has to upgrade its lock.
// The writer's page cache is 128 MiB (SQLite's default is 2 MiB), grown only as used: a follower
// sync at 1,000,000 updates the followers table and its indexes in random order, and with a
// cache smaller than them every chunk rereads and rewrites the same pages.
func dsn(path string) string {
	return "file:" + escapePath(path) + "?_busy_timeout=5000&_journal_mode=WAL&_foreign_keys=on&_synchronous=NORMAL&_txlock=immediate&_cache_size=-131072"
}

// readerDSN is a reader's URI: the same busy timeout and foreign keys, and query_only, so a
// statement routed to a reader by mistake fails loudly instead of writing outside the writer.
// The journal mode is the database's (the writer set WAL), so a reader does not set it. A 16 MiB
// page cache (grown only as used) keeps the followers page's indexes in memory at 1,000,000 rows.
func readerDSN(path string) string {
	return "file:" + escapePath(path) + "?_busy_timeout=5000&_foreign_keys=on&_synchronous=NORMAL&_query_only=1&_cache_size=-16384"
}

// escapePath escapes the characters that would end the path part of a URI.
func escapePath(path string) string {
	return strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
}

// Open opens (creating if needed) the SQLite database at path and applies pending migrations.
// The secrets among the settings are sealed with the key in the file beside it (KeyPath),
// created on first use.
func Open(path string) (*Store, error) {
	return openWith(path, readerConns, nil)
}

// OpenWithKey is Open with the secrets' key given (QUNFA_SECRET_KEY); nil: the key file.
func OpenWithKey(path string, key []byte) (*Store, error) {
	return openWith(path, readerConns, key)
}

// openWith opens the store with that many reader connections beside the writer; 0 keeps one
// connection for everything (the benchmark's baseline). key nil: the key file beside path.
func openWith(path string, readers int, key []byte) (*Store, error) {
	if path == "" {
		return nil, fmt.Errorf("%w: empty database path", ErrInvalidArgument)
	}
	if IsPostgresURL(path) {
		return openPostgres(path, key)
	}
	if err := prepareDBFile(path); err != nil { // 0600 whatever the umask (filemode.go)
		return nil, fmt.Errorf("models: open %s: %w", path, err)
	}
	if key == nil {
		var err error
		if key, err = LoadOrCreateKey(KeyPath(path)); err != nil {
			return nil, fmt.Errorf("models: the key of %s: %w", path, err)
		}
	}
	box, err := newSecretBox(key)
	if err != nil {
		return nil, err
	}
	gdb, err := gorm.Open(sqlite.Open(dsn(path)), &gorm.Config{
		Logger:                 logger.Default.LogMode(logger.Silent),
		SkipDefaultTransaction: true, // our writes are explicit transactions where it matters
		NowFunc:                func() time.Time { return time.Now().UTC() },
	})
	if err != nil {
		return nil, fmt.Errorf("models: open %s: %w", path, err)
	}
	sqlDB, err := gdb.DB()
	if err != nil {
		return nil, fmt.Errorf("models: open %s: %w", path, err)
	}
	// One writer connection: SQLite allows one writer anyway, and with one connection the pragmas
	// above hold for every write and no two of our own transactions ever fight for the lock.
	sqlDB.SetMaxOpenConns(1)
	sqlDB.SetMaxIdleConns(1)
	sqlDB.SetConnMaxLifetime(0)

	s := &Store{gdb: gdb, box: box}
	s.sessions = &SessionStore{store: s, now: time.Now}
	// Migrations first, on the writer alone: a newer database is refused before a reader opens.
	if err := s.migrate(context.Background()); err != nil {
		_ = sqlDB.Close()
		return nil, err
	}
	if err := s.sealClearSecrets(context.Background()); err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("models: seal the stored secrets: %w", err)
	}
	if readers > 0 {
		if s.readers, err = sql.Open("sqlite3", readerDSN(path)); err != nil {
			_ = sqlDB.Close()
			return nil, fmt.Errorf("models: open readers of %s: %w", path, err)
		}
		s.readers.SetMaxOpenConns(readers)
		s.readers.SetMaxIdleConns(readers)
		err = gdb.Use(dbresolver.Register(dbresolver.Config{
			Replicas: []gorm.Dialector{sqlite.New(sqlite.Config{Conn: s.readers})},
		}))
		if err != nil {
			_ = s.Close()
			return nil, fmt.Errorf("models: open readers of %s: %w", path, err)
		}
	}
	return s, nil
}

// Close closes the database: the readers first, then the writer, whose close (the last
// connection's) folds the WAL back into the database file.
func (s *Store) Close() error {
	if s.dialect == dialectPostgres {
		return s.closePostgres()
	}
	var errs []error
	if s.readers != nil {
		if err := s.readers.Close(); err != nil {
			errs = append(errs, fmt.Errorf("models: close readers: %w", err))
		}
		awaitReturned(s.readers)
	}
	sqlDB, err := s.gdb.DB()
	if err == nil {
		// A query cancelled with its context may leave SQLite's interrupt flag set on the writer
		// after it finished; the checkpoint that SQLite runs as the last connection closes would
		// then be interrupted and the WAL left behind. A statement started now clears the flag
		// (and folds the WAL back while it is at it).
		_, _ = sqlDB.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
		err = sqlDB.Close()
		awaitReturned(sqlDB)
	}
	if err != nil {
		errs = append(errs, fmt.Errorf("models: close: %w", err))
	}
	return errors.Join(errs...)
}

// awaitReturned waits (a few seconds at most) for the connections still in use when db was
// closed: database/sql closes those only as they come back, and a query cancelled with its
// context is given back from another goroutine a moment later. Until the last one is closed
// SQLite cannot fold the WAL back, and a copy of the file taken then would need it.
func awaitReturned(db *sql.DB) {
	for deadline := time.Now().Add(5 * time.Second); db.Stats().OpenConnections > 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
}

type txKey struct{}

// db returns the transaction carried by ctx, or the store (reads to a reader, writes to the
// writer). Code running inside a transaction must use this (never s.gdb directly): its reads
// must see its own writes, and a write outside it would wait for the transaction itself.
func (s *Store) db(ctx context.Context) *gorm.DB {
	if tx, ok := ctx.Value(txKey{}).(*gorm.DB); ok {
		return tx
	}
	return s.gdb.WithContext(ctx)
}

// inTx runs fn in one transaction carried by the ctx it receives. Nested calls join the outer one.
func (s *Store) inTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if _, ok := ctx.Value(txKey{}).(*gorm.DB); ok {
		return fn(ctx)
	}
	return s.gdb.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.serialize(tx); err != nil {
			return err
		}
		return fn(context.WithValue(ctx, txKey{}, tx))
	})
}

// notFound turns GORM's record-not-found into ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return ErrNotFound
	}
	return err
}

// Pragma returns the value of a PRAGMA (for diagnostics and tests), e.g. "journal_mode".
func (s *Store) Pragma(ctx context.Context, name string) (string, error) {
	if s.dialect == dialectPostgres {
		return "", fmt.Errorf("%w: PRAGMA is SQLite's; this database is PostgreSQL", ErrInvalidArgument)
	}
	switch name {
	case "journal_mode", "foreign_keys", "busy_timeout", "synchronous":
	default:
		return "", fmt.Errorf("%w: pragma %q", ErrInvalidArgument, name)
	}
	var v string
	if err := s.db(ctx).Raw("PRAGMA " + name).Row().Scan(&v); err != nil {
		return "", err
	}
	return v, nil
}
