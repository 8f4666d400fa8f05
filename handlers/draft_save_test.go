package handlers

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"qunfa/views"
)

func TestParseArticlesOrdersAndClosesGaps(t *testing.T) {
	form := url.Values{
		"articles[2].title":          {"third"},
		"articles[0].title":          {"first"},
		"articles[0].show_cover_pic": {"1"},
		"articles[0].thumb_id":       {"7"},
		"articles[10].title":         {"last"},
		"articles[x].title":          {"ignored"},
		"csrf_token":                 {"t"},
	}
	got := parseArticles(form)
	want := []views.ArticleForm{
		{Title: "first", ShowCoverPic: true, ThumbID: 7},
		{Title: "third"},
		{Title: "last"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
}

// thumbID uploads a JPEG and returns its id.
func (ta *testApp) thumbID(tok string) uint {
	ta.t.Helper()
	r := ta.uploadThumb(tok, jpegBytes(ta.t))
	if r.status != http.StatusOK {
		ta.t.Fatalf("thumb upload: %d %s", r.status, r.body)
	}
	var j struct {
		ID  uint
		URL string
	}
	if err := json.Unmarshal([]byte(r.body), &j); err != nil || j.ID == 0 || j.URL == "" {
		ta.t.Fatalf("thumb upload answer %q (%v)", r.body, err)
	}
	if img := ta.get(j.URL); img.status != http.StatusOK || img.header.Get("Content-Type") != "image/jpeg" {
		ta.t.Fatalf("thumb preview: %d %q", img.status, img.header.Get("Content-Type"))
	}
	return j.ID
}

func TestThumbUploadRejectsNonJPEGWithMessage(t *testing.T) {
	ta := newTestApp(t)
	ta.setupAndLogin()
	tok := ta.csrf("/drafts/new")
	r := ta.uploadThumb(tok, []byte("GIF89a not a jpeg"))
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("got %d, want 422", r.status)
	}
	var j struct{ Message, Field string }
	if err := json.Unmarshal([]byte(r.body), &j); err != nil || j.Message == "" || strings.HasPrefix(j.Message, "err.") {
		t.Fatalf("answer %q: want a translated message", r.body)
	}
}

func TestDraftSave(t *testing.T) {
	ta := newTestApp(t)
	ta.setupAndLogin()
	tok := ta.csrf("/drafts/new")
	thumb := ta.thumbID(tok)

	// invalid: first article lacks title and thumb, second has a bad URL
	r := ta.post("/drafts", url.Values{
		"csrf_token":                 {tok},
		"articles[0].title":          {""},
		"articles[0].content":        {"<p>正文</p>"},
		"articles[1].title":          {"第二篇"},
		"articles[1].content":        {"<p style=\"color:red\">红</p>"},
		"articles[1].thumb_id":       {fmt.Sprint(thumb)},
		"articles[1].source_url":     {"javascript:alert(1)"},
		"articles[1].digest":         {"摘要"},
		"articles[1].author":         {"作者"},
		"articles[1].show_cover_pic": {"1"},
	})
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("invalid draft: %d, want 422\n%s", r.status, r.body)
	}
	d := r.doc(t)
	arts := d.Find(`form[data-testid=draft-form] fieldset[data-testid=article]`)
	if arts.Length() != 2 {
		t.Fatalf("%d articles re-rendered, want 2", arts.Length())
	}
	for _, want := range []struct {
		article int
		field   string
	}{{0, "articles.0.title"}, {0, "articles.0.thumb"}, {1, "articles.1.source_url"}} {
		fe := arts.Eq(want.article).Find(fmt.Sprintf(`[data-testid=field-error][data-field=%q]`, want.field))
		if fe.Length() != 1 || strings.TrimSpace(fe.Text()) == "" || strings.HasPrefix(fe.Text(), "err.") {
			t.Errorf("no translated error for %s in article %d", want.field, want.article)
		}
	}
	if n := arts.Eq(1).Find(`[data-testid=field-error]:not([hidden])`).Length(); n != 1 {
		t.Errorf("article 1 has %d errors, want only the URL one", n)
	}
	// what was typed comes back
	if v, _ := arts.Eq(1).Find(`input[name="articles[1].title"]`).Attr("value"); v != "第二篇" {
		t.Errorf("title not kept: %q", v)
	}
	if v, _ := arts.Eq(1).Find(`input[name="articles[1].thumb_id"]`).Attr("value"); v != fmt.Sprint(thumb) {
		t.Errorf("thumb id not kept: %q", v)
	}

	// valid
	r = ta.post("/drafts", url.Values{
		"csrf_token":           {tok},
		"articles[0].title":    {"春季上新"},
		"articles[0].content":  {"<p style=\"color:red\">你好</p><script>alert(1)</script>"},
		"articles[0].thumb_id": {fmt.Sprint(thumb)},
	})
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/drafts/") {
		t.Fatalf("valid draft: %d %q\n%s", r.status, r.location, r.body)
	}
	edit := ta.get(r.location)
	e := edit.doc(t)
	if v, _ := e.Find(`input[name="articles[0].title"]`).Attr("value"); v != "春季上新" {
		t.Errorf("saved title %q", v)
	}
	content := e.Find(`textarea[name="articles[0].content"]`).Text()
	if !strings.Contains(content, `style="color`) || strings.Contains(content, "<script") {
		t.Errorf("content not sanitised with styles kept: %q", content)
	}
	if src, _ := e.Find(`img[data-testid=thumb-preview]`).Attr("src"); src != fmt.Sprintf("/thumbs/%d", thumb) {
		t.Errorf("thumb preview src %q", src)
	}
	if e.Find(`[data-testid=flash]`).Length() != 1 {
		t.Error("no saved flash")
	}
	list := ta.get("/drafts").doc(t)
	if list.Find(`tr[data-testid=draft-row]`).Length() != 1 || list.Find(`a[data-testid=send-draft]`).Length() != 1 {
		t.Errorf("drafts list does not show the draft")
	}
}

// A refused save puts the content back into the editor sanitised: a script
// or an event handler typed into the field never reaches the page, while
// inline styles and pasted (not yet stored) data: images survive.
func TestRefusedSaveEchoesSanitisedContent(t *testing.T) {
	ta := newTestApp(t)
	ta.setupAndLogin()
	tok := ta.csrf("/drafts/new")
	dataImg := "data:image/png;base64,iVBORw0KGgo="
	r := ta.post("/drafts", url.Values{
		"csrf_token": {tok},
		// no title: the save is refused and the editor shown again
		"articles[0].content": {`<p style="color: red" onclick="alert(1)">hi<script>alert(2)</script><img src="` + dataImg + `"></p>`},
	})
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("status %d", r.status)
	}
	content := r.doc(t).Find(`textarea[name="articles[0].content"]`).Text()
	for _, bad := range []string{"onclick", "<script", "alert("} {
		if strings.Contains(content, bad) {
			t.Errorf("echoed content keeps %q: %s", bad, content)
		}
	}
	if !strings.Contains(content, "color: red") || !strings.Contains(content, dataImg) {
		t.Errorf("inline style or pasted image lost: %s", content)
	}
}
