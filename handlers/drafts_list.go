package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"qunfa/views"
)

func (a *app) draftsList(c *gin.Context) error {
	list, err := a.svc.ListDrafts(c.Request.Context())
	if err != nil {
		return err
	}
	rows := make([]views.DraftRow, len(list))
	for i, d := range list {
		rows[i] = views.DraftRow{ID: d.ID, Title: d.Title, Articles: d.Articles, UpdatedAt: d.UpdatedAt, Sent: d.Sent}
	}
	l := a.layout(c, "drafts.title")
	l.Nav = "drafts"
	a.render(c, http.StatusOK, views.Drafts(views.DraftsPage{Layout: l, Drafts: rows, Approvals: a.approvalQueue(c)}))
	return nil
}
