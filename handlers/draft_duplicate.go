package handlers

import (
	"fmt"

	"github.com/gin-gonic/gin"

	"qunfa/models"
	"qunfa/views/i18n"
)

// draftDuplicate copies a draft into a new one, "副本 …" (POST /drafts/:id/duplicate).
func (a *app) draftDuplicate(c *gin.Context) error {
	id, err := a.idParam(c)
	if err != nil {
		return err
	}
	d, err := a.svc.DuplicateDraft(c.Request.Context(), id, i18n.T(langOf(c), "draft.copy_prefix"), operatorOf(c).ID)
	if err != nil {
		return err
	}
	a.audit(c, models.AuditDraftDuplicate, auditTarget("draft", d.ID), fmt.Sprintf("copy of draft %d", id))
	a.flash(c, "flash.draft_duplicated")
	a.redirect(c, fmt.Sprintf("/drafts/%d", d.ID))
	return nil
}

// sendDuplicate copies the articles a send sent (its own snapshot, not its draft as it is now)
// into a new draft (POST /sends/:id/duplicate).
func (a *app) sendDuplicate(c *gin.Context) error {
	id, err := a.idParam(c)
	if err != nil {
		return err
	}
	d, err := a.svc.DuplicateSend(c.Request.Context(), id, i18n.T(langOf(c), "draft.copy_prefix"), operatorOf(c).ID)
	if err != nil {
		return err
	}
	a.audit(c, models.AuditSendDuplicate, auditTarget("draft", d.ID), fmt.Sprintf("copy of send %d", id))
	a.flash(c, "flash.send_duplicated")
	a.redirect(c, fmt.Sprintf("/drafts/%d", d.ID))
	return nil
}
