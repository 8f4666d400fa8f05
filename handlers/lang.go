package handlers

import (
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"qunfa/views/i18n"
)

// setLanguage stores the chosen language in a cookie and returns to the page.
func (a *app) setLanguage(c *gin.Context) error {
	lang := i18n.Normalize(c.PostForm("lang"))
	http.SetCookie(c.Writer, &http.Cookie{
		Name:     langCookie,
		Value:    lang,
		Path:     "/",
		MaxAge:   365 * 24 * 3600,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	})
	next := c.PostForm("next")
	if next == "" {
		if ref, err := url.Parse(c.GetHeader("Referer")); err == nil && ref.Host == c.Request.Host {
			next = ref.Path
		}
	}
	a.redirect(c, safeNext(next, "/"))
	return nil
}
