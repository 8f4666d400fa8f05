package models

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"path/filepath"
	"sync"
	"sync/atomic"
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
		if newest := migrations[len(migrations)-1].version; err != nil || v != newest {
			t.Fatalf("SchemaVersion = %d, %v; want %d", v, err, newest)
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
	skipOnPostgres(t, "PRAGMAs")
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

// Pages read while callbacks, session commits and sends write, at once: with one writer
// connection and a pool of readers (WAL), writers wait for each other and readers for nobody;
// none fails with "database is locked", and every read sees committed data.
func TestConcurrentReadersAndWritersNeverLock(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	d := f.draft(t, 1)
	errs := make(chan error, 60+20*40)
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(2)
		go func() { // a callback, a log-in, a send
			defer wg.Done()
			errs <- f.svc.RecordOtherEvent(ctx, "subscribe", "oUSER0001", int64(i), nil)
			errs <- f.store.Sessions().Commit(fmt.Sprint("tok", i), []byte("x"), time.Now().Add(time.Hour))
			_, err := f.svc.StartSend(ctx, SendInput{DraftID: d.ID, Target: TargetGroup, GroupID: 100, Key: fmt.Sprint("k", i%3)}, 1)
			if errors.Is(err, ErrQuotaExceeded) {
				err = nil
			}
			errs <- err
		}()
		go func() { // a page: its reads
			defer wg.Done()
			for range 10 {
				list, err := f.svc.ListDrafts(ctx)
				if err == nil && (len(list) != 1 || list[0].ID != d.ID) {
					err = fmt.Errorf("drafts list %+v, want draft %d", list, d.ID)
				}
				errs <- err
				_, err = f.svc.Draft(ctx, d.ID)
				errs <- err
				_, err = f.store.OperatorCount(ctx)
				errs <- err
				_, err = f.store.Settings(ctx)
				errs <- err
			}
		}()
	}
	wg.Wait()
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

// A read does not wait for a write transaction in progress (the worker's, a callback's): it
// reads the last committed state, while reads inside the transaction see its own writes.
func TestReadIsNotBlockedByOpenWriteTransaction(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	d := f.draft(t, 1)
	inTx, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- f.store.inTx(ctx, func(ctx context.Context) error {
			if err := f.store.db(ctx).Model(&draftRow{}).Where("id = ?", d.ID).Update("operator_id", 99).Error; err != nil {
				return err
			}
			if own, err := f.svc.Draft(ctx, d.ID); err != nil || own.OperatorID != 99 {
				return fmt.Errorf("the transaction does not read its own write: %+v %v", own, err)
			}
			close(inTx)
			<-release
			return nil
		})
	}()
	select {
	case <-inTx:
	case err := <-done:
		t.Fatal(err)
	}
	rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	got, err := f.svc.Draft(rctx, d.ID)
	cancel()
	if err != nil {
		close(release)
		t.Fatalf("a read waited for the open write transaction: %v", err)
	}
	if got.OperatorID != 1 {
		t.Errorf("a read saw an uncommitted write: operator %d", got.OperatorID)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got, _ := f.svc.Draft(ctx, d.ID); got.OperatorID != 99 {
		t.Fatalf("after commit: operator %d, want 99", got.OperatorID)
	}
}

// The readers carry the busy timeout and foreign keys too, and are query-only: a write routed to
// one by mistake fails instead of going around the writer.
func TestReaderConnectionPragmas(t *testing.T) {
	skipOnPostgres(t, "SQLite's reader pool and its PRAGMAs (PostgreSQL: one pool)")
	f := newFixture(t)
	if f.store.readers == nil {
		t.Fatal("no reader pool")
	}
	for name, want := range map[string]string{"query_only": "1", "busy_timeout": "5000", "foreign_keys": "1", "journal_mode": "wal"} {
		var got string
		if err := f.store.readers.QueryRow("PRAGMA " + name).Scan(&got); err != nil || got != want {
			t.Errorf("reader PRAGMA %s = %q, %v; want %q", name, got, err, want)
		}
	}
	if _, err := f.store.readers.Exec(`INSERT INTO settings (key, value, updated_at) VALUES ('x', 'y', '2025-01-01')`); err == nil {
		t.Error("a reader accepted a write")
	}
}

// A page-like read (the drafts list, the operator count, the settings) while a writer keeps
// holding short write transactions, on one connection for everything (the old store) and on a
// writer with a pool of readers. Compare the two ns/op as a ratio:
//
//	go test -run '^$' -bench PageReadWhileWriting -count 5 ./models/
func BenchmarkPageReadWhileWriting(b *testing.B) {
	for _, bc := range []struct {
		name    string
		readers int
	}{{"one-connection", 0}, {"writer+readers", readerConns}} {
		b.Run(bc.name, func(b *testing.B) {
			st, err := openWith(filepath.Join(b.TempDir(), "q.db"), bc.readers, nil)
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			svc := NewService(st, nil, Rules{}, nil)
			ctx := context.Background()
			var cover bytes.Buffer
			if err := jpeg.Encode(&cover, image.NewGray(image.Rect(0, 0, 16, 16)), nil); err != nil {
				b.Fatal(err)
			}
			th, err := svc.SaveThumb(ctx, "c.jpg", cover.Bytes())
			if err != nil {
				b.Fatal(err)
			}
			for i := range 50 {
				in := DraftInput{Articles: []ArticleInput{{Title: fmt.Sprint("t", i), Content: "<p>x</p>", ThumbID: th.ID}}}
				if _, err := svc.SaveDraft(ctx, 0, in, 1); err != nil {
					b.Fatal(err)
				}
			}
			stop, stopped := make(chan struct{}), make(chan struct{})
			go func() { // a writer holding a transaction 2 ms at a time, like a worker step or a callback
				defer close(stopped)
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					err := st.inTx(ctx, func(ctx context.Context) error {
						if err := svc.RecordOtherEvent(ctx, "subscribe", "oBENCH", int64(i), nil); err != nil {
							return err
						}
						time.Sleep(2 * time.Millisecond)
						return nil
					})
					if err != nil {
						b.Error(err)
						return
					}
				}
			}()
			b.ResetTimer()
			for b.Loop() {
				if _, err := svc.ListDrafts(ctx); err != nil {
					b.Fatal(err)
				}
				if _, err := st.OperatorCount(ctx); err != nil {
					b.Fatal(err)
				}
				if _, err := st.Settings(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			close(stop)
			<-stopped
		})
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

// The first-admin check at start-up spends a bcrypt only when it creates the admin: a second
// start with the admin there hashes nothing (bcrypt was 60 ms of a 133 ms start).
func TestCreateFirstOperatorHashesOnlyWhenItCreates(t *testing.T) {
	var hashes atomic.Int64
	orig := hashPassword
	hashPassword = func(pw []byte) ([]byte, error) { hashes.Add(1); return orig(pw) }
	t.Cleanup(func() { hashPassword = orig })

	path := filepath.Join(t.TempDir(), "q.db")
	ctx := context.Background()
	for start := 1; start <= 2; start++ {
		st, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		hashes.Store(0)
		_, err = st.CreateFirstOperator(ctx, "admin", "password123")
		st.Close()
		switch {
		case start == 1 && (err != nil || hashes.Load() != 1):
			t.Fatalf("first start: %v, %d hashes; want the admin and 1", err, hashes.Load())
		case start == 2 && (!errors.Is(err, ErrSetupDone) || hashes.Load() != 0):
			t.Fatalf("second start: %v, %d hashes; want ErrSetupDone and none", err, hashes.Load())
		}
	}
	// Opening the package's store hashes nothing either (the timing-equaliser hash waits for a log-in).
	hashes.Store(0)
	st, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Authenticate(ctx, "nobody", "password123"); !errors.Is(err, ErrBadCredentials) {
		t.Fatal(err)
	}
	if _, err := st.Authenticate(ctx, "admin", "password123"); err != nil {
		t.Fatal(fmt.Errorf("log in: %w", err))
	}
}

// Each role may do what the ones below it may, and nothing above; an unknown role nothing.
func TestRoleAtLeast(t *testing.T) {
	for _, c := range []struct {
		r, min Role
		want   bool
	}{
		{RoleAdmin, RoleAdmin, true}, {RoleAdmin, RoleViewer, true},
		{RoleEditor, RoleAdmin, false}, {RoleEditor, RoleEditor, true}, {RoleEditor, RoleViewer, true},
		{RoleViewer, RoleEditor, false}, {RoleViewer, RoleViewer, true},
		{Role("root"), RoleViewer, false}, {Role(""), RoleViewer, false},
	} {
		if got := c.r.AtLeast(c.min); got != c.want {
			t.Errorf("%q.AtLeast(%q) = %v, want %v", c.r, c.min, got, c.want)
		}
	}
}
