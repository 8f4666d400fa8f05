package models

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// The preview is the content a send gives WeChat: sanitised (no script, no handler), images by
// the send's rule (ours and WeChat's kept, others dropped), the digest filled, and nothing stored.
func TestPreviewArticles(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	img, err := f.svc.SaveImage(ctx, "a.png", pngBytes(t, 9))
	if err != nil {
		t.Fatal(err)
	}
	content := `<p onclick="x()">你好<script>alert(1)</script></p>` +
		`<img src="x" onerror="alert(2)">` +
		fmt.Sprintf(`<img src="/images/%d">`, img.ID) +
		`<img src="http://mmbiz.qpic.cn/mmbiz_jpg/abc/0">` +
		`<img src="https://evil.example/track.png">` +
		`<a href="javascript:alert(3)">link</a>`
	in := DraftInput{Articles: []ArticleInput{
		{Title: "  标题  ", Content: content, ThumbID: 7, SourceURL: "javascript:alert(4)", ShowCoverPic: true},
		{Title: "二", Digest: "自己的", Content: "<p>正文</p>"},
	}}
	var images int64
	f.store.gdb.Model(&imageRow{}).Count(&images)
	got, err := f.svc.PreviewArticles(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("got %d articles", len(got))
	}
	a := got[0]
	for _, bad := range []string{"script", "onerror", "onclick", "alert", "evil.example", `src="x"`} {
		if strings.Contains(a.Content, bad) {
			t.Errorf("preview content has %q: %s", bad, a.Content)
		}
	}
	for _, want := range []string{"你好", fmt.Sprintf(`src="/images/%d"`, img.ID), "mmbiz.qpic.cn/mmbiz_jpg/abc/0"} {
		if !strings.Contains(a.Content, want) {
			t.Errorf("preview content lacks %q: %s", want, a.Content)
		}
	}
	if a.Title != "标题" || a.SourceURL != "" || a.ThumbURL != "/thumbs/7" || !a.ShowCoverPic || !a.DigestFilled || a.Digest != "你好 link" {
		t.Errorf("article 1 = %+v", a)
	}
	if b := got[1]; b.DigestFilled || b.Digest != "自己的" || b.ThumbURL != "" {
		t.Errorf("article 2 = %+v", b)
	}
	var after int64
	f.store.gdb.Model(&imageRow{}).Count(&after)
	if after != images {
		t.Fatalf("the preview stored images: %d → %d", images, after)
	}
}

// The content the preview shows is the content a save stores, image for image.
func TestPreviewMatchesSavedContent(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	img, _ := f.svc.SaveImage(ctx, "a.png", pngBytes(t, 3))
	in := f.draftInputT(t, 1)
	in.Articles[0].Content = fmt.Sprintf(`<p style="color: red; position: fixed">红<img src="/images/%d" style="width: 50px"></p><section>节</section>`, img.ID)
	d, err := f.svc.SaveDraft(ctx, 0, in, 1)
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.svc.PreviewArticles(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Content != d.Articles[0].Content {
		t.Fatalf("preview %q\nsaved   %q", got[0].Content, d.Articles[0].Content)
	}
}
