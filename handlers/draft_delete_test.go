package handlers

import (
	"net/http"
	"net/url"
	"testing"

	"qunfa/views/i18n"
)

// A double click on "delete": the second post finds the draft gone and answers the drafts list
// with "already deleted" in the page language, not a 404 page.
func TestDeleteDraftTwiceSaysAlreadyDeleted(t *testing.T) {
	for _, lang := range []string{"zh", "en"} {
		t.Run(lang, func(t *testing.T) {
			ta := newTestApp(t)
			ta.setupAndLogin()
			ta.client.Jar.SetCookies(mustURL(t, ta.srv.URL), []*http.Cookie{{Name: langCookie, Value: lang}})
			draft := ta.createDraft("删两次")
			tok := ta.csrf("/drafts")
			path := "/drafts/" + draft + "/delete"

			first := ta.post(path, url.Values{"csrf_token": {tok}})
			second := ta.post(path, url.Values{"csrf_token": {tok}})
			for i, r := range []response{first, second} {
				if r.status != http.StatusSeeOther || r.location != "/drafts" {
					t.Fatalf("delete %d: %d %q, want 303 to /drafts\n%s", i+1, r.status, r.location, r.body)
				}
			}
			list := ta.get("/drafts")
			if list.status != http.StatusOK {
				t.Fatalf("drafts list: %d", list.status)
			}
			if got, want := list.doc(t).Find(`[data-testid=flash]`).Text(), i18n.T(lang, "flash.draft_already_deleted"); got != want {
				t.Errorf("flash %q, want %q", got, want)
			}
			// Not a number is still not found.
			if r := ta.post("/drafts/x/delete", url.Values{"csrf_token": {tok}}); r.status != http.StatusNotFound {
				t.Errorf("malformed id: %d, want 404", r.status)
			}
		})
	}
}
