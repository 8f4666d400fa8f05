package models

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func openAtPath(t *testing.T, path string, key []byte) *Store {
	t.Helper()
	st, err := openWith(path, readerConns, key)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// The database, its -wal and -shm, and the key file are 0600 under the usual umask 022.
func TestDatabaseFilesAreOwnerOnly(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	path := filepath.Join(t.TempDir(), "q.db")
	st := openAtPath(t, path, nil)
	defer st.Close()
	if err := st.putSettings(context.Background(), map[string]string{"probe": "x"}); err != nil {
		t.Fatal(err)
	}
	for _, p := range append(dbFiles(path), KeyPath(path)) {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", filepath.Base(p), fi.Mode().Perm())
		}
	}
}

// Files an earlier version left 0644 are made 0600 at start.
func TestLooseDatabaseFilesAreTightenedAtStart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "q.db")
	st := openAtPath(t, path, nil)
	st.Close()
	for _, p := range []string{path, KeyPath(path)} {
		if err := os.Chmod(p, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	st = openAtPath(t, path, nil)
	defer st.Close()
	for _, p := range []string{path, KeyPath(path)} {
		if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v after start, want 0600", filepath.Base(p), fi.Mode().Perm())
		}
	}
}

var testSecrets = Settings{
	AppID: "wx0123456789abcdef", AppSecret: "S3cretS3cretS3cretS3cretS3cret01",
	Token: "TokenTokenXYZ", EncodingAESKey: "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
	MaxArticles: 8, Audience: AudienceTags, UploadPath: UploadDraft,
}

// readFileBytes is the database's bytes, WAL folded back.
func readFileBytes(t *testing.T, st *Store, path string) []byte {
	t.Helper()
	if err := st.gdb.Exec("PRAGMA wal_checkpoint(TRUNCATE)").Error; err != nil {
		t.Fatal(err)
	}
	var all []byte
	for _, p := range dbFiles(path) {
		b, _ := os.ReadFile(p)
		all = append(all, b...)
	}
	return all
}

func TestSecretsAreSealedAtRest(t *testing.T) {
	path := filepath.Join(t.TempDir(), "q.db")
	st := openAtPath(t, path, nil)
	ctx := context.Background()
	if err := st.storeSettings(ctx, testSecrets); err != nil {
		t.Fatal(err)
	}
	raw := readFileBytes(t, st, path)
	for _, s := range []string{testSecrets.AppSecret, testSecrets.Token, testSecrets.EncodingAESKey} {
		if bytes.Contains(raw, []byte(s)) {
			t.Errorf("the database file holds the secret %q in clear", s[:4]+"…")
		}
	}
	if !bytes.Contains(raw, []byte(testSecrets.AppID)) {
		t.Error("the AppID (not a secret) should be readable: was the probe wrong?")
	}
	got, err := st.Settings(ctx)
	if err != nil || got.AppSecret != testSecrets.AppSecret || got.Token != testSecrets.Token ||
		got.EncodingAESKey != testSecrets.EncodingAESKey || got.SecretsUnreadable {
		t.Fatalf("round trip: %v %v (unreadable %t)", got, err, got.SecretsUnreadable)
	}
	st.Close()

	// Reopened with the same key file: still readable.
	st = openAtPath(t, path, nil)
	if got, _ := st.Settings(ctx); got.AppSecret != testSecrets.AppSecret {
		t.Fatalf("after reopening: %v", got)
	}
	st.Close()

	// The key file lost: a new key is made, the stored secrets read as empty and are flagged.
	if err := os.Remove(KeyPath(path)); err != nil {
		t.Fatal(err)
	}
	st = openAtPath(t, path, nil)
	defer st.Close()
	got, err = st.Settings(ctx)
	if err != nil || !got.SecretsUnreadable || got.AppSecret != "" || got.Token != "" || got.EncodingAESKey != "" {
		t.Fatalf("with another key: %v %v unreadable=%t", got, err, got.SecretsUnreadable)
	}
	// Entering them again clears the flag.
	if err := st.storeSettings(ctx, testSecrets); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.Settings(ctx); got.SecretsUnreadable || got.AppSecret != testSecrets.AppSecret {
		t.Fatalf("after entering again: %v", got)
	}
}

