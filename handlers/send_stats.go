package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"qunfa/views"
)

// sendStats is the htmx fragment of a send's page (state, msg_id, figures,
// chart data); the page polls it until the send is final.
func (a *app) sendStats(c *gin.Context) error {
	id, err := a.idParam(c)
	if err != nil {
		return err
	}
	s, err := a.svc.Send(c.Request.Context(), id)
	if err != nil {
		return err
	}
	// No flash pop here: a fragment must not swallow the next page's message.
	l := views.Layout{Lang: langOf(c), CSRF: a.csrfToken(c)}
	c.Header("Cache-Control", "no-store")
	a.render(c, http.StatusOK, views.SendLive(l, sendView(s, l.Lang)))
	return nil
}
