package models

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"
)

// SessionStore keeps scs sessions in the sessions table. It implements scs.Store
// (Find, Commit, Delete) without this package importing scs.
type SessionStore struct {
	store *Store
	now   func() time.Time
}

// Sessions returns the session store backed by this database.
func (s *Store) Sessions() *SessionStore { return s.sessions }

// Find returns the session data for token; expired sessions are not found.
func (ss *SessionStore) Find(token string) ([]byte, bool, error) {
	var row sessionRow
	err := ss.store.gdb.Where("token = ? AND expiry > ?", token, ss.now().UTC()).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return row.Data, true, nil
}

// Commit adds or replaces the session data for token.
func (ss *SessionStore) Commit(token string, b []byte, expiry time.Time) error {
	return ss.store.gdb.Exec(
		`INSERT INTO sessions (token, data, expiry) VALUES (?, ?, ?)
		 ON CONFLICT(token) DO UPDATE SET data = excluded.data, expiry = excluded.expiry`,
		token, b, expiry.UTC()).Error
}

// Delete removes a session.
func (ss *SessionStore) Delete(token string) error {
	return ss.store.gdb.Where("token = ?", token).Delete(&sessionRow{}).Error
}

// DeleteExpired removes expired sessions; the worker calls it periodically.
func (ss *SessionStore) DeleteExpired(ctx context.Context) (int64, error) {
	res := ss.store.db(ctx).Where("expiry <= ?", ss.now().UTC()).Delete(&sessionRow{})
	return res.RowsAffected, res.Error
}
