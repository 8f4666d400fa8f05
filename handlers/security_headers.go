package handlers

import "net/http"

// contentSecurityPolicy allows only this site's own scripts (no inline script, no eval), no
// plugins, no framing, forms posting only here. Images may be data: and blob: URIs (the editor
// shows a pasted or dropped image before it is uploaded). Styles keep 'unsafe-inline': without it
// TestBrowserCSP sees Jodit's style attributes (the article's inline styles, which WeChat articles
// are made of) and htmx's indicator <style> refused; a style cannot run script.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; object-src 'none'; " +
	"base-uri 'self'; frame-ancestors 'none'; form-action 'self'"

// securityHeaders puts the browser protections on every response: the CSP above, no framing
// (X-Frame-Options for browsers without frame-ancestors), no content sniffing, and no page
// address sent to other sites. Cache-Control: no-store is set for logged-in requests by
// requireLogin (middleware.go), so /static keeps its long cache.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}
