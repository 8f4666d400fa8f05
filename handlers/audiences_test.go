package handlers

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"qunfa/models"
	"qunfa/views/i18n"
)

// uploadAudience posts the import form (multipart) with a file (nil: none) and pasted text.
func (ta *testApp) uploadAudience(tok, name, filename string, file []byte, text string) response {
	ta.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("csrf_token", tok)
	mw.WriteField("name", name)
	mw.WriteField("openids", text)
	if file != nil {
		fw, _ := mw.CreateFormFile("file", filename)
		fw.Write(file)
	}
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, ta.srv.URL+"/audiences", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return ta.do(ta.client, req)
}

// seedFollowers writes followers straight into the app's database: subscribed ones and ones
// who have left.
func seedFollowers(t *testing.T, path string, subscribed, left []string) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for i, ids := range [][]string{subscribed, left} {
		for _, id := range ids {
			if _, err := db.Exec(`INSERT INTO followers (open_id, subscribed, group_id, updated_at) VALUES (?, ?, 100, '2024-05-01 00:00:00+00:00')`, id, i == 0); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// The import's refusals: a file over the limit (413, saying the limit, whether the file alone
// or the whole form is over), a file that is not CSV/XLSX, nothing to import (422 on the form,
// in both languages); a good CSV is saved and its page shows the report.
func TestAudienceImportErrors(t *testing.T) {
	var path string
	ta := newTestAppWith(t, appOptions{dbPath: &path})
	ta.setupAndLogin()
	seedFollowers(t, path, openIDs(3, 0), nil)
	tok := ta.csrf("/audiences/new")
	for _, lang := range []string{"zh", "en"} {
		ta.setLang(lang)
		tooBig := i18n.T(lang, "err.audience_file_too_large", maxAudienceFile>>20)
		for _, size := range []int{maxAudienceFile + 1, maxFormBytes + 1} {
			r := ta.uploadAudience(tok, "big", "big.csv", bytes.Repeat([]byte("oQunfa0000000000000000000001\n"), size/29+1), "")
			if r.status != http.StatusRequestEntityTooLarge || !strings.Contains(r.doc(t).Find(`[data-testid=audience-file-too-large]`).Text(), tooBig) {
				t.Fatalf("%s: a file of %d bytes: %d\n%.1500s", lang, size, r.status, r.body)
			}
		}
		for _, tc := range []struct {
			name, filename string
			file           []byte
			text, field    string
			key            string
		}{
			{"png", "list.csv", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), "", "file", "err.audience_file_type"},
			{"xls", "list.xls", []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00"), "", "file", "err.audience_file_type"},
			{"nothing", "", nil, " ", "openids", "err.audience_nothing"},
			{"no name", "l.csv", []byte("oQunfa0000000000000000000001\n"), "", "name", "err.audience_name_empty"},
		} {
			name := "list"
			if tc.name == "no name" {
				name = ""
			}
			r := ta.uploadAudience(tok, name, tc.filename, tc.file, tc.text)
			if got := r.doc(t).Find(`[data-field=` + tc.field + `]`).Text(); r.status != http.StatusUnprocessableEntity || got != i18n.T(lang, tc.key) {
				t.Fatalf("%s %s: %d %q, want 422 %q", lang, tc.name, r.status, got, i18n.T(lang, tc.key))
			}
		}
	}
	ta.setLang("zh")
	if list, _ := ta.svc.SavedAudiences(context.Background()); len(list) != 0 {
		t.Fatalf("refused imports were saved: %d", len(list))
	}
	csv := "\uFEFFopenid\r\n" + strings.Join(openIDs(3, 0), "\r\n") + "\r\nnot-valid!\r\n" + openIDs(1, 0)[0] + "\r\n" + openIDs(1, 9)[0] + "\r\n"
	r := ta.uploadAudience(tok, "老客户", "老客户.csv", []byte(csv), "")
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/audiences/") {
		t.Fatalf("good CSV: %d %q\n%.1500s", r.status, r.location, r.body)
	}
	doc := ta.get(r.location).doc(t)
	counts := map[string]string{}
	doc.Find(`[data-testid=report-count]`).Each(func(_ int, s *goquery.Selection) {
		reason, _ := s.Attr("data-reason")
		counts[reason] = s.Text()
	})
	for reason, n := range map[string]int{"openid.invalid": 1, "openid.duplicate": 1, "openid.unknown": 1, "openid.unsubscribed": 0} {
		if counts[reason] != i18n.T("zh", reason+"_count", n) {
			t.Errorf("%s: %q", reason, counts[reason])
		}
	}
	if got := doc.Find(`[data-testid=audience-count]`).Text(); strings.TrimSpace(got) != "4" {
		t.Errorf("count now %q, want 4", got)
	}
	if got := doc.Find(`[data-reason="openid.invalid"] [data-testid=report-line] td`).First().Text(); got != "5" {
		t.Errorf("invalid line %q, want 5", got)
	}
}

// The send form offers the saved audiences; choosing one resolves it now to an OpenID list
// kept on the server and shows the usual confirmation of an OpenID list, whose send goes to
// exactly those OpenIDs. An audience of fewer than 2 is refused on the form.
func TestSendFormSavedAudience(t *testing.T) {
	var path string
	ta := newTestAppWith(t, appOptions{dbPath: &path, rules: models.Rules{DailyQuota: 100}})
	ta.setupAndLogin()
	seedFollowers(t, path, openIDs(3, 0), openIDs(1, 3))
	ctx := context.Background()
	big, err := ta.svc.ImportAudience(ctx, models.AudienceImport{Name: "四个人", Text: strings.Join(openIDs(4, 0), "\n")})
	if err != nil {
		t.Fatal(err)
	}
	small, _ := ta.svc.ImportAudience(ctx, models.AudienceImport{Name: "一个人", Text: strings.Join(openIDs(2, 2), "\n")})
	draft, fields := ta.sendFormFields("给老客户")
	form := ta.get("/drafts/" + draft + "/send").doc(t)
	opt := form.Find(fmt.Sprintf(`select[name=audience_id] option[value="%d"]`, big.ID))
	if form.Find(`input[name=target][value=audience]`).Length() != 1 || opt.Text() != i18n.T("zh", "send.audience_option", "四个人", 4) {
		t.Fatalf("send form: audience option %q", opt.Text())
	}
	fields.Set("target", "audience")
	fields.Set("audience_id", fmt.Sprint(big.ID))
	c := ta.post("/drafts/"+draft+"/send/confirm", fields)
	doc := c.doc(t)
	target, _ := doc.Find(`form input[name=target]`).Attr("value")
	listID, _ := doc.Find(`input[name=list_id]`).Attr("value")
	if c.status != http.StatusOK || doc.Find(`[data-testid=plan-recipients]`).Text() != "3" || target != "openids" || listID == "" {
		t.Fatalf("confirm: %d recipients %q target %q list %q\n%.2000s", c.status, doc.Find(`[data-testid=plan-recipients]`).Text(), target, listID, c.body)
	}
	key, _ := doc.Find(`form input[name=key]`).Attr("value")
	tok, _ := doc.Find(`input[name=csrf_token]`).Attr("value")
	r := ta.post("/drafts/"+draft+"/send", url.Values{"csrf_token": {tok}, "key": {key}, "target": {"openids"}, "group_id": {"0"}, "list_id": {listID}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("send: %d\n%.2000s", r.status, r.body)
	}
	db, _ := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=5000")
	defer db.Close()
	var sent string
	db.QueryRow(`SELECT open_ids FROM send_batches ORDER BY id DESC LIMIT 1`).Scan(&sent)
	got := strings.Split(sent, "\n")
	if len(got) != 3 || strings.Contains(sent, openIDs(1, 3)[0]) {
		t.Fatalf("sent to %q, want the 3 still subscribed", sent)
	}

	for _, tc := range []struct{ id, key string }{
		{fmt.Sprint(small.ID), "err.audience_too_small"}, // 2 listed, 1 has left
		{"", "err.audience_choose"},
		{"999", "err.audience_gone"},
	} {
		fields.Set("audience_id", tc.id)
		r := ta.post("/drafts/"+draft+"/send/confirm", fields)
		d := r.doc(t)
		if got := d.Find(`[data-field=audience]`).Text(); r.status != http.StatusUnprocessableEntity || got != i18n.T("zh", tc.key) {
			t.Fatalf("audience %q: %d %q, want %q", tc.id, r.status, got, tc.key)
		}
		if !d.Find(`input[name=target][value=audience]`).Is(`[checked]`) {
			t.Fatalf("audience %q: the form forgot the choice", tc.id)
		}
	}
}

// A saved filter from the form, its page with the live count and its conditions, rename and
// delete; the list shows each with its size.
func TestAudiencePages(t *testing.T) {
	var path string
	ta := newTestAppWith(t, appOptions{dbPath: &path})
	ta.setupAndLogin()
	seedFollowers(t, path, openIDs(5, 0), openIDs(2, 5))
	tok := ta.csrf("/audiences/new")
	bad := ta.post("/audiences/filter", url.Values{"csrf_token": {tok}, "name": {"x"}, "from": {"2024-05-02"}, "to": {"2024-05-01"}})
	if bad.status != http.StatusUnprocessableEntity || bad.doc(t).Find(`[data-field=dates]`).Text() != i18n.T("zh", "err.audience_dates_order") {
		t.Fatalf("dates in the wrong order: %d", bad.status)
	}
	r := ta.post("/audiences/filter", url.Values{"csrf_token": {tok}, "name": {"北京用户本月未满"}, "group_id": {"100"}, "received_below": {"4"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("save filter: %d\n%.1500s", r.status, r.body)
	}
	doc := ta.get(r.location).doc(t)
	if got := strings.TrimSpace(doc.Find(`[data-testid=audience-count]`).Text()); got != "5" {
		t.Fatalf("live count %q, want 5", got)
	}
	if got := doc.Find(`[data-testid=audience-conditions] li`).First().Text(); got != i18n.T("zh", "audiences.cond_group", "北京用户") {
		t.Fatalf("condition %q", got)
	}
	list := ta.get("/audiences").doc(t)
	if list.Find(`[data-testid=audience-row]`).Length() != 1 || list.Find(`[data-testid=audience-size]`).Text() != "5" {
		t.Fatalf("list: %q", list.Find(`[data-testid=audience-row]`).Text())
	}
	if ren := ta.post(r.location+"/rename", url.Values{"csrf_token": {tok}, "name": {" "}}); ren.status != http.StatusUnprocessableEntity {
		t.Fatalf("empty name: %d", ren.status)
	}
	if ren := ta.post(r.location+"/rename", url.Values{"csrf_token": {tok}, "name": {"新名字"}}); ren.status != http.StatusSeeOther ||
		ta.get(r.location).doc(t).Find(`h1`).Text() != "新名字" {
		t.Fatalf("rename: %d", ren.status)
	}
	if del := ta.post(r.location+"/delete", url.Values{"csrf_token": {tok}}); del.status != http.StatusSeeOther || del.location != "/audiences" {
		t.Fatalf("delete: %d %q", del.status, del.location)
	}
	if gone := ta.get(r.location); gone.status != http.StatusNotFound {
		t.Fatalf("deleted audience: %d", gone.status)
	}
}
