package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"qunfa/models"
	"qunfa/views/i18n"
)

// backupUsage explains `qunfa backup`.
const backupUsage = `usage: qunfa backup [-db DATABASE] [-force] FILE

Copies the database into FILE while Qunfa may be serving (SQLite's online backup: one
consistent snapshot, writers are not stopped). The database is the dashboard's: -db, else
QUNFA_DB, else qunfa.db. FILE is created 0600; an existing FILE is refused unless -force.
在 Qunfa 运行时把数据库备份到 FILE（SQLite 在线备份，一致的快照）。恢复方法见 README。
`

// backupStepPages is how many pages each step copies (4 MiB of 4 KiB pages): a progress line
// per step for a large database.
const backupStepPages = 1024

// runBackup serves `qunfa backup`.
func runBackup(ctx context.Context, args []string, env func(string) (string, bool), stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("qunfa backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, backupUsage); fs.PrintDefaults() }
	db := "qunfa.db"
	if v, ok := env("QUNFA_DB"); ok && v != "" {
		db = v
	}
	fs.StringVar(&db, "db", db, "SQLite database file 数据库文件 (QUNFA_DB)")
	force := fs.Bool("force", false, "overwrite an existing FILE 覆盖已有的备份文件")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	// Flags may follow FILE too: qunfa backup out.db -force.
	rest := fs.Args()
	if len(rest) > 1 {
		if err := fs.Parse(rest[1:]); err != nil {
			return err
		}
		rest = append(rest[:1], fs.Args()...)
	}
	if len(rest) != 1 || rest[0] == "" {
		fs.Usage()
		return errors.New(i18n.Both("backup.no_file"))
	}
	file := rest[0]
	res, err := models.Backup(ctx, db, file, models.BackupOptions{
		Overwrite: *force,
		StepPages: backupStepPages,
		Progress: func(done, total int) {
			if total > backupStepPages { // only a database of several steps
				fmt.Fprintln(stderr, i18n.Both("backup.progress", done, total))
			}
		},
	})
	switch {
	case errors.Is(err, models.ErrBackupPostgres):
		return errors.New(i18n.Both("backup.postgres"))
	case errors.Is(err, models.ErrBackupExists):
		return errors.New(i18n.Both("backup.exists", file))
	case errors.Is(err, models.ErrNoDatabase):
		return errors.New(i18n.Both("backup.no_database", db))
	case errors.Is(err, models.ErrBackupIsDatabase):
		return errors.New(i18n.Both("backup.is_database", db))
	case err != nil:
		return fmt.Errorf("%s: %w", i18n.Both("backup.failed", db), err)
	}
	size := fmt.Sprintf("%.1f MB", float64(res.Bytes)/1e6)
	fmt.Fprintln(stdout, i18n.Both("backup.done", db, file, res.Pages, size, res.Took.Round(time.Millisecond)))
	return nil
}
