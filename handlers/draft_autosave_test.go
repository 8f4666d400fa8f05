package handlers

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"qunfa/models"
	"qunfa/views/i18n"
)

// articleForm1 is a valid one-article editor form.
func articleForm1(tok string, thumb uint, content string) url.Values {
	return url.Values{
		"csrf_token":             {tok},
		"articles[0].title":      {"标题"},
		"articles[0].content":    {content},
		"articles[0].thumb_id":   {fmt.Sprint(thumb)},
		"articles[0].author":     {"作者"},
		"articles[0].digest":     {""},
		"articles[0].source_url": {""},
	}
}

func autosaveAnswer(t *testing.T, r response) autosaveJSON {
	t.Helper()
	if !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Fatalf("autosave answered %d %q, not JSON:\n%s", r.status, r.header.Get("Content-Type"), r.body)
	}
	var j autosaveJSON
	if err := json.Unmarshal([]byte(r.body), &j); err != nil {
		t.Fatalf("autosave answer %q: %v", r.body, err)
	}
	return j
}

var clock = regexp.MustCompile(`^\d\d:\d\d$`)

// The autosave endpoint's JSON: create on the first save (with the URL to switch to), then
// update by revision; an unchanged form keeps its revision; an invalid one is 422 with translated
// field messages; a save on an old revision is 409 with the current one and who made it.
func TestDraftAutosaveContract(t *testing.T) {
	ta := newTestApp(t)
	ta.setupAndLogin()
	tok := ta.csrf("/drafts/new")
	thumb := ta.thumbID(tok)
	hdr := http.Header{"Accept": {"application/json"}}

	form := articleForm1(tok, thumb, "<p>第一稿</p>")
	form.Set("revision", "0")
	j := autosaveAnswer(t, ta.postWith(ta.client, "/drafts/autosave", form, hdr))
	if !j.OK || j.ID == 0 || j.Revision != 1 || j.URL != fmt.Sprintf("/drafts/%d", j.ID) || !clock.MatchString(j.SavedAt) ||
		j.Message != i18n.T("zh", "autosave.saved", j.SavedAt) {
		t.Fatalf("first autosave = %+v", j)
	}
	id := j.ID
	path := fmt.Sprintf("/drafts/%d/autosave", id)

	form = articleForm1(tok, thumb, "<p>第二稿</p>")
	form.Set("revision", "1")
	if j = autosaveAnswer(t, ta.postWith(ta.client, path, form, hdr)); !j.OK || j.ID != id || j.Revision != 2 {
		t.Fatalf("second autosave = %+v; want revision 2", j)
	}
	if j = autosaveAnswer(t, ta.postWith(ta.client, path, form, hdr)); !j.OK || j.Revision != 2 {
		t.Fatalf("unchanged autosave on an old base = %+v; want ok, revision 2", j)
	}
	d, _ := ta.svc.Draft(t.Context(), id)
	if d.Revision != 2 || !strings.Contains(d.Articles[0].Content, "第二稿") {
		t.Fatalf("stored draft = r%d %q", d.Revision, d.Articles[0].Content)
	}

	// Another tab, still on revision 1, changes something: refused.
	stale := articleForm1(tok, thumb, "<p>另一个标签页</p>")
	stale.Set("revision", "1")
	r := ta.postWith(ta.client, path, stale, hdr)
	if r.status != http.StatusConflict {
		t.Fatalf("stale autosave: %d %s", r.status, r.body)
	}
	j = autosaveAnswer(t, r)
	if j.OK || !j.Conflict || j.Revision != 2 || j.By != "admin" || !clock.MatchString(j.At) ||
		j.Message != i18n.T("zh", "autosave.conflict", "admin", j.At) {
		t.Fatalf("conflict answer = %+v", j)
	}
	// Keep mine: the same form on the revision the conflict named.
	stale.Set("revision", fmt.Sprint(j.Revision))
	if j = autosaveAnswer(t, ta.postWith(ta.client, path, stale, hdr)); !j.OK || j.Revision != 3 {
		t.Fatalf("overwrite = %+v; want revision 3", j)
	}

	// Not valid yet: 422, nothing stored, messages in words.
	bad := articleForm1(tok, thumb, "<p>x</p>")
	bad.Set("articles[0].title", "")
	bad.Set("revision", "3")
	r = ta.postWith(ta.client, path, bad, hdr)
	j = autosaveAnswer(t, r)
	if r.status != http.StatusUnprocessableEntity || j.OK || j.Errors["articles.0.title"] != i18n.T("zh", "err.title_required") ||
		j.Message != i18n.T("zh", "autosave.invalid") {
		t.Fatalf("invalid autosave: %d %+v", r.status, j)
	}
	if d, _ := ta.svc.Draft(t.Context(), id); d.Revision != 3 {
		t.Fatalf("an invalid autosave changed the draft: r%d", d.Revision)
	}
	// A draft that is gone: 404 (a page, which the script words from the status).
	if r := ta.postWith(ta.client, "/drafts/9999/autosave", stale, hdr); r.status != http.StatusNotFound {
		t.Fatalf("autosave of a missing draft: %d", r.status)
	}
}

