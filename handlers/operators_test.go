package handlers

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"qunfa/models"
	"qunfa/views/i18n"
)

// operatorID finds an operator's id on the operators list.
func (ta *testApp) operatorID(username string) string {
	ta.t.Helper()
	r := ta.get("/operators")
	href, _ := r.doc(ta.t).Find(`[data-testid=operator-row][data-username="` + username + `"] a[data-testid=operator-link]`).Attr("href")
	if href == "" {
		ta.t.Fatalf("%s is not on the operators list (%d)", username, r.status)
	}
	return strings.TrimPrefix(href, "/operators/")
}

// An admin adds an editor, who logs in; disabled, the editor's open session goes to the login at
// the next page and the right password says the account is disabled; enabled again, they log in.
func TestAdminAddsDisablesAndEnablesAnOperator(t *testing.T) {
	ta := newTestApp(t)
	ta.setupAndLogin()
	tok := ta.csrf("/operators/new")
	r := ta.post("/operators", url.Values{"csrf_token": {tok}, "username": {"ed"}, "password": {"short"}, "role": {"editor"}})
	if r.status != http.StatusUnprocessableEntity || r.doc(t).Find(`[data-field=password]`).Length() != 1 {
		t.Fatalf("short password: %d", r.status)
	}
	r = ta.post("/operators", url.Values{"csrf_token": {tok}, "username": {"ed"}, "password": {"editor-pass"}, "role": {"editor"}})
	if r.status != http.StatusSeeOther || r.location != "/operators" {
		t.Fatalf("add: %d %q\n%s", r.status, r.location, r.body)
	}
	list := ta.get("/operators").doc(t)
	if got := list.Find(`[data-testid=operator-row][data-username=ed] [data-testid=operator-role]`).Text(); got != "编辑" {
		t.Fatalf("ed's role on the list: %q", got)
	}
	id := ta.operatorID("ed")

	ed := ta.loginAs("ed", "editor-pass")
	ta.chooseOwnPassword(ed, "editor-pass", "editor-own-pass", "/overview")
	if r := ta.getWith(ed, "/drafts"); r.status != http.StatusOK {
		t.Fatalf("editor's drafts: %d", r.status)
	}
	if r := ta.getWith(ed, "/settings"); r.status != http.StatusForbidden {
		t.Fatalf("editor's settings: %d", r.status)
	}

	r = ta.post("/operators/"+id+"/disable", url.Values{"csrf_token": {tok}})
	if r.status != http.StatusSeeOther || r.location != "/operators/"+id {
		t.Fatalf("disable: %d %q", r.status, r.location)
	}
	if r := ta.getWith(ed, "/drafts"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/login") {
		t.Fatalf("disabled editor's next page: %d %q, want the login", r.status, r.location)
	}
	for lang, want := range map[string]string{"zh": "此账号已停用", "en": "This account is disabled"} {
		c := ta.newClient()
		u, _ := url.Parse(ta.srv.URL)
		c.Jar.SetCookies(u, []*http.Cookie{{Name: langCookie, Value: lang}})
		ltok := ta.tokenOf(c, false)
		r := ta.postWith(c, "/login", url.Values{"csrf_token": {ltok}, "username": {"ed"}, "password": {"editor-own-pass"}}, nil)
		if got := r.doc(t).Find(`[data-testid=login-error]`).Text(); r.status != http.StatusUnauthorized || !strings.Contains(got, want) {
			t.Errorf("%s: disabled login %d %q, want %q", lang, r.status, got, want)
		}
		// A wrong password tells nothing of the disabling.
		r = ta.postWith(c, "/login", url.Values{"csrf_token": {ltok}, "username": {"ed"}, "password": {"wrong-pass"}}, nil)
		if got := r.doc(t).Find(`[data-testid=login-error]`).Text(); got != i18n.T(lang, "err.bad_credentials") {
			t.Errorf("%s: disabled, wrong password: %q", lang, got)
		}
	}

	if r := ta.post("/operators/"+id+"/enable", url.Values{"csrf_token": {tok}}); r.status != http.StatusSeeOther {
		t.Fatalf("enable: %d", r.status)
	}
	ed = ta.loginAs("ed", "editor-own-pass")
	if r := ta.getWith(ed, "/drafts"); r.status != http.StatusOK {
		t.Fatalf("enabled editor's drafts: %d", r.status)
	}

	// Demoted to viewer, the open session loses the drafts at once.
	if r := ta.post("/operators/"+id+"/role", url.Values{"csrf_token": {tok}, "role": {"viewer"}}); r.status != http.StatusSeeOther {
		t.Fatalf("role: %d", r.status)
	}
	if r := ta.getWith(ed, "/drafts"); r.status != http.StatusForbidden {
		t.Fatalf("viewer's drafts: %d", r.status)
	}
	if r := ta.post("/operators/"+id+"/role", url.Values{"csrf_token": {tok}, "role": {"root"}}); r.status != http.StatusUnprocessableEntity {
		t.Fatalf("unknown role: %d", r.status)
	}
}

