package handlers

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"qunfa/models"
	"qunfa/views/i18n"
)

// sendForm opens the send form of a new draft and returns the draft id and the form's fields.
func (ta *testApp) sendFormFields(title string) (string, url.Values) {
	ta.t.Helper()
	draft := ta.createDraft(title)
	form := ta.get("/drafts/" + draft + "/send").doc(ta.t)
	key, _ := form.Find(`input[name=key]`).Attr("value")
	tok, _ := form.Find(`input[name=csrf_token]`).Attr("value")
	return draft, url.Values{"csrf_token": {tok}, "key": {key}}
}

func (ta *testApp) setLang(lang string) {
	ta.t.Helper()
	u, _ := url.Parse(ta.srv.URL)
	ta.client.Jar.SetCookies(u, []*http.Cookie{{Name: "lang", Value: lang, Path: "/"}})
}

// openIDs is n OpenIDs of 28 characters (WeChat's length), one per line as a browser posts a
// textarea (CRLF).
func openIDs(n, from int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("oQunfa%022d", from+i)
	}
	return ids
}

// The confirmation page of a 100,000-OpenID list carries the list's id, not the list (the page
// stays small), and the send goes to exactly those OpenIDs. The idempotency key binds the list:
// the same key with the same list is the same send, with another list a new one.
func TestConfirmKeepsTheListOnTheServer(t *testing.T) {
	var path string
	ta := newTestAppWith(t, appOptions{dbPath: &path, rules: models.Rules{DailyQuota: 100}})
	ta.setupAndLogin()
	draft, fields := ta.sendFormFields("十万人")
	ids := openIDs(100000, 0)
	list := strings.Join(ids, "\r\n")
	if len(list) < 2_900_000 {
		t.Fatalf("list of %d bytes", len(list))
	}
	fields.Set("target", "openids")
	fields.Set("openids", list)
	c := ta.post("/drafts/"+draft+"/send/confirm", fields)
	if c.status != http.StatusOK {
		t.Fatalf("confirm: %d\n%.2000s", c.status, c.body)
	}
	if len(c.body) >= 100_000 {
		t.Fatalf("confirm page of %d bytes for 100,000 OpenIDs, want < 100 KB", len(c.body))
	}
	doc := c.doc(t)
	if got := doc.Find(`[data-testid=plan-recipients]`).Text(); got != "100000" {
		t.Fatalf("recipients %q", got)
	}
	if doc.Find(`input[name=openids]`).Length() != 0 {
		t.Fatal("the confirm page still carries the list")
	}
	listID, _ := doc.Find(`input[name=list_id]`).Attr("value")
	key, _ := doc.Find(`form input[name=key]`).Attr("value")
	tok, _ := doc.Find(`input[name=csrf_token]`).Attr("value")
	if listID == "" || key == "" {
		t.Fatalf("list_id %q key %q", listID, key)
	}
	send := url.Values{"csrf_token": {tok}, "key": {key}, "target": {"openids"}, "group_id": {"0"}, "list_id": {listID}}
	r := ta.post("/drafts/"+draft+"/send", send)
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/sends/") {
		t.Fatalf("send: %d %q\n%.2000s", r.status, r.location, r.body)
	}
	sendID, _ := strconv.Atoi(strings.TrimPrefix(r.location, "/sends/"))
	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT open_ids FROM send_batches WHERE send_id = ? ORDER BY batch_index`, sendID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		got = append(got, strings.Split(s, "\n")...)
	}
	rows.Close()
	if strings.Join(got, ",") != strings.Join(ids, ",") {
		t.Fatalf("the send goes to %d OpenIDs, not exactly the 100,000 confirmed", len(got))
	}

	// The same key and list again: the same send (a double click).
	if again := ta.post("/drafts/"+draft+"/send", send); again.location != r.location {
		t.Fatalf("double submit went to %q, first to %q", again.location, r.location)
	}
	// The same form key with another list (the operator went back and pasted another): a new send.
	fields.Set("openids", strings.Join(openIDs(3, 500000), "\n"))
	other, _ := ta.post("/drafts/"+draft+"/send/confirm", fields).doc(t).Find(`input[name=list_id]`).Attr("value")
	if other == "" || other == listID {
		t.Fatalf("second list id %q", other)
	}
	send.Set("list_id", other)
	if r2 := ta.post("/drafts/"+draft+"/send", send); r2.status != http.StatusSeeOther || r2.location == r.location {
		t.Fatalf("another list under the same key: %d %q (first %q)", r2.status, r2.location, r.location)
	}

	// A day later the kept list has expired: the form again, asking for the list.
	ta.now = ta.now.Add(25 * time.Hour)
	send.Set("key", "another-key")
	exp := ta.post("/drafts/"+draft+"/send", send)
	if exp.status != http.StatusUnprocessableEntity || exp.doc(t).Find(`[data-field=openids]`).Text() != i18n.T("zh", "err.list_expired") {
		t.Fatalf("expired list: %d %q", exp.status, exp.doc(t).Find(`[data-field=openids]`).Text())
	}
	if n, err := ta.svc.PurgePlanLists(context.Background()); err != nil || n != 2 {
		t.Fatalf("purge a day later: %d %v, want the two lists kept", n, err)
	}
}

// A list over the form's size limit is answered 413 with how long a list may be (not the CSRF
// "page expired" page), in the page's language; so is one of more lines than that.
func TestListTooLargeIs413(t *testing.T) {
	ta := newTestApp(t)
	ta.setupAndLogin()
	draft, fields := ta.sendFormFields("太长")
	fields.Set("target", "openids")
	huge := strings.Join(openIDs(300000, 0), "\r\n") // 9 MB: over maxFormBytes
	manyShort := strings.Repeat("x\n", maxListLines+1)
	for _, tc := range []struct {
		name, lang, list, path string
	}{
		{"over the body limit", "zh", huge, "/send/confirm"},
		{"over the body limit", "en", huge, "/send"},
		{"too many lines", "en", manyShort, "/send/confirm"},
		{"too many lines", "zh", manyShort, "/send"},
	} {
		ta.setLang(tc.lang)
		fields.Set("openids", tc.list)
		r := ta.post("/drafts/"+draft+tc.path, fields)
		want := i18n.T(tc.lang, "err.list_too_large", maxListLines)
		if r.status != http.StatusRequestEntityTooLarge || !strings.Contains(r.body, want) {
			t.Errorf("%s (%s, %s): %d, want 413 saying %q\n%.600s", tc.name, tc.lang, tc.path, r.status, want, r.body)
		}
	}
	ta.setLang("zh")
	// Elsewhere a body over the limit is the generic 413, still not the CSRF page.
	r := ta.post("/drafts", url.Values{"csrf_token": {fields.Get("csrf_token")}, "articles[0].content": {huge}})
	if r.status != http.StatusRequestEntityTooLarge || !strings.Contains(r.body, i18n.T("zh", "err.too_large")) {
		t.Errorf("draft over the limit: %d", r.status)
	}
}

// A list of many bad lines lists the first 100 and counts the rest; a line is cut short for
// display.
func TestManyBadLinesListedFirstHundred(t *testing.T) {
	ta := newTestApp(t)
	ta.setupAndLogin()
	draft, fields := ta.sendFormFields("坏行")
	lines := append(openIDs(2, 0), strings.Repeat("bad line! ", 5000))
	for i := range 4999 {
		lines = append(lines, fmt.Sprintf("bad %d", i))
	}
	fields.Set("target", "openids")
	fields.Set("openids", strings.Join(lines, "\n"))
	c := ta.post("/drafts/"+draft+"/send/confirm", fields)
	if c.status != http.StatusOK {
		t.Fatalf("confirm: %d", c.status)
	}
	doc := c.doc(t)
	if n := doc.Find(`[data-testid=openid-problem]`).Length(); n != 100 {
		t.Fatalf("%d problem rows, want 100", n)
	}
	if got, want := doc.Find(`[data-testid=openid-problems-more]`).Text(), i18n.T("zh", "confirm.openid_problems_more", 4900); got != want {
		t.Errorf("more line %q, want %q", got, want)
	}
	if got := doc.Find(`[data-testid=openid-problems] h2`).Text(); got != i18n.T("zh", "confirm.openid_problems", 5000) {
		t.Errorf("heading %q", got)
	}
	if first := doc.Find(`[data-testid=openid-problem] code`).First().Text(); len([]rune(first)) > 81 {
		t.Errorf("a 50,000-character line shown as %d characters", len([]rune(first)))
	}
	if len(c.body) > 100_000 {
		t.Errorf("confirm page of %d bytes", len(c.body))
	}
}

// Binary junk pasted as a list is not echoed back into the textarea: the field is cleared and
// says why.
func TestBinaryListNotEchoed(t *testing.T) {
	ta := newTestApp(t)
	ta.setupAndLogin()
	draft, fields := ta.sendFormFields("二进制")
	fields.Set("target", "openids")
	for _, junk := range []string{"oAAAAAAAAAAA1\n\x00\x01\x02PK\x03\x04", "oAAAAAAAAAAA1\n\xff\xfe\xfd", "\x1b[31mred"} {
		for _, path := range []string{"/send/confirm", "/send"} {
			fields.Set("openids", junk)
			r := ta.post("/drafts/"+draft+path, fields)
			doc := r.doc(t)
			if r.status != http.StatusUnprocessableEntity || doc.Find(`textarea[name=openids]`).Text() != "" ||
				doc.Find(`[data-field=openids]`).Text() != i18n.T("zh", "err.openids_binary") {
				t.Errorf("%q to %s: %d, textarea %q", junk, path, r.status, doc.Find(`textarea[name=openids]`).Text())
			}
		}
	}
}

// A group_id that is not a number is a field error, not group 0 (a real group).
func TestMalformedGroupIDIsAFieldError(t *testing.T) {
	ta := newTestApp(t)
	ta.setupAndLogin()
	draft, fields := ta.sendFormFields("分组")
	fields.Set("target", "group")
	for _, lang := range []string{"zh", "en"} {
		ta.setLang(lang)
		for _, gid := range []string{"abc", "", "1e3", "0x10"} {
			for _, path := range []string{"/send/confirm", "/send"} {
				fields.Set("group_id", gid)
				r := ta.post("/drafts/"+draft+path, fields)
				got := r.doc(t).Find(`[data-field=group]`).Text()
				if r.status != http.StatusUnprocessableEntity || got != i18n.T(lang, "err.group_invalid") {
					t.Errorf("group_id %q to %s (%s): %d %q", gid, path, lang, r.status, got)
				}
			}
		}
	}
	if ta.wx.sent != 0 {
		t.Fatal("something was sent")
	}
	// A real group still goes through.
	ta.setLang("zh")
	fields.Set("group_id", "0")
	if r := ta.post("/drafts/"+draft+"/send/confirm", fields); r.status != http.StatusOK {
		t.Fatalf("group 0: %d", r.status)
	}
}
