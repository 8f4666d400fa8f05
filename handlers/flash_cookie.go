package handlers

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// The one-time message after an action ("saved", "sent for approval") rides to the next page in
// a cookie of its own instead of the session. Put in the session, it made every action that
// redirects write the session as well: a second wait for SQLite's one writer, behind a follower
// sync's commits and a storm of callbacks (the load test's draft saves). The cookie is signed
// with the form key (csrf_anon.go), so a cookie planted from a sibling domain shows nothing.
const flashCookie = "qunfa_flash"

func (a *app) setFlashCookie(c *gin.Context, msg string) {
	enc := base64.RawURLEncoding.EncodeToString([]byte(msg))
	http.SetCookie(c.Writer, &http.Cookie{
		Name: flashCookie, Value: enc + "." + a.signFlash(enc), Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
	})
}

// popFlash returns the flash for this page and clears it: the cookie's, or the session's (the
// idle timeout leaves its notice there, where the session is ended anyway).
func (a *app) popFlash(c *gin.Context) string {
	ck, err := c.Request.Cookie(flashCookie)
	if err != nil {
		if !hasSession(c.Request) {
			return ""
		}
		return a.sessions.PopString(c.Request.Context(), sessFlash)
	}
	http.SetCookie(c.Writer, &http.Cookie{
		Name: flashCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode,
	})
	enc, sig, ok := strings.Cut(ck.Value, ".")
	if !ok || !hmac.Equal([]byte(sig), []byte(a.signFlash(enc))) {
		return ""
	}
	msg, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return ""
	}
	return string(msg)
}

func (a *app) signFlash(enc string) string {
	m := hmac.New(sha256.New, a.csrfKey)
	m.Write([]byte("qunfa-flash\x00" + enc))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
