package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"qunfa/models"
	"qunfa/views/i18n"
)

// What one visitor gets from one route.
const (
	allowed   = "allowed"   // through both guards (the action may still answer 404, 422…)
	forbidden = "forbidden" // the 403 page of a role too low
	toLogin   = "login"     // the login guard: a GET goes to /login?next=, a POST gets the 403 "log in"
)

// accessTable pins who may use each route, as anonymous / viewer / editor / admin. Every route of
// Routes() has a line and every line a route: a new route fails TestAccessTable until it is
// written here, and so does a route whose Access changes.
var accessTable = map[string][4]string{
	// public
	"GET /healthz":           {allowed, allowed, allowed, allowed},
	"GET /login":             {allowed, allowed, allowed, allowed},
	"POST /login":            {allowed, allowed, allowed, allowed},
	"GET /setup":             {allowed, allowed, allowed, allowed},
	"POST /setup":            {allowed, allowed, allowed, allowed},
	"POST /lang":             {allowed, allowed, allowed, allowed},
	"GET /static/*filepath":  {allowed, allowed, allowed, allowed},
	"GET /wechat/callback":   {allowed, allowed, allowed, allowed},
	"POST /wechat/callback":  {allowed, allowed, allowed, allowed},
	"GET /":                  {toLogin, allowed, allowed, allowed},
	"POST /logout":           {toLogin, allowed, allowed, allowed},
	"GET /account/password":  {toLogin, allowed, allowed, allowed},
	"POST /account/password": {toLogin, allowed, allowed, allowed},

	// history and reports: every role
	"GET /sends":                 {toLogin, allowed, allowed, allowed},
	"GET /sends.csv":             {toLogin, allowed, allowed, allowed},
	"GET /sends.xlsx":            {toLogin, allowed, allowed, allowed},
	"GET /sends/:id":             {toLogin, allowed, allowed, allowed},
	"GET /sends/:id/stats":       {toLogin, allowed, allowed, allowed},
	"GET /schedules":             {toLogin, allowed, allowed, allowed},
	"GET /followers":             {toLogin, allowed, allowed, allowed},
	"GET /followers/sync/status": {toLogin, allowed, allowed, allowed},
	"GET /thumbs/:id":            {toLogin, allowed, allowed, allowed},
	"GET /images/:id":            {toLogin, allowed, allowed, allowed},

	// writing and sending: editors and admins
	"GET /drafts":                   {toLogin, forbidden, allowed, allowed},
	"GET /drafts/new":               {toLogin, forbidden, allowed, allowed},
	"POST /drafts":                  {toLogin, forbidden, allowed, allowed},
	"GET /drafts/:id":               {toLogin, forbidden, allowed, allowed},
	"POST /drafts/:id":              {toLogin, forbidden, allowed, allowed},
	"POST /drafts/:id/delete":       {toLogin, forbidden, allowed, allowed},
	"POST /drafts/preview-render":   {toLogin, forbidden, allowed, allowed},
	"POST /thumbs":                  {toLogin, forbidden, allowed, allowed},
	"POST /images":                  {toLogin, forbidden, allowed, allowed},
	"GET /drafts/:id/send":          {toLogin, forbidden, allowed, allowed},
	"POST /drafts/:id/send/confirm": {toLogin, forbidden, allowed, allowed},
	"POST /drafts/:id/send":         {toLogin, forbidden, allowed, allowed},
	"POST /drafts/:id/preview":      {toLogin, forbidden, allowed, allowed},
	"POST /drafts/:id/schedule":     {toLogin, forbidden, allowed, allowed},
	"GET /sends/:id/delete":         {toLogin, forbidden, allowed, allowed},
	"POST /sends/:id/delete":        {toLogin, forbidden, allowed, allowed},
	"GET /sends/:id/catchup":        {toLogin, forbidden, allowed, allowed},
	"POST /sends/:id/catchup":       {toLogin, forbidden, allowed, allowed},
	"GET /schedules/:id":            {toLogin, forbidden, allowed, allowed},
	"POST /schedules/:id":           {toLogin, forbidden, allowed, allowed},
	"POST /schedules/:id/cancel":    {toLogin, forbidden, allowed, allowed},
	"POST /schedules/:id/send":      {toLogin, forbidden, allowed, allowed},
	"GET /audiences":                {toLogin, forbidden, allowed, allowed},
	"GET /audiences/new":            {toLogin, forbidden, allowed, allowed},
	"POST /audiences":               {toLogin, forbidden, allowed, allowed},
	"POST /audiences/filter":        {toLogin, forbidden, allowed, allowed},
	"GET /audiences/:id":            {toLogin, forbidden, allowed, allowed},
	"POST /audiences/:id/rename":    {toLogin, forbidden, allowed, allowed},
	"POST /audiences/:id/delete":    {toLogin, forbidden, allowed, allowed},
	"POST /followers/sync":          {toLogin, forbidden, allowed, allowed},

	// settings and operators: admins only
	"GET /settings":                       {toLogin, forbidden, forbidden, allowed},
	"POST /settings":                      {toLogin, forbidden, forbidden, allowed},
	"POST /settings/followers-sync":       {toLogin, forbidden, forbidden, allowed},
	"GET /operators":                      {toLogin, forbidden, forbidden, allowed},
	"GET /operators/new":                  {toLogin, forbidden, forbidden, allowed},
	"POST /operators":                     {toLogin, forbidden, forbidden, allowed},
	"GET /operators/:id":                  {toLogin, forbidden, forbidden, allowed},
	"POST /operators/:id/role":            {toLogin, forbidden, forbidden, allowed},
	"POST /operators/:id/disable":         {toLogin, forbidden, forbidden, allowed},
	"POST /operators/:id/enable":          {toLogin, forbidden, forbidden, allowed},
	"POST /operators/:id/reset":           {toLogin, forbidden, forbidden, allowed},
	"POST /operators/:id/sessions/revoke": {toLogin, forbidden, forbidden, allowed},

	// four-eyes approval and the audit log: admins; a requester may withdraw their own (reject)
	"POST /sends/:id/approve": {toLogin, forbidden, forbidden, allowed},
	"POST /sends/:id/reject":  {toLogin, forbidden, allowed, allowed},
	"POST /settings/approval": {toLogin, forbidden, forbidden, allowed},
	"GET /audit":              {toLogin, forbidden, forbidden, allowed},
	"GET /audit.csv":          {toLogin, forbidden, forbidden, allowed},
	// the overview (issue 9): every role
	"GET /overview":           {toLogin, allowed, allowed, allowed},
	"GET /overview/live":      {toLogin, allowed, allowed, allowed},
	"GET /overview/data.csv":  {toLogin, allowed, allowed, allowed},
	"GET /overview/data.xlsx": {toLogin, allowed, allowed, allowed},
	// nothing lost: autosave, versions, copies (issue 10)
	"POST /drafts/autosave":                {toLogin, forbidden, allowed, allowed},
	"POST /drafts/:id/autosave":            {toLogin, forbidden, allowed, allowed},
	"GET /drafts/:id/versions":             {toLogin, forbidden, allowed, allowed},
	"GET /drafts/:id/versions/:v":          {toLogin, forbidden, allowed, allowed},
	"POST /drafts/:id/versions/:v/restore": {toLogin, forbidden, allowed, allowed},
	"POST /drafts/:id/duplicate":           {toLogin, forbidden, allowed, allowed},
	"POST /sends/:id/duplicate":            {toLogin, forbidden, allowed, allowed},

	// a send's report: everyone; fetching WeChat's statistics now: admins
	"GET /sends/:id/report":        {toLogin, allowed, allowed, allowed},
	"GET /sends/:id/report/live":   {toLogin, allowed, allowed, allowed},
	"POST /sends/:id/report/fetch": {toLogin, forbidden, forbidden, allowed},

	// A/B title tests: every role reads them, editors make them
	"GET /abtests":             {toLogin, allowed, allowed, allowed},
	"GET /abtests/:id":         {toLogin, allowed, allowed, allowed},
	"GET /drafts/:id/abtest":   {toLogin, forbidden, allowed, allowed},
	"POST /drafts/:id/abtest":  {toLogin, forbidden, allowed, allowed},
	"POST /abtests/:id/winner": {toLogin, forbidden, allowed, allowed},
}