// A database from before this version keeps its secrets in clear: the first start seals them,
// and a second start leaves them as they are.
func TestClearSecretsAreSealedAtFirstStart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "q.db")
	key := bytes.Repeat([]byte{7}, SecretKeySize)
	st := openAtPath(t, path, key)
	ctx := context.Background()
	if err := st.putSettings(ctx, map[string]string{keyAppID: testSecrets.AppID, keyAppSecret: testSecrets.AppSecret, keyToken: testSecrets.Token}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	st = openAtPath(t, path, key)
	defer st.Close()
	var sealed string
	st.gdb.Raw("SELECT value FROM settings WHERE key = ?", keyAppSecret).Scan(&sealed)
	if !strings.HasPrefix(sealed, sealedPrefix) {
		t.Fatalf("stored AppSecret after start: %q, want sealed", sealed[:6])
	}
	if err := st.sealClearSecrets(ctx); err != nil {
		t.Fatal(err)
	}
	var again string
	st.gdb.Raw("SELECT value FROM settings WHERE key = ?", keyAppSecret).Scan(&again)
	if again != sealed {
		t.Error("a second start sealed the sealed value again")
	}
	if got, _ := st.Settings(ctx); got.AppSecret != testSecrets.AppSecret || got.Token != testSecrets.Token {
		t.Fatalf("read back: %v", got)
	}
}

