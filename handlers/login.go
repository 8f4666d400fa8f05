package handlers

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"qunfa/models"
	"qunfa/views"
)

type loginForm struct {
	Username string
	Password string
	Next     string
}

func (a *app) loginForm(c *gin.Context) error {
	ctx := c.Request.Context()
	if a.sessions.GetInt64(ctx, sessOperator) > 0 {
		a.redirect(c, safeNext(c.Query("next"), "/")) // home picks by role
		return nil
	}
	open, err := a.svc.SetupOpen(ctx)
	if err != nil {
		return err
	}
	if open {
		a.redirect(c, "/setup")
		return nil
	}
	a.render(c, http.StatusOK, views.Login(views.LoginPage{
		Layout: a.layout(c, "login.title"),
		Next:   safeNext(c.Query("next"), ""),
	}))
	return nil
}

// login answers a wrong username and a wrong password identically.
func (a *app) login(c *gin.Context) error {
	f := loginForm{
		Username: c.PostForm("username"),
		Password: c.PostForm("password"),
		Next:     c.PostForm("next"),
	}
	if refused, err := a.loginThrottled(c, f); refused || err != nil { // login_throttle.go
		return err
	}
	op, err := a.svc.Authenticate(c.Request.Context(), f.Username, f.Password)
	if errors.Is(err, models.ErrBadCredentials) {
		a.auditAs(c, models.Operator{Username: f.Username}, models.AuditLoginFailed, "", "")
		if locked, err := a.loginFailed(c, f); locked || err != nil { // counts and logs it
			return err
		}
		msg := "err.bad_credentials"
		if errors.Is(err, models.ErrOperatorDisabled) {
			msg = "err.operator_disabled"
		}
		a.render(c, http.StatusUnauthorized, views.Login(views.LoginPage{
			Layout:   a.layout(c, "login.title"),
			Username: f.Username,
			Next:     safeNext(f.Next, ""),
			Error:    msg,
		}))
		return nil
	}
	if err != nil {
		return err
	}
	if err := a.loginSucceeded(c, f); err != nil {
		return err
	}
	if err := a.startSession(c, op); err != nil {
		return err
	}
	a.log.Info("operator logged in", "operator_id", op.ID)
	a.auditAs(c, op, models.AuditLoginOK, auditTarget("operator", op.ID), "")
	a.redirect(c, safeNext(f.Next, homeOf(op)))
	return nil
}

// startSession renews the session token (no fixation) and binds it to op,
// with a fresh CSRF token.
func (a *app) startSession(c *gin.Context, op models.Operator) error {
	ctx := c.Request.Context()
	if err := a.sessions.RenewToken(ctx); err != nil {
		return err
	}
	a.sessions.Put(ctx, sessOperator, int64(op.ID))
	a.sessions.Put(ctx, sessEpoch, op.SessionEpoch)
	a.sessions.Put(ctx, sessCSRF, randomToken())
	a.sessions.Put(ctx, sessSeen, a.now().Unix()) // idle timeout (sessions.go)
	return nil
}
