package handlers

import "github.com/gin-gonic/gin"

func (a *app) logout(c *gin.Context) error {
	ctx := c.Request.Context()
	if err := a.sessions.Destroy(ctx); err != nil {
		return err
	}
	a.flash(c, "flash.logged_out")
	a.redirect(c, "/login")
	return nil
}
