package handlers

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"qunfa/models"
	"qunfa/views"
)

// setupOpen reports whether the first-run page is still available: only
// while no operator exists.
func (a *app) setupOpen(c *gin.Context) (bool, error) {
	return a.svc.SetupOpen(c.Request.Context())
}

func (a *app) setupForm(c *gin.Context) {
	open, err := a.setupOpen(c)
	if err != nil {
		a.serverError(c, err)
		return
	}
	if !open {
		a.redirect(c, "/login")
		return
	}
	a.render(c, http.StatusOK, views.Setup(views.SetupPage{Layout: a.layout(c, "setup.title")}))
}

func (a *app) setup(c *gin.Context) {
	open, err := a.setupOpen(c)
	if err != nil {
		a.serverError(c, err)
		return
	}
	if !open {
		a.notFound(c)
		return
	}
	username := c.PostForm("username")
	op, err := a.svc.CreateFirstOperator(c.Request.Context(), username, c.PostForm("password"))
	if errors.Is(err, models.ErrSetupDone) {
		a.notFound(c)
		return
	}
	if errs, ok := validationErrors(err); ok {
		a.render(c, http.StatusUnprocessableEntity, views.Setup(views.SetupPage{
			Layout:   a.layout(c, "setup.title"),
			Username: username,
			Errors:   errs,
		}))
		return
	}
	if err != nil {
		a.serverError(c, err)
		return
	}
	if err := a.startSession(c, op); err != nil {
		a.serverError(c, err)
		return
	}
	a.log.Info("first operator created", "operator_id", op.ID)
	a.flash(c, "flash.setup_done")
	a.redirect(c, "/drafts")
}