// The page-leaving beacon cannot set headers: its CSRF token is the csrf_token field of its
// urlencoded body. Without it, or with another, the save is refused and nothing is written.
func TestDraftAutosaveBeaconCSRF(t *testing.T) {
	ta := newTestApp(t)
	ta.setupAndLogin()
	tok := ta.csrf("/drafts/new")
	thumb := ta.thumbID(tok)
	beacon := http.Header{"Content-Type": {"application/x-www-form-urlencoded;charset=UTF-8"}, "Sec-Fetch-Site": {"same-origin"}}

	form := articleForm1(tok, thumb, "<p>离开页面时</p>")
	for name, token := range map[string]string{"missing": "", "wrong": strings.Repeat("x", len(tok))} {
		f := url.Values{}
		for k, v := range form {
			f[k] = v
		}
		if token == "" {
			f.Del("csrf_token")
		} else {
			f.Set("csrf_token", token)
		}
		if r := ta.postWith(ta.client, "/drafts/autosave", f, beacon); r.status != http.StatusForbidden || !strings.Contains(r.body, i18n.T("zh", "err.csrf")) {
			t.Fatalf("beacon with a %s token: %d", name, r.status)
		}
	}
	if list, _ := ta.svc.ListDrafts(t.Context()); len(list) != 0 {
		t.Fatalf("a refused beacon stored %d drafts", len(list))
	}
	r := ta.postWith(ta.client, "/drafts/autosave", form, beacon)
	if j := autosaveAnswer(t, r); !j.OK || j.ID == 0 {
		t.Fatalf("beacon with its token in the body: %d %+v", r.status, j)
	}
	// A beacon from another site is refused before the token is looked at.
	cross := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Sec-Fetch-Site": {"cross-site"}}
	if r := ta.postWith(ta.client, "/drafts/autosave", form, cross); r.status != http.StatusForbidden {
		t.Fatalf("cross-site beacon: %d", r.status)
	}
}