// The last enabled admin cannot disable or demote themselves; the page says why, in both languages.
func TestLastAdminRefusedOnThePage(t *testing.T) {
	ta := newTestApp(t)
	ta.setupAndLogin()
	id := ta.operatorID("admin")
	tok := ta.csrf("/operators")
	for lang, want := range map[string]string{"zh": "不能停用或降级最后一名启用的管理员", "en": "The last enabled administrator cannot be disabled or demoted"} {
		u, _ := url.Parse(ta.srv.URL)
		ta.client.Jar.SetCookies(u, []*http.Cookie{{Name: langCookie, Value: lang}})
		for _, post := range []struct {
			path string
			form url.Values
		}{{"/disable", url.Values{}}, {"/role", url.Values{"role": {"editor"}}}} {
			post.form.Set("csrf_token", tok)
			r := ta.post("/operators/"+id+post.path, post.form)
			if got := r.doc(t).Find(`[data-testid=operator-error]`).Text(); r.status != http.StatusConflict || !strings.Contains(got, want) {
				t.Errorf("%s %s: %d %q", lang, post.path, r.status, got)
			}
		}
	}
	if r := ta.get("/settings"); r.status != http.StatusOK {
		t.Fatalf("the admin is still an admin: %d", r.status)
	}

	// With a second admin, the first may step down, and is sent home, where an editor's links are.
	ta.team()
	if r := ta.post("/operators/"+ta.operatorID("editor")+"/role", url.Values{"csrf_token": {tok}, "role": {"admin"}}); r.status != http.StatusSeeOther {
		t.Fatalf("promote: %d", r.status)
	}
	r := ta.post("/operators/"+id+"/role", url.Values{"csrf_token": {tok}, "role": {"editor"}})
	if r.status != http.StatusSeeOther || r.location != "/" {
		t.Fatalf("step down: %d %q, want home", r.status, r.location)
	}
	if r := ta.get("/settings"); r.status != http.StatusForbidden {
		t.Fatalf("settings after stepping down: %d", r.status)
	}
}

