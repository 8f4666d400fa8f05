package models

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestSaveDraftValidation(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	th, err := f.svc.SaveThumb(ctx, "c.jpg", jpegBytes(t, 1))
	if err != nil {
		t.Fatal(err)
	}
	good := ArticleInput{Title: "标题", Content: "<p>正文</p>", ThumbID: th.ID}
	with := func(mod func(a *ArticleInput)) DraftInput {
		a := good
		mod(&a)
		return DraftInput{Articles: []ArticleInput{a}}
	}
	many := DraftInput{}
	for i := 0; i < 11; i++ {
		many.Articles = append(many.Articles, good)
	}
	cases := []struct {
		name       string
		in         DraftInput
		field, key string
	}{
		{"no articles", DraftInput{}, "articles", "err.no_articles"},
		{"too many", many, "articles", "err.too_many_articles"},
		{"title missing", with(func(a *ArticleInput) { a.Title = "  " }), "articles.0.title", "err.title_required"},
		{"title long", with(func(a *ArticleInput) { a.Title = strings.Repeat("字", 65) }), "articles.0.title", "err.title_too_long"},
		{"content missing", with(func(a *ArticleInput) { a.Content = "" }), "articles.0.content", "err.content_required"},
		{"content only script", with(func(a *ArticleInput) { a.Content = "<script>alert(1)</script>" }), "articles.0.content", "err.content_required"},
		{"content long", with(func(a *ArticleInput) { a.Content = strings.Repeat("字", 20001) }), "articles.0.content", "err.content_too_long"},
		{"thumb missing", with(func(a *ArticleInput) { a.ThumbID = 0 }), "articles.0.thumb", "err.thumb_required"},
		{"thumb unknown", with(func(a *ArticleInput) { a.ThumbID = 999 }), "articles.0.thumb", "err.thumb_not_found"},
		{"url bad", with(func(a *ArticleInput) { a.SourceURL = "javascript:alert(1)" }), "articles.0.source_url", "err.url_invalid"},
		{"url no scheme", with(func(a *ArticleInput) { a.SourceURL = "www.qq.com" }), "articles.0.source_url", "err.url_invalid"},
		{"author long", with(func(a *ArticleInput) { a.Author = strings.Repeat("a", 65) }), "articles.0.author", "err.author_too_long"},
		{"digest long", with(func(a *ArticleInput) { a.Digest = strings.Repeat("a", 121) }), "articles.0.digest", "err.digest_too_long"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.SaveDraft(ctx, 0, tc.in, 1)
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Fields[tc.field] != tc.key {
				t.Fatalf("SaveDraft = %v; want %s=%s", err, tc.field, tc.key)
			}
		})
	}
	if list, _ := f.svc.ListDrafts(ctx); len(list) != 0 {
		t.Fatalf("invalid drafts were stored: %+v", list)
	}
}

