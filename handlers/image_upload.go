package handlers

import (
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"qunfa/models"
	"qunfa/views/i18n"
)

// imageJSON answers the editor's uploader. It is Jodit's own answer shape (success, data.files,
// data.isImages, data.baseurl, data.messages), so Jodit inserts the image or shows the message
// without custom handlers, plus id/url/message/field for app.js and tests.
type imageJSON struct {
	Success bool          `json:"success"`
	ID      uint          `json:"id,omitempty"`
	URL     string        `json:"url,omitempty"`
	Message string        `json:"message,omitempty"`
	Field   string        `json:"field,omitempty"`
	Data    imageJSONData `json:"data"`
}

type imageJSONData struct {
	Files    []string `json:"files"`
	IsImages []bool   `json:"isImages"`
	BaseURL  string   `json:"baseurl"`
	Messages []string `json:"messages"`
}

// imageUpload takes an image put into article content (the editor's image button, a pasted or
// dropped file): multipart field "file", JPEG or PNG under 1 MB, checked by models.
func (a *app) imageUpload(c *gin.Context) {
	lang := langOf(c)
	fail := func(status int, key string) {
		msg := i18n.T(lang, key)
		c.JSON(status, imageJSON{Message: msg, Field: "image",
			Data: imageJSONData{Files: []string{}, IsImages: []bool{}, Messages: []string{msg}}})
	}
	fh, err := c.FormFile("file")
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			fail(http.StatusRequestEntityTooLarge, "err.image_too_large")
			return
		}
		fail(http.StatusUnprocessableEntity, "err.image_empty")
		return
	}
	if fh.Size >= models.MaxImageBytes {
		fail(http.StatusUnprocessableEntity, "err.image_too_large")
		return
	}
	f, err := fh.Open()
	if err != nil {
		a.log.Error("open uploaded image", "err", err)
		fail(http.StatusInternalServerError, "err.upload_failed")
		return
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, models.MaxImageBytes+1))
	if err != nil {
		a.log.Error("read uploaded image", "err", err)
		fail(http.StatusInternalServerError, "err.upload_failed")
		return
	}
	img, err := a.svc.SaveImage(c.Request.Context(), fh.Filename, data)
	if errs, ok := validationErrors(err); ok {
		key := "err.upload_failed"
		if k, ok := errs["image"]; ok { // the only field SaveImage checks
			key = k
		}
		fail(http.StatusUnprocessableEntity, key)
		return
	}
	if err != nil {
		a.log.Error("save image", "err", err)
		fail(http.StatusInternalServerError, "err.upload_failed")
		return
	}
	src := models.ImagePath(img.ID)
	c.JSON(http.StatusOK, imageJSON{Success: true, ID: img.ID, URL: src,
		Data: imageJSONData{Files: []string{src}, IsImages: []bool{true}, Messages: []string{}}})
}

// imageShow serves a stored article image to the editor. An id always names the same bytes
// (images are never changed, only added), so browsers may keep it.
func (a *app) imageShow(c *gin.Context) {
	id, ok := a.idParam(c)
	if !ok {
		return
	}
	img, err := a.svc.Image(c.Request.Context(), id)
	if err != nil {
		a.fail(c, err)
		return
	}
	etag := `"` + img.SHA256 + `"`
	c.Header("Cache-Control", "private, max-age=31536000, immutable")
	c.Header("ETag", etag)
	c.Header("X-Content-Type-Options", "nosniff")
	if inm := c.GetHeader("If-None-Match"); inm != "" && strings.Contains(inm, etag) {
		c.Status(http.StatusNotModified)
		return
	}
	ct := img.ContentType
	if ct != "image/png" {
		ct = "image/jpeg"
	}
	c.Data(http.StatusOK, ct, img.Data)
}
