package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/gin-gonic/gin"

	"qunfa/models"
	"qunfa/views"
	"qunfa/views/i18n"
)

// layout builds the data every page shares: language, CSRF token, the
// operator and today's quota (when logged in) and the one-time flash.
func (a *app) layout(c *gin.Context, title string, titleArgs ...any) views.Layout {
	ctx := c.Request.Context()
	l := views.Layout{
		Lang:      langOf(c),
		Title:     title,
		TitleArgs: titleArgs,
		CSRF:      a.csrfToken(c),
		Path:      c.Request.URL.Path,
	}
	l.Flash, l.FlashArgs = splitFlash(a.popFlash(c))
	if op := operatorOf(c); op.ID != 0 {
		l.Operator = op.Username
		l.CanEdit, l.CanAdmin = op.Role.AtLeast(editor), op.Role.AtLeast(admin)
		l.QuotaTotal = a.svc.Rules().DailyQuota
		left, err := a.svc.QuotaLeft(ctx)
		if err != nil {
			a.log.Error("quota left", "err", err)
		}
		l.QuotaLeft = left
		if l.MissedSchedules, err = a.svc.MissedSchedules(ctx); err != nil {
			a.log.Error("missed schedules", "err", err)
		}
	}
	return l
}

// flash stores a one-time message for the next page: a catalogue key and the
// values for its verbs, worded in the language of the page that shows it. It travels in a signed
// cookie (flash_cookie.go), not the session: every session write waits for SQLite's one writer.
func (a *app) flash(c *gin.Context, key string, args ...string) {
	a.setFlashCookie(c, strings.Join(append([]string{key}, args...), flashSep))
}

// flashSep separates a flash's key from its values in the session.
const flashSep = "\x1f"

func splitFlash(s string) (key string, args []any) {
	if s == "" {
		return "", nil
	}
	parts := strings.Split(s, flashSep)
	for _, p := range parts[1:] {
		args = append(args, p)
	}
	return parts[0], args
}

func (a *app) redirect(c *gin.Context, to string) {
	c.Redirect(http.StatusSeeOther, to)
}

// render writes a templ component as the response.
func (a *app) render(c *gin.Context, status int, page templ.Component) {
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Status(status)
	if err := page.Render(c.Request.Context(), c.Writer); err != nil {
		a.log.Error("render page", "path", c.Request.URL.Path, "err", err)
	}
}

// renderError shows an error page in the visitor's language: a message and, for a validation
// error, the field messages (catalogue keys).
func (a *app) renderError(c *gin.Context, status int, messageKey string, details ...string) {
	l := views.Layout{
		Lang:  langOf(c),
		Title: "error.title",
		Path:  c.Request.URL.Path,
	}
	if _, ok := c.Get(ctxOperator); ok {
		l.Operator = operatorOf(c).Username
		l.CanEdit, l.CanAdmin = operatorOf(c).Role.AtLeast(editor), operatorOf(c).Role.AtLeast(admin)
		l.QuotaTotal = a.svc.Rules().DailyQuota
	}
	// Static files and the callback run without a session (and need no token).
	if hasSession(c.Request) {
		l.CSRF = a.csrfToken(c)
	}
	a.render(c, status, views.Error(views.ErrorPage{Layout: l, Status: status, Message: messageKey, Details: details}))
}

// writeBareError is renderError for plain net/http code outside gin.
func (a *app) writeBareError(w http.ResponseWriter, r *http.Request, status int, messageKey string) {
	lang := "zh"
	if ck, err := r.Cookie(langCookie); err == nil {
		lang = i18n.Normalize(ck.Value)
	}
	l := views.Layout{Lang: lang, Title: "error.title", Path: r.URL.Path}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := views.Error(views.ErrorPage{Layout: l, Status: status, Message: messageKey}).Render(r.Context(), w); err != nil {
		a.log.Error("render error page", "err", err)
	}
}

// notFound answers the 404 page (unknown routes, missing static files).
func (a *app) notFound(c *gin.Context) { a.fail(c, models.ErrNotFound) }

// idParam reads a positive numeric :id; anything else is not found.
func (a *app) idParam(c *gin.Context) (uint, error) {
	id, err := strconv.ParseUint(c.Param("id"), 10, 32)
	if err != nil || id == 0 {
		return 0, fmt.Errorf("id %q: %w", c.Param("id"), models.ErrNotFound)
	}
	return uint(id), nil
}

// loadDraft loads the draft named by the :id parameter.
func (a *app) loadDraft(c *gin.Context) (models.Draft, error) {
	id, err := a.idParam(c)
	if err != nil {
		return models.Draft{}, err
	}
	return a.svc.Draft(c.Request.Context(), id)
}

// draftParam is loadDraft for the send actions that answer their errors themselves: the error
// page has gone out (through fail) when it reports false.
func (a *app) draftParam(c *gin.Context) (models.Draft, bool) {
	d, err := a.loadDraft(c)
	if err != nil {
		a.fail(c, err)
		return models.Draft{}, false
	}
	return d, true
}

// validationErrors extracts field errors from a models validation error.
func validationErrors(err error) (views.FieldErrors, bool) {
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		return views.FieldErrors(ve.Fields), true
	}
	return nil, false
}
