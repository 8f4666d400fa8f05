package handlers

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"qunfa/models"
	"qunfa/views"
)

// sessEpoch is the operator's session epoch when the session started (login.go). requireLogin
// ends a session whose epoch is not the operator's: their password changed since.
const sessEpoch = "session_epoch"

func (a *app) sessionEpoch(ctx context.Context) int64 { return a.sessions.GetInt64(ctx, sessEpoch) }

// accountPasswordForm is every operator's own password form (GET /account/password).
func (a *app) accountPasswordForm(c *gin.Context) error {
	a.render(c, http.StatusOK, views.AccountPassword(views.AccountPasswordPage{
		Layout: a.layout(c, "account.password_title"), Forced: operatorOf(c).MustChangePassword,
	}))
	return nil
}

// accountPasswordSave changes the operator's own password (POST /account/password). The
// operator's other sessions end (their epoch is now behind); this one takes the new epoch under a
// new token.
func (a *app) accountPasswordSave(c *gin.Context) error {
	ctx := c.Request.Context()
	ch := models.PasswordChange{Current: c.PostForm("current"), New: c.PostForm("new"), Confirm: c.PostForm("confirm")}
	op, err := a.svc.ChangeOwnPassword(ctx, operatorOf(c), ch)
	if fe, ok := validationErrors(err); ok {
		a.render(c, http.StatusUnprocessableEntity, views.AccountPassword(views.AccountPasswordPage{
			Layout: a.layout(c, "account.password_title"), Errors: fe, Forced: operatorOf(c).MustChangePassword,
		}))
		return nil
	}
	if err != nil {
		return err
	}
	if err := a.sessions.RenewToken(ctx); err != nil {
		return err
	}
	a.sessions.Put(ctx, sessEpoch, op.SessionEpoch)
	a.log.Info("operator changed own password", "operator_id", op.ID)
	a.audit(c, models.AuditAccountPassword, auditTarget("operator", op.ID), "")
	a.flash(c, "account.password_changed")
	if operatorOf(c).MustChangePassword {
		a.redirect(c, homeOf(op)) // chosen at last: on to where they were going to start
		return nil
	}
	a.redirect(c, "/account/password")
	return nil
}

// passwordChangeAllowed: the routes an operator whose password an admin set may use before
// choosing their own (models.Operator.MustChangePassword): the form itself and logging out.
func passwordChangeAllowed(c *gin.Context) bool {
	switch c.FullPath() {
	case "/account/password", "/logout":
		return true
	}
	return false
}

// requirePasswordChange sends an operator who must choose their own password to the form: a page
// is redirected there, an htmx poll takes the whole page there, any other action is refused.
func (a *app) requirePasswordChange(c *gin.Context) {
	switch {
	case c.GetHeader("HX-Request") == "true":
		c.Header("HX-Redirect", "/account/password")
		c.Status(http.StatusUnauthorized)
	case c.Request.Method == http.MethodGet:
		a.redirect(c, "/account/password")
	default:
		a.renderError(c, http.StatusForbidden, "err.password_change_required")
	}
}