// Without JS, a form saved on an old revision comes back as the editor with the operator's own
// text, a 409, the conflict in words and both ways out: a link to their version, and a submit
// whose form now carries the current revision (keep mine).
func TestDraftSaveConflictForm(t *testing.T) {
	ta := newTestApp(t)
	ta.setupAndLogin()
	tok := ta.csrf("/drafts/new")
	thumb := ta.thumbID(tok)
	r := ta.post("/drafts", articleForm1(tok, thumb, "<p>原稿</p>"))
	if r.status != http.StatusSeeOther {
		t.Fatalf("create: %d", r.status)
	}
	path := r.location
	page := ta.get(path).doc(t)
	if v, _ := page.Find(`form[data-testid=draft-form] input[name=revision]`).Attr("value"); v != "1" {
		t.Fatalf("editor's revision field = %q; want 1", v)
	}
	theirs := articleForm1(tok, thumb, "<p>对方的修改</p>")
	theirs.Set("revision", "1")
	if r := ta.post(path, theirs); r.status != http.StatusSeeOther {
		t.Fatalf("their save: %d", r.status)
	}
	mine := articleForm1(tok, thumb, "<p>我的修改</p>")
	mine.Set("revision", "1")
	r = ta.post(path, mine)
	if r.status != http.StatusConflict {
		t.Fatalf("stale save: %d, want 409", r.status)
	}
	doc := r.doc(t)
	box := doc.Find(`[data-testid=draft-conflict]`)
	if box.Length() != 1 || !strings.Contains(box.Text(), "admin") {
		t.Fatalf("no conflict panel naming who saved:\n%s", r.body)
	}
	if href, _ := box.Find(`a[data-testid=conflict-reload]`).Attr("href"); href != path {
		t.Fatalf("reload theirs goes to %q; want %s", href, path)
	}
	if box.Find(`button[type=submit][data-testid=conflict-overwrite]`).Length() != 1 {
		t.Fatal("no keep-mine submit")
	}
	if v, _ := doc.Find(`form[data-testid=draft-form] input[name=revision]`).Attr("value"); v != "2" {
		t.Fatalf("revision after the conflict = %q; want the current 2", v)
	}
	if !strings.Contains(doc.Find(`textarea[name="articles[0].content"]`).Text(), "我的修改") {
		t.Fatal("the conflict page lost the operator's text")
	}
	if d, _ := ta.svc.Draft(t.Context(), idOf(t, path)); !strings.Contains(d.Articles[0].Content, "对方的修改") {
		t.Fatalf("the refused save overwrote: %q", d.Articles[0].Content)
	}
	// Keep mine.
	mine.Set("revision", "2")
	if r := ta.post(path, mine); r.status != http.StatusSeeOther {
		t.Fatalf("keep mine: %d", r.status)
	}
	if d, _ := ta.svc.Draft(t.Context(), idOf(t, path)); d.Revision != 3 || !strings.Contains(d.Articles[0].Content, "我的修改") {
		t.Fatalf("after keep mine: r%d %q", d.Revision, d.Articles[0].Content)
	}
}

func idOf(t *testing.T, path string) uint {
	t.Helper()
	var id uint
	if _, err := fmt.Sscanf(path, "/drafts/%d", &id); err != nil {
		t.Fatalf("%q: %v", path, err)
	}
	return id
}