// A generated password is shown once, on the answer to the reset, never kept in the session; the
// operator's sessions end and the new password logs them in.
func TestResetGeneratesAPasswordShownOnce(t *testing.T) {
	ta := newTestApp(t)
	ta.setupAndLogin()
	ta.team()
	viewer := ta.loginAs("viewer", "viewer-pass")
	id := ta.operatorID("viewer")
	tok := ta.csrf("/operators/" + id)
	if r := ta.post("/operators/"+id+"/reset", url.Values{"csrf_token": {tok}}); r.status != http.StatusUnprocessableEntity {
		t.Fatalf("reset with no password and no generate: %d", r.status)
	}
	r := ta.post("/operators/"+id+"/reset", url.Values{"csrf_token": {tok}, "generate": {"1"}})
	pw := r.doc(t).Find(`[data-testid=new-password]`).Text()
	if r.status != http.StatusOK || len(pw) != 16 || r.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("generated: %d %q cache %q", r.status, pw, r.header.Get("Cache-Control"))
	}
	if again := ta.get("/operators/" + id); strings.Contains(again.body, pw) {
		t.Fatal("the generated password is shown again")
	}
	if data, found, err := ta.svc.Sessions().WithClock(func() time.Time { return ta.now }).Find(sessionCookieOf(ta, ta.client)); err != nil || !found || strings.Contains(string(data), pw) {
		t.Fatalf("the admin's session (found %v, %v) holds the generated password", found, err)
	}
	if r := ta.getWith(viewer, "/sends"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/login") {
		t.Fatalf("viewer's session after the reset: %d %q", r.status, r.location)
	}
	viewer = ta.loginAs("viewer", pw)
	ta.chooseOwnPassword(viewer, pw, "viewer-own-pass", "/overview")
	if r := ta.getWith(viewer, "/sends"); r.status != http.StatusOK {
		t.Fatalf("viewer with the new password: %d", r.status)
	}

	// A password typed by the admin: a flash, not the password.
	r = ta.post("/operators/"+id+"/reset", url.Values{"csrf_token": {tok}, "password": {"typed-password"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("typed reset: %d", r.status)
	}
	if page := ta.get(r.location); strings.Contains(page.body, "typed-password") || page.doc(t).Find(`[data-testid=flash]`).Length() != 1 {
		t.Fatalf("after a typed reset:\n%s", page.body)
	}
	ta.loginAs("viewer", "typed-password")
}

// Every operator changes their own password: the current one is checked, the new one typed twice;
// this session stays, the operator's other sessions end.
func TestOwnPasswordChangeEndsOtherSessions(t *testing.T) {
	ta := newTestApp(t)
	ta.setupAndLogin()
	ta.team()
	here, there := ta.loginAs("viewer", "viewer-pass"), ta.loginAs("viewer", "viewer-pass")
	other := ta.loginAs("editor", "editor-pass")
	if ta.getWith(here, "/sends").doc(t).Find(`#site-menu [data-testid=nav-account]`).Length() != 1 {
		t.Fatal("no password link in the viewer's menu")
	}
	tok := ta.tokenOf(here, true)
	r := ta.postWith(here, "/account/password", url.Values{"csrf_token": {tok}, "current": {"wrong-pass"}, "new": {"fresh-pass1"}, "confirm": {"fresh-pass1"}}, nil)
	if r.status != http.StatusUnprocessableEntity || r.doc(t).Find(`[data-field=current]`).Text() != "当前密码不正确。" {
		t.Fatalf("wrong current password: %d", r.status)
	}
	r = ta.postWith(here, "/account/password", url.Values{"csrf_token": {tok}, "current": {"viewer-pass"}, "new": {"fresh-pass1"}, "confirm": {"fresh-pass2"}}, nil)
	if r.status != http.StatusUnprocessableEntity || r.doc(t).Find(`[data-field=confirm]`).Length() != 1 {
		t.Fatalf("confirmation differs: %d", r.status)
	}
	before := sessionCookieOf(ta, here)
	r = ta.postWith(here, "/account/password", url.Values{"csrf_token": {tok}, "current": {"viewer-pass"}, "new": {"fresh-pass1"}, "confirm": {"fresh-pass1"}}, nil)
	if r.status != http.StatusSeeOther || r.location != "/account/password" {
		t.Fatalf("change: %d %q\n%s", r.status, r.location, r.body)
	}
	if sessionCookieOf(ta, here) == before {
		t.Error("the session token was not renewed")
	}
	if page := ta.getWith(here, "/account/password"); page.status != http.StatusOK || page.doc(t).Find(`[data-testid=flash]`).Text() != i18n.T("zh", "account.password_changed") {
		t.Fatalf("this session after the change: %d", page.status)
	}
	if r := ta.getWith(there, "/sends"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/login") {
		t.Fatalf("the other session: %d %q, want the login", r.status, r.location)
	}
	if r := ta.getWith(other, "/drafts"); r.status != http.StatusOK {
		t.Fatalf("another operator's session: %d", r.status)
	}
	ta.loginAs("viewer", "fresh-pass1")
}

// A viewer lands on the history, and sees only the links a viewer may use.
func TestViewerHomeAndMenu(t *testing.T) {
	ta := newTestApp(t)
	ta.setupAndLogin()
	ta.team()
	c := ta.newClient()
	tok := ta.tokenOf(c, false)
	r := ta.postWith(c, "/login", url.Values{"csrf_token": {tok}, "username": {"viewer"}, "password": {"viewer-pass"}}, nil)
	if r.status != http.StatusSeeOther || r.location != "/overview" {
		t.Fatalf("viewer's login: %d %q, want /overview", r.status, r.location)
	}
	menu := ta.getWith(c, "/sends").doc(t).Find(`#site-menu`)
	for _, n := range []string{"drafts", "audiences", "settings", "operators"} {
		if menu.Find(`[data-testid=nav-`+n+`]`).Length() != 0 {
			t.Errorf("a viewer's menu links to %s", n)
		}
	}
	if r := ta.getWith(c, "/login"); r.status != http.StatusSeeOther || r.location != "/" {
		t.Fatalf("viewer at /login: %d %q", r.status, r.location)
	}
	if r := ta.getWith(c, "/"); r.location != "/overview" {
		t.Fatalf("viewer's home: %q", r.location)
	}
}

func sessionCookieOf(ta *testApp, c *http.Client) string {
	u, _ := url.Parse(ta.srv.URL)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == "qunfa_session" {
			return ck.Value
		}
	}
	return ""
}

