package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A backup taken a few pages at a time while another connection keeps writing — new drafts,
// and changes to rows already copied — is the database as of one commit: every draft that
// existed when it began, whole, and nothing written after. It opens as a Qunfa database, passes
// integrity_check, is one file (no WAL) and is 0600.
func TestBackupIsOneSnapshotWhileWriting(t *testing.T) {
	skipOnPostgres(t, "online backup of the SQLite file (PostgreSQL: pg_dump)")
	f := newFixture(t)
	ctx := context.Background()
	long := "<p>" + strings.Repeat("群发正文 ", 300) + "</p>"
	in := f.draftInputT(t, 3)
	for i := range in.Articles {
		in.Articles[i].Content = long
	}
	var before []uint
	for range 120 {
		d, err := f.svc.SaveDraft(ctx, 0, in, 1)
		if err != nil {
			t.Fatal(err)
		}
		before = append(before, d.ID)
	}

	dst := filepath.Join(t.TempDir(), "backup.db")
	var steps, last, written int
	res, err := Backup(ctx, f.path, dst, BackupOptions{StepPages: 8, Progress: func(done, total int) {
		steps++
		if done < last || done > total {
			t.Errorf("progress %d/%d after %d", done, total, last)
		}
		last = done
		if steps%5 == 0 { // between steps, another connection commits
			if _, err := f.svc.SaveDraft(ctx, 0, in, 1); err != nil {
				t.Error(err)
			}
			if err := f.store.gdb.Exec("UPDATE articles SET title = 'changed' WHERE draft_id = ?", before[written%len(before)]).Error; err != nil {
				t.Error(err)
			}
			written++
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if steps < 20 || written < 4 || last != res.Pages || res.Bytes != int64(res.Pages*res.PageSize) {
		t.Fatalf("%d steps, %d writes during the backup, last progress %d of %+v", steps, written, last, res)
	}
	if fi, err := os.Stat(dst); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v, mode %v", err, fi.Mode())
	}
	if _, err := os.Stat(dst + "-wal"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("backup left a WAL beside it: %v", err)
	}

	raw, err := sql.Open("sqlite3", "file:"+dst+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var check, mode string
	if err := raw.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check = %q, %v", check, err)
	}
	if err := raw.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "delete" {
		t.Fatalf("journal_mode = %q, %v", mode, err)
	}
	var drafts, articles, changed, maxID int
	q := `SELECT (SELECT count(*) FROM drafts), (SELECT count(*) FROM articles),
		(SELECT count(*) FROM articles WHERE title = 'changed'), (SELECT max(id) FROM drafts)`
	if err := raw.QueryRow(q).Scan(&drafts, &articles, &changed, &maxID); err != nil {
		t.Fatal(err)
	}
	if drafts != len(before) || articles != 3*len(before) || changed != 0 || maxID != int(before[len(before)-1]) {
		t.Fatalf("backup holds %d drafts, %d articles, %d changed titles, last draft %d; want the %d drafts of its start, whole and unchanged",
			drafts, articles, changed, maxID, len(before))
	}

	// It is a Qunfa database: it opens (no migration pending) and reads.
	st, err := Open(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc := NewService(st, nil, Rules{}, nil)
	d, err := svc.Draft(ctx, before[0])
	if err != nil || len(d.Articles) != 3 || d.Articles[0].Title == "changed" {
		t.Fatalf("draft in the backup: %+v, %v", d, err)
	}
}

// Backup refuses what would lose data: an existing file without Overwrite (left as it was),
// the database itself, a database that is not there. With Overwrite it replaces the file.
func TestBackupRefusals(t *testing.T) {
	skipOnPostgres(t, "online backup of the SQLite file (PostgreSQL: pg_dump)")
	f := newFixture(t)
	ctx := context.Background()
	dir := t.TempDir()
	dst := filepath.Join(dir, "b.db")
	if err := os.WriteFile(dst, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Backup(ctx, f.path, dst, BackupOptions{}); !errors.Is(err, ErrBackupExists) {
		t.Fatalf("existing file: %v", err)
	}
	if b, _ := os.ReadFile(dst); string(b) != "keep me" {
		t.Fatal("the refused backup touched the file")
	}
	if _, err := Backup(ctx, f.path, f.path, BackupOptions{Overwrite: true}); !errors.Is(err, ErrBackupIsDatabase) {
		t.Fatalf("backup onto the database: %v", err)
	}
	if _, err := Backup(ctx, filepath.Join(dir, "none.db"), filepath.Join(dir, "c.db"), BackupOptions{}); !errors.Is(err, ErrNoDatabase) {
		t.Fatalf("no database: %v", err)
	}
	if _, err := Backup(ctx, f.path, dst, BackupOptions{Overwrite: true}); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(dst); fi.Mode().Perm() != 0o600 {
		t.Fatalf("overwritten backup mode %v", fi.Mode())
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if fmt.Sprint(names) != "[b.db]" {
		t.Fatalf("files left in the backup's directory: %v", names)
	}
}
