package models

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"hash/fnv"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// PostgreSQL lets several instances share one database. What SQLite gave for free is taken as
// locks in the database:
//   - every write transaction first takes one transaction-level advisory lock (lockWrites), as
//     SQLite's BEGIN IMMEDIATE takes its write lock: the read-then-write transactions of the
//     pipeline keep the meaning they have on SQLite, across instances;
//   - the worker holds a session-level advisory lock per send while it carries it (claimSend),
//     so a send is uploaded and submitted by one instance however many run;
//   - a token fetch holds a session-level advisory lock per account (TokenStore.LockToken), so
//     one instance fetches and the others read the token it saved.
// Session-level locks live on connections of their own (Store.claims): an instance that dies
// loses its connections, and with them its locks.

// lockSpace is the first key of every advisory lock Qunfa takes ("qunf").
const lockSpace = 0x71756e66

// The second keys: the write lock is one; a send's and a token's are offset into their own
// ranges (a send id is below 2^30 at any plausible scale).
const (
	lockWrites      = 0
	lockSendBase    = 1 << 30
	lockTokenOffset = -1 << 30
)

// PostgresKeyRequired is returned when a PostgreSQL store is opened without the secrets' key:
// there is no file beside the database to keep it in, and every instance must use the same key.
var PostgresKeyRequired = errors.New("models: a PostgreSQL database needs QUNFA_SECRET_KEY (the same key on every instance)")

// testPostgresKey is the key a test opens PostgreSQL stores with when it gives none.
var testPostgresKey []byte

// claimConns is how many connections may hold session locks at once: the worker's claim, a
// token fetch, and room for a second account being configured.
const claimConns = 4

func openPostgres(dsn string, key []byte) (*Store, error) {
	if key == nil {
		key = testPostgresKey
	}
	if key == nil {
		return nil, PostgresKeyRequired
	}
	box, err := newSecretBox(key)
	if err != nil {
		return nil, err
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("models: PostgreSQL URL: %w", errors.New(redactURLError(err)))
	}
	pool := stdlib.OpenDB(*cfg, stdlib.OptionAfterConnect(preparePGConn))
	pool.SetMaxOpenConns(16)
	pool.SetMaxIdleConns(8)
	pool.SetConnMaxIdleTime(5 * time.Minute)
	gdb, err := gorm.Open(postgres.New(postgres.Config{Conn: &pgPool{db: pool}}), &gorm.Config{
		Logger:                 logger.Default.LogMode(logger.Silent),
		SkipDefaultTransaction: true,
		NowFunc:                func() time.Time { return time.Now().UTC() },
	})
	if err != nil {
		_ = pool.Close()
		return nil, fmt.Errorf("models: open PostgreSQL: %w", err)
	}
	s := &Store{gdb: gdb, box: box, dialect: dialectPostgres}
	s.sessions = &SessionStore{store: s, now: time.Now}
	s.claims = stdlib.OpenDB(*cfg, stdlib.OptionAfterConnect(preparePGConn))
	s.claims.SetMaxOpenConns(claimConns)
	ctx := context.Background()
	if err := pool.PingContext(ctx); err != nil {
		_ = s.closePostgres()
		return nil, fmt.Errorf("models: open PostgreSQL: %w", err)
	}
	if err := gdb.Exec(pgCollation).Error; err != nil {
		_ = s.closePostgres()
		return nil, fmt.Errorf("models: PostgreSQL collation: %w", err)
	}
	if err := s.migrate(ctx); err != nil {
		_ = s.closePostgres()
		return nil, err
	}
	if err := s.sealClearSecrets(ctx); err != nil {
		_ = s.closePostgres()
		return nil, fmt.Errorf("models: seal the stored secrets: %w", err)
	}
	return s, nil
}

// postgresOnly is the schema only instances sharing a database need, created (if missing) after
// the migrations, under their lock. callback_nonces: the callback replay guard's (timestamp,
// nonce) pairs, so an instance refuses a pair another one has seen. body is the digest of the
// body the pair was accepted with; expires (unix seconds) is when the timestamp check refuses
// the pair anyway, after which the row is pruned.
var postgresOnly = []string{
	`CREATE TABLE IF NOT EXISTS callback_nonces (
		ts      BIGINT NOT NULL,
		nonce   TEXT NOT NULL,
		body    TEXT NOT NULL,
		done    SMALLINT NOT NULL DEFAULT 0,
		expires BIGINT NOT NULL,
		PRIMARY KEY (ts, nonce)
	)`,
	`CREATE INDEX IF NOT EXISTS idx_callback_nonces_expires ON callback_nonces(expires)`,
}

// redactURLError keeps a password in a malformed URL out of the error.
func redactURLError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Op + ": " + ue.Err.Error()
	}
	return "cannot parse the URL"
}

