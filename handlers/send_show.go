package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"qunfa/views"
)

func (a *app) sendShow(c *gin.Context) error {
	id, err := a.idParam(c)
	if err != nil {
		return err
	}
	s, err := a.svc.Send(c.Request.Context(), id)
	if err != nil {
		return err
	}
	cu, err := a.catchUpView(c, s)
	if err != nil {
		return err
	}
	l := a.layout(c, "sends.title")
	l.Nav = "sends"
	a.render(c, http.StatusOK, views.SendShow(views.SendPage{Layout: l, Send: sendView(s, l.Lang), CatchUp: cu, Approval: a.approvalView(c, s)}))
	return nil
}
