package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/mattn/go-sqlite3"
)

// ErrBackupExists: the backup's file exists and overwriting was not asked for.
var ErrBackupExists = errors.New("models: backup file exists")

// ErrNoDatabase: there is no database file to back up.
var ErrNoDatabase = errors.New("models: no database file")

// ErrBackupPostgres refuses `qunfa backup` of a PostgreSQL database: SQLite's online backup does
// not apply; pg_dump does.
var ErrBackupPostgres = errors.New("models: qunfa backup copies a SQLite file; back a PostgreSQL database up with pg_dump")

// ErrBackupIsDatabase: the backup would overwrite the database it copies.
var ErrBackupIsDatabase = errors.New("models: backup file is the database itself")

// BackupOptions tune Backup; the zero value is fine.
type BackupOptions struct {
	Overwrite bool // replace an existing dst
	// StepPages is how many pages each step copies (default 1024, 4 MiB of 4 KiB pages).
	StepPages int
	// Progress, when set, is called after each step with the pages copied and the total.
	Progress func(done, total int)
}

// BackupResult says what a backup copied.
type BackupResult struct {
	Pages, PageSize int
	Bytes           int64
	Took            time.Duration
}

// Backup copies the database at src into a new file dst with SQLite's online backup API, while
// Qunfa may be serving from src. The copy is one snapshot: the source connection holds a single
// read transaction across every step (in WAL mode writers go on meanwhile, and the backup never
// restarts), so it is the database as of one commit, whatever is written during it. The copy is
// made in a 0600 file beside dst, left in rollback-journal mode (one self-contained file), checked
// with quick_check, then moved into place: dst is never a half-written file, and without
// Overwrite an existing dst is refused (atomically, by a hard link).
func Backup(ctx context.Context, src, dst string, opt BackupOptions) (res BackupResult, err error) {
	start := time.Now()
	if IsPostgresURL(src) {
		return res, ErrBackupPostgres
	}
	if opt.StepPages <= 0 {
		opt.StepPages = 1024
	}
	si, err := os.Stat(src)
	if err != nil || !si.Mode().IsRegular() {
		return res, fmt.Errorf("%w: %s", ErrNoDatabase, src)
	}
	if di, err := os.Stat(dst); err == nil {
		if os.SameFile(si, di) {
			return res, ErrBackupIsDatabase
		}
		if !opt.Overwrite {
			return res, fmt.Errorf("%w: %s", ErrBackupExists, dst)
		}
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".tmp-*")
	if err != nil {
		return res, err
	}
	tmpPath := tmp.Name()
	// CreateTemp makes it 0600 whatever the umask; SQLite writes into the file as it is.
	if err := tmp.Close(); err != nil {
		return res, err
	}
	defer func() {
		if err != nil {
			_ = os.Remove(tmpPath)
			_ = os.Remove(tmpPath + "-journal")
		}
	}()
	if res, err = copyPages(ctx, src, tmpPath, opt); err != nil {
		return res, err
	}
	if err := syncFile(tmpPath); err != nil {
		return res, err
	}
	if opt.Overwrite {
		err = os.Rename(tmpPath, dst)
	} else if err = os.Link(tmpPath, dst); err == nil {
		err = os.Remove(tmpPath)
	} else if errors.Is(err, os.ErrExist) {
		err = fmt.Errorf("%w: %s", ErrBackupExists, dst)
	}
	if err != nil {
		return res, err
	}
	res.Took = time.Since(start)
	return res, nil
}

// copyPages runs the backup from src into the empty file dst and checks the copy.
func copyPages(ctx context.Context, src, dst string, opt BackupOptions) (res BackupResult, err error) {
	srcDB, err := sql.Open("sqlite3", readerDSN(src))
	if err != nil {
		return res, err
	}
	defer srcDB.Close()
	sc, err := srcDB.Conn(ctx)
	if err != nil {
		return res, err
	}
	defer sc.Close()
	// The snapshot: one read transaction for the whole copy, begun by a first read.
	if _, err := sc.ExecContext(ctx, "BEGIN"); err != nil {
		return res, err
	}
	defer sc.ExecContext(context.WithoutCancel(ctx), "ROLLBACK") //nolint:errcheck // read only
	if err := sc.QueryRowContext(ctx, "PRAGMA page_size").Scan(&res.PageSize); err != nil {
		return res, err
	}
	var n int
	if err := sc.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema").Scan(&n); err != nil {
		return res, err
	}

	dstDB, err := sql.Open("sqlite3", "file:"+escapePath(dst)+"?_busy_timeout=5000")
	if err != nil {
		return res, err
	}
	defer dstDB.Close()
	dc, err := dstDB.Conn(ctx)
	if err != nil {
		return res, err
	}
	defer dc.Close()
	err = dc.Raw(func(d any) error {
		return sc.Raw(func(s any) error {
			bk, err := d.(*sqlite3.SQLiteConn).Backup("main", s.(*sqlite3.SQLiteConn), "main")
			if err != nil {
				return err
			}
			for {
				done, err := bk.Step(opt.StepPages)
				if err != nil {
					_ = bk.Close()
					return err
				}
				res.Pages = bk.PageCount()
				if opt.Progress != nil {
					opt.Progress(res.Pages-bk.Remaining(), res.Pages)
				}
				if done {
					return bk.Finish()
				}
				if err := ctx.Err(); err != nil {
					_ = bk.Close()
					return err
				}
			}
		})
	})
	if err != nil {
		return res, fmt.Errorf("models: backup: %w", err)
	}
	// The source is in WAL mode and the copy took its header: make the copy one file.
	if _, err := dc.ExecContext(ctx, "PRAGMA journal_mode=DELETE"); err != nil {
		return res, err
	}
	var check string
	if err := dc.QueryRowContext(ctx, "PRAGMA quick_check").Scan(&check); err != nil {
		return res, err
	}
	if check != "ok" {
		return res, fmt.Errorf("models: backup check: %s", check)
	}
	res.Bytes = int64(res.Pages) * int64(res.PageSize)
	return res, nil
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
