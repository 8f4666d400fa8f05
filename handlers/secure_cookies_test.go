package handlers

import (
	"net/http"
	"strings"
	"testing"
)

// Behind a TLS-terminating proxy the session cookie is Secure; on plain http
// (the default 127.0.0.1 set-up) it is not, or the browser would drop it.
func TestSessionCookieSecureOverHTTPS(t *testing.T) {
	ta := newTestApp(t)
	ta.setupAndLogin() // so /login renders its form (and a CSRF token in a session)
	for _, tc := range []struct {
		proto  string
		secure bool
	}{{"", false}, {"https", true}, {"HTTPS", true}, {"http", false}} {
		req, _ := http.NewRequest(http.MethodGet, ta.srv.URL+"/login", nil)
		if tc.proto != "" {
			req.Header.Set("X-Forwarded-Proto", tc.proto)
		}
		res := ta.do(ta.newClient(), req)
		cookies := res.header.Values("Set-Cookie")
		if len(cookies) == 0 {
			t.Fatalf("%q: no cookie set on the login page", tc.proto)
		}
		for _, c := range cookies {
			if hasSecure(c) != tc.secure {
				t.Errorf("X-Forwarded-Proto %q: cookie %q, want Secure=%v", tc.proto, c, tc.secure)
			}
			if strings.HasPrefix(c, "qunfa_session=") && !strings.Contains(c, "HttpOnly") {
				t.Errorf("session cookie not HttpOnly: %q", c)
			}
		}
	}
}