func TestKeyFileIsRefusedWhenDamaged(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k")
	if err := os.WriteFile(path, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateKey(path); !errors.Is(err, ErrBadSecretKey) {
		t.Fatalf("damaged key file: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "not a key" {
		t.Error("a damaged key file was overwritten")
	}
}

func TestSessionsAreStoredUnderTheTokenHash(t *testing.T) {
	path := filepath.Join(t.TempDir(), "q.db")
	st := openAtPath(t, path, nil)
	defer st.Close()
	ss := st.Sessions()
	token := "raw-session-token-0123456789abcdefghijklmnop"
	if err := ss.CommitFor(token, []byte("data"), time.Now().Add(time.Hour), 7); err != nil {
		t.Fatal(err)
	}
	if b, ok, err := ss.Find(token); err != nil || !ok || string(b) != "data" {
		t.Fatalf("find: %q %t %v", b, ok, err)
	}
	if bytes.Contains(readFileBytes(t, st, path), []byte(token)) {
		t.Fatal("the raw session token is in the database file")
	}
	ss.Commit("other-session", []byte("d"), time.Now().Add(time.Hour))
	if n, err := st.RevokeSessions(context.Background(), 7); err != nil || n != 1 {
		t.Fatalf("revoke: %d %v", n, err)
	}
	if _, ok, _ := ss.Find(token); ok {
		t.Error("revoked session still found")
	}
	if _, ok, _ := ss.Find("other-session"); !ok {
		t.Error("another operator's (or an anonymous) session was revoked too")
	}
}

func TestLoginLockGrowsAndEnds(t *testing.T) {
	st := openAtPath(t, filepath.Join(t.TempDir(), "q.db"), nil)
	defer st.Close()
	svc := NewService(st, nil, Rules{}, nil)
	ctx := context.Background()
	now := time.Date(2024, 5, 20, 2, 0, 0, 0, time.UTC)
	fail := func(n int) time.Time {
		var until time.Time
		for i := 0; i < n; i++ {
			u, err := svc.RecordLoginFailure(ctx, "Admin", now)
			if err != nil {
				t.Fatal(err)
			}
			if !u.IsZero() {
				until = u
			}
		}
		return until
	}
	if u := fail(LockAfter - 1); !u.IsZero() {
		t.Fatalf("locked after %d failures", LockAfter-1)
	}
	until := fail(1)
	if want := now.Add(LockFor); !until.Equal(want) {
		t.Fatalf("first lock until %v, want %v", until, want)
	}
	// The username is matched as logins are: whatever the case.
	if u, _ := svc.LoginLockedUntil(ctx, "admin", now.Add(LockFor-time.Second)); !u.Equal(until) {
		t.Fatalf("locked until %v just before the end", u)
	}
	if u, _ := svc.LoginLockedUntil(ctx, "admin", now.Add(LockFor)); !u.IsZero() {
		t.Fatalf("still locked at the end: %v", u)
	}
	now = now.Add(LockFor)
	if until = fail(LockAfter); !until.Equal(now.Add(2 * LockFor)) {
		t.Fatalf("second lock until %v, want twice as long", until)
	}
	// Failures spread wider than the window do not add up.
	now = until
	for i := 0; i < 2*LockAfter; i++ {
		now = now.Add(LockWindow/time.Duration(LockAfter-1) + time.Minute)
		if u := fail(1); !u.IsZero() {
			t.Fatalf("locked by failures spread over %v", time.Duration(i)*LockWindow)
		}
	}
	// A success forgets it all.
	if err := svc.ClearLoginFailures(ctx, "ADMIN"); err != nil {
		t.Fatal(err)
	}
	fail(LockAfter - 1)
	if until = fail(1); !until.Equal(now.Add(LockFor)) {
		t.Fatalf("after a success the lock starts again at %v: %v", LockFor, until)
	}
}

// Typed usernames nobody failed on for a day are forgotten: they cannot pile up.
func TestLoginThrottleForgetsOldUsernames(t *testing.T) {
	st := openAtPath(t, filepath.Join(t.TempDir(), "q.db"), nil)
	defer st.Close()
	svc := NewService(st, nil, Rules{}, nil)
	ctx := context.Background()
	now := time.Date(2024, 5, 20, 2, 0, 0, 0, time.UTC)
	for i := range 50 {
		svc.RecordLoginFailure(ctx, "guess"+string(rune('a'+i%26))+string(rune('a'+i/26)), now)
	}
	svc.RecordLoginFailure(ctx, "late", now.Add(lockForget+time.Minute))
	var n int64
	st.gdb.Model(&loginThrottleRow{}).Count(&n)
	if n != 1 {
		t.Fatalf("%d usernames remembered, want 1", n)
	}
}

func TestCommonPasswordsAreRefused(t *testing.T) {
	for _, pw := range []string{"woaini1314", "qq123456", "Password", "12345678", "iloveyou", "1qaz2wsx", "QUNFA123"} {
		if fe := validateOperator("someone", pw); fe["password"] != "err.password_common" && fe["password"] != "err.password_too_short" {
			t.Errorf("%q accepted: %v", pw, fe)
		}
	}
	if fe := validateOperator("someone", "woaini1314"); fe["password"] != "err.password_common" {
		t.Errorf("woaini1314: %v", fe)
	}
	if fe := validateOperator("someone", "correct horse battery"); len(fe) != 0 {
		t.Errorf("an uncommon password refused: %v", fe)
	}
	st := openAtPath(t, filepath.Join(t.TempDir(), "q.db"), nil)
	defer st.Close()
	if _, err := st.CreateFirstOperator(context.Background(), "admin", "5201314520"); err == nil {
		t.Fatal("first-run setup accepted a common password")
	}
	if n := len(commonPasswords()); n < 300 {
		t.Errorf("only %d common passwords loaded", n)
	}
}

// QUNFA_ADMIN_PASSWORD is read at every start but used only on the first: a password the newer
// rule refuses must not stop a start that would not use it.
func TestFirstOperatorRuleOnlyWhenItIsCreated(t *testing.T) {
	st := openAtPath(t, filepath.Join(t.TempDir(), "q.db"), nil)
	defer st.Close()
	ctx := context.Background()
	if _, err := st.CreateFirstOperator(ctx, "admin", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateFirstOperator(ctx, "admin", "qq123456"); !errors.Is(err, ErrSetupDone) {
		t.Fatalf("second start with a common QUNFA_ADMIN_PASSWORD: %v, want ErrSetupDone", err)
	}
}

// An empty username is counted like any other, however often it is typed.
func TestLoginFailuresOfAnEmptyUsername(t *testing.T) {
	st := openAtPath(t, filepath.Join(t.TempDir(), "q.db"), nil)
	defer st.Close()
	svc := NewService(st, nil, Rules{}, nil)
	now := time.Date(2024, 5, 20, 2, 0, 0, 0, time.UTC)
	var until time.Time
	for i := range LockAfter {
		u, err := svc.RecordLoginFailure(context.Background(), "", now)
		if err != nil {
			t.Fatalf("failure %d: %v", i+1, err)
		}
		until = u
	}
	if until.IsZero() {
		t.Errorf("%d failures of an empty username locked nothing", LockAfter)
	}
}