func TestSaveDraftSanitisesAndUpdates(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	th, _ := f.svc.SaveThumb(ctx, "c.jpg", jpegBytes(t, 1))
	raw := `<section style="color: red; text-align: center; position: fixed"><p class="x" onclick="evil()">你好<strong>粗</strong></p>` +
		`<script>alert(1)</script><a href="javascript:alert(1)">bad</a><a href="https://mp.weixin.qq.com/">ok</a>` +
		`<img src="https://mmbiz.qpic.cn/a.jpg" onerror="x()"><img src="/relative.png"></section>`
	d, err := f.svc.SaveDraft(ctx, 0, DraftInput{Articles: []ArticleInput{
		{Title: "一", Content: raw, ThumbID: th.ID, SourceURL: "https://example.com/a", ShowCoverPic: true},
		{Title: "二", Content: "<p>two</p>", ThumbID: th.ID},
	}}, 7)
	if err != nil {
		t.Fatal(err)
	}
	c := d.Articles[0].Content
	for _, want := range []string{`color: red`, `text-align: center`, `<strong>粗</strong>`, `<section`, `href="https://mp.weixin.qq.com/"`, `src="https://mmbiz.qpic.cn/a.jpg"`} {
		if !strings.Contains(c, want) {
			t.Errorf("sanitised content lost %q: %s", want, c)
		}
	}
	for _, bad := range []string{"<script", "onclick", "onerror", "javascript:", "class=", "position", "relative.png"} {
		if strings.Contains(c, bad) {
			t.Errorf("sanitised content kept %q: %s", bad, c)
		}
	}
	if len(d.Articles) != 2 || d.Articles[1].Position != 1 || !d.Articles[0].ShowCoverPic || d.OperatorID != 7 {
		t.Fatalf("draft = %+v", d)
	}

	d2, err := f.svc.SaveDraft(ctx, d.ID, DraftInput{Articles: []ArticleInput{{Title: "只一篇", Content: "<p>x</p>", ThumbID: th.ID}}}, 7)
	if err != nil || d2.ID != d.ID || len(d2.Articles) != 1 || d2.Articles[0].Title != "只一篇" {
		t.Fatalf("update = %+v, %v", d2, err)
	}
	list, err := f.svc.ListDrafts(ctx)
	if err != nil || len(list) != 1 || list[0].Title != "只一篇" || list[0].Articles != 1 {
		t.Fatalf("ListDrafts = %+v, %v", list, err)
	}
	if _, err := f.svc.SaveDraft(ctx, 999, DraftInput{Articles: []ArticleInput{{Title: "x", Content: "<p>x</p>", ThumbID: th.ID}}}, 7); !errors.Is(err, ErrNotFound) {
		t.Fatalf("SaveDraft(999) = %v", err)
	}
	if err := f.svc.DeleteDraft(ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Draft(ctx, d.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Draft after delete = %v", err)
	}
	if err := f.svc.DeleteDraft(ctx, d.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second DeleteDraft = %v", err)
	}
}

func TestSaveThumb(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	img := jpegBytes(t, 5)
	th, err := f.svc.SaveThumb(ctx, `C:\photos\cover.jpg`, img)
	if err != nil || th.ID == 0 || th.Filename != "cover.jpg" || th.ContentType != "image/jpeg" || len(th.SHA256) != 64 {
		t.Fatalf("SaveThumb = %+v, %v", th, err)
	}
	again, err := f.svc.SaveThumb(ctx, "other.jpg", img)
	if err != nil || again.ID != th.ID {
		t.Fatalf("same bytes gave another thumb: %+v, %v", again, err)
	}
	got, err := f.svc.Thumb(ctx, th.ID)
	if err != nil || string(got.Data) != string(img) {
		t.Fatalf("Thumb = %v", err)
	}
	png := []byte("\x89PNG\r\n\x1a\n0000")
	fakeJPEG := append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, []byte("not really")...)
	big := append(append([]byte{}, img...), make([]byte, 64<<10)...)
	for name, tc := range map[string]struct {
		data []byte
		key  string
	}{
		"png":       {png, "err.thumb_not_jpeg"},
		"magic":     {fakeJPEG, "err.thumb_not_jpeg"},
		"empty":     {nil, "err.thumb_not_jpeg"},
		"too large": {big, "err.thumb_too_large"},
	} {
		_, err := f.svc.SaveThumb(ctx, "x.jpg", tc.data)
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Fields["thumb"] != tc.key {
			t.Errorf("%s: SaveThumb = %v; want thumb=%s", name, err, tc.key)
		}
	}
	if _, err := f.svc.Thumb(ctx, 999); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Thumb(999) = %v", err)
	}
}

func TestParseOpenIDs(t *testing.T) {
	ids, problems := ParseOpenIDs("oABCDEF1, oABCDEF2\r\n\n  oABCDEF1 \nbad id!\nshort\noABCDEF3，oABCDEF4")
	want := []string{"oABCDEF1", "oABCDEF2", "oABCDEF3", "oABCDEF4"}
	if strings.Join(ids, ",") != strings.Join(want, ",") {
		t.Fatalf("ids = %v", ids)
	}
	wantProblems := []OpenIDProblem{
		{Line: 3, Value: "oABCDEF1", Reason: "openid.duplicate"},
		{Line: 4, Value: "bad id!", Reason: "openid.invalid"},
		{Line: 5, Value: "short", Reason: "openid.invalid"},
	}
	if len(problems) != len(wantProblems) {
		t.Fatalf("problems = %+v", problems)
	}
	for i := range wantProblems {
		if problems[i] != wantProblems[i] {
			t.Errorf("problem %d = %+v; want %+v", i, problems[i], wantProblems[i])
		}
	}
}

func TestRedact(t *testing.T) {
	in := `Post "https://api.weixin.qq.com/cgi-bin/message/mass/sendall?access_token=SECRET123&x=1": timeout access_token=AGAIN`
	out := redact(in)
	if strings.Contains(out, "SECRET123") || strings.Contains(out, "AGAIN") || !strings.Contains(out, "access_token=REDACTED&x=1") {
		t.Fatalf("redact = %s", out)
	}
}
