package handlers

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"qunfa/models"
	"qunfa/views/i18n"
)

const (
	callbackPath = "/wechat/callback"
	langCookie   = "lang"

	sessOperator = "operator_id"
	sessCSRF     = "csrf_token"
	sessFlash    = "flash"

	ctxLang     = "lang"
	ctxOperator = "operator"
)

// statusRecorder remembers the status code for the request log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// logRequests logs one line per request. Query strings are never logged:
// on the callback they carry signatures and nonces.
func (a *app) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		level := slog.LevelInfo
		if r.URL.Path == callbackPath {
			level = slog.LevelDebug // the callback logs each push itself, once (callback.go)
		}
		a.log.Log(r.Context(), level, "http request",
			"method", r.Method,
			"path", r.URL.Path,
			"status", rec.status,
			"duration", time.Since(start).Round(time.Microsecond),
		)
	})
}

// crossOrigin refuses state-changing requests that a browser marks as
// cross-site (Sec-Fetch-Site / Origin). WeChat's server-to-server callback
// carries no such headers but is exempted explicitly anyway.
func (a *app) crossOrigin(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.AddInsecureBypassPattern("POST " + callbackPath)
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.log.Warn("cross-origin request refused", "path", r.URL.Path, "origin", r.Header.Get("Origin"))
		a.writeBareError(w, r, http.StatusForbidden, "err.csrf")
	}))
	return cop.Handler(next)
}

// loadSession loads and saves the scs session, except where none is needed
// (static files, health check, WeChat's callback).
func (a *app) loadSession(next http.Handler) http.Handler {
	withSession := a.sessions.LoadAndSave(a.expireIdle(next))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if strings.HasPrefix(p, "/static/") || p == callbackPath || p == "/healthz" {
			next.ServeHTTP(w, r)
			return
		}
		withSession.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), sessionLoaded{}, true)))
	})
}

type sessionLoaded struct{}

// hasSession reports whether the session was loaded for this request.
func hasSession(r *http.Request) bool {
	v, _ := r.Context().Value(sessionLoaded{}).(bool)
	return v
}

// language picks the catalogue language from the lang cookie (zh default).
func (a *app) language(c *gin.Context) {
	lang := "zh"
	if ck, err := c.Request.Cookie(langCookie); err == nil {
		lang = i18n.Normalize(ck.Value)
	}
	c.Set(ctxLang, lang)
	c.Next()
}

func langOf(c *gin.Context) string {
	if v, ok := c.Get(ctxLang); ok {
		if s, ok := v.(string); ok {
			return s
		}
	}
	return "zh"
}

// noteWrites tells the service a write request came (an operator's POST, a WeChat push): it
// builds the followers' date indexes, which stop every write for a moment, when none has come for
// a few seconds (models/page_indexes.go).
func (a *app) noteWrites(c *gin.Context) {
	if c.Request.Method == http.MethodPost {
		a.svc.NoteWriteRequest()
	}
	c.Next()
}

// csrf checks the per-session token on every POST but WeChat's callback.
// The token comes from the X-CSRF-Token header (fetch/htmx) or the
// csrf_token form field.
func (a *app) csrf(c *gin.Context) {
	if c.Request.Method != http.MethodPost || c.Request.URL.Path == callbackPath {
		c.Next()
		return
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxFormBytes)
	want := a.sessions.GetString(c.Request.Context(), sessCSRF)
	got := c.GetHeader("X-CSRF-Token")
	if got == "" {
		got = c.PostForm("csrf_token")
	}
	if got == "" && bodyTooLarge(c.Request) { // cut at the limit before the token was read
		a.tooLarge(c) // send_form.go
		c.Abort()
		return
	}
	ok := want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
	if !ok && a.sessions.GetInt64(c.Request.Context(), sessOperator) == 0 {
		ok = a.anonCSRFValid(c, got) // not logged in: the signed cookie (csrf_anon.go)
	}
	if !ok {
		a.log.Warn("csrf token missing or wrong", "path", c.Request.URL.Path, "has_session_token", want != "")
		a.renderError(c, http.StatusForbidden, "err.csrf")
		c.Abort()
		return
	}
	c.Next()
}

