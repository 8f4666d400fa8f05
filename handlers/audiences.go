package handlers

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"qunfa/models"
	"qunfa/views"
)

// maxAudienceFile is the largest CSV or XLSX an audience import takes: 200,000 OpenIDs of 28
// characters with line breaks are about 6 MB as CSV (much less as XLSX), inside maxFormBytes.
const maxAudienceFile = 6 << 20

// isAudiencePost reports whether a POST is the audience import (where a body over the limit is
// a file too large).
func isAudiencePost(path string) bool { return path == "/audiences" }

func (a *app) audiencesList(c *gin.Context) error {
	ctx := c.Request.Context()
	list, err := a.svc.SavedAudiences(ctx)
	if err != nil {
		return err
	}
	page := views.AudiencesPage{}
	for _, au := range list {
		row := audienceRow(au)
		if au.IsFilter() {
			if row.Size, err = a.svc.AudienceCount(ctx, au); err != nil {
				return err
			}
		}
		page.Audiences = append(page.Audiences, row)
	}
	page.Layout = a.layout(c, "audiences.title")
	page.Layout.Nav = "audiences"
	a.render(c, http.StatusOK, views.Audiences(page))
	return nil
}

func audienceRow(au models.Audience) views.AudienceRow {
	return views.AudienceRow{ID: au.ID, Name: au.Name, Kind: au.Kind, Source: au.Source, Size: au.Size, CreatedAt: au.CreatedAt}
}

func (a *app) audienceNew(c *gin.Context) error {
	a.renderAudienceNew(c, http.StatusOK, views.AudienceNewPage{Tab: "list"})
	return nil
}

// renderAudienceNew draws the import and filter forms, with the groups or tags of the API
// profile in force for the filter.
func (a *app) renderAudienceNew(c *gin.Context, status int, p views.AudienceNewPage) {
	p.Groups, p.ByTag, p.GroupsErr = a.groupOptions(c)
	p.MaxFileMB = maxAudienceFile >> 20
	p.ReportShown = models.ReportShown
	p.Layout = a.layout(c, "audiences.new_title")
	p.Layout.Nav = "audiences"
	a.render(c, status, views.AudienceNew(p))
}

// audienceFileTooLarge answers an import whose file (or whole form) is over the limit (413),
// saying how large a file may be. It may run before the session's operator is known (the
// middleware cut the body): the page shows nothing of the account.
func (a *app) audienceFileTooLarge(c *gin.Context) {
	a.log.Warn("audience file over the limit", "limit", maxAudienceFile)
	l := views.Layout{Lang: langOf(c), Title: "err.audience_file_too_large_title", Path: c.Request.URL.Path}
	if hasSession(c.Request) {
		l.CSRF = a.csrfToken(c)
	}
	a.render(c, http.StatusRequestEntityTooLarge, views.AudienceFileTooLarge(l, maxAudienceFile>>20))
}

// audienceImport saves an OpenID list from an uploaded CSV/XLSX or pasted text, then shows its
// report.
func (a *app) audienceImport(c *gin.Context) error {
	p := views.AudienceNewPage{Tab: "list", ListName: c.PostForm("name"), Text: c.PostForm("openids")}
	in := models.AudienceImport{Name: p.ListName, Text: p.Text}
	fh, err := c.FormFile("file")
	var tooBig *http.MaxBytesError
	switch {
	case err == nil:
		if fh.Size > maxAudienceFile {
			a.audienceFileTooLarge(c)
			return nil
		}
		f, err := fh.Open()
		if err != nil {
			return err
		}
		data, err := io.ReadAll(io.LimitReader(f, maxAudienceFile+1))
		f.Close()
		if err != nil {
			return err
		}
		in.Filename, in.File = fh.Filename, data
	case errors.As(err, &tooBig):
		a.audienceFileTooLarge(c)
		return nil
	}
	if len(in.File) == 0 {
		switch {
		case strings.TrimSpace(in.Text) == "":
			p.Errors = views.FieldErrors{models.FieldAudienceList: "err.audience_nothing"}
		case !plainText(in.Text):
			p.Text = ""
			p.Errors = views.FieldErrors{models.FieldAudienceList: "err.openids_binary"}
		case listTooLong(in.Text):
			p.Errors = views.FieldErrors{models.FieldAudienceList: "err.audience_too_many_lines"}
		}
		if p.Errors != nil {
			a.renderAudienceNew(c, http.StatusUnprocessableEntity, p)
			return nil
		}
	}
	au, err := a.svc.ImportAudience(c.Request.Context(), in)
	if fe, ok := validationErrors(err); ok {
		p.Errors = fe
		a.renderAudienceNew(c, http.StatusUnprocessableEntity, p)
		return nil
	}
	if err != nil {
		return err
	}
	a.log.Info("audience imported", "audience_id", au.ID, "source", au.Source, "lines", au.Lines, "size", au.Size)
	a.audit(c, models.AuditAudienceImport, auditTarget("audience", au.ID), fmt.Sprintf("%s (%s, %d)", au.Name, au.Source, au.Size))
	a.flash(c, "flash.audience_saved")
	a.redirect(c, fmt.Sprintf("/audiences/%d", au.ID))
	return nil
}

