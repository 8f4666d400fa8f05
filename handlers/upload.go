package handlers

import (
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"
)

// uploadSpec is what differs between the editor's two uploads (a cover, an image inside the
// content); receiveUpload is the one path they share.
type uploadSpec struct {
	what     string // for the log: "thumb" | "image"
	field    string // the models field error that explains a refusal
	maxSize  int64  // larger files are refused before they are read
	emptyKey string // catalogue key: no file
	largeKey string // catalogue key: the file is too large
}

// uploadFailure is the status and catalogue key an upload is refused with.
type uploadFailure struct {
	status int
	key    string
}

// receiveUpload reads multipart field "file" (at most spec.maxSize bytes) and hands it to save,
// which checks it (a *models.ValidationError on spec.field says why not) and stores it. A
// failure of ours is logged and answered "upload failed".
func receiveUpload[T any](a *app, c *gin.Context, spec uploadSpec, save func(ctx context.Context, filename string, data []byte) (T, error)) (T, *uploadFailure) {
	var zero T
	fh, err := c.FormFile("file")
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return zero, &uploadFailure{http.StatusRequestEntityTooLarge, spec.largeKey}
		}
		return zero, &uploadFailure{http.StatusUnprocessableEntity, spec.emptyKey}
	}
	if fh.Size > spec.maxSize {
		return zero, &uploadFailure{http.StatusUnprocessableEntity, spec.largeKey}
	}
	internal := func(step string, err error) (T, *uploadFailure) {
		a.log.Error(step+" uploaded "+spec.what, "err", err)
		return zero, &uploadFailure{http.StatusInternalServerError, "err.upload_failed"}
	}
	f, err := fh.Open()
	if err != nil {
		return internal("open", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, spec.maxSize+1))
	if err != nil {
		return internal("read", err)
	}
	saved, err := save(c.Request.Context(), fh.Filename, data)
	if errs, ok := validationErrors(err); ok {
		key := "err.upload_failed"
		if k, ok := errs[spec.field]; ok {
			key = k
		}
		return zero, &uploadFailure{http.StatusUnprocessableEntity, key}
	}
	if err != nil {
		return internal("save", err)
	}
	return saved, nil
}