var visitors = [4]string{"anonymous", "viewer", "editor", "admin"}

// leastRole is the Access a table line means: the lowest visitor let through (public when even
// the anonymous one is).
func leastRole(w [4]string) models.Role {
	for i, role := range []models.Role{public, viewer, editor, admin} {
		if w[i] == allowed {
			return role
		}
	}
	return models.Role("nobody")
}

// The table covers the route table exactly, and says what each route's Access says.
func TestAccessTableCoversEveryRoute(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Routes() {
		k := r.Method + " " + r.Path
		seen[k] = true
		w, ok := accessTable[k]
		if !ok {
			t.Errorf("route %s has no line in accessTable: say who may use it", k)
			continue
		}
		if got := leastRole(w); got != r.Access {
			t.Errorf("route %s: Access %q, but accessTable says %q", k, r.Access, got)
		}
	}
	for k := range accessTable {
		if !seen[k] {
			t.Errorf("accessTable has %s, which is not a route", k)
		}
	}
}

// loginAs logs a new client in as username.
func (ta *testApp) loginAs(username, password string) *http.Client {
	ta.t.Helper()
	c := ta.newClient()
	r := ta.getWith(c, "/login")
	tok, _ := r.doc(ta.t).Find(`input[name=csrf_token]`).Attr("value")
	r = ta.postWith(c, "/login", url.Values{"csrf_token": {tok}, "username": {username}, "password": {password}}, nil)
	if r.status != http.StatusSeeOther {
		ta.t.Fatalf("log in as %s: %d\n%s", username, r.status, r.body)
	}
	return c
}

