package handlers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"time"

	"qunfa/models"
)

// replayGuard remembers the (timestamp, nonce) pair of every signed push for as long as its
// timestamp is inside the accepted window. In plaintext mode the signature covers only token,
// timestamp and nonce, so a captured URL would otherwise carry any body for five minutes; each
// pair now carries one body, once.
//
// WeChat repeats a push it thinks unanswered with the very same request (the sandbox does too), so
// a pair that comes back with the body it was accepted with is a retry, answered "success" without
// being handled again; with another body it is refused. A pair whose handling failed is forgotten,
// so WeChat's retry of it is handled. The table lives in memory: one map operation under a mutex
// per push, nothing written to the database, pruned in arrival order. A restart forgets it (the
// stores' own de-duplication still holds then).
type replayGuard struct {
	window time.Duration
	shared sharedReplay // nil: this instance alone receives the callbacks (SQLite)

	mu    sync.Mutex
	seen  map[replayKey]replayEntry
	queue []replayKey // in arrival order, for pruning
	head  int
}

type replayKey struct {
	timestamp int64
	nonce     string
}

type replayEntry struct {
	expires int64 // unix seconds: past this the timestamp check refuses the pair anyway
	body    [16]byte
	done    bool // handled and answered; false while in flight
}

// replayVerdict is what claim says of a pair.
type replayVerdict int

const (
	replayNew       replayVerdict = iota // first sight: handle it
	replayRetry                          // same body, already handled: answer "success"
	replayInFlight                       // same body, still being handled: ask WeChat to retry
	replayDifferent                      // another body under a used pair: refuse
)

func newReplayGuard(window time.Duration) *replayGuard {
	return &replayGuard{window: window, seen: map[replayKey]replayEntry{}}
}

// claim records the pair for body, or says how it was used before.
func (g *replayGuard) claim(now time.Time, timestamp int64, nonce string, body []byte) replayVerdict {
	sum := sha256.Sum256(body)
	var digest [16]byte
	copy(digest[:], sum[:])
	k := replayKey{timestamp, nonce}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.prune(now.Unix())
	if e, ok := g.seen[k]; ok {
		switch {
		case e.body != digest:
			return replayDifferent
		case e.done:
			return replayRetry
		default:
			return replayInFlight
		}
	}
	g.seen[k] = replayEntry{expires: timestamp + int64(g.window/time.Second), body: digest}
	g.queue = append(g.queue, k)
	return replayNew
}

// settle marks a claimed pair handled (ok) or forgets it so that a retry is handled again.
func (g *replayGuard) settle(timestamp int64, nonce string, ok bool) {
	k := replayKey{timestamp, nonce}
	g.mu.Lock()
	defer g.mu.Unlock()
	e, found := g.seen[k]
	if !found {
		return
	}
	if ok {
		e.done = true
		g.seen[k] = e
		return
	}
	delete(g.seen, k) // its queue slot is skipped when pruned
}

// prune drops pairs whose timestamp has left the window, oldest arrivals first. Pushes arrive
// roughly in timestamp order; one with a later expiry at the head only delays the others' removal.
func (g *replayGuard) prune(now int64) {
	for g.head < len(g.queue) {
		k := g.queue[g.head]
		if e, ok := g.seen[k]; ok {
			if e.expires >= now {
				break
			}
			delete(g.seen, k)
		}
		g.queue[g.head] = replayKey{}
		g.head++
	}
	// Reuse the slice once its dead front outweighs the live part.
	if g.head > 1024 && g.head*2 > len(g.queue) {
		g.queue = append(g.queue[:0], g.queue[g.head:]...)
		g.head = 0
	}
}

// size is how many pairs are remembered (tests).
func (g *replayGuard) size() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.seen)
}

// sharedReplay is the database's side of the guard when instances share it (models, on
// PostgreSQL): a pair first seen here is also claimed there, so a pair seen by another instance
// is refused (or answered as a retry) here too.
type sharedReplay interface {
	ClaimCallbackNonce(ctx context.Context, ts int64, nonce, digest string, expires int64) (models.NonceVerdict, error)
	SettleCallbackNonce(ctx context.Context, ts int64, nonce string, ok bool) error
}

// claimShared is claim, then, for a pair new to this instance, the shared claim. A database
// error answers "in flight" (503): WeChat retries, and nothing is handled twice.
func (g *replayGuard) claimShared(ctx context.Context, now time.Time, timestamp int64, nonce string, body []byte) replayVerdict {
	v := g.claim(now, timestamp, nonce, body)
	if v != replayNew || g.shared == nil {
		return v
	}
	sum := sha256.Sum256(body)
	sv, err := g.shared.ClaimCallbackNonce(ctx, timestamp, nonce, hex.EncodeToString(sum[:16]), timestamp+int64(g.window/time.Second))
	if err != nil {
		g.forget(timestamp, nonce)
		return replayInFlight
	}
	switch sv {
	case models.NonceNew:
		return replayNew
	case models.NonceRetry:
		g.forget(timestamp, nonce)
		return replayRetry
	case models.NonceDifferent:
		g.forget(timestamp, nonce)
		return replayDifferent
	default:
		g.forget(timestamp, nonce)
		return replayInFlight
	}
}

// settleShared is settle, here and in the database.
func (g *replayGuard) settleShared(ctx context.Context, timestamp int64, nonce string, ok bool) {
	g.settle(timestamp, nonce, ok)
	if g.shared != nil {
		_ = g.shared.SettleCallbackNonce(ctx, timestamp, nonce, ok)
	}
}

// forget drops a pair this instance claimed in memory but the database refused.
func (g *replayGuard) forget(timestamp int64, nonce string) { g.settle(timestamp, nonce, false) }
