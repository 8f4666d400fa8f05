package handlers

import (
	"qunfa/models"
	"strconv"

	"github.com/gin-gonic/gin"
)

// sessionsRevoke ends every session of an operator (an admin's action; the button is
// views.SessionRevoke on the operator's page). Ending one's own sessions logs oneself out.
func (a *app) sessionsRevoke(c *gin.Context) error {
	id, err := a.idParam(c)
	if err != nil {
		return err
	}
	n, err := a.svc.RevokeSessions(c.Request.Context(), id)
	if err != nil {
		return err
	}
	a.audit(c, models.AuditSessionsRevoke, auditTarget("operator", id), strconv.Itoa(n))
	if id == operatorOf(c).ID {
		// This request's own session row is gone; committing it now would bring it back.
		if err := a.sessions.Destroy(c.Request.Context()); err != nil {
			return err
		}
		a.flash(c, "flash.sessions_revoked", strconv.Itoa(n))
		a.redirect(c, "/login")
		return nil
	}
	a.flash(c, "flash.sessions_revoked", strconv.Itoa(n))
	a.redirect(c, safeNext(c.PostForm("next"), "/"))
	return nil
}
