package handlers

import (
	"encoding/csv"
	"fmt"
	"net/http"
)

// csvStream is a CSV download written as its rows are read (the audit log's, the history's):
// the headers, the byte-order mark Excel needs to read Chinese, then rows flushed every 500 so a
// long export streams instead of waiting in a buffer.
type csvStream struct {
	w    *csv.Writer
	rows int
}

// startCSV sends the headers and the byte-order mark of filename; nil when the client has gone.
func startCSV(w http.ResponseWriter, filename string) *csvStream {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"`, filename))
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write([]byte("\uFEFF")); err != nil {
		return nil
	}
	return &csvStream{w: csv.NewWriter(w)}
}

// row writes one record (the caller makes its cells csvSafe where they come from users).
func (s *csvStream) row(rec []string) error {
	if err := s.w.Write(rec); err != nil {
		return err
	}
	if s.rows++; s.rows%500 == 0 {
		s.w.Flush()
		return s.w.Error()
	}
	return nil
}

// end flushes what is left; with the headers sent, a failure can only cut the file short, and
// the log says why.
func (a *app) endCSV(s *csvStream, what string, err error) {
	s.w.Flush()
	if err == nil {
		err = s.w.Error()
	}
	if err != nil {
		a.log.Error(what+" cut short", "rows", s.rows, "err", err)
	}
}
