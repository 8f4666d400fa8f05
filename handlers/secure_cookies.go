package handlers

import (
	"net/http"
	"strings"
)

// secureCookies marks every cookie Secure when the browser reached us over
// HTTPS — directly, or through a TLS-terminating proxy that says so in
// X-Forwarded-Proto. A forged header can only add the flag, never remove it,
// and plain-http deployments on 127.0.0.1 keep working.
func secureCookies(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil && !strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
			next.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(&secureCookieWriter{ResponseWriter: w}, r)
	})
}

type secureCookieWriter struct {
	http.ResponseWriter
	done bool
}

func (w *secureCookieWriter) WriteHeader(code int) {
	if !w.done {
		w.done = true
		h := w.Header()
		cookies := h.Values("Set-Cookie")
		h.Del("Set-Cookie")
		for _, c := range cookies {
			if !hasSecure(c) {
				c += "; Secure"
			}
			h.Add("Set-Cookie", c)
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *secureCookieWriter) Write(b []byte) (int, error) {
	if !w.done {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the real writer (flush, deadlines).
func (w *secureCookieWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func hasSecure(cookie string) bool {
	for _, attr := range strings.Split(cookie, ";") {
		if strings.EqualFold(strings.TrimSpace(attr), "secure") {
			return true
		}
	}
	return false
}
