package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// concretePath fills the route's parameters with plausible values.
func concretePath(p string) string {
	p = strings.ReplaceAll(p, ":id", "1")
	return strings.ReplaceAll(p, "*filepath", "css/app.css")
}

func TestRoutesRefuseWithoutSession(t *testing.T) {
	ta := newTestApp(t)
	ta.setupAndLogin() // an operator exists, but the clients below have no session
	anon := ta.newClient()
	for _, r := range Routes() {
		path := concretePath(r.Path)
		t.Run(r.Method+" "+r.Path, func(t *testing.T) {
			var res response
			if r.Method == http.MethodGet {
				res = ta.getWith(anon, path)
			} else {
				res = ta.postWith(anon, path, url.Values{}, nil)
			}
			toLogin := res.status == http.StatusSeeOther && strings.HasPrefix(res.location, "/login")
			if r.Public() {
				// (GET /setup may send to /login once an operator exists, but
				// never through the login guard with ?next=.)
				if toLogin && strings.Contains(res.location, "next=") {
					t.Fatalf("public route behind the login guard: %q", res.location)
				}
				if res.status == http.StatusForbidden && r.Method == http.MethodGet && r.Path != callbackPath {
					t.Fatalf("public GET refused")
				}
				return
			}
			switch r.Method {
			case http.MethodGet:
				if !toLogin {
					t.Fatalf("got %d %q, want 303 to /login", res.status, res.location)
				}
				if want := "/login?next=" + url.QueryEscape(path); res.location != want {
					t.Errorf("location %q, want %q", res.location, want)
				}
			default:
				if res.status != http.StatusForbidden && !toLogin {
					t.Fatalf("got %d %q, want 403 or 303 to /login", res.status, res.location)
				}
			}
		})
	}
}

// A visitor with a session and a valid CSRF token, but not logged in, is
// still refused on every private POST.
func TestPrivatePostsRefuseAnonymousSessionWithToken(t *testing.T) {
	ta := newTestApp(t)
	ta.setupAndLogin()
	anon := ta.newClient()
	r := ta.getWith(anon, "/login")
	tok, _ := r.doc(t).Find(`input[name=csrf_token]`).Attr("value")
	if tok == "" {
		t.Fatal("login page has no csrf token")
	}
	for _, rt := range Routes() {
		if rt.Public() || rt.Method != http.MethodPost {
			continue
		}
		res := ta.postWith(anon, concretePath(rt.Path), url.Values{"csrf_token": {tok}}, nil)
		if res.status != http.StatusForbidden {
			t.Errorf("POST %s: %d, want 403", rt.Path, res.status)
		}
	}
}

func TestRouteTableIsUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Routes() {
		k := r.Method + " " + r.Path
		if seen[k] {
			t.Errorf("duplicate route %s", k)
		}
		seen[k] = true
		if r.handle == nil {
			t.Errorf("route %s has no handler", k)
		}
	}
}

func TestStaticAssetsAreCachedAndNotFoundIsTranslated(t *testing.T) {
	ta := newTestApp(t)
	r := ta.get("/static/css/app.css?v=abc")
	if r.status != http.StatusOK || !strings.Contains(r.header.Get("Cache-Control"), "immutable") {
		t.Fatalf("static: %d %q", r.status, r.header.Get("Cache-Control"))
	}
	if r := ta.get("/static/vendor/htmx/htmx.min.js"); r.status != http.StatusOK {
		t.Fatalf("vendored htmx: %d", r.status)
	}
	if r := ta.get("/static/css/"); r.status != http.StatusNotFound {
		t.Fatalf("directory listing: %d, want 404", r.status)
	}
	r = ta.get("/no/such/page")
	if r.status != http.StatusNotFound || !strings.Contains(r.body, "页面不存在") {
		t.Fatalf("404 page: %d\n%s", r.status, r.body)
	}
}

// The allow-list of routes reachable without logging in is pinned here, so
// marking a private route public in the table fails a test.
func TestPublicRoutesArePinned(t *testing.T) {
	want := map[string]bool{
		"GET /healthz": true, "GET /login": true, "POST /login": true, "GET /setup": true, "POST /setup": true,
		"POST /lang": true, "GET /static/*filepath": true,
		"GET " + callbackPath: true, "POST " + callbackPath: true,
	}
	got := map[string]bool{}
	for _, r := range Routes() {
		if r.Public() {
			got[r.Method+" "+r.Path] = true
		}
	}
	for k := range got {
		if !want[k] {
			t.Errorf("route %s is public but not on the allow-list", k)
		}
	}
	for k := range want {
		if !got[k] {
			t.Errorf("allow-listed route %s is missing or private", k)
		}
	}
}

// An htmx poll without a session is told to move the whole page to the login
// (HX-Redirect), not handed a login page to swap into the fragment.
func TestHtmxPollWithoutSessionRedirectsWholePage(t *testing.T) {
	ta := newTestApp(t)
	ta.setupAndLogin()
	anon := ta.newClient()
	req, _ := http.NewRequest(http.MethodGet, ta.srv.URL+"/sends/1/stats", nil)
	req.Header.Set("HX-Request", "true")
	req.Header.Set("HX-Current-URL", ta.srv.URL+"/sends/1")
	res := ta.do(anon, req)
	if res.status != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401", res.status)
	}
	if got := res.header.Get("HX-Redirect"); got != "/login?next="+url.QueryEscape("/sends/1") {
		t.Fatalf("HX-Redirect = %q", got)
	}
}
