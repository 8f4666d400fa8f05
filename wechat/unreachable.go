package wechat

import (
	"context"
	"errors"
	"net"
	"net/url"
)

// ErrUnreachable is what errors.Is matches for an error that Unreachable recognises even where
// the transport error itself is hidden (an error text flattened to redact a secret).
var ErrUnreachable = errors.New("wechat: WeChat could not be reached")

// Unreachable reports whether err means that WeChat could not be reached at all: a DNS failure,
// a refused or reset connection, a TLS failure or a timeout — no answer came back. An answer
// (an errcode, *Error; or an HTTP status) is not, nor is the caller giving up (context.Canceled).
// The client returns the transport's *url.Error (its URL stripped of the query) wrapped with the
// call's name, so errors.As finds it through any wrapping with %w.
func Unreachable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	if errors.Is(err, ErrUnreachable) {
		return true
	}
	if _, ok := AsError(err); ok {
		return false
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne)
}
