package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestArticleLimitsTable(t *testing.T) {
	seed, today := LimitsFor(DefaultProfile(true)), LimitsFor(DefaultProfile(false))
	for _, l := range []ArticleLimits{seed, today} {
		if l.TitleMax != 64 || l.AuthorMax != 8 || l.DigestMax != 120 || l.ContentBelow != 20000 ||
			l.ContentBytesBelow != 1<<20 || l.ThumbMaxBytes != 64<<10 || len(l.ThumbTypes) != 1 || l.ThumbTypes[0] != "image/jpeg" {
			t.Fatalf("limits = %+v", l)
		}
	}
	// The profile decides the article count and how long WeChat's own digest is.
	if seed.MaxArticles != 10 || seed.DigestFill != 64 || today.MaxArticles != 8 || today.DigestFill != 54 {
		t.Fatalf("seed %+v, today %+v", seed, today)
	}
	f := newFixture(t)
	if err := f.store.UseDefaultProfile(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	if got, err := f.svc.ArticleLimits(context.Background()); err != nil || got.MaxArticles != 8 || got.DigestFill != 54 {
		t.Fatalf("ArticleLimits = %+v, %v", got, err)
	}
}

// Each limit at its edge: the last value kept and the first refused, counted in code points
// (an emoji or a 汉 is one character, as in WeChat's backend).
func TestSaveDraftLimitEdges(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	th, err := f.svc.SaveThumb(ctx, "c.jpg", jpegBytes(t, 1))
	if err != nil {
		t.Fatal(err)
	}
	good := ArticleInput{Title: "标题", Content: "<p>正文</p>", ThumbID: th.ID}
	para := func(runes int) string { return "<p>" + strings.Repeat("字", runes-7) + "</p>" } // 7: <p></p>
	cases := []struct {
		name  string
		mod   func(a *ArticleInput)
		field string
		key   string // "" : accepted
	}{
		{"title 64 emoji", func(a *ArticleInput) { a.Title = strings.Repeat("😀", 64) }, "title", ""},
		{"title 65", func(a *ArticleInput) { a.Title = strings.Repeat("标", 65) }, "title", "err.title_too_long"},
		{"author 8", func(a *ArticleInput) { a.Author = strings.Repeat("作", 8) }, "author", ""},
		{"author 9", func(a *ArticleInput) { a.Author = strings.Repeat("作", 9) }, "author", "err.author_too_long"},
		{"author 8 after trimming", func(a *ArticleInput) { a.Author = "  " + strings.Repeat("a", 8) + " " }, "author", ""},
		{"digest 120", func(a *ArticleInput) { a.Digest = strings.Repeat("摘", 120) }, "digest", ""},
		{"digest 121", func(a *ArticleInput) { a.Digest = strings.Repeat("摘", 121) }, "digest", "err.digest_too_long"},
		{"content 19,999", func(a *ArticleInput) { a.Content = para(19999) }, "content", ""},
		{"content 20,000", func(a *ArticleInput) { a.Content = para(20000) }, "content", "err.content_too_long"},
		{"url https", func(a *ArticleInput) { a.SourceURL = "https://mp.weixin.qq.com/s/x" }, "source_url", ""},
		{"url ftp", func(a *ArticleInput) { a.SourceURL = "ftp://example.com/x" }, "source_url", "err.url_invalid"},
		{"url too long", func(a *ArticleInput) { a.SourceURL = "https://e.com/" + strings.Repeat("a", 1024) }, "source_url", "err.url_invalid"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := good
			tc.mod(&a)
			_, err := f.svc.SaveDraft(ctx, 0, DraftInput{Articles: []ArticleInput{a}}, 1)
			var ve *ValidationError
			if tc.key == "" {
				if err != nil {
					t.Fatalf("SaveDraft = %v, want accepted", err)
				}
				return
			}
			if !errors.As(err, &ve) || ve.Fields["articles.0."+tc.field] != tc.key {
				t.Fatalf("SaveDraft = %v, want articles.0.%s=%s", err, tc.field, tc.key)
			}
		})
	}
}

// The byte limit is checked before the character count: a content of 1 MB is told so.
func TestArticleLimitsContentBytes(t *testing.T) {
	l := LimitsFor(DefaultProfile(true))
	l.ContentBelow = 1 << 30 // the byte rule alone
	fe := FieldErrors{}
	r := articleRow{Title: "t", Content: "<p>" + strings.Repeat("a", 1<<20) + "</p>"}
	l.checkText(r, fe, func(f string) string { return f })
	if fe["content"] != "err.content_too_large" {
		t.Fatalf("errors = %v", fe)
	}
}

func TestAutoDigest(t *testing.T) {
	cases := []struct {
		html string
		n    int
		want string
	}{
		{"<p>Hello <b>world</b></p>", 54, "Hello world"},
		{"<p>第一段</p><p>第二段</p>", 54, "第一段 第二段"},
		{"<p>a &amp; b&nbsp;&lt;c&gt;</p>", 54, "a & b <c>"},
		{"<p>" + strings.Repeat("字", 70) + "</p>", 54, strings.Repeat("字", 54)},
		{"<p>" + strings.Repeat("字", 70) + "</p>", 64, strings.Repeat("字", 64)},
		{`<p><img src="/images/1"></p><p>  </p>`, 54, ""},
		{"", 54, ""},
	}
	for _, tc := range cases {
		if got := AutoDigest(tc.html, tc.n); got != tc.want {
			t.Errorf("AutoDigest(%q, %d) = %q, want %q", tc.html, tc.n, got, tc.want)
		}
		if got := AutoDigest(tc.html, tc.n); CountChars(got) > tc.n {
			t.Errorf("AutoDigest(%q, %d) has %d characters", tc.html, tc.n, CountChars(got))
		}
	}
}

// An empty digest is sent as WeChat would fill it (the profile's length), so what the editor's
// preview showed is what followers get; a digest written by hand is sent as written.
func TestSendFillsEmptyDigest(t *testing.T) {
	for _, today := range []bool{false, true} {
		t.Run(fmt.Sprint("today=", today), func(t *testing.T) {
			f := newFixture(t)
			ctx := context.Background()
			if today {
				if err := f.store.UseDefaultProfile(ctx, false); err != nil {
					t.Fatal(err)
				}
			}
			in := f.draftInputT(t, 2)
			in.Articles[0].Content = "<p>" + strings.Repeat("春", 80) + "</p>"
			in.Articles[1].Digest = "手写的摘要"
			d, err := f.svc.SaveDraft(ctx, 0, in, 1)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.svc.StartSend(ctx, SendInput{DraftID: d.ID, Target: TargetAll, Key: "k"}, 1); err != nil {
				t.Fatal(err)
			}
			runOnce(t, f.svc)
			news := f.wx.uploadedNews()
			want := 64
			if today {
				want = 54
			}
			if len(news) != 2 || news[0].Digest != strings.Repeat("春", want) || news[1].Digest != "手写的摘要" {
				t.Fatalf("sent digests = %+v", news)
			}
			if stored, _ := f.svc.Draft(ctx, d.ID); stored.Articles[0].Digest != "" {
				t.Fatalf("the draft's own digest changed: %q", stored.Articles[0].Digest)
			}
		})
	}
}
