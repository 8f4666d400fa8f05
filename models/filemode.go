package models

import (
	"errors"
	"io/fs"
	"os"
)

// The database file and SQLite's -wal and -shm files beside it hold sessions, settings and the
// follower list: only the owner may read them (issue 8 §2), whatever the umask. The main file
// is created 0600 before SQLite opens it; SQLite creates -wal and -shm with the main file's
// permissions on unix. Files left looser by an earlier version are tightened at start.

// dbFiles are the files of the database at path.
func dbFiles(path string) []string { return []string{path, path + "-wal", path + "-shm"} }

// prepareDBFile creates the database file 0600 when it does not exist yet, and makes the
// existing files of the database 0600 when they are looser.
func prepareDBFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	for _, p := range dbFiles(path) {
		if err := tightenMode(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// tightenMode takes group and other permissions off the file at path.
func tightenMode(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	if st.Mode().Perm()&0o077 != 0 {
		return os.Chmod(path, st.Mode().Perm()&0o700)
	}
	return nil
}