// RedactDB is QUNFA_DB as it may be shown or logged: a PostgreSQL URL without its password.
func RedactDB(db string) string {
	if !IsPostgresURL(db) {
		return db
	}
	u, err := url.Parse(db)
	if err != nil {
		return "postgres://…"
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// preparePGConn sets up each new connection: timestamps come back in UTC (as SQLite's stored
// ones do), and a Go bool sent to one of the SMALLINT flag columns is sent as 0 or 1.
func preparePGConn(_ context.Context, c *pgx.Conn) error {
	m := c.TypeMap()
	m.RegisterType(&pgtype.Type{Name: "timestamptz", OID: pgtype.TimestamptzOID,
		Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC}})
	m.TryWrapEncodePlanFuncs = append([]pgtype.TryWrapEncodePlanFunc{boolAsInt}, m.TryWrapEncodePlanFuncs...)
	return nil
}

// boolAsInt lets a bool be encoded where PostgreSQL expects an integer (pgx tries wrappers only
// after the column's own codec refused the value, so real boolean columns are unaffected).
func boolAsInt(value any) (pgtype.WrappedEncodePlanNextSetter, any, bool) {
	if b, ok := value.(bool); ok {
		return &boolIntPlan{}, boolInt(b), true
	}
	return nil, nil, false
}

type boolInt bool

func (b boolInt) Int64Value() (pgtype.Int8, error) {
	if b {
		return pgtype.Int8{Int64: 1, Valid: true}, nil
	}
	return pgtype.Int8{Int64: 0, Valid: true}, nil
}

type boolIntPlan struct{ next pgtype.EncodePlan }

func (p *boolIntPlan) SetNext(next pgtype.EncodePlan) { p.next = next }
func (p *boolIntPlan) Encode(value any, buf []byte) ([]byte, error) {
	return p.next.Encode(boolInt(value.(bool)), buf)
}

func (s *Store) closePostgres() error {
	var errs []error
	if s.claims != nil {
		errs = append(errs, s.claims.Close())
	}
	if sqlDB, err := s.gdb.DB(); err == nil {
		errs = append(errs, sqlDB.Close())
	}
	return errors.Join(errs...)
}

// serialize takes the database's write lock at the start of a transaction (PostgreSQL only;
// SQLite's BEGIN IMMEDIATE already took it).
func (s *Store) serialize(tx *gorm.DB) error {
	if s.dialect != dialectPostgres {
		return nil
	}
	return lockTx(tx)
}

func lockTx(tx *gorm.DB) error {
	return tx.Exec("SELECT pg_advisory_xact_lock(?, ?)", lockSpace, lockWrites).Error
}

// sessionLock holds a session-level advisory lock on a connection of its own until release.
type sessionLock struct {
	conn *sql.Conn
	key  int32
}

// trySessionLock takes the lock if it is free; ok false: another instance holds it.
func (s *Store) trySessionLock(ctx context.Context, key int32) (*sessionLock, bool, error) {
	conn, err := s.claims.Conn(ctx)
	if err != nil {
		return nil, false, err
	}
	var ok bool
	if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1, $2)", lockSpace, key).Scan(&ok); err != nil {
		_ = conn.Close()
		return nil, false, err
	}
	if !ok {
		_ = conn.Close()
		return nil, false, nil
	}
	return &sessionLock{conn: conn, key: key}, true, nil
}

// sessionLockWait waits for the lock (or ctx).
func (s *Store) sessionLockWait(ctx context.Context, key int32) (*sessionLock, error) {
	conn, err := s.claims.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1, $2)", lockSpace, key); err != nil {
		// A cancelled wait may have left the connection mid-statement: drop it, and the lock with it.
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		_ = conn.Close()
		return nil, err
	}
	return &sessionLock{conn: conn, key: key}, nil
}

func (l *sessionLock) release() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := l.conn.ExecContext(ctx, "SELECT pg_advisory_unlock($1, $2)", lockSpace, l.key); err != nil {
		// Unlocking failed: close the connection for real so the session (and its lock) ends.
		_ = l.conn.Raw(func(any) error { return driver.ErrBadConn })
	}
	_ = l.conn.Close()
}

// claimSend takes a send for this instance's worker: on PostgreSQL the send's advisory lock,
// held until release is called; ok false when another instance is carrying it. On SQLite (one
// process per file) a claim in memory, for the services sharing this store.
func (s *Store) claimSend(ctx context.Context, id uint) (release func(), ok bool, err error) {
	if s.dialect != dialectPostgres {
		if _, taken := s.claimed.LoadOrStore(id, struct{}{}); taken {
			return nil, false, nil
		}
		return func() { s.claimed.Delete(id) }, true, nil
	}
	l, ok, err := s.trySessionLock(ctx, int32(lockSendBase+int64(id)%lockSendBase))
	if err != nil || !ok {
		return nil, false, err
	}
	return l.release, true, nil
}

// tokenLockKey is the key of an account's token lock.
func tokenLockKey(appID string) int32 {
	h := fnv.New32a()
	_, _ = h.Write([]byte(appID))
	return int32(lockTokenOffset + int64(h.Sum32()%(1<<29)))
}
