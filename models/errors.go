package models

import (
	"errors"
	"sort"
	"strings"
)

// Sentinel errors. Callers compare with errors.Is; messages are for logs, the UI maps them to catalogue keys.
var (
	ErrNotFound        = errors.New("models: not found")
	ErrBadCredentials  = errors.New("models: bad credentials")
	ErrNotFinished     = errors.New("models: send not finished")
	ErrQuotaExceeded   = errors.New("models: daily advanced-API quota exceeded")
	ErrAlreadyDeleted  = errors.New("models: send already deleted")
	ErrInvalidArgument = errors.New("models: invalid argument")
	ErrSetupDone       = errors.New("models: an operator already exists")
)

// FieldErrors maps a form field key (e.g. "articles.0.title") to a UI catalogue message key
// (e.g. "err.title_required").
type FieldErrors map[string]string

// ValidationError carries every field problem of one submission; handlers re-render with 422.
type ValidationError struct{ Fields FieldErrors }

func (e *ValidationError) Error() string {
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+": "+e.Fields[k])
	}
	return "models: validation failed: " + strings.Join(parts, ", ")
}

// fieldError builds a ValidationError with a single field.
func fieldError(field, key string) *ValidationError {
	return &ValidationError{Fields: FieldErrors{field: key}}
}

// orNil returns nil when no field failed, so callers can `return fe.orNil()`.
func (f FieldErrors) orNil() error {
	if len(f) == 0 {
		return nil
	}
	return &ValidationError{Fields: f}
}
