package models

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"

	"gorm.io/gorm"
)

// SessionStore keeps scs sessions in the sessions table. It implements scs.Store
// (Find, Commit, Delete) without this package importing scs.
//
// Rows are keyed by the SHA-256 of the session token, never the token itself: the cookie holds
// the only copy of the raw token, so a copy of the database file logs no one in.
type SessionStore struct {
	store *Store
	now   func() time.Time
}

// Sessions returns the session store backed by this database.
func (s *Store) Sessions() *SessionStore { return s.sessions }

// tokenHash is the sessions table's key for a session token.
func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Find returns the session data for token; expired sessions are not found.
func (ss *SessionStore) Find(token string) ([]byte, bool, error) {
	var row sessionRow
	err := ss.store.gdb.Where("token_hash = ? AND expiry > ?", tokenHash(token), ss.now().UTC()).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return row.Data, true, nil
}

// Commit adds or replaces the session data for token, belonging to no operator.
func (ss *SessionStore) Commit(token string, b []byte, expiry time.Time) error {
	return ss.CommitFor(token, b, expiry, 0)
}

// CommitFor adds or replaces the session data for token, recording the operator it is logged
// in as (0: none), so RevokeSessions can find it.
func (ss *SessionStore) CommitFor(token string, b []byte, expiry time.Time, operatorID uint) error {
	var op *uint
	if operatorID > 0 {
		op = &operatorID
	}
	return ss.store.gdb.Exec(
		`INSERT INTO sessions (token_hash, operator_id, data, expiry) VALUES (?, ?, ?, ?)
		 ON CONFLICT(token_hash) DO UPDATE SET operator_id = excluded.operator_id, data = excluded.data, expiry = excluded.expiry`,
		tokenHash(token), op, b, expiry.UTC()).Error
}

// Delete removes a session.
func (ss *SessionStore) Delete(token string) error {
	return ss.store.gdb.Where("token_hash = ?", tokenHash(token)).Delete(&sessionRow{}).Error
}

// DeleteExpired removes expired sessions; the worker calls it periodically.
func (ss *SessionStore) DeleteExpired(ctx context.Context) (int64, error) {
	res := ss.store.db(ctx).Where("expiry <= ?", ss.now().UTC()).Delete(&sessionRow{})
	return res.RowsAffected, res.Error
}

// RevokeSessions ends every session of an operator at once (the next request of each is
// anonymous) and returns how many there were.
func (s *Store) RevokeSessions(ctx context.Context, operatorID uint) (int, error) {
	res := s.db(ctx).Where("operator_id = ?", operatorID).Delete(&sessionRow{})
	return int(res.RowsAffected), res.Error
}

// WithClock returns the store reading expiry against now (the web layer's clock, so the idle
// timeout it writes and the check here tell the same time).
func (ss *SessionStore) WithClock(now func() time.Time) *SessionStore {
	return &SessionStore{store: ss.store, now: now}
}
