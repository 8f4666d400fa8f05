package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Store is the SQLite database behind named methods. GORM stays inside this package.
type Store struct {
	gdb      *gorm.DB
	sessions *SessionStore
}

// dsn builds a mattn/go-sqlite3 URI. mattn runs busy_timeout before every other pragma, so a
// second process (or connection) waits instead of failing with "database is locked"; _txlock=immediate
// takes the write lock at BEGIN so a read-then-write transaction never has to upgrade its lock.
func dsn(path string) string {
	// Escape the characters that would end the path part of a URI.
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	return "file:" + esc + "?_busy_timeout=5000&_journal_mode=WAL&_foreign_keys=on&_synchronous=NORMAL&_txlock=immediate"
}

// Open opens (creating if needed) the SQLite database at path and applies pending migrations.
func Open(path string) (*Store, error) {
	if path == "" {
		return nil, fmt.Errorf("%w: empty database path", ErrInvalidArgument)
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
	// One connection: SQLite allows one writer anyway, and a single connection means the pragmas
	// above hold everywhere and no two of our own transactions ever fight for the lock.
	sqlDB.SetMaxOpenConns(1)
	sqlDB.SetMaxIdleConns(1)
	sqlDB.SetConnMaxLifetime(0)

	s := &Store{gdb: gdb}
	s.sessions = &SessionStore{store: s, now: time.Now}
	if err := s.migrate(context.Background()); err != nil {
		_ = sqlDB.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error {
	sqlDB, err := s.gdb.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

type txKey struct{}

// db returns the transaction carried by ctx, or the pool. With one connection, code running inside a
// transaction must use this (never s.gdb directly) or it would wait for itself.
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
