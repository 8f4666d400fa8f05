package handlers

import (
	"encoding/csv"
	"fmt"
	"strconv"

	"github.com/gin-gonic/gin"

	"qunfa/models"
	"qunfa/views"
)

// auditCSV exports the entries the page's filter selects (GET /audit.csv, admins), newest
// first, written as they are read a page at a time: the whole log is never held in memory.
// UTF-8 with a byte-order mark so Excel reads the Chinese right; a cell that would start a
// formula is quoted with an apostrophe.
func (a *app) auditCSV(c *gin.Context) error {
	f, _ := auditFilter(c)
	lang := langOf(c)
	l := views.Layout{Lang: lang}
	w := c.Writer
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="qunfa-audit-%s.csv"`, a.now().In(models.Beijing).Format("20060102-150405")))
	w.WriteHeader(200)
	if _, err := w.WriteString("\uFEFF"); err != nil {
		return nil // the client went away; nothing to answer
	}
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{l.T("audit.col_at"), l.T("audit.col_operator_id"), l.T("audit.operator"), l.T("audit.col_addr"),
		l.T("audit.col_action_key"), l.T("audit.action"), l.T("audit.target"), l.T("audit.col_detail")})
	n := 0
	err := a.svc.EachAudit(c.Request.Context(), f, func(e models.AuditEntry) error {
		rec := []string{views.FormatTime(e.At), strconv.FormatUint(uint64(e.OperatorID), 10), e.Username, e.ClientAddr,
			e.Action, l.T(auditActionKey(e.Action)), e.Target, e.Detail}
		for i := range rec {
			rec[i] = csvSafe(rec[i])
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
		if n++; n%500 == 0 {
			cw.Flush()
			return cw.Error()
		}
		return nil
	})
	cw.Flush()
	if err == nil {
		err = cw.Error()
	}
	if err != nil {
		// Headers are sent: the file ends short, the log says why.
		a.log.Error("audit export cut short", "rows", n, "err", err)
	}
	return nil
}

// csvSafe keeps a spreadsheet from reading a cell as a formula (CSV injection): a value that
// starts with = + - @ (or a tab or carriage return, which some spreadsheets skip before one)
// gets a leading apostrophe.
func csvSafe(v string) string {
	if v == "" {
		return v
	}
	switch v[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + v
	}
	return v
}