// Versions: the list (time, who, title, size), one version read-only and sanitised, restore
// (a new version, audited); copies of a draft and of a send, audited.
func TestDraftVersionsPagesRestoreAndCopies(t *testing.T) {
	ta := newTestApp(t)
	ta.setupAndLogin()
	tok := ta.csrf("/drafts/new")
	thumb := ta.thumbID(tok)
	path := ta.post("/drafts", articleForm1(tok, thumb, "<p>第一版</p>")).location
	id := idOf(t, path)
	second := articleForm1(tok, thumb, "<p>第二版</p>")
	second.Set("revision", "1")
	if r := ta.post(path, second); r.status != http.StatusSeeOther {
		t.Fatalf("second save: %d", r.status)
	}

	r := ta.get(path + "/versions")
	if r.status != http.StatusOK {
		t.Fatalf("versions: %d", r.status)
	}
	rows := r.doc(t).Find(`tr[data-testid=version-row]`)
	if rows.Length() != 2 || rows.First().AttrOr("data-revision", "") != "2" || rows.First().Find(`[data-testid=version-current]`).Length() != 1 ||
		!strings.Contains(rows.Last().Text(), "admin") || !strings.Contains(rows.Last().Text(), "标题") ||
		!strings.Contains(rows.Last().Text(), fmt.Sprint(len("<p>第一版</p>"))) {
		t.Fatalf("versions list:\n%s", r.body)
	}
	if rows.First().Find(`[data-testid=restore-version]`).Length() != 0 || rows.Last().Find(`[data-testid=restore-version]`).Length() != 1 {
		t.Fatal("restore is offered for the older version only")
	}
	first, _ := rows.Last().Find(`a[data-testid=view-version]`).Attr("href")
	v := ta.get(first)
	if v.status != http.StatusOK || !strings.Contains(v.doc(t).Find(`[data-testid=version-content]`).Text(), "第一版") || v.doc(t).Find(`form[data-testid=draft-form]`).Length() != 0 {
		t.Fatalf("version page: %d\n%s", v.status, v.body)
	}
	if r := ta.get(fmt.Sprintf("/drafts/%d/versions/%s", id+1, strings.TrimPrefix(first, path+"/versions/"))); r.status != http.StatusNotFound {
		t.Fatalf("a version under another draft: %d", r.status)
	}

	r = ta.post(first+"/restore", url.Values{"csrf_token": {tok}})
	if r.status != http.StatusSeeOther || r.location != path {
		t.Fatalf("restore: %d %q", r.status, r.location)
	}
	d, _ := ta.svc.Draft(t.Context(), id)
	if d.Revision != 3 || !strings.Contains(d.Articles[0].Content, "第一版") {
		t.Fatalf("restored draft: r%d %q", d.Revision, d.Articles[0].Content)
	}
	if es := auditEntries(t, ta, models.AuditFilter{Action: models.AuditDraftRestore}); len(es) != 1 || es[0].Target != fmt.Sprintf("draft:%d", id) {
		t.Fatalf("restore audit = %+v", es)
	}

	r = ta.post(path+"/duplicate", url.Values{"csrf_token": {tok}})
	if r.status != http.StatusSeeOther || r.location == path {
		t.Fatalf("duplicate: %d %q", r.status, r.location)
	}
	cp, _ := ta.svc.Draft(t.Context(), idOf(t, r.location))
	if cp.Articles[0].Title != i18n.T("zh", "draft.copy_prefix")+"标题" || cp.Articles[0].Content != d.Articles[0].Content || *cp.Articles[0].ThumbID != thumb {
		t.Fatalf("copy = %+v", cp.Articles[0])
	}
	if es := auditEntries(t, ta, models.AuditFilter{Action: models.AuditDraftDuplicate}); len(es) != 1 || es[0].Target != fmt.Sprintf("draft:%d", cp.ID) {
		t.Fatalf("duplicate audit = %+v", es)
	}
	if r := ta.post("/drafts/9999/duplicate", url.Values{"csrf_token": {tok}}); r.status != http.StatusNotFound {
		t.Fatalf("duplicate of a missing draft: %d", r.status)
	}

	// A send's copy: its own snapshot. The send page offers it.
	sendKey := ta.get(fmt.Sprintf("/drafts/%d/send", id)).doc(t).Find(`input[name=key]`).AttrOr("value", "")
	r = ta.post(fmt.Sprintf("/drafts/%d/send", id), url.Values{"csrf_token": {tok}, "key": {sendKey}, "target": {"all"}, "confirm_all": {"1"}})
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/sends/") {
		t.Fatalf("send: %d %q\n%s", r.status, r.location, r.body)
	}
	sendPage := ta.get(r.location)
	action, _ := sendPage.doc(t).Find(`[data-testid=duplicate-send]`).Closest("form").Attr("action")
	if action != r.location+"/duplicate" {
		t.Fatalf("send page's copy form posts to %q", action)
	}
	r = ta.post(action, url.Values{"csrf_token": {tok}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("duplicate send: %d", r.status)
	}
	fromSend, _ := ta.svc.Draft(t.Context(), idOf(t, r.location))
	if fromSend.Articles[0].Content != d.Articles[0].Content || fromSend.Articles[0].Title != i18n.T("zh", "draft.copy_prefix")+"标题" {
		t.Fatalf("copy of the send = %+v", fromSend.Articles[0])
	}
	if es := auditEntries(t, ta, models.AuditFilter{Action: models.AuditSendDuplicate}); len(es) != 1 {
		t.Fatalf("send duplicate audit = %+v", es)
	}
}
