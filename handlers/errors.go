package handlers

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sort"

	"github.com/gin-gonic/gin"

	"qunfa/models"
	"qunfa/wechat"
)

// An action returns its error; fail is the one place an error becomes a response (as
// golang/pkgsite's errorHandler does). Actions that re-render their own form with the field
// errors (422) still do so themselves and return nil.

// statusError is an error that names its own response, for the few the models do not name
// (a malformed request).
type statusError struct {
	status int
	key    string // catalogue key of the page's message
	err    error
}

func (e *statusError) Error() string { return http.StatusText(e.status) + ": " + e.err.Error() }
func (e *statusError) Unwrap() error { return e.err }

func badRequest(err error) error {
	return &statusError{status: http.StatusBadRequest, key: "err.bad_request", err: err}
}

// errorResponse is the page an error gets: status, message and the catalogue keys of any details.
type errorResponse struct {
	status  int
	message string
	details []string
}

// responseFor maps an error to its page:
//
//	models.ErrNotFound        404 "not found"
//	*models.ValidationError   422 with the field messages
//	WeChat not reachable      503 saying so and what to check
//	anything else             500 (logged with the cause)
func responseFor(err error) errorResponse {
	var se *statusError
	var ve *models.ValidationError
	switch {
	case errors.As(err, &se):
		return errorResponse{status: se.status, message: se.key}
	case errors.Is(err, models.ErrNotFound):
		return errorResponse{status: http.StatusNotFound, message: "err.not_found"}
	case errors.As(err, &ve):
		r := errorResponse{status: http.StatusUnprocessableEntity, message: "err.invalid"}
		fields := make([]string, 0, len(ve.Fields))
		for f := range ve.Fields {
			fields = append(fields, f)
		}
		sort.Strings(fields)
		for _, f := range fields {
			r.details = append(r.details, ve.Fields[f])
		}
		return r
	case wechat.Unreachable(err):
		return errorResponse{status: http.StatusServiceUnavailable, message: "err.wechat_unreachable"}
	default:
		return errorResponse{status: http.StatusInternalServerError, message: "err.internal"}
	}
}

// fail logs err as its kind deserves and answers with its page, unless the action already
// wrote a response (then the log is all that is left to do).
func (a *app) fail(c *gin.Context, err error) {
	r := c.Request
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		// The browser went away: nobody reads the answer and nothing is wrong here.
		a.log.Debug("client gone", "method", r.Method, "path", r.URL.Path, "err", err)
		return
	}
	resp := responseFor(err)
	level := slog.LevelInfo
	switch resp.status {
	case http.StatusInternalServerError:
		level = slog.LevelError
	case http.StatusServiceUnavailable:
		level = slog.LevelWarn
	case http.StatusNotFound:
		level = slog.LevelDebug
	}
	a.log.Log(r.Context(), level, "request failed", "method", r.Method, "path", r.URL.Path, "status", resp.status, "err", err)
	if c.Writer.Written() {
		return
	}
	a.renderError(c, resp.status, resp.message, resp.details...)
}