// tokenOf returns the CSRF token of the client's session, from a page every visitor may open.
func (ta *testApp) tokenOf(c *http.Client, loggedIn bool) string {
	ta.t.Helper()
	path := "/login"
	if loggedIn {
		path = "/account/password"
	}
	r := ta.getWith(c, path)
	tok, _ := r.doc(ta.t).Find(`input[name=csrf_token]`).Attr("value")
	if tok == "" {
		ta.t.Fatalf("GET %s: %d, no csrf token", path, r.status)
	}
	return tok
}

// team adds an editor and a viewer beside the admin of setupAndLogin, through the models API.
func (ta *testApp) team() {
	ta.t.Helper()
	ctx := context.Background()
	for _, o := range []models.NewOperator{
		{Username: "editor", Password: "editor-pass", Role: models.RoleEditor},
		{Username: "viewer", Password: "viewer-pass", Role: models.RoleViewer},
	} {
		op, err := ta.svc.CreateOperator(ctx, models.Operator{}, models.NewOperator{Username: o.Username, Password: "first-" + o.Password, Role: o.Role})
		if err != nil {
			ta.t.Fatal(err)
		}
		// An admin set that one: each chooses their own, as at their first login.
		ch := models.PasswordChange{Current: "first-" + o.Password, New: o.Password, Confirm: o.Password}
		if _, err := ta.svc.ChangeOwnPassword(ctx, op, ch); err != nil {
			ta.t.Fatal(err)
		}
	}
}

// outcome classifies an answer as what the guards did with it.
func outcome(t *testing.T, res response) string {
	t.Helper()
	switch {
	case res.status == http.StatusSeeOther && strings.HasPrefix(res.location, "/login?next="):
		return toLogin
	case res.status == http.StatusForbidden && strings.Contains(res.body, i18n.T("zh", "err.login_required")):
		return toLogin
	case res.status == http.StatusForbidden && strings.Contains(res.body, i18n.T("zh", "err.role_forbidden")):
		return forbidden
	case res.status == http.StatusForbidden && strings.Contains(res.body, i18n.T("zh", "err.csrf")):
		t.Fatalf("refused for its CSRF token: the test is wrong")
	case res.status >= http.StatusInternalServerError:
		t.Fatalf("server error %d\n%s", res.status, res.body)
	}
	return allowed
}

// Each route, requested as each visitor, meets the guard the table says: a viewer gets 403 on
// POST /drafts and /settings, an editor on /settings and /operators, an admin through everywhere.
// The ids are of nothing, so an action let through changes nothing (it answers 404) and the
// visitors keep their sessions; POST /logout goes last.
func TestAccessTable(t *testing.T) {
	ta := newTestApp(t)
	ta.setupAndLogin()
	ta.team()
	clients := [4]*http.Client{ta.newClient(), ta.loginAs("viewer", "viewer-pass"), ta.loginAs("editor", "editor-pass"), ta.loginAs("admin", "correct-horse")}
	var tokens [4]string
	for i, c := range clients {
		tokens[i] = ta.tokenOf(c, i > 0)
	}
	rs := Routes()
	for i, r := range rs { // logout last: it ends the session the other requests need
		if r.Method == http.MethodPost && r.Path == "/logout" {
			rs = append(append(rs[:i:i], rs[i+1:]...), r)
			break
		}
	}
	for _, r := range rs {
		k := r.Method + " " + r.Path
		w, ok := accessTable[k]
		if !ok {
			continue // TestAccessTableCoversEveryRoute names it
		}
		path := strings.ReplaceAll(strings.ReplaceAll(r.Path, ":id", "999999"), "*filepath", "css/app.css")
		for i, c := range clients {
			t.Run(k+" as "+visitors[i], func(t *testing.T) {
				var res response
				if r.Method == http.MethodGet {
					res = ta.getWith(c, path)
				} else {
					res = ta.postWith(c, path, url.Values{"csrf_token": {tokens[i]}}, nil)
				}
				if got := outcome(t, res); got != w[i] {
					t.Errorf("%s as %s: %s (%d %q), want %s", k, visitors[i], got, res.status, res.location, w[i])
				}
			})
		}
	}
}