// csrfToken returns the session's CSRF token, creating it on first use; a visitor not logged in
// gets the signed cookie's instead.
func (a *app) csrfToken(c *gin.Context) string {
	ctx := c.Request.Context()
	if tok := a.sessions.GetString(ctx, sessCSRF); tok != "" {
		return tok
	}
	if a.sessions.GetInt64(ctx, sessOperator) == 0 {
		return a.anonCSRFToken(c) // no server-side session for a visitor (csrf_anon.go)
	}
	tok := randomToken()
	a.sessions.Put(ctx, sessCSRF, tok)
	return tok
}

func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// requireLogin lets a request through only with a session of an existing
// operator; GETs are sent to the login page, other methods refused.
func (a *app) requireLogin(c *gin.Context) {
	ctx := c.Request.Context()
	id := a.sessions.GetInt64(ctx, sessOperator)
	if id > 0 {
		op, err := a.svc.Operator(ctx, uint(id))
		if err == nil && (op.DisabledAt != nil || a.sessionEpoch(ctx) != op.SessionEpoch) {
			// a disabled operator's sessions stop working at once; so do those started before
			// the operator's password changed (account_password.go)
			err = models.ErrNotFound
		}
		if err == nil {
			c.Set(ctxOperator, op)
			// What an operator sees stays out of caches (the browser's back button, a shared
			// proxy); a handler serving an immutable image may set its own.
			c.Header("Cache-Control", "no-store")
			if op.MustChangePassword && !passwordChangeAllowed(c) {
				a.requirePasswordChange(c)
				c.Abort()
				return
			}
			c.Next()
			return
		}
		if !errors.Is(err, models.ErrNotFound) {
			a.fail(c, err)
			c.Abort()
			return
		}
		// the operator is gone: forget the session
		a.sessions.Remove(ctx, sessOperator)
	}
	switch {
	case c.GetHeader("HX-Request") == "true":
		// An htmx poll (the stats fragment): a 303 would swap the login page
		// into the fragment; ask htmx to take the whole page to the login.
		next := c.Request.URL.RequestURI()
		if u, err := url.Parse(c.GetHeader("HX-Current-URL")); err == nil && u.Path != "" {
			next = u.RequestURI()
		}
		c.Header("HX-Redirect", "/login?next="+url.QueryEscape(next))
		c.Status(http.StatusUnauthorized)
	case c.Request.Method == http.MethodGet:
		c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(c.Request.URL.RequestURI()))
	default:
		a.renderError(c, http.StatusForbidden, "err.login_required")
	}
	c.Abort()
}

// requireRole lets through an operator whose role is at least min (requireLogin ran first);
// others get the 403 page saying so.
func (a *app) requireRole(min models.Role) gin.HandlerFunc {
	return func(c *gin.Context) {
		if !operatorOf(c).Role.AtLeast(min) {
			a.renderError(c, http.StatusForbidden, "err.role_forbidden")
			c.Abort()
			return
		}
		c.Next()
	}
}

func operatorOf(c *gin.Context) models.Operator {
	if v, ok := c.Get(ctxOperator); ok {
		if op, ok := v.(models.Operator); ok {
			return op
		}
	}
	return models.Operator{}
}

// recovered turns a panic into the 500 page; the cause goes to the log.
func (a *app) recovered(c *gin.Context, err any) {
	a.log.Error("panic in handler", "path", c.Request.URL.Path, "panic", err)
	a.renderError(c, http.StatusInternalServerError, "err.internal")
	c.Abort()
}

// safeNext keeps redirects on this site: only local absolute paths.
func safeNext(next, fallback string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return fallback
	}
	u, err := url.Parse(next)
	if err != nil || u.Host != "" || u.Scheme != "" {
		return fallback
	}
	return next
}
