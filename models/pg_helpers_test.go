package models

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"
)

// PostgreSQL in tests: QUNFA_TEST_POSTGRES=postgres://user@host:port/db names a server on which
// the tests may create and drop databases; without it the PostgreSQL tests skip. With
// QUNFA_TEST_STORE=postgres as well, newFixture opens every fixture on a fresh PostgreSQL
// database instead of a SQLite file, so the store and pipeline tests run on PostgreSQL too.

func init() {
	if os.Getenv("QUNFA_TEST_POSTGRES") != "" {
		testPostgresKey = make([]byte, SecretKeySize)
		copy(testPostgresKey, "qunfa test key for PostgreSQL...")
	}
}

// fixturesOnPostgres reports whether newFixture opens PostgreSQL databases.
func fixturesOnPostgres() bool {
	return os.Getenv("QUNFA_TEST_STORE") == "postgres" && os.Getenv("QUNFA_TEST_POSTGRES") != ""
}

// skipOnPostgres skips a test that is about SQLite alone when the fixtures are on PostgreSQL.
func skipOnPostgres(t testing.TB, why string) {
	t.Helper()
	if fixturesOnPostgres() {
		t.Skip("SQLite only: " + why)
	}
}

// newPostgresDB gives the test a schema of its own (dropped at its end) on the server and returns
// a URL whose connections use it; it skips the test when no server is configured. Schemas, not
// databases: creating and dropping a database per test costs a checkpoint each.
func newPostgresDB(t testing.TB) string {
	t.Helper()
	admin := os.Getenv("QUNFA_TEST_POSTGRES")
	if admin == "" {
		t.Skip("QUNFA_TEST_POSTGRES is not set: no PostgreSQL server to test on")
	}
	db, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatalf("PostgreSQL: %v", err)
	}
	defer db.Close()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "qunfa_t_" + hex.EncodeToString(b[:])
	if _, err := db.Exec("CREATE SCHEMA " + name); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", admin)
		if err != nil {
			return
		}
		defer db.Close()
		if _, err := db.ExecContext(context.Background(), "DROP SCHEMA IF EXISTS "+name+" CASCADE"); err != nil {
			t.Logf("drop schema %s: %v", name, err)
		}
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("QUNFA_TEST_POSTGRES: %v", err)
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String()
}
