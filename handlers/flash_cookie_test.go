package handlers

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"qunfa/views/i18n"
)

// A saved draft's "saved" message reaches the next page, once, without writing the session
// (every session write waits for SQLite's one writer); a forged flash cookie shows nothing.
func TestFlashTravelsInASignedCookie(t *testing.T) {
	ta := newTestApp(t)
	ta.setupAndLogin()
	id := ta.createDraft("第一稿") // the CSRF token and the thumbnail are in place now
	session := func() []byte {
		t.Helper()
		data, found, err := ta.svc.Sessions().WithClock(func() time.Time { return ta.now }).Find(sessionCookieOf(ta, ta.client))
		if err != nil || !found {
			t.Fatalf("session: found %v, %v", found, err)
		}
		return data
	}
	ta.get("/drafts/" + id) // shows and clears the first save's message
	before := session()
	tok := ta.csrf("/drafts/" + id)
	r := ta.post("/drafts/"+id, url.Values{
		"csrf_token": {tok}, "articles[0].title": {"第二稿"}, "articles[0].content": {"<p>内容</p>"},
		"articles[0].thumb_id": {fmt.Sprint(ta.thumbID(tok))},
	})
	if r.status != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", r.status, r.body)
	}
	if after := session(); !bytes.Equal(before, after) {
		t.Error("saving a draft wrote the session")
	}
	saved := i18n.T("zh", "flash.draft_saved")
	if page := ta.get(r.location); page.doc(t).Find(`[data-testid=flash]`).Text() != saved {
		t.Fatalf("the page after the save lacks %q", saved)
	}
	if page := ta.get(r.location); page.doc(t).Find(`[data-testid=flash]`).Length() != 0 {
		t.Fatal("the message is shown twice")
	}

	u, _ := url.Parse(ta.srv.URL)
	forged := "Zmxhc2guZHJhZnRfc2F2ZWQ.c2lnbmVkLWJ5LW5vYm9keQ" // "flash.draft_saved", signed by nobody
	ta.client.Jar.SetCookies(u, []*http.Cookie{{Name: flashCookie, Value: forged, Path: "/"}})
	if page := ta.get("/drafts"); page.doc(t).Find(`[data-testid=flash]`).Length() != 0 {
		t.Fatal("a forged flash cookie was shown")
	}
}
