package handlers

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

func (ta *testApp) previewRender(form url.Values) previewJSON {
	ta.t.Helper()
	r := ta.postWith(ta.client, "/drafts/preview-render", form, http.Header{"X-Csrf-Token": {form.Get("csrf_token")}})
	if r.status != http.StatusOK {
		ta.t.Fatalf("preview-render: %d\n%s", r.status, r.body)
	}
	var out previewJSON
	if err := json.Unmarshal([]byte(r.body), &out); err != nil {
		ta.t.Fatalf("preview-render answer %q: %v", r.body, err)
	}
	return out
}

func docOf(t *testing.T, html string) *goquery.Document {
	t.Helper()
	d, err := goquery.NewDocumentFromReader(strings.NewReader(html))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// The preview renders the form as a send would give it to WeChat: no script or handler reaches
// it, images follow the send's rule, the card is one large cover or a lead and rows, the page
// has the author, the account, the date and the "read original" link, and an empty digest is
// WeChat's own. Nothing is saved.
func TestDraftPreviewRender(t *testing.T) {
	ta := newTestApp(t)
	ta.setupAndLogin()
	tok := ta.csrf("/drafts/new")
	thumb := ta.thumbID(tok)
	one := url.Values{
		"csrf_token":             {tok},
		"articles[0].title":      {"一篇<b>标题</b>"},
		"articles[0].author":     {"小编"},
		"articles[0].content":    {`<p>正文第一句。</p><script>alert(1)</script><img src="x" onerror="alert(2)"><img src="https://evil.example/a.png">`},
		"articles[0].thumb_id":   {fmt.Sprint(thumb)},
		"articles[0].source_url": {"https://example.com/more"},
	}
	got := ta.previewRender(one)
	for _, doc := range []string{got.Card, got.Article} {
		for _, bad := range []string{"<script>alert", "onerror", "evil.example", "<b>标题"} {
			if strings.Contains(doc, bad) {
				t.Errorf("preview has %q:\n%s", bad, doc)
			}
		}
		if !strings.Contains(doc, "script-src 'none'") && !strings.Contains(doc, "script-src &#39;none&#39;") {
			t.Errorf("preview document without its no-script CSP:\n%s", doc)
		}
	}
	card := docOf(t, got.Card)
	if card.Find(`[data-card=single]`).Length() != 1 || card.Find(`img.cover-large`).AttrOr("src", "") != fmt.Sprintf("/thumbs/%d", thumb) {
		t.Errorf("one article: want a single card with its large cover:\n%s", got.Card)
	}
	if d := strings.TrimSpace(card.Find(`.card-digest`).Text()); d != "正文第一句。" {
		t.Errorf("card digest %q, want the content's first characters", d)
	}
	if len(got.Digests) != 1 || !got.Digests[0].Filled || got.Digests[0].Text != "正文第一句。" {
		t.Errorf("digests = %+v", got.Digests)
	}
	page := docOf(t, got.Article)
	if page.Find(`[data-preview-title]`).Text() != "一篇<b>标题</b>" || !strings.Contains(page.Find(`.page-meta`).Text(), "小编") ||
		!strings.Contains(page.Find(`.page-meta`).Text(), "本公众号") || page.Find(`.read-original a`).AttrOr("href", "") != "https://example.com/more" {
		t.Errorf("article page:\n%s", got.Article)
	}
	if c := page.Find(`[data-preview-content]`); !strings.Contains(c.Text(), "正文第一句。") || c.Find("img").Length() != 0 {
		t.Errorf("article content: %q", c.Text())
	}

	// Several articles: the lead with a large cover, the others as rows with small thumbnails;
	// the page shown is the one asked for.
	three := url.Values{"csrf_token": {tok}, "article": {"2"}}
	for i := 0; i < 3; i++ {
		three.Set(fmt.Sprintf("articles[%d].title", i), fmt.Sprintf("第%d篇", i+1))
		three.Set(fmt.Sprintf("articles[%d].content", i), fmt.Sprintf("<p>内容%d</p>", i+1))
		three.Set(fmt.Sprintf("articles[%d].thumb_id", i), fmt.Sprint(thumb))
	}
	got = ta.previewRender(three)
	card = docOf(t, got.Card)
	if card.Find(`[data-card=multi] .lead img.cover-large`).Length() != 1 || card.Find(`[data-card-row]`).Length() != 2 ||
		card.Find(`[data-card-row] img.cover-small`).Length() != 2 || card.Find(`.lead-title`).Text() != "第1篇" {
		t.Errorf("three articles: want a lead and two rows:\n%s", got.Card)
	}
	if got.Index != 2 || docOf(t, got.Article).Find(`[data-preview-title]`).Text() != "第3篇" {
		t.Errorf("page of article %d:\n%s", got.Index, got.Article)
	}
	if list := ta.get("/drafts"); strings.Contains(list.body, "第1篇") {
		t.Error("the preview saved a draft")
	}
}

// Each limit refused by the server at its field, in Chinese and English, naming the number
// of the one table.
func TestDraftSaveLimitMessages(t *testing.T) {
	ta := newTestApp(t)
	ta.setupAndLogin()
	tok := ta.csrf("/drafts/new")
	thumb := ta.thumbID(tok)
	form := url.Values{
		"csrf_token":             {tok},
		"articles[0].title":      {strings.Repeat("标", 65)},
		"articles[0].author":     {strings.Repeat("作", 9)},
		"articles[0].digest":     {strings.Repeat("摘", 121)},
		"articles[0].content":    {"<p>" + strings.Repeat("字", 20000) + "</p>"},
		"articles[0].source_url": {"www.qq.com"},
		"articles[0].thumb_id":   {fmt.Sprint(thumb)},
	}
	want := map[string][2]string{
		"articles.0.title":      {"标题不能超过 64 个字", "at most 64 characters"},
		"articles.0.author":     {"作者名不能超过 8 个字", "at most 8 characters"},
		"articles.0.digest":     {"摘要不能超过 120 个字", "at most 120 characters"},
		"articles.0.content":    {"正文须少于 20,000 个字符", "under 20,000 characters"},
		"articles.0.source_url": {"http://", "http://"},
	}
	for li, lang := range []string{"zh", "en"} {
		u, _ := url.Parse(ta.srv.URL)
		ta.client.Jar.SetCookies(u, []*http.Cookie{{Name: langCookie, Value: lang, Path: "/"}})
		r := ta.post("/drafts", form)
		if r.status != http.StatusUnprocessableEntity {
			t.Fatalf("%s: %d, want 422", lang, r.status)
		}
		d := r.doc(t)
		for field, msgs := range want {
			got := strings.TrimSpace(d.Find(fmt.Sprintf(`[data-testid=field-error][data-field=%q]`, field)).Text())
			if !strings.Contains(got, msgs[li]) {
				t.Errorf("%s %s: %q, want %q", lang, field, got, msgs[li])
			}
		}
		// The page carries the same table and messages for the counters.
		script := d.Find(`script#editor-limits`).Text()
		if !strings.Contains(script, `"author":8`) || !strings.Contains(script, want["articles.0.author"][li]) {
			t.Errorf("%s: editor-limits = %s", lang, script)
		}
	}
}
