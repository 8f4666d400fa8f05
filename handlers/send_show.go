package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"qunfa/views"
)

func (a *app) sendShow(c *gin.Context) {
	id, ok := a.idParam(c)
	if !ok {
		return
	}
	s, err := a.svc.Send(c.Request.Context(), id)
	if err != nil {
		a.fail(c, err)
		return
	}
	l := a.layout(c, "sends.title")
	l.Nav = "sends"
	a.render(c, http.StatusOK, views.SendShow(views.SendPage{Layout: l, Send: sendView(s, l.Lang)}))
}
