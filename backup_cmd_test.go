package main

import (
	"bytes"
	"context"
	"database/sql"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"qunfa/models"
)

// `qunfa backup FILE` while the dashboard serves the database and another writer keeps saving
// drafts: the copy is 0600, opens as a Qunfa database, passes integrity_check and holds only
// whole drafts; the database comes from QUNFA_DB or -db; an existing FILE is refused (and left
// as it was) unless -force; what it did is said in Chinese and English.
func TestBackupCommandWhileServing(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "qunfa.db")
	base, _ := startAppOn(t, map[string]string{"QUNFA_DB": db})

	st, err := models.Open(db) // a second writer on the served database
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc := models.NewService(st, nil, models.Rules{}, nil)
	ctx := context.Background()
	th, err := svc.SaveThumb(ctx, "cover.jpg", jpegCover(t))
	if err != nil {
		t.Fatal(err)
	}
	in := models.DraftInput{}
	for range 3 {
		in.Articles = append(in.Articles, models.ArticleInput{Title: "备份", Content: "<p>" + strings.Repeat("正文", 500) + "</p>", ThumbID: th.ID})
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var saved atomic.Int32
	wg.Add(2)
	go func() { // the writer
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := svc.SaveDraft(ctx, 0, in, 0); err != nil {
				t.Error(err)
				return
			}
			saved.Add(1)
		}
	}()
	go func() { // and the dashboard answering meanwhile
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			resp, err := http.Get(base + "/login")
			if err != nil || resp.StatusCode != http.StatusOK {
				t.Errorf("dashboard during the backup: %v %v", resp, err)
				return
			}
			resp.Body.Close()
		}
	}()

	for saved.Load() < 5 { // the backup starts with drafts there and more coming
		time.Sleep(5 * time.Millisecond)
	}
	out := filepath.Join(dir, "backup.db")
	var stdout, stderr bytes.Buffer
	err = runBackup(ctx, []string{out}, envOf(map[string]string{"QUNFA_DB": db}), &stdout, &stderr)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatalf("backup: %v\n%s", err, stderr.String())
	}
	if n := saved.Load(); n < 6 {
		t.Fatalf("the writer saved only %d drafts", n)
	}
	msg := stdout.String()
	if !strings.Contains(msg, "已将数据库") || !strings.Contains(msg, "backed up the database") || !strings.Contains(msg, out) {
		t.Fatalf("output %q", msg)
	}
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v %v", fi, err)
	}
	raw, err := sql.Open("sqlite3", "file:"+out+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	var check string
	var drafts, whole int
	if err := raw.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check %q %v", check, err)
	}
	if err := raw.QueryRow(`SELECT count(*), count(*) FILTER (WHERE (SELECT count(*) FROM articles a WHERE a.draft_id = d.id) = 3)
		FROM drafts d`).Scan(&drafts, &whole); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	if drafts == 0 || whole != drafts {
		t.Fatalf("backup: %d drafts, %d of them whole", drafts, whole)
	}
	copyStore, err := models.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	copyStore.Close()

	// Refused without -force, and the file left alone; -db wins over QUNFA_DB; flags after FILE.
	before, _ := os.ReadFile(out)
	stdout.Reset()
	err = runBackup(ctx, []string{"-db", db, out}, envOf(map[string]string{"QUNFA_DB": filepath.Join(dir, "nothing.db")}), &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "已存在") || !strings.Contains(err.Error(), "-force") {
		t.Fatalf("existing file: %v", err)
	}
	if after, _ := os.ReadFile(out); !bytes.Equal(before, after) {
		t.Fatal("a refused backup changed the file")
	}
	if err := runBackup(ctx, []string{"-db", db, out, "-force"}, envOf(nil), &stdout, &stderr); err != nil {
		t.Fatalf("-force: %v", err)
	}
	if err := runBackup(ctx, []string{filepath.Join(dir, "b2.db")}, envOf(map[string]string{"QUNFA_DB": filepath.Join(dir, "nothing.db")}), &stdout, &stderr); err == nil ||
		!strings.Contains(err.Error(), "找不到数据库") || !strings.Contains(err.Error(), "no database at") {
		t.Fatalf("missing database: %v", err)
	}
	if err := runBackup(ctx, nil, envOf(nil), &stdout, &stderr); err == nil || !strings.Contains(err.Error(), "qunfa backup") {
		t.Fatalf("no FILE: %v", err)
	}
}

// qunfa backup of a PostgreSQL database says to use pg_dump, in both languages, without the URL's
// password.
func TestBackupCommandRefusesPostgres(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := runBackup(context.Background(), []string{filepath.Join(t.TempDir(), "b.db")},
		envOf(map[string]string{"QUNFA_DB": "postgres://qunfa:PGSECRET@db/qunfa"}), &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "pg_dump") || strings.Contains(err.Error(), "PGSECRET") {
		t.Fatalf("backup of a PostgreSQL URL = %v", err)
	}
}
