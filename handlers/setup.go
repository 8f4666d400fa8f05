package handlers

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"qunfa/models"
	"qunfa/views"
)

// errSetupClosed: the first-run page exists only while no operator does.
var errSetupClosed = fmt.Errorf("setup: an operator exists: %w", models.ErrNotFound)

func (a *app) setupForm(c *gin.Context) error {
	open, err := a.svc.SetupOpen(c.Request.Context())
	if err != nil {
		return err
	}
	if !open {
		a.redirect(c, "/login")
		return nil
	}
	a.render(c, http.StatusOK, views.Setup(views.SetupPage{Layout: a.layout(c, "setup.title")}))
	return nil
}

func (a *app) setup(c *gin.Context) error {
	open, err := a.svc.SetupOpen(c.Request.Context())
	if err != nil {
		return err
	}
	if !open {
		return errSetupClosed
	}
	username := c.PostForm("username")
	op, err := a.svc.CreateFirstOperator(c.Request.Context(), username, c.PostForm("password"))
	if errors.Is(err, models.ErrSetupDone) {
		return errSetupClosed
	}
	if errs, ok := validationErrors(err); ok {
		a.render(c, http.StatusUnprocessableEntity, views.Setup(views.SetupPage{
			Layout:   a.layout(c, "setup.title"),
			Username: username,
			Errors:   errs,
		}))
		return nil
	}
	if err != nil {
		return err
	}
	if err := a.startSession(c, op); err != nil {
		return err
	}
	a.log.Info("first operator created", "operator_id", op.ID)
	a.auditAs(c, op, models.AuditOperatorCreate, auditTarget("operator", op.ID), "first run")
	a.flash(c, "flash.setup_done")
	a.redirect(c, "/drafts")
	return nil
}
