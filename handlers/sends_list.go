package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"qunfa/views"
)

func (a *app) sendsList(c *gin.Context) error {
	list, err := a.svc.ListSends(c.Request.Context())
	if err != nil {
		return err
	}
	rows := make([]views.SendRow, len(list))
	for i, s := range list {
		rows[i] = sendRow(s)
	}
	l := a.layout(c, "sends.title")
	l.Nav = "sends"
	a.render(c, http.StatusOK, views.Sends(views.SendsPage{Layout: l, Sends: rows}))
	return nil
}
