package handlers

import "github.com/gin-gonic/gin"

func (a *app) draftDelete(c *gin.Context) {
	id, ok := a.idParam(c)
	if !ok {
		return
	}
	if err := a.svc.DeleteDraft(c.Request.Context(), id); err != nil {
		a.fail(c, err)
		return
	}
	a.flash(c, "flash.draft_deleted")
	a.redirect(c, "/drafts")
}
