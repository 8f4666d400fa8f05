package handlers

import "github.com/gin-gonic/gin"

func (a *app) logout(c *gin.Context) {
	ctx := c.Request.Context()
	if err := a.sessions.Destroy(ctx); err != nil {
		a.serverError(c, err)
		return
	}
	a.flash(c, "flash.logged_out")
	a.redirect(c, "/login")
}
