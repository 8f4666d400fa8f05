package handlers

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"qunfa/models"
)

// approvalApp is a test app with three operators: the first admin ("admin", logged in on
// ta.client), a second admin "bob" and an editor "eddie", each with a client of their own.
type approvalApp struct {
	*testApp
	bob, eddie *http.Client
}

func newApprovalApp(t *testing.T) approvalApp {
	t.Helper()
	var path string
	ta := newTestAppWith(t, appOptions{dbPath: &path})
	ta.setupAndLogin()
	ctx := context.Background()
	for _, name := range []string{"bob", "eddie"} {
		if _, err := ta.store.CreateOperator(ctx, name, "password-"+name); err != nil {
			t.Fatal(err)
		}
	}
	setRoleInDB(t, path, "eddie", models.RoleEditor)
	return approvalApp{testApp: ta, bob: ta.loginAs("bob", "password-bob"), eddie: ta.loginAs("eddie", "password-eddie")}
}

// setRoleInDB gives an operator a role straight in the database (operator management is
// another part of the app; these tests need only the role).
func setRoleInDB(t *testing.T, path, username string, role models.Role) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("UPDATE operators SET role = ? WHERE username = ?", string(role), username); err != nil {
		t.Fatal(err)
	}
}

// csrfWith fetches a page on client c and returns its forms' token.
func (ta *testApp) csrfWith(c *http.Client, path string) string {
	ta.t.Helper()
	r := ta.getWith(c, path)
	tok, ok := r.doc(ta.t).Find(`input[name=csrf_token]`).First().Attr("value")
	if !ok {
		ta.t.Fatalf("GET %s (%d): no csrf_token", path, r.status)
	}
	return tok
}

// sendToEveryone sends a new draft to everyone as the first admin and returns the send's path.
func (ta *testApp) sendToEveryone(title string) string {
	ta.t.Helper()
	draft := ta.createDraft(title)
	form := ta.get("/drafts/" + draft + "/send").doc(ta.t)
	key, _ := form.Find(`input[name=key]`).Attr("value")
	tok, _ := form.Find(`input[name=csrf_token]`).Attr("value")
	fields := url.Values{"csrf_token": {tok}, "key": {key}, "target": {"all"}}
	if c := ta.post("/drafts/"+draft+"/send/confirm", fields); c.doc(ta.t).Find(`[data-testid=approval-needed]`).Length() != 1 {
		ta.t.Errorf("the confirmation page does not say the send needs approval")
	}
	fields.Set("confirm_all", "1")
	r := ta.post("/drafts/"+draft+"/send", fields)
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/sends/") {
		ta.t.Fatalf("send: %d %q\n%s", r.status, r.location, r.body)
	}
	return r.location
}

func (ta *testApp) runWorker() {
	ta.t.Helper()
	if err := ta.svc.RunOnce(context.Background()); err != nil {
		ta.t.Fatal(err)
	}
}

func stateOf(t *testing.T, r response) string {
	t.Helper()
	s, _ := r.doc(t).Find(`[data-testid=send-state]`).First().Attr("data-state")
	return s
}

