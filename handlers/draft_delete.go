package handlers

import (
	"errors"

	"github.com/gin-gonic/gin"

	"qunfa/models"
)

// draftDelete deletes a draft and returns to the list. A second click finds it gone: that is
// the outcome the operator wanted, so it answers the list with "already deleted", not a 404.
func (a *app) draftDelete(c *gin.Context) error {
	id, err := a.idParam(c)
	if err != nil {
		return err
	}
	err = a.svc.DeleteDraft(c.Request.Context(), id)
	switch {
	case errors.Is(err, models.ErrNotFound):
		a.flash(c, "flash.draft_already_deleted")
	case err != nil:
		return err
	default:
		a.audit(c, models.AuditDraftDelete, auditTarget("draft", id), "")
		a.flash(c, "flash.draft_deleted")
	}
	a.redirect(c, "/drafts")
	return nil
}
