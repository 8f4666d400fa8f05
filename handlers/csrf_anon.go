package handlers

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"

	"github.com/gin-gonic/gin"
)

// A visitor who is not logged in (the login and first-run pages, the language switch) gets no
// server-side session: their forms' CSRF token is a signed double-submit cookie instead. The
// cookie holds a random value; the form holds its HMAC under a key kept sealed in the database
// (models.Service.FormSigningKey), never sent out. A forged form lacks the HMAC of the victim's
// cookie, and a cookie planted from a sibling domain is useless without the HMAC of it. Once
// logged in, only the session's own token is accepted (csrf in middleware.go).
const (
	csrfCookie  = "qunfa_csrf"
	ctxAnonCSRF = "anon_csrf"
)

// anonCSRFToken returns the form token of this visitor's CSRF cookie, setting the cookie first
// when there is none.
func (a *app) anonCSRFToken(c *gin.Context) string {
	if v, ok := c.Get(ctxAnonCSRF); ok {
		return a.signCSRF(v.(string))
	}
	val := ""
	if ck, err := c.Request.Cookie(csrfCookie); err == nil && len(ck.Value) >= 40 {
		val = ck.Value
	} else {
		val = randomToken()
		http.SetCookie(c.Writer, &http.Cookie{
			Name: csrfCookie, Value: val, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		})
	}
	c.Set(ctxAnonCSRF, val)
	return a.signCSRF(val)
}

// anonCSRFValid reports whether got is the form token of the request's CSRF cookie.
func (a *app) anonCSRFValid(c *gin.Context, got string) bool {
	ck, err := c.Request.Cookie(csrfCookie)
	if err != nil || len(ck.Value) < 40 || got == "" {
		return false
	}
	return hmac.Equal([]byte(got), []byte(a.signCSRF(ck.Value)))
}

func (a *app) signCSRF(val string) string {
	m := hmac.New(sha256.New, a.csrfKey)
	m.Write([]byte("qunfa-csrf\x00" + val))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// formSigningKey is the key kept in the database (so a form outlives a restart and works on any
// instance); should reading it fail, a key of this process's own.
func (a *app) formSigningKey() []byte {
	key, err := a.svc.FormSigningKey(context.Background())
	if err != nil {
		a.log.Error("reading the form signing key; using one for this process", "err", err)
		return []byte(randomToken())
	}
	return key
}
