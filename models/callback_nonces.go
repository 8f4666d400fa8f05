package models

import (
	"context"
	"time"
)

// NonceVerdict is what the shared replay guard says of a callback's (timestamp, nonce) pair.
type NonceVerdict int

const (
	NonceNew       NonceVerdict = iota // first sight on any instance: handle it
	NonceRetry                         // same body, already handled: answer "success"
	NonceInFlight                      // same body, still being handled somewhere: ask for a retry
	NonceDifferent                     // another body under a used pair: refuse
)

// SharedCallbacks reports whether callbacks may land on another instance of this database
// (PostgreSQL), so the replay guard must ask the database as well as its memory.
func (s *Service) SharedCallbacks() bool { return s.store.Shared() }

// noncePruneEvery is how often a claim also deletes the pairs past their window.
const noncePruneEvery = 10 * time.Second

// ClaimCallbackNonce records the pair for the body digest, or says how it was used before, on
// any instance. expires is the unix second after which the timestamp check refuses the pair.
func (s *Service) ClaimCallbackNonce(ctx context.Context, ts int64, nonce, digest string, expires int64) (NonceVerdict, error) {
	db := s.store.db(ctx)
	now := s.now()
	if last := s.store.noncePruned.Load(); now.UnixNano()-last > int64(noncePruneEvery) &&
		s.store.noncePruned.CompareAndSwap(last, now.UnixNano()) {
		if err := db.Exec("DELETE FROM callback_nonces WHERE expires < ?", now.Unix()).Error; err != nil {
			return 0, err
		}
	}
	res := db.Exec(`INSERT INTO callback_nonces (ts, nonce, body, done, expires) VALUES (?, ?, ?, 0, ?)
		ON CONFLICT (ts, nonce) DO NOTHING`, ts, nonce, digest, expires)
	if res.Error != nil {
		return 0, res.Error
	}
	if res.RowsAffected == 1 {
		return NonceNew, nil
	}
	var row struct {
		Body string
		Done bool
	}
	if err := db.Raw("SELECT body, done FROM callback_nonces WHERE ts = ? AND nonce = ?", ts, nonce).Scan(&row).Error; err != nil {
		return 0, err
	}
	switch {
	case row.Body != digest:
		return NonceDifferent, nil
	case row.Done:
		return NonceRetry, nil
	default:
		return NonceInFlight, nil
	}
}

// SettleCallbackNonce marks a claimed pair handled (ok) or forgets it so WeChat's retry is handled.
func (s *Service) SettleCallbackNonce(ctx context.Context, ts int64, nonce string, ok bool) error {
	db := s.store.db(ctx)
	if ok {
		return db.Exec("UPDATE callback_nonces SET done = 1 WHERE ts = ? AND nonce = ?", ts, nonce).Error
	}
	return db.Exec("DELETE FROM callback_nonces WHERE ts = ? AND nonce = ?", ts, nonce).Error
}
