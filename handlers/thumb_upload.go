package handlers

import (
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"qunfa/views/i18n"
)

type thumbJSON struct {
	ID      uint   `json:"id,omitempty"`
	URL     string `json:"url,omitempty"`
	Message string `json:"message,omitempty"`
	Field   string `json:"field,omitempty"`
}

// thumbUploads is the cover upload; models enforces WeChat's real 64 KB thumb limit with a
// proper message, this only bounds what is read.
var thumbUploads = uploadSpec{what: "thumb", field: "thumb", maxSize: 1 << 20,
	emptyKey: "err.thumb_empty", largeKey: "err.thumb_too_large"}

// thumbUpload takes multipart field "file" and answers JSON for app.js.
func (a *app) thumbUpload(c *gin.Context) error {
	th, fail := receiveUpload(a, c, thumbUploads, a.svc.SaveThumb)
	if fail != nil {
		c.JSON(fail.status, thumbJSON{Message: i18n.T(langOf(c), fail.key), Field: "thumb"})
		return nil
	}
	c.JSON(http.StatusOK, thumbJSON{ID: th.ID, URL: fmt.Sprintf("/thumbs/%d", th.ID)})
	return nil
}

// thumbShow serves a stored thumbnail for the editor's preview.
func (a *app) thumbShow(c *gin.Context) error {
	id, err := a.idParam(c)
	if err != nil {
		return err
	}
	th, err := a.svc.Thumb(c.Request.Context(), id)
	if err != nil {
		return err
	}
	ct := th.ContentType
	if ct == "" {
		ct = "image/jpeg"
	}
	c.Header("Cache-Control", "private, max-age=86400")
	c.Header("X-Content-Type-Options", "nosniff")
	c.Data(http.StatusOK, ct, th.Data)
	return nil
}
