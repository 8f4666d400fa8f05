package handlers

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"qunfa/models"
)

// Logins (good and bad, with the address), logout and a draft delete are in the log; the page
// filters them, words them, pages them; only admins see it.
func TestAuditLogPage(t *testing.T) {
	ta := newApprovalApp(t)
	// A failed login: nobody logged in, the name typed, the client's address.
	anon := ta.newClient()
	tok, _ := ta.getWith(anon, "/login").doc(t).Find(`input[name=csrf_token]`).First().Attr("value")
	if r := ta.postWith(anon, "/login", url.Values{"csrf_token": {tok}, "username": {"bob"}, "password": {"wrong-password"}}, nil); r.status != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", r.status)
	}
	draft := ta.createDraft("删掉它")
	if r := ta.post("/drafts/"+draft+"/delete", url.Values{"csrf_token": {ta.csrf("/drafts")}}); r.status != http.StatusSeeOther {
		t.Fatalf("draft delete: %d", r.status)
	}
	tok = ta.csrfWith(ta.bob, "/drafts")
	if r := ta.postWith(ta.bob, "/logout", url.Values{"csrf_token": {tok}}, nil); r.status != http.StatusSeeOther {
		t.Fatalf("logout: %d", r.status)
	}

	failed := auditEntries(t, ta.testApp, models.AuditFilter{Action: models.AuditLoginFailed})
	if len(failed) != 1 || failed[0].OperatorID != 0 || failed[0].Username != "bob" || failed[0].ClientAddr != "127.0.0.1" {
		t.Fatalf("failed login entry = %+v", failed)
	}
	ok := auditEntries(t, ta.testApp, models.AuditFilter{Action: models.AuditLoginOK})
	if len(ok) != 2 { // bob and eddie (the first admin came in through setup)
		t.Fatalf("login entries = %+v", ok)
	}
	if got := auditEntries(t, ta.testApp, models.AuditFilter{Action: models.AuditDraftDelete}); len(got) != 1 || got[0].Target != "draft:"+draft || got[0].Username != "admin" {
		t.Fatalf("draft delete entry = %+v", got)
	}
	if got := auditEntries(t, ta.testApp, models.AuditFilter{Action: models.AuditLogout}); len(got) != 1 || got[0].Username != "bob" {
		t.Fatalf("logout entry = %+v", got)
	}

	// The page, filtered to failed logins, in words.
	doc := ta.get("/audit?action=login.failed").doc(t)
	rows := doc.Find(`[data-testid=audit-row]`)
	if rows.Length() != 1 || rows.Find(`[data-testid=audit-action-label]`).Text() != "登录失败" || !strings.Contains(rows.Text(), "127.0.0.1") {
		t.Fatalf("filtered page: %d rows %q", rows.Length(), rows.Text())
	}
	if v, _ := doc.Find(`[data-testid=audit-action] option[selected]`).Attr("value"); v != "login.failed" {
		t.Errorf("the filter does not show its action: %q", v)
	}
	if href, _ := doc.Find(`[data-testid=audit-csv]`).Attr("href"); href != "/audit.csv?action=login.failed" {
		t.Errorf("CSV link = %q", href)
	}
	// Operator filter: bob's entries only.
	var bob models.Operator
	for _, e := range ok {
		if e.Username == "bob" {
			bob.ID = e.OperatorID
		}
	}
	for _, r := range ta.get(fmt.Sprintf("/audit?operator=%d", bob.ID)).doc(t).Find(`[data-testid=audit-row]`).EachIter() {
		if !strings.Contains(r.Text(), "bob") {
			t.Errorf("operator filter shows %q", r.Text())
		}
	}
	// Date filter in Beijing days: the test clock's day has them all, the day before none.
	day := ta.now.In(models.Beijing).Format("2006-01-02")
	prev := ta.now.In(models.Beijing).AddDate(0, 0, -1).Format("2006-01-02")
	if n := ta.get("/audit?from=" + day + "&to=" + day).doc(t).Find(`[data-testid=audit-row]`).Length(); n < 5 {
		t.Errorf("today's entries: %d", n)
	}
	if n := ta.get("/audit?to=" + prev).doc(t).Find(`[data-testid=audit-row]`).Length(); n != 0 {
		t.Errorf("entries up to yesterday: %d", n)
	}
	// Target filter.
	if n := ta.get("/audit?target=draft:" + draft).doc(t).Find(`[data-testid=audit-row]`).Length(); n != 1 {
		t.Errorf("target filter: %d rows", n)
	}

	// Keyset pages: 120 more entries make three pages, each entry once.
	for i := range 120 {
		if err := ta.svc.Audit(context.Background(), models.AuditEntry{Action: models.AuditSendDelete, Target: fmt.Sprintf("send:%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	next, pages := "/audit?action=send.delete", 0
	for next != "" {
		d := ta.get(next).doc(t)
		pages++
		for _, r := range d.Find(`[data-testid=audit-row-target]`).EachIter() {
			if seen[r.Text()] {
				t.Fatalf("%s listed twice", r.Text())
			}
			seen[r.Text()] = true
		}
		next, _ = d.Find(`[data-testid=audit-next]`).Attr("href")
		if pages > 1 && d.Find(`[data-testid=audit-first]`).Length() != 1 {
			t.Error("a later page lacks the link back to the newest")
		}
	}
	if pages != 3 || len(seen) != 120 {
		t.Fatalf("%d pages, %d entries", pages, len(seen))
	}

	// Admins only.
	if r := ta.getWith(ta.eddie, "/audit"); r.status != http.StatusForbidden {
		t.Fatalf("editor GET /audit: %d", r.status)
	}
	if r := ta.getWith(ta.eddie, "/audit.csv"); r.status != http.StatusForbidden {
		t.Fatalf("editor GET /audit.csv: %d", r.status)
	}
}

// The export: UTF-8 with a BOM, a header, the page's filter, and no cell a spreadsheet would
// run as a formula.
func TestAuditCSV(t *testing.T) {
	ta := newTestApp(t)
	ta.setupAndLogin()
	ctx := context.Background()
	for _, name := range []string{"=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)", "普通用户"} {
		if err := ta.svc.Audit(ctx, models.AuditEntry{Username: name, Action: models.AuditLoginFailed, Detail: "=1+1"}); err != nil {
			t.Fatal(err)
		}
	}
	r := ta.get("/audit.csv?action=login.failed")
	if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(r.header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("export: %d %v", r.status, r.header)
	}
	if !strings.HasPrefix(r.body, "\uFEFF") {
		t.Fatal("no byte-order mark")
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(r.body, "\uFEFF"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 6 || recs[0][0] != "时间（北京）" {
		t.Fatalf("records = %q", recs)
	}
	for _, rec := range recs[1:] {
		for _, cell := range rec {
			if cell != "" && strings.ContainsRune("=+-@", rune(cell[0])) {
				t.Errorf("cell %q starts a formula", cell)
			}
		}
		if rec[4] != "login.failed" || rec[5] != "登录失败" {
			t.Errorf("action cells = %q", rec[4:6])
		}
	}
	if recs[1][2] != "普通用户" || recs[5][2] != `'=HYPERLINK("http://x")` || recs[1][7] != "'=1+1" {
		t.Errorf("cells = %q / %q", recs[1], recs[5])
	}
	// The setup's own entry (the first operator created) is not login.failed: the filter applies.
	if all := ta.get("/audit.csv"); strings.Count(all.body, "\n") != 7 || !strings.Contains(all.body, "operator.create") {
		t.Errorf("unfiltered export has %d lines:\n%s", strings.Count(all.body, "\n"), all.body)
	}
}

// A settings save names the fields that changed, never a secret's value.
func TestAuditSettingsSaveNamesKeysNotValues(t *testing.T) {
	ta, _ := newSettingsApp(t, &fakeAccount{sandbox: true})
	if r := ta.post("/settings", settingsForm(ta.csrf("/settings"))); r.status != http.StatusSeeOther {
		t.Fatalf("save: %d", r.status)
	}
	got := auditEntries(t, ta, models.AuditFilter{Action: models.AuditSettingsSave})
	if len(got) != 1 || !strings.Contains(got[0].Detail, "appsecret") || !strings.Contains(got[0].Detail, "appid") {
		t.Fatalf("settings entry = %+v", got)
	}
	assertNoSecrets(t, "the audit log", got[0].Detail+got[0].Target, setSecret, setToken, setAESKey)
	if r := ta.post("/settings", settingsForm(ta.csrf("/settings"), "appsecret", "", "token", "", "aeskey", "")); r.status != http.StatusSeeOther {
		t.Fatalf("second save: %d", r.status)
	}
	got = auditEntries(t, ta, models.AuditFilter{Action: models.AuditSettingsSave})
	if len(got) != 2 || got[0].Detail != "changed: -" {
		t.Fatalf("unchanged save = %+v", got[0])
	}
}