// audienceFilterSave saves a filter (group or tag, subscription dates, fewer than N this month).
func (a *app) audienceFilterSave(c *gin.Context) error {
	form := views.AudienceFilterForm{Name: c.PostForm("name"), GroupID: c.PostForm("group_id"),
		From: c.PostForm("from"), To: c.PostForm("to"), ReceivedBelow: c.PostForm("received_below")}
	in := models.AudienceFilterInput{Name: form.Name, GroupID: form.GroupID, From: form.From, To: form.To, ReceivedBelow: form.ReceivedBelow}
	if form.GroupID != "" {
		// The name as WeChat lists it now, kept for the audience's page.
		if groups, _, err := a.svc.Audiences(c.Request.Context()); err == nil {
			for _, g := range groups {
				if strconv.FormatInt(g.ID, 10) == strings.TrimSpace(form.GroupID) {
					in.GroupName = g.Name
				}
			}
		}
	}
	au, err := a.svc.SaveAudienceFilter(c.Request.Context(), in)
	if fe, ok := validationErrors(err); ok {
		a.renderAudienceNew(c, http.StatusUnprocessableEntity, views.AudienceNewPage{Tab: "filter", Filter: form, Errors: fe})
		return nil
	}
	if err != nil {
		return err
	}
	a.audit(c, models.AuditAudienceFilter, auditTarget("audience", au.ID), au.Name)
	a.flash(c, "flash.audience_saved")
	a.redirect(c, fmt.Sprintf("/audiences/%d", au.ID))
	return nil
}

func (a *app) audienceShow(c *gin.Context) error {
	id, err := a.idParam(c)
	if err != nil {
		return err
	}
	au, err := a.svc.SavedAudience(c.Request.Context(), id)
	if err != nil {
		return err
	}
	return a.renderAudience(c, http.StatusOK, au, au.Name, nil)
}

func (a *app) renderAudience(c *gin.Context, status int, au models.Audience, name string, errs views.FieldErrors) error {
	ctx := c.Request.Context()
	l := a.layout(c, "audiences.page_title", au.Name)
	l.Nav = "audiences"
	p := views.AudiencePage{Layout: l, Audience: audienceRow(au), Lines: au.Lines, Members: au.Size, Name: name, Errors: errs}
	n, err := a.svc.AudienceCount(ctx, au)
	if err != nil {
		a.log.Error("count audience", "audience_id", au.ID, "err", err)
		p.CountErr = true
	}
	p.Count = n
	if au.IsFilter() {
		p.Condition = audienceConditions(l, au)
	} else {
		problems, err := a.svc.AudienceProblems(ctx, au.ID)
		if err != nil {
			return err
		}
		counts := map[string]int{"openid.invalid": au.Invalid, "openid.duplicate": au.Duplicate,
			"openid.unknown": au.Unknown, "openid.unsubscribed": au.Unsubscribed}
		for _, reason := range []string{"openid.invalid", "openid.duplicate", "openid.unknown", "openid.unsubscribed"} {
			g := views.AudienceReportGroup{Reason: reason, Count: counts[reason]}
			for _, pr := range problems {
				if pr.Reason == reason {
					g.Shown = append(g.Shown, views.OpenIDProblem{Line: pr.Line, Value: pr.Value, Reason: pr.Reason})
				}
			}
			p.Report = append(p.Report, g)
		}
	}
	a.render(c, status, views.AudienceShow(p))
	return nil
}

// audienceConditions says a filter's conditions in the page's language.
func audienceConditions(l views.Layout, au models.Audience) []string {
	var out []string
	if au.GroupID != nil {
		key := "audiences.cond_group"
		if au.ByTag {
			key = "audiences.cond_tag"
		}
		name := au.GroupName
		if name == "" {
			name = strconv.FormatInt(*au.GroupID, 10)
		}
		out = append(out, l.T(key, name))
	}
	switch from, to := au.SubscribedFrom, au.SubscribedTo; {
	case from != "" && to != "":
		out = append(out, l.T("audiences.cond_between", from, to))
	case from != "":
		out = append(out, l.T("audiences.cond_from", from))
	case to != "":
		out = append(out, l.T("audiences.cond_to", to))
	}
	if au.ReceivedBelow > 0 {
		out = append(out, l.T("audiences.cond_below", au.ReceivedBelow))
	}
	return out
}

func (a *app) audienceRename(c *gin.Context) error {
	id, err := a.idParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request.Context()
	au, err := a.svc.SavedAudience(ctx, id)
	if err != nil {
		return err
	}
	name := c.PostForm("name")
	err = a.svc.RenameAudience(ctx, id, name)
	if fe, ok := validationErrors(err); ok {
		return a.renderAudience(c, http.StatusUnprocessableEntity, au, name, fe)
	}
	if err != nil {
		return err
	}
	a.audit(c, models.AuditAudienceRename, auditTarget("audience", id), name)
	a.flash(c, "flash.audience_renamed")
	a.redirect(c, fmt.Sprintf("/audiences/%d", id))
	return nil
}

func (a *app) audienceDelete(c *gin.Context) error {
	id, err := a.idParam(c)
	if err != nil {
		return err
	}
	if err := a.svc.DeleteAudience(c.Request.Context(), id); err != nil {
		return err
	}
	a.log.Info("audience deleted", "audience_id", id, "operator_id", operatorOf(c).ID)
	a.audit(c, models.AuditAudienceDelete, auditTarget("audience", id), "")
	a.flash(c, "flash.audience_deleted")
	a.redirect(c, "/audiences")
	return nil
}
