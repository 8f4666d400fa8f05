package handlers

import (
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"qunfa/views"
)

// Every page sends the CSP (no inline script allowed), no framing, nosniff and a Referrer-Policy;
// logged-in responses are not stored by caches, static files keep their long cache. The pages'
// own markup has no inline script and no inline event handler, which the CSP would block.
func TestSecurityHeadersOnEveryPage(t *testing.T) {
	ta := newTestApp(t)
	ta.setupAndLogin()
	anon := ta.getWith(ta.newClient(), "/login")
	sendPath, _ := ta.submittedGroupSend("头")
	draft := ta.createDraft("草稿")
	pages := map[string]response{"/login (anonymous)": anon}
	for _, p := range []string{"/drafts", "/drafts/new", "/drafts/" + draft, "/drafts/" + draft + "/send", "/sends",
		sendPath, sendPath + "/stats", "/schedules", "/settings", "/audiences", "/audiences/new", "/followers", "/no/such/page"} {
		pages[p] = ta.get(p)
	}
	for name, r := range pages {
		if r.status != http.StatusOK && name != "/no/such/page" {
			t.Errorf("%s: status %d", name, r.status)
		}
		csp := r.header.Get("Content-Security-Policy")
		for _, want := range []string{"script-src 'self';", "object-src 'none'", "base-uri 'self'", "frame-ancestors 'none'", "form-action 'self'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", name, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-eval") || strings.Contains(strings.SplitN(csp, "style-src", 2)[0], "unsafe-inline") {
			t.Errorf("%s: CSP allows inline script or eval: %q", name, csp)
		}
		for h, want := range map[string]string{"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"} {
			if got := r.header.Get(h); got != want {
				t.Errorf("%s: %s %q, want %q", name, h, got, want)
			}
		}
		cc := r.header.Get("Cache-Control")
		if name != "/login (anonymous)" && name != "/no/such/page" && cc != "no-store" {
			t.Errorf("%s (logged in): Cache-Control %q, want no-store", name, cc)
		}
		d := r.doc(t)
		d.Find("script").Each(func(_ int, s *goquery.Selection) {
			_, hasSrc := s.Attr("src")
			typ, _ := s.Attr("type")
			if !hasSrc && typ != "application/json" {
				t.Errorf("%s: inline script %.80q", name, s.Text())
			}
		})
		d.Find("*").Each(func(_ int, s *goquery.Selection) {
			for _, a := range s.Nodes[0].Attr {
				if strings.HasPrefix(a.Key, "on") || strings.HasPrefix(strings.TrimSpace(strings.ToLower(a.Val)), "javascript:") {
					t.Errorf("%s: inline handler %s=%q on <%s>", name, a.Key, a.Val, s.Nodes[0].Data)
				}
			}
		})
	}
	st := ta.get(views.Asset("css/app.css"))
	if cc := st.header.Get("Cache-Control"); !strings.Contains(cc, "immutable") || strings.Contains(cc, "no-store") {
		t.Errorf("static Cache-Control %q", cc)
	}
	if st.status != http.StatusOK {
		t.Fatal(st.status)
	}
}