// Every change an admin makes to an operator, and an operator's own password change, is in the
// audit log under the operator it was done to.
func TestOperatorChangesAreAudited(t *testing.T) {
	ta := newTestApp(t)
	ta.setupAndLogin()
	ta.team()
	viewer := ta.loginAs("viewer", "viewer-pass")
	id := ta.operatorID("viewer")
	tok := ta.csrf("/operators/" + id)
	for _, step := range []struct {
		path string
		form url.Values
	}{
		{"/operators/" + id + "/role", url.Values{"role": {"editor"}}},
		{"/operators/" + id + "/disable", nil},
		{"/operators/" + id + "/enable", nil},
		{"/operators/" + id + "/reset", url.Values{"password": {"another-pass-9"}}},
		{"/operators/" + id + "/sessions/revoke", nil},
		{"/operators", url.Values{"username": {"newbie"}, "password": {"newbie-pass-7"}, "role": {"viewer"}}},
	} {
		form := url.Values{"csrf_token": {tok}}
		for k, v := range step.form {
			form[k] = v
		}
		if r := ta.post(step.path, form); r.status != http.StatusSeeOther && r.status != http.StatusOK {
			t.Fatalf("POST %s: %d\n%s", step.path, r.status, r.body)
		}
	}
	viewer = ta.loginAs("viewer", "another-pass-9")
	vtok := ta.tokenOf(viewer, true)
	if r := ta.postWith(viewer, "/account/password", url.Values{"csrf_token": {vtok}, "current": {"another-pass-9"},
		"new": {"mine-now-pass-3"}, "confirm": {"mine-now-pass-3"}}, nil); r.status != http.StatusSeeOther {
		t.Fatalf("own password change: %d", r.status)
	}
	page, err := ta.svc.AuditLog(context.Background(), models.AuditFilter{Target: "operator:" + id}, 100)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, e := range page.Entries {
		got[e.Action] = true
	}
	for _, want := range []string{models.AuditOperatorRole, models.AuditOperatorDisable, models.AuditOperatorEnable,
		models.AuditOperatorPassword, models.AuditSessionsRevoke, models.AuditAccountPassword} {
		if !got[want] {
			t.Errorf("no %s entry for operator %s: %v", want, id, got)
		}
	}
	all, err := ta.svc.AuditLog(context.Background(), models.AuditFilter{Action: models.AuditOperatorCreate}, 100)
	if err != nil || !slices.ContainsFunc(all.Entries, func(e models.AuditEntry) bool { return strings.Contains(e.Detail, "newbie") }) {
		t.Errorf("operator.create entries: %+v, %v", all.Entries, err)
	}
}

// chooseOwnPassword walks an operator whose password an admin set (c, logged in with current)
// through choosing their own: until then every page sends them to the form, which says why, and
// every other action is refused; afterwards they land on home.
func (ta *testApp) chooseOwnPassword(c *http.Client, current, own, home string) {
	ta.t.Helper()
	for _, path := range []string{"/", home, "/drafts", "/account/password"} {
		r := ta.getWith(c, path)
		if path == "/account/password" {
			if r.status != http.StatusOK || r.doc(ta.t).Find(`[data-testid=password-forced]`).Length() != 1 {
				ta.t.Fatalf("the password form before choosing: %d, forced notice missing", r.status)
			}
			continue
		}
		if r.status != http.StatusSeeOther || r.location != "/account/password" {
			ta.t.Fatalf("GET %s before choosing a password: %d %q, want the password form", path, r.status, r.location)
		}
	}
	tok := ta.csrfWith(c, "/account/password")
	if r := ta.postWith(c, "/drafts/1/delete", url.Values{"csrf_token": {tok}}, nil); r.status != http.StatusForbidden {
		ta.t.Fatalf("an action before choosing a password: %d, want 403", r.status)
	}
	r := ta.postWith(c, "/account/password", url.Values{"csrf_token": {tok}, "current": {current}, "new": {current}, "confirm": {current}}, nil)
	if r.status != http.StatusUnprocessableEntity || r.doc(ta.t).Find(`[data-field=new]`).Length() != 1 {
		ta.t.Fatalf("keeping the admin's password: %d, want the form refusing it", r.status)
	}
	r = ta.postWith(c, "/account/password", url.Values{"csrf_token": {tok}, "current": {current}, "new": {own}, "confirm": {own}}, nil)
	if r.status != http.StatusSeeOther || r.location != home {
		ta.t.Fatalf("choosing a password: %d %q, want home %s", r.status, r.location, home)
	}
}
