package handlers

import "github.com/gin-gonic/gin"

func (a *app) draftDelete(c *gin.Context) error {
	id, err := a.idParam(c)
	if err != nil {
		return err
	}
	if err := a.svc.DeleteDraft(c.Request.Context(), id); err != nil {
		return err
	}
	a.flash(c, "flash.draft_deleted")
	a.redirect(c, "/drafts")
	return nil
}
