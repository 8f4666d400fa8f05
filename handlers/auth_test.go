package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestSetupLoginDraftsFlow(t *testing.T) {
	ta := newTestApp(t)

	// Before any operator exists, /login leads to the first-run page.
	if r := ta.get("/login"); r.status != http.StatusSeeOther || r.location != "/setup" {
		t.Fatalf("GET /login on a fresh db: %d %q", r.status, r.location)
	}
	setup := ta.get("/setup")
	if setup.status != http.StatusOK || setup.doc(t).Find(`button[data-testid=setup-submit]`).Length() != 1 {
		t.Fatalf("setup page: %d", setup.status)
	}

	// A too-short password is shown at the password field.
	tok := ta.csrf("/setup")
	r := ta.post("/setup", url.Values{"csrf_token": {tok}, "username": {"admin"}, "password": {"short"}})
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("short password: %d", r.status)
	}
	if r.doc(t).Find(`[data-testid=field-error][data-field=password]`).Length() != 1 {
		t.Fatalf("no field error at the password:\n%s", r.body)
	}

	ta.setupAndLogin()
	drafts := ta.get("/drafts")
	if drafts.status != http.StatusOK {
		t.Fatalf("drafts after setup: %d", drafts.status)
	}
	d := drafts.doc(t)
	if d.Find(`a[data-testid=new-draft]`).Length() != 1 {
		t.Fatal("drafts page has no new-draft link")
	}
	if got := d.Find(`[data-testid=quota-left]`).Text(); got != "今日剩余调用 10/10" {
		t.Errorf("quota: %q", got)
	}
	if got := d.Find(`[data-testid=flash]`).Text(); got == "" {
		t.Error("no welcome flash after setup")
	}

	// The first-run page is gone once an operator exists.
	if r := ta.get("/setup"); r.status != http.StatusSeeOther {
		t.Fatalf("GET /setup afterwards: %d", r.status)
	}
	tok = ta.csrf("/drafts")
	if r := ta.post("/setup", url.Values{"csrf_token": {tok}, "username": {"intruder"}, "password": {"longenough1"}}); r.status != http.StatusNotFound {
		t.Fatalf("POST /setup afterwards: %d", r.status)
	}

	// Logout, then the private pages are closed again.
	if r := ta.post("/logout", url.Values{"csrf_token": {tok}}); r.status != http.StatusSeeOther || r.location != "/login" {
		t.Fatalf("logout: %d %q", r.status, r.location)
	}
	if r := ta.get("/drafts"); r.status != http.StatusSeeOther {
		t.Fatalf("drafts after logout: %d", r.status)
	}

	// Wrong password and unknown user give the same answer.
	tok = ta.csrf("/login")
	bad := ta.post("/login", url.Values{"csrf_token": {tok}, "username": {"admin"}, "password": {"wrong-password"}})
	unknown := ta.post("/login", url.Values{"csrf_token": {tok}, "username": {"nobody"}, "password": {"wrong-password"}})
	if bad.status != http.StatusUnauthorized || unknown.status != bad.status {
		t.Fatalf("bad login statuses: %d, %d", bad.status, unknown.status)
	}
	badMsg := bad.doc(t).Find(`[data-testid=login-error]`).Text()
	if badMsg == "" || badMsg != unknown.doc(t).Find(`[data-testid=login-error]`).Text() {
		t.Fatalf("login errors differ or are missing: %q", badMsg)
	}

	// Logging in renews the session token.
	before := sessionCookie(ta)
	r = ta.post("/login", url.Values{"csrf_token": {tok}, "username": {"admin"}, "password": {"correct-horse"}, "next": {"/sends"}})
	if r.status != http.StatusSeeOther || r.location != "/sends" {
		t.Fatalf("login: %d %q", r.status, r.location)
	}
	if after := sessionCookie(ta); after == "" || after == before {
		t.Fatalf("session token not renewed at login (%q → %q)", before, after)
	}
	if r := ta.get("/sends"); r.status != http.StatusOK {
		t.Fatalf("sends after login: %d", r.status)
	}
}

func TestLoginRefusesOffsiteNext(t *testing.T) {
	ta := newTestApp(t)
	ta.setupAndLogin()
	ta.client = ta.newClient()
	tok := ta.csrf("/login")
	r := ta.post("/login", url.Values{"csrf_token": {tok}, "username": {"admin"}, "password": {"correct-horse"}, "next": {"//evil.example/x"}})
	if r.status != http.StatusSeeOther || r.location != "/overview" {
		t.Fatalf("got %d %q, want 303 /overview", r.status, r.location)
	}
}

func sessionCookie(ta *testApp) string {
	u, _ := url.Parse(ta.srv.URL)
	for _, c := range ta.client.Jar.Cookies(u) {
		if c.Name == "qunfa_session" {
			return c.Value
		}
	}
	return ""
}

func TestCSRF(t *testing.T) {
	ta := newTestApp(t)
	ta.setupAndLogin()
	tok := ta.csrf("/drafts")
	form := func(token string) url.Values {
		return url.Values{"csrf_token": {token}, "articles[0].title": {"t"}}
	}
	tests := []struct {
		name   string
		form   url.Values
		header http.Header
	}{
		{"no token", form(""), nil},
		{"wrong token", form(tok + "x"), nil},
		{"cross-origin with a valid token", form(tok), http.Header{"Origin": {"https://evil.example"}}},
		{"cross-site fetch metadata", form(tok), http.Header{"Sec-Fetch-Site": {"cross-site"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ta.postWith(ta.client, "/drafts", tt.form, tt.header)
			if r.status != http.StatusForbidden {
				t.Fatalf("got %d, want 403", r.status)
			}
			if !strings.Contains(r.body, "刷新页面") {
				t.Errorf("403 page lacks the explanation:\n%s", r.body)
			}
		})
	}
	// The header form of the token works (htmx, fetch).
	r := ta.postWith(ta.client, "/drafts", url.Values{"articles[0].title": {"t"}}, http.Header{"X-Csrf-Token": {tok}})
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("header token: %d, want 422 (token accepted, draft invalid)", r.status)
	}
}

func TestLanguageSwitchRendersEnglish(t *testing.T) {
	ta := newTestApp(t)
	ta.setupAndLogin()
	tok := ta.csrf("/drafts")
	r := ta.post("/lang", url.Values{"csrf_token": {tok}, "lang": {"en"}, "next": {"/drafts"}})
	if r.status != http.StatusSeeOther || r.location != "/drafts" {
		t.Fatalf("lang switch: %d %q", r.status, r.location)
	}
	d := ta.get("/drafts").doc(t)
	if lang, _ := d.Find("html").Attr("lang"); lang != "en" {
		t.Errorf("html lang %q", lang)
	}
	if got := d.Find(`a[data-testid=new-draft]`).Text(); got != "New message" {
		t.Errorf("new-draft link %q", got)
	}
	if got := d.Find(`[data-testid=quota-left]`).Text(); got != "API calls left today 10/10" {
		t.Errorf("quota %q", got)
	}
	if got := ta.get("/no/such/page").body; !strings.Contains(got, "Page not found") {
		t.Errorf("404 page not in English:\n%s", got)
	}
	// and back
	ta.post("/lang", url.Values{"csrf_token": {tok}, "lang": {"zh"}, "next": {"/drafts"}})
	if got := ta.get("/drafts").doc(t).Find(`a[data-testid=new-draft]`).Text(); got != "新建图文" {
		t.Errorf("after switching back: %q", got)
	}
}
