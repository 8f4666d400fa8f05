package handlers

import (
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"

	"qunfa/views/i18n"
)

// maxThumbRead bounds what is read of an upload; models enforces WeChat's
// real 64 KB thumb limit with a proper message.
const maxThumbRead = 1 << 20

type thumbJSON struct {
	ID      uint   `json:"id,omitempty"`
	URL     string `json:"url,omitempty"`
	Message string `json:"message,omitempty"`
	Field   string `json:"field,omitempty"`
}

// thumbUpload takes multipart field "file" and answers JSON for app.js.
func (a *app) thumbUpload(c *gin.Context) {
	lang := langOf(c)
	fail := func(status int, key string) {
		c.JSON(status, thumbJSON{Message: i18n.T(lang, key), Field: "thumb"})
	}
	fh, err := c.FormFile("file")
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			fail(http.StatusRequestEntityTooLarge, "err.thumb_too_large")
			return
		}
		fail(http.StatusUnprocessableEntity, "err.thumb_empty")
		return
	}
	if fh.Size > maxThumbRead {
		fail(http.StatusUnprocessableEntity, "err.thumb_too_large")
		return
	}
	f, err := fh.Open()
	if err != nil {
		a.log.Error("open uploaded thumb", "err", err)
		fail(http.StatusInternalServerError, "err.upload_failed")
		return
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxThumbRead+1))
	if err != nil {
		a.log.Error("read uploaded thumb", "err", err)
		fail(http.StatusInternalServerError, "err.upload_failed")
		return
	}
	th, err := a.svc.SaveThumb(c.Request.Context(), fh.Filename, data)
	if errs, ok := validationErrors(err); ok {
		key := "err.upload_failed"
		if k, ok := errs["thumb"]; ok { // the only field SaveThumb checks
			key = k
		}
		fail(http.StatusUnprocessableEntity, key)
		return
	}
	if err != nil {
		a.log.Error("save thumb", "err", err)
		fail(http.StatusInternalServerError, "err.upload_failed")
		return
	}
	c.JSON(http.StatusOK, thumbJSON{ID: th.ID, URL: fmt.Sprintf("/thumbs/%d", th.ID)})
}

// thumbShow serves a stored thumbnail for the editor's preview.
func (a *app) thumbShow(c *gin.Context) {
	id, ok := a.idParam(c)
	if !ok {
		return
	}
	th, err := a.svc.Thumb(c.Request.Context(), id)
	if err != nil {
		a.fail(c, err)
		return
	}
	ct := th.ContentType
	if ct == "" {
		ct = "image/jpeg"
	}
	c.Header("Cache-Control", "private, max-age=86400")
	c.Header("X-Content-Type-Options", "nosniff")
	c.Data(http.StatusOK, ct, th.Data)
}
