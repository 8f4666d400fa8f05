package handlers

import (
	"fmt"
	"io/fs"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"qunfa/models"
)

// serveStatic serves the embedded files. URLs carrying a content hash
// (?v=…, see views.Asset) are cached for a year; others must revalidate.
func (a *app) serveStatic(c *gin.Context) error {
	name := strings.TrimPrefix(c.Param("filepath"), "/")
	if a.static == nil || name == "" || strings.HasSuffix(name, "/") || strings.HasSuffix(name, ".go") {
		return fmt.Errorf("static %q: %w", name, models.ErrNotFound)
	}
	if st, err := fs.Stat(a.static, name); err != nil || st.IsDir() {
		return fmt.Errorf("static %q: %w", name, models.ErrNotFound)
	}
	if c.Query("v") != "" {
		c.Header("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		c.Header("Cache-Control", "no-cache")
	}
	http.ServeFileFS(c.Writer, c.Request, a.static, name)
	return nil
}