// With two admins the rule is on: a send to everyone waits; its requester and an editor cannot
// approve it; the other admin sees it, approves it once, and the worker sends it once.
func TestFourEyesApproval(t *testing.T) {
	ta := newApprovalApp(t)
	path := ta.sendToEveryone("全员通知")
	page := ta.get(path)
	if stateOf(t, page) != "awaiting_approval" || page.doc(t).Find(`[data-testid=approval-own]`).Length() != 1 ||
		page.doc(t).Find(`[data-testid=approve]`).Length() != 0 {
		t.Fatalf("requester's view of the send: state %q\n%s", stateOf(t, page), page.body)
	}
	ta.runWorker()
	if ta.wx.sent != 0 {
		t.Fatal("a send awaiting approval reached WeChat")
	}
	// The requester, an admin, cannot approve their own.
	if r := ta.post(path+"/approve", url.Values{"csrf_token": {ta.csrf(path)}}); r.status != http.StatusForbidden {
		t.Fatalf("requester approving: %d", r.status)
	}
	// An editor cannot approve (the route is for admins) nor reject another's send.
	tok := ta.csrfWith(ta.eddie, path)
	if r := ta.postWith(ta.eddie, path+"/approve", url.Values{"csrf_token": {tok}}, nil); r.status != http.StatusForbidden {
		t.Fatalf("editor approving: %d", r.status)
	}
	if r := ta.postWith(ta.eddie, path+"/reject", url.Values{"csrf_token": {tok}}, nil); r.status != http.StatusForbidden {
		t.Fatalf("editor rejecting: %d", r.status)
	}
	// The other admin sees it waiting, on the lists and on its page.
	for _, list := range []string{"/drafts", "/sends"} {
		if n := ta.getWith(ta.bob, list).doc(t).Find(`[data-testid=approval-item]`).Length(); n != 1 {
			t.Errorf("%s shows bob %d sends to approve, want 1", list, n)
		}
	}
	if n := ta.get("/sends").doc(t).Find(`[data-testid=approval-item]`).Length(); n != 0 {
		t.Errorf("the requester is asked to approve their own send (%d items)", n)
	}
	// The history does not say it waits for WeChat: it has not gone there.
	if row := ta.get("/sends").doc(t).Find(`[data-testid=send-row]`).First().Text(); !strings.Contains(row, "未发给微信") || strings.Contains(row, "等待微信回调") {
		t.Errorf("the waiting send's row in the history: %q", row)
	}
	bobPage := ta.getWith(ta.bob, path).doc(t)
	if bobPage.Find(`[data-testid=approve]`).Length() != 1 || !strings.Contains(bobPage.Find(`[data-testid=approval-requested]`).Text(), "admin") {
		t.Fatal("bob's view lacks the approve button or who asked")
	}
	tok = ta.csrfWith(ta.bob, path)
	if r := ta.postWith(ta.bob, path+"/approve", url.Values{"csrf_token": {tok}}, nil); r.status != http.StatusSeeOther || r.location != path {
		t.Fatalf("bob approving: %d %q", r.status, r.location)
	}
	// A second click finds it decided: no second approval.
	if r := ta.postWith(ta.bob, path+"/approve", url.Values{"csrf_token": {tok}}, nil); r.status != http.StatusSeeOther {
		t.Fatalf("second approval: %d", r.status)
	}
	if msg := ta.getWith(ta.bob, path).doc(t).Find(`[data-testid=flash]`).Text(); !strings.Contains(msg, "不在等待审批") {
		t.Errorf("second approval's flash = %q", msg)
	}
	ta.runWorker()
	ta.runWorker()
	if ta.wx.sent != 1 {
		t.Fatalf("sends at WeChat = %d, want 1", ta.wx.sent)
	}
	if st := stateOf(t, ta.get(path)); st != "submitted" {
		t.Fatalf("after approval and the worker: %q", st)
	}
	hist := ta.get(path).doc(t)
	if hist.Find(`[data-testid=history-row][data-action="history.approved"]`).Length() != 1 {
		t.Error("the approval is not in the send's history once")
	}
	// The audit log has who asked and who approved.
	entries := auditEntries(t, ta.testApp, models.AuditFilter{})
	var seen []string
	for _, e := range entries {
		if strings.HasPrefix(e.Action, "send.") {
			seen = append(seen, e.Username+" "+e.Action+" "+e.Target)
		}
	}
	id := strings.TrimPrefix(path, "/sends/")
	want := fmt.Sprintf("[bob send.approve send:%s admin send.awaiting_approval send:%s]", id, id)
	if fmt.Sprint(seen) != want {
		t.Errorf("audit = %v, want %s", seen, want)
	}
}

