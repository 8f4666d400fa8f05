package handlers

import (
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
	out := startCSV(c.Writer, "qunfa-audit-"+a.now().In(models.Beijing).Format("20060102-150405")+".csv")
	if out == nil {
		return nil // the client went away; nothing to answer
	}
	_ = out.w.Write([]string{l.T("audit.col_at"), l.T("audit.col_operator_id"), l.T("audit.operator"), l.T("audit.col_addr"),
		l.T("audit.col_action_key"), l.T("audit.action"), l.T("audit.target"), l.T("audit.col_detail")})
	err := a.svc.EachAudit(c.Request.Context(), f, func(e models.AuditEntry) error {
		rec := []string{views.FormatTime(e.At), strconv.FormatUint(uint64(e.OperatorID), 10), e.Username, e.ClientAddr,
			e.Action, l.T(auditActionKey(e.Action)), e.Target, e.Detail}
		for i := range rec {
			rec[i] = csvSafe(rec[i])
		}
		return out.row(rec)
	})
	a.endCSV(out, "audit export", err)
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
