package handlers

import (
	"github.com/gin-gonic/gin"

	"qunfa/models"
)

func (a *app) logout(c *gin.Context) error {
	ctx := c.Request.Context()
	a.audit(c, models.AuditLogout, "", "")
	if err := a.sessions.Destroy(ctx); err != nil {
		return err
	}
	a.flash(c, "flash.logged_out")
	a.redirect(c, "/login")
	return nil
}
