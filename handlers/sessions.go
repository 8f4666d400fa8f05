package handlers

import (
	"net/http"
	"time"

	"github.com/alexedwards/scs/v2"

	"qunfa/models"
)

// sessSeen is when a logged-in session was last used (Unix seconds, the app's clock).
const sessSeen = "seen"

// defaultSessionIdle ends a logged-in session unused for this long (QUNFA_SESSION_IDLE).
const defaultSessionIdle = 2 * time.Hour

// seenEvery is how stale sessSeen may get before a request writes it again: an idle timeout of
// hours does not need a database write on every page view. A twenty-fourth of the timeout (5
// minutes of the default 2 hours), so a session ends within 4% of it: every write waits for
// SQLite's one writer, and at one a minute an operator clicking every second made 1.7% of their
// page views wait behind a follower sync's commits, enough to set the pages' p99 under load.
func seenEvery(idle time.Duration) time.Duration { return min(5*time.Minute, idle/24) }

// sessionStore is scs's store over the database's: each row records the operator it is logged
// in as (for RevokeSessions) and expires when the idle timeout ends, if that comes before the
// absolute lifetime scs gives it.
type sessionStore struct {
	*models.SessionStore
	codec scs.Codec
	idle  time.Duration
}

func (s sessionStore) Commit(token string, b []byte, expiry time.Time) error {
	_, values, err := s.codec.Decode(b)
	if err != nil {
		return err
	}
	op, _ := values[sessOperator].(int64)
	if seen, ok := values[sessSeen].(int64); ok && op > 0 {
		if end := time.Unix(seen, 0).Add(s.idle); end.Before(expiry) {
			expiry = end
		}
	}
	return s.CommitFor(token, b, expiry, uint(max(op, 0)))
}

// expireIdle ends a logged-in session unused for longer than the idle timeout (its row may
// still be there: the expiry written with the last use is checked by the store too, but a
// session whose row outlived it is ended here all the same), and records the use of the others.
func (a *app) expireIdle(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if a.sessions.GetInt64(ctx, sessOperator) > 0 {
			now := a.now()
			seen := time.Unix(a.sessions.GetInt64(ctx, sessSeen), 0)
			switch {
			case now.Sub(seen) > a.idle:
				if err := a.sessions.Destroy(ctx); err != nil {
					a.log.Error("ending an idle session", "err", err)
				}
				a.sessions.Put(ctx, sessFlash, "flash.session_idle")
			case now.Sub(seen) >= seenEvery(a.idle):
				a.sessions.Put(ctx, sessSeen, now.Unix())
			}
		}
		next.ServeHTTP(w, r)
	})
}
