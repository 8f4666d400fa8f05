package handlers

import (
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

// imageUploads is an image put into article content: JPEG or PNG under 1 MB, checked by models.
var imageUploads = uploadSpec{what: "image", field: "image", maxSize: models.MaxImageBytes - 1,
	emptyKey: "err.image_empty", largeKey: "err.image_too_large"}

// imageUpload takes an image put into article content (the editor's image button, a pasted or
// dropped file): multipart field "file".
func (a *app) imageUpload(c *gin.Context) error {
	img, fail := receiveUpload(a, c, imageUploads, a.svc.SaveImage)
	if fail != nil {
		msg := i18n.T(langOf(c), fail.key)
		c.JSON(fail.status, imageJSON{Message: msg, Field: "image",
			Data: imageJSONData{Files: []string{}, IsImages: []bool{}, Messages: []string{msg}}})
		return nil
	}
	src := models.ImagePath(img.ID)
	c.JSON(http.StatusOK, imageJSON{Success: true, ID: img.ID, URL: src,
		Data: imageJSONData{Files: []string{src}, IsImages: []bool{true}, Messages: []string{}}})
	return nil
}

// imageShow serves a stored article image to the editor. An id always names the same bytes
// (images are never changed, only added), so browsers may keep it.
func (a *app) imageShow(c *gin.Context) error {
	id, err := a.idParam(c)
	if err != nil {
		return err
	}
	img, err := a.svc.Image(c.Request.Context(), id)
	if err != nil {
		return err
	}
	etag := `"` + img.SHA256 + `"`
	c.Header("Cache-Control", "private, max-age=31536000, immutable")
	c.Header("ETag", etag)
	c.Header("X-Content-Type-Options", "nosniff")
	if inm := c.GetHeader("If-None-Match"); inm != "" && strings.Contains(inm, etag) {
		c.Status(http.StatusNotModified)
		return nil
	}
	ct := img.ContentType
	if ct != "image/png" {
		ct = "image/jpeg"
	}
	c.Data(http.StatusOK, ct, img.Data)
	return nil
}
