package handlers

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"qunfa/models"
	"qunfa/views"
)

// auditPage lists the audit log, newest first, filtered (GET /audit, admins). ?before=<id>
// pages to older entries (keyset: the 1000th page costs what the first does).
func (a *app) auditPage(c *gin.Context) error {
	ctx := c.Request.Context()
	f, form := auditFilter(c)
	if b := c.Query("before"); b != "" {
		n, err := strconv.ParseUint(b, 10, 32)
		if err != nil || n == 0 {
			return models.ErrNotFound
		}
		f.Before = uint(n)
	}
	page, err := a.svc.AuditLog(ctx, f, models.AuditPageSize)
	if err != nil {
		return err
	}
	ops, err := a.svc.AuditOperators(ctx)
	if err != nil {
		return err
	}
	l := a.layout(c, "audit.title")
	l.Nav = "audit"
	p := views.AuditPage{Layout: l, Filter: form, CSVURL: "/audit.csv"}
	q := auditQuery(form)
	if enc := q.Encode(); enc != "" {
		p.CSVURL += "?" + enc
	}
	if f.Before != 0 {
		p.FirstURL = "/audit"
		if enc := q.Encode(); enc != "" {
			p.FirstURL += "?" + enc
		}
	}
	if page.Next != 0 {
		q.Set("before", strconv.FormatUint(uint64(page.Next), 10))
		p.NextURL = "/audit?" + q.Encode()
	}
	for _, o := range ops {
		p.Operators = append(p.Operators, views.AuditOption{Value: strconv.FormatUint(uint64(o.ID), 10), Label: o.Username})
	}
	for _, k := range models.AuditActions {
		p.Actions = append(p.Actions, views.AuditOption{Value: k, Label: l.T(auditActionKey(k))})
	}
	for _, e := range page.Entries {
		p.Entries = append(p.Entries, views.AuditRow{At: e.At, Username: e.Username, OperatorID: e.OperatorID,
			ClientAddr: e.ClientAddr, Action: e.Action, ActionLabel: l.T(auditActionKey(e.Action)), Target: e.Target, Detail: e.Detail})
	}
	a.render(c, http.StatusOK, views.Audit(p))
	return nil
}

// auditActionKey is the catalogue key of an action's words.
func auditActionKey(action string) string { return "audit.action." + action }

// auditFilter reads the filter from the query: dates are Beijing days, To inclusive. A value
// that does not parse filters nothing (the form shows it back as typed).
func auditFilter(c *gin.Context) (models.AuditFilter, views.AuditFilterForm) {
	form := views.AuditFilterForm{
		From:     strings.TrimSpace(c.Query("from")),
		To:       strings.TrimSpace(c.Query("to")),
		Operator: strings.TrimSpace(c.Query("operator")),
		Action:   strings.TrimSpace(c.Query("action")),
		Target:   strings.TrimSpace(c.Query("target")),
	}
	var f models.AuditFilter
	if d, err := time.ParseInLocation(time.DateOnly, form.From, models.Beijing); err == nil {
		f.From = d
	}
	if d, err := time.ParseInLocation(time.DateOnly, form.To, models.Beijing); err == nil {
		f.To = d.AddDate(0, 0, 1)
	}
	if n, err := strconv.ParseUint(form.Operator, 10, 32); err == nil {
		id := uint(n)
		f.OperatorID = &id
	}
	if slices.Contains(models.AuditActions, form.Action) {
		f.Action = form.Action
	}
	if len(form.Target) > 128 {
		form.Target = form.Target[:128]
	}
	f.Target = form.Target
	return f, form
}

// auditQuery is the filter as URL parameters (empty ones left out).
func auditQuery(f views.AuditFilterForm) url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"from": f.From, "to": f.To, "operator": f.Operator, "action": f.Action, "target": f.Target} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q
}
