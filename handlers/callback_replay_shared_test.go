package handlers

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"qunfa/models"
)

// fakeShared stands for the database's side of the guard: what another instance claimed.
type fakeShared struct {
	verdict models.NonceVerdict
	err     error
	claims  int
	settled []bool
}

func (f *fakeShared) ClaimCallbackNonce(context.Context, int64, string, string, int64) (models.NonceVerdict, error) {
	f.claims++
	return f.verdict, f.err
}

func (f *fakeShared) SettleCallbackNonce(_ context.Context, _ int64, _ string, ok bool) error {
	f.settled = append(f.settled, ok)
	return nil
}

// On a shared database (PostgreSQL) a pair new to this instance is also claimed in the database,
// and what the database says wins: a pair another instance took is refused or answered as a
// retry here; a database error asks WeChat to retry. A pair this instance knows is answered
// from memory without asking.
func TestReplayGuardAsksTheSharedDatabase(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(1700000000, 0)
	for _, c := range []struct {
		shared models.NonceVerdict
		err    error
		want   replayVerdict
	}{
		{models.NonceNew, nil, replayNew},
		{models.NonceDifferent, nil, replayDifferent},
		{models.NonceRetry, nil, replayRetry},
		{models.NonceInFlight, nil, replayInFlight},
		{models.NonceNew, errors.New("database down"), replayInFlight},
	} {
		g := newReplayGuard(5 * time.Minute)
		sh := &fakeShared{verdict: c.shared, err: c.err}
		g.shared = sh
		if got := g.claimShared(ctx, now, now.Unix(), "n", []byte("body")); got != c.want || sh.claims != 1 {
			t.Fatalf("shared %v/%v: verdict %v after %d claims, want %v", c.shared, c.err, got, sh.claims, c.want)
		}
		if c.want != replayNew {
			// Refused by the database: this instance keeps no claim of its own, and asks again.
			if g.size() != 0 {
				t.Fatalf("shared %v: the pair stayed in memory", c.shared)
			}
			continue
		}
		g.settleShared(ctx, now.Unix(), "n", true)
		if len(sh.settled) != 1 || !sh.settled[0] {
			t.Fatalf("settle not passed to the database: %v", sh.settled)
		}
		// Known here: answered from memory, the database not asked again.
		if got := g.claimShared(ctx, now, now.Unix(), "n", []byte("other")); got != replayDifferent || sh.claims != 1 {
			t.Fatalf("second body: %v after %d claims", got, sh.claims)
		}
	}
}

// Two instances on one PostgreSQL database (QUNFA_TEST_POSTGRES; skipped without it): a pair
// WeChat pushed to A is refused by B with another body, and answered "success" (handled once)
// with the same one.
func TestReplayedPairRefusedByTheOtherInstance(t *testing.T) {
	url := newPostgresSchema(t)
	a := newTestAppWith(t, appOptions{dbURL: url})
	b := newTestAppWith(t, appOptions{dbURL: url})
	b.now = a.now
	genuine := jobPush(a, 4242, 97).XML()
	forged := jobPush(a, 4242, 3).XML()
	if r := a.postSealed(genuine, a.now, "88001"); r.status != http.StatusOK || r.body != "success" {
		t.Fatalf("genuine push on A: %d %q", r.status, r.body)
	}
	if r := b.postSealed(forged, b.now, "88001"); r.status != http.StatusForbidden {
		t.Fatalf("another body under A's pair on B: %d %q, want 403", r.status, r.body)
	}
	if r := b.postSealed(genuine, b.now, "88001"); r.status != http.StatusOK || r.body != "success" {
		t.Fatalf("WeChat's retry of A's push on B: %d %q", r.status, r.body)
	}
	ev, ok, err := b.svc.JobFinishedRecorded(context.Background(), 4242)
	if err != nil || !ok || ev.Sent != 97 {
		t.Fatalf("stored push: %+v %v %v; want the genuine one (97 sent), stored once", ev, ok, err)
	}
}

// newPostgresSchema gives the test a schema of its own on QUNFA_TEST_POSTGRES (dropped at its
// end) and returns a URL whose connections use it; it skips the test without a server.
func newPostgresSchema(t *testing.T) string {
	t.Helper()
	admin := os.Getenv("QUNFA_TEST_POSTGRES")
	if admin == "" {
		t.Skip("QUNFA_TEST_POSTGRES is not set: no PostgreSQL server to test on")
	}
	db, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	name := fmt.Sprintf("qunfa_h_%d", time.Now().UnixNano())
	if _, err := db.Exec("CREATE SCHEMA " + name); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		if db, err := sql.Open("pgx", admin); err == nil {
			_, _ = db.Exec("DROP SCHEMA IF EXISTS " + name + " CASCADE")
			db.Close()
		}
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String()
}