// A rejection ends the send; the rule saved off lets the next send go at once.
func TestFourEyesRejectAndSetting(t *testing.T) {
	ta := newApprovalApp(t)
	path := ta.sendToEveryone("通知")
	tok := ta.csrfWith(ta.bob, path)
	if r := ta.postWith(ta.bob, path+"/reject", url.Values{"csrf_token": {tok}, "reason": {"标题有错字"}}, nil); r.status != http.StatusSeeOther {
		t.Fatalf("reject: %d", r.status)
	}
	page := ta.get(path)
	if stateOf(t, page) != "rejected" || !strings.Contains(page.doc(t).Find(`[data-testid=approval-rejected]`).Text(), "标题有错字") {
		t.Fatalf("rejected send's page: %q", stateOf(t, page))
	}
	ta.runWorker()
	if ta.wx.sent != 0 {
		t.Fatal("a rejected send reached WeChat")
	}

	// Settings: the form shows the rule on by default (two admins) and saves it off.
	s := ta.get("/settings").doc(t)
	if _, on := s.Find(`[data-testid=approval-required]`).Attr("checked"); !on || s.Find(`[data-testid=approval-form]`).Length() != 1 {
		t.Fatal("the settings page lacks the approval form, on by default")
	}
	if r := ta.post("/settings/approval", url.Values{"csrf_token": {ta.csrf("/settings")}, "approval_threshold": {"abc"}}); r.status != http.StatusSeeOther {
		t.Fatalf("bad threshold: %d", r.status)
	}
	if rule, _ := ta.svc.ApprovalRule(context.Background()); rule.Explicit {
		t.Fatal("a bad threshold was saved")
	}
	if r := ta.postWith(ta.eddie, "/settings/approval", url.Values{"csrf_token": {ta.csrfWith(ta.eddie, "/drafts")}, "approval_threshold": {"5"}}, nil); r.status != http.StatusForbidden {
		t.Fatalf("editor saving the rule: %d", r.status)
	}
	if r := ta.post("/settings/approval", url.Values{"csrf_token": {ta.csrf("/settings")}, "approval_threshold": {"5"}}); r.status != http.StatusSeeOther {
		t.Fatalf("save off: %d", r.status)
	}
	if rule, _ := ta.svc.ApprovalRule(context.Background()); rule.Required || !rule.Explicit || rule.Threshold != 5 {
		t.Fatalf("rule after saving off: %+v", rule)
	}
	path2 := ta.sendToEveryoneNoApproval("再次通知")
	ta.runWorker()
	if ta.wx.sent != 1 || stateOf(t, ta.get(path2)) != "submitted" {
		t.Fatalf("with the rule off: %d sent, state %q", ta.wx.sent, stateOf(t, ta.get(path2)))
	}
	got := auditEntries(t, ta.testApp, models.AuditFilter{Action: models.AuditApprovalRule})
	if len(got) != 1 || got[0].Username != "admin" || got[0].Detail != "required=false threshold=5" {
		t.Fatalf("audit of the setting = %+v", got)
	}
}

// sendToEveryoneNoApproval is sendToEveryone when no approval is expected.
func (ta *testApp) sendToEveryoneNoApproval(title string) string {
	ta.t.Helper()
	draft := ta.createDraft(title)
	form := ta.get("/drafts/" + draft + "/send").doc(ta.t)
	key, _ := form.Find(`input[name=key]`).Attr("value")
	tok, _ := form.Find(`input[name=csrf_token]`).Attr("value")
	r := ta.post("/drafts/"+draft+"/send", url.Values{"csrf_token": {tok}, "key": {key}, "target": {"all"}, "confirm_all": {"1"}})
	if r.status != http.StatusSeeOther {
		ta.t.Fatalf("send: %d", r.status)
	}
	return r.location
}

func auditEntries(t *testing.T, ta *testApp, f models.AuditFilter) []models.AuditEntry {
	t.Helper()
	var out []models.AuditEntry
	if err := ta.svc.EachAudit(context.Background(), f, func(e models.AuditEntry) error {
		out = append(out, e)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}
