package models

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func TestOpenTwiceKeepsOneMigrationRow(t *testing.T) {
	path := filepath.Join(t.TempDir(), "q.db")
	for i := 0; i < 2; i++ {
		st, err := Open(path)
		if err != nil {
			t.Fatalf("Open #%d: %v", i+1, err)
		}
		v, err := st.SchemaVersion(context.Background())
		if last := migrations[len(migrations)-1].version; err != nil || v != last {
			t.Fatalf("SchemaVersion = %d, %v; want %d", v, err, last)
		}
		var n int64
		if err := st.gdb.Table("schema_migrations").Count(&n).Error; err != nil || n != int64(len(migrations)) {
			t.Fatalf("schema_migrations rows = %d, %v", n, err)
		}
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestPragmas(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for name, want := range map[string]string{"journal_mode": "wal", "foreign_keys": "1", "busy_timeout": "5000", "synchronous": "1"} {
		got, err := f.store.Pragma(ctx, name)
		if err != nil || got != want {
			t.Errorf("PRAGMA %s = %q, %v; want %q", name, got, err, want)
		}
	}
	// Foreign keys are enforced, not just declared.
	err := f.store.gdb.Exec("INSERT INTO articles (draft_id, position, title, content) VALUES (999, 0, 't', 'c')").Error
	if err == nil {
		t.Fatal("article with a missing draft was accepted: foreign keys are off")
	}
}

func TestOpenRejectsEmptyPath(t *testing.T) {
	if _, err := Open(""); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("Open(\"\") = %v", err)
	}
}

func TestOperators(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if n, _ := f.store.OperatorCount(ctx); n != 0 {
		t.Fatalf("fresh count = %d", n)
	}
	op, err := f.store.CreateOperator(ctx, " admin ", "correct horse")
	if err != nil || op.ID == 0 || op.Username != "admin" {
		t.Fatalf("CreateOperator = %+v, %v", op, err)
	}
	var hash string
	f.store.gdb.Raw("SELECT password_hash FROM operators WHERE id = ?", op.ID).Row().Scan(&hash)
	if hash == "correct horse" || len(hash) < 50 {
		t.Fatalf("password not hashed: %q", hash)
	}

	invalid := []struct {
		user, pass, field, key string
	}{
		{"a", "longenough", "username", "err.username_length"},
		{"abcdefghijabcdefghijabcdefghijabc", "longenough", "username", "err.username_length"},
		{"with space", "longenough", "username", "err.username_invalid"},
		{"bob", "short", "password", "err.password_too_short"},
		{"ADMIN", "longenough", "username", "err.username_taken"},
	}
	for _, tc := range invalid {
		_, err := f.store.CreateOperator(ctx, tc.user, tc.pass)
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Fields[tc.field] != tc.key {
			t.Errorf("CreateOperator(%q, %q) = %v; want %s=%s", tc.user, tc.pass, err, tc.field, tc.key)
		}
	}

	if got, err := f.store.Authenticate(ctx, "admin", "correct horse"); err != nil || got.ID != op.ID {
		t.Fatalf("Authenticate good = %+v, %v", got, err)
	}
	for _, c := range [][2]string{{"admin", "wrong password"}, {"nobody", "correct horse"}} {
		if _, err := f.store.Authenticate(ctx, c[0], c[1]); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("Authenticate(%q) = %v; want ErrBadCredentials", c[0], err)
		}
	}
	if _, err := f.store.Operator(ctx, 999); !errors.Is(err, ErrNotFound) {
		t.Errorf("Operator(999) = %v", err)
	}
}

func TestSessions(t *testing.T) {
	f := newFixture(t)
	ss := f.store.Sessions()
	now := time.Now()
	if err := ss.Commit("tok", []byte("data"), now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := ss.Commit("tok", []byte("data2"), now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if b, ok, err := ss.Find("tok"); err != nil || !ok || string(b) != "data2" {
		t.Fatalf("Find = %q, %v, %v", b, ok, err)
	}
	if err := ss.Commit("old", []byte("x"), now.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := ss.Find("old"); ok {
		t.Fatal("expired session found")
	}
	if n, err := ss.DeleteExpired(context.Background()); err != nil || n != 1 {
		t.Fatalf("DeleteExpired = %d, %v", n, err)
	}
	if err := ss.Delete("tok"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := ss.Find("tok"); ok {
		t.Fatal("deleted session found")
	}
}

// Concurrent writers (callbacks, session commits, drafts) must wait for each other, never fail
// with "database is locked".
func TestConcurrentWritesDoNotLock(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	d := f.draft(t, 1)
	errs := make(chan error, 60)
	done := make(chan struct{})
	for i := 0; i < 20; i++ {
		go func() {
			errs <- f.svc.RecordOtherEvent(ctx, "subscribe", "oUSER0001", int64(i), nil)
			errs <- f.store.Sessions().Commit(fmt.Sprint("tok", i), []byte("x"), time.Now().Add(time.Hour))
			_, err := f.svc.StartSend(ctx, SendInput{DraftID: d.ID, Target: TargetGroup, GroupID: 100, Key: fmt.Sprint("k", i%3)}, 1)
			if errors.Is(err, ErrQuotaExceeded) {
				err = nil
			}
			errs <- err
			done <- struct{}{}
		}()
	}
	for i := 0; i < 20; i++ {
		<-done
	}
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if list, _ := f.svc.ListSends(ctx); len(list) != 3 {
		t.Fatalf("sends = %d, want 3 (one per key)", len(list))
	}
}

// First-run creation happens once, even when two submissions race.
func TestCreateFirstOperatorOnlyOnce(t *testing.T) {
	st, err := Open(filepath.Join(t.TempDir(), "qunfa.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = st.CreateFirstOperator(ctx, fmt.Sprintf("admin%d", i), "password123")
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, ErrSetupDone):
			t.Fatalf("unexpected error %v", err)
		}
	}
	if n, _ := st.OperatorCount(ctx); ok != 1 || n != 1 {
		t.Fatalf("%d creations succeeded, %d operators exist; want 1 and 1", ok, n)
	}
	if _, err := st.CreateOperator(ctx, "second", "password123"); err != nil {
		t.Fatalf("CreateOperator after setup: %v", err)
	}
}

// The access token survives a reopen of the database, per account.
func TestTokenStorePersists(t *testing.T) {
	path := filepath.Join(t.TempDir(), "q.db")
	ctx := context.Background()
	st, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	a := st.AccessTokens("wxA")
	if tok, _, err := a.Load(ctx); err != nil || tok != "" {
		t.Fatalf("empty store: %q %v", tok, err)
	}
	exp := time.Date(2025, 3, 10, 4, 0, 0, 0, time.UTC)
	if err := a.Save(ctx, "TOKEN-1", exp); err != nil {
		t.Fatal(err)
	}
	if err := a.Save(ctx, "TOKEN-2", exp.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := st.AccessTokens("wxB").Save(ctx, "OTHER", exp); err != nil {
		t.Fatal(err)
	}
	st.Close()

	st, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tok, at, err := st.AccessTokens("wxA").Load(ctx)
	if err != nil || tok != "TOKEN-2" || !at.Equal(exp.Add(time.Hour)) {
		t.Fatalf("after reopen: %q %v %v", tok, at, err)
	}
}
