package models

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"regexp"
	"strings"
	"testing"
	"time"
)

func pngBytes(t *testing.T, shade uint8) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for x := 0; x < 8; x++ {
		for y := 0; y < 8; y++ {
			img.Set(x, y, color.RGBA{shade, uint8(x * 30), uint8(y * 30), 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// padded is a valid image followed by zeros up to n bytes (decoders ignore trailing data).
func padded(data []byte, n int) []byte {
	return append(append([]byte(nil), data...), make([]byte, n-len(data))...)
}

func fieldKey(t *testing.T, err error, field string) string {
	t.Helper()
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v, want a ValidationError", err)
	}
	return ve.Fields[field]
}

func TestSaveImageChecksTypeAndSize(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	jpg := jpegBytes(t, 3)
	cases := []struct {
		name string
		data []byte
		key  string // "" = accepted
		ct   string
	}{
		{"jpeg", jpg, "", "image/jpeg"},
		{"png", pngBytes(t, 9), "", "image/png"},
		{"just under 1 MB", padded(jpg, MaxImageBytes-1), "", "image/jpeg"},
		{"1 MB", padded(jpg, MaxImageBytes), "err.image_too_large", ""},
		{"empty", nil, "err.image_empty", ""},
		{"gif", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), "err.image_type", ""},
		{"jpeg magic, not a jpeg", []byte{0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3}, "err.image_type", ""},
		{"png named jpg is still png", pngBytes(t, 200), "", "image/png"},
	}
	for _, tc := range cases {
		img, err := f.svc.SaveImage(ctx, "photo.jpg", tc.data)
		if tc.key != "" {
			if got := fieldKey(t, err, "image"); got != tc.key {
				t.Errorf("%s: refused with %q, want %q", tc.name, got, tc.key)
			}
			continue
		}
		if err != nil || img.ID == 0 || img.ContentType != tc.ct || !bytes.Equal(img.Data, tc.data) {
			t.Errorf("%s: SaveImage = %+v, %v", tc.name, img.ContentType, err)
		}
		if tc.ct == "image/png" && img.Filename != "photo.png" {
			t.Errorf("%s: filename %q, want the extension of its bytes", tc.name, img.Filename)
		}
	}
	a, _ := f.svc.SaveImage(ctx, "a.jpg", jpg)
	b, _ := f.svc.SaveImage(ctx, "b.jpg", jpg)
	if a.ID != b.ID || a.Filename != "photo.jpg" {
		t.Fatalf("same bytes twice: %d/%q and %d", a.ID, a.Filename, b.ID)
	}
	got, err := f.svc.Image(ctx, a.ID)
	if err != nil || !bytes.Equal(got.Data, jpg) {
		t.Fatalf("Image = %v", err)
	}
	if _, err := f.svc.Image(ctx, 999); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Image(999) = %v", err)
	}
}

func TestSanitizeKeepsOwnAndWeChatImages(t *testing.T) {
	in := `<p><img src="/images/12" style="width: 300px" onerror="x()" alt="a"></p>` +
		`<img src="http://mmbiz.qpic.cn/mmbiz_jpg/abc/0" style="max-width: 100%">` +
		`<img src="/images/12/../../secret"><img src="/images/x"><a href="/images/12">link</a>` +
		`<img src="https://qunfa.invalid/images/4">`
	out := SanitizeArticleHTML(in)
	for _, want := range []string{`<img src="/images/12" style="width: 300px" alt="a"`, `src="http://mmbiz.qpic.cn/mmbiz_jpg/abc/0" style="max-width: 100%"`, `<img src="/images/4"`} {
		if !strings.Contains(out, want) {
			t.Errorf("lost %q: %s", want, out)
		}
	}
	for _, bad := range []string{"onerror", "secret", "/images/x", `href="/images/12"`, "qunfa.invalid"} {
		if strings.Contains(out, bad) {
			t.Errorf("kept %q: %s", bad, out)
		}
	}
}

func TestRewriteImagesCopiesEverythingElse(t *testing.T) {
	in := `<p a='1'>x &amp; y<!-- c --></p><IMG SRC="/images/1"><br/><textarea><img src="/images/2"></textarea>tail<`
	out, err := rewriteImages(in, func(src string) (string, bool, error) { return src, true, nil })
	if err != nil || out != in {
		t.Fatalf("identity rewrite changed the input:\n%s\n%s (%v)", in, out, err)
	}
	out, _ = rewriteImages(in, func(src string) (string, bool, error) { return "http://mmbiz.qpic.cn/x", true, nil })
	if !strings.Contains(out, `<img src="http://mmbiz.qpic.cn/x"/>`) && !strings.Contains(out, `<img src="http://mmbiz.qpic.cn/x">`) {
		t.Fatalf("rewrite: %s", out)
	}
	if !strings.Contains(out, `<textarea><img src="/images/2"></textarea>`) {
		t.Fatalf("text inside a textarea is not an image: %s", out)
	}
}

var ownImageSrc = regexp.MustCompile(`src="/images/(\d+)"`)

func TestSaveDraftTurnsDataURLsIntoImages(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	th, _ := f.svc.SaveThumb(ctx, "c.jpg", jpegBytes(t, 1))
	pic := pngBytes(t, 77)
	dataURL := "data:image/png;base64," + base64.StdEncoding.EncodeToString(pic)
	content := `<p>图文</p><img src="` + dataURL + `" style="width: 300px"><p><img src="` + dataURL + `"></p>`
	d, err := f.svc.SaveDraft(ctx, 0, DraftInput{Articles: []ArticleInput{{Title: "t", Content: content, ThumbID: th.ID}}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	c := d.Articles[0].Content
	m := ownImageSrc.FindAllStringSubmatch(c, -1)
	if strings.Contains(c, "data:") || len(m) != 2 || m[0][1] != m[1][1] || !strings.Contains(c, `style="width: 300px"`) {
		t.Fatalf("content = %s", c)
	}
	var id uint
	fmt.Sscan(m[0][1], &id)
	img, err := f.svc.Image(ctx, id)
	if err != nil || !bytes.Equal(img.Data, pic) || img.ContentType != "image/png" {
		t.Fatalf("stored image: %v", err)
	}
	var n int64
	f.store.db(ctx).Model(&imageRow{}).Count(&n)
	if n != 1 {
		t.Fatalf("%d images stored, want 1 (same bytes)", n)
	}
	// Saving the stored content again keeps it as it is.
	d2, err := f.svc.SaveDraft(ctx, d.ID, DraftInput{Articles: []ArticleInput{{Title: "t", Content: c, ThumbID: th.ID}}}, 1)
	if err != nil || d2.Articles[0].Content != c {
		t.Fatalf("re-save: %v\n%s\n%s", err, c, d2.Articles[0].Content)
	}
}

func TestSaveDraftRefusesImagesWeChatWouldDrop(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	th, _ := f.svc.SaveThumb(ctx, "c.jpg", jpegBytes(t, 1))
	gif := "data:image/gif;base64," + base64.StdEncoding.EncodeToString([]byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"))
	big := "data:image/jpeg;base64," + base64.StdEncoding.EncodeToString(padded(jpegBytes(t, 2), MaxImageBytes))
	cases := []struct{ name, content, key string }{
		{"gif", `<p>x</p><img src="` + gif + `">`, "err.content_image_invalid"},
		{"svg", `<p>x</p><img src="data:image/svg+xml,%3Csvg%3E%3C/svg%3E">`, "err.content_image_invalid"},
		{"too large", `<p>x</p><img src="` + big + `">`, "err.content_image_invalid"},
		{"remote", `<p>x</p><img src="https://example.com/a.jpg">`, "err.content_image_remote"},
		{"missing", `<p>x</p><img src="/images/999">`, "err.content_image_missing"},
		{"only a bad image", `<img src="` + gif + `">`, "err.content_image_invalid"},
	}
	for _, tc := range cases {
		_, err := f.svc.SaveDraft(ctx, 0, DraftInput{Articles: []ArticleInput{{Title: "t", Content: tc.content, ThumbID: th.ID}}}, 1)
		if got := fieldKey(t, err, "articles.0.content"); got != tc.key {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.key)
		}
	}
	// WeChat's own image host is fine.
	if _, err := f.svc.SaveDraft(ctx, 0, DraftInput{Articles: []ArticleInput{{Title: "t",
		Content: `<img src="https://mmbiz.qpic.cn/mmbiz_png/x/0">`, ThumbID: th.ID}}}, 1); err != nil {
		t.Fatal(err)
	}
}

// imageDraft saves a draft whose articles show stored images: article i has the images of imgs[i].
func (f *fixture) imageDraft(t *testing.T, imgs ...[]uint) Draft {
	t.Helper()
	ctx := context.Background()
	th, err := f.svc.SaveThumb(ctx, "cover.jpg", jpegBytes(t, 10))
	if err != nil {
		t.Fatal(err)
	}
	var in DraftInput
	for i, ids := range imgs {
		var b strings.Builder
		fmt.Fprintf(&b, "<p>第 %d 篇</p>", i)
		for _, id := range ids {
			fmt.Fprintf(&b, `<p><img src="/images/%d" style="width: 300px"></p>`, id)
		}
		in.Articles = append(in.Articles, ArticleInput{Title: fmt.Sprintf("标题 %d", i), Content: b.String(), ThumbID: th.ID})
	}
	d, err := f.svc.SaveDraft(ctx, 0, in, 1)
	if err != nil {
		t.Fatalf("SaveDraft: %v", err)
	}
	return d
}

func TestSendUploadsContentImagesOnceAndRewritesSrc(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a, _ := f.svc.SaveImage(ctx, "a.jpg", jpegBytes(t, 50))
	b, _ := f.svc.SaveImage(ctx, "b.png", pngBytes(t, 60))
	d := f.imageDraft(t, []uint{a.ID, b.ID}, []uint{a.ID})

	s, err := f.svc.StartSend(ctx, SendInput{DraftID: d.ID, Target: TargetAll, Key: "k1"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	runOnce(t, f.svc)
	if s = mustSend(t, f.svc, s.ID); s.State != StateSubmitted {
		t.Fatalf("state %s (%s)", s.State, s.Errmsg)
	}
	if n := f.wx.count(endpointUploadImg); n != 2 {
		t.Fatalf("uploadimg calls = %d, want 2 (image a is in both articles)", n)
	}
	news := f.wx.uploadedNews()
	if len(news) != 2 {
		t.Fatalf("news = %+v", news)
	}
	urlA, urlB := "http://mmbiz.qpic.cn/mmbiz_jpg/fake1/0", "http://mmbiz.qpic.cn/mmbiz_jpg/fake2/0"
	if !strings.Contains(news[0].Content, `<img src="`+urlA+`" style="width: 300px">`) || !strings.Contains(news[0].Content, urlB) ||
		!strings.Contains(news[1].Content, urlA) || strings.Contains(news[0].Content+news[1].Content, "/images/") {
		t.Fatalf("uploaded content:\n%s\n%s", news[0].Content, news[1].Content)
	}
	// The draft keeps its own src; the image keeps its URL.
	if got, _ := f.svc.Draft(ctx, d.ID); !strings.Contains(got.Articles[0].Content, fmt.Sprintf(`src="/images/%d"`, a.ID)) {
		t.Fatalf("stored draft changed: %s", got.Articles[0].Content)
	}
	if img, _ := f.svc.Image(ctx, a.ID); img.WeChatURL != urlA || img.UploadedAt == nil {
		t.Fatalf("image a = %q %v", img.WeChatURL, img.UploadedAt)
	}
	// uploadimg is not an advanced call: thumb + news + sendall only.
	if left, _ := f.svc.QuotaLeft(ctx); left != 7 {
		t.Fatalf("quota left %d, want 7", left)
	}
	var n int64
	f.store.db(ctx).Model(&quotaCallRow{}).Where("endpoint LIKE ?", "%uploadimg%").Count(&n)
	if n != 0 {
		t.Fatalf("%d quota rows for uploadimg", n)
	}

	// Another draft with image a: its URL is reused, not uploaded again.
	d2 := f.imageDraft(t, []uint{a.ID})
	s2, _ := f.svc.StartSend(ctx, SendInput{DraftID: d2.ID, Target: TargetAll, Key: "k2"}, 1)
	runOnce(t, f.svc)
	if s2 = mustSend(t, f.svc, s2.ID); s2.State != StateSubmitted || f.wx.count(endpointUploadImg) != 2 {
		t.Fatalf("second send: %s, uploadimg calls %d", s2.State, f.wx.count(endpointUploadImg))
	}
	if news := f.wx.uploadedNews(); !strings.Contains(news[0].Content, urlA) {
		t.Fatalf("second send content: %s", news[0].Content)
	}
}

func TestContentImageUploadFailures(t *testing.T) {
	t.Run("transient then success", func(t *testing.T) {
		f := newFixture(t)
		ctx := context.Background()
		a, _ := f.svc.SaveImage(ctx, "a.jpg", jpegBytes(t, 50))
		d := f.imageDraft(t, []uint{a.ID})
		f.wx.failImage = []error{&fakeAPIError{code: -1}}
		s, _ := f.svc.StartSend(ctx, SendInput{DraftID: d.ID, Target: TargetAll, Key: "k"}, 1)
		runOnce(t, f.svc)
		s = mustSend(t, f.svc, s.ID)
		if s.State != StateUploading || s.Errcode != -1 || f.wx.count(EndpointUploadNews) != 0 {
			t.Fatalf("after a busy uploadimg: state %s errcode %d news %d", s.State, s.Errcode, f.wx.count(EndpointUploadNews))
		}
		f.clock.Advance(time.Minute)
		runOnce(t, f.svc)
		if s = mustSend(t, f.svc, s.ID); s.State != StateSubmitted || f.wx.count(endpointUploadImg) != 2 {
			t.Fatalf("after the retry: state %s, uploadimg calls %d", s.State, f.wx.count(endpointUploadImg))
		}
		if left, _ := f.svc.QuotaLeft(ctx); left != 7 {
			t.Fatalf("quota left %d, want 7", left)
		}
	})
	t.Run("permanent", func(t *testing.T) {
		f := newFixture(t)
		ctx := context.Background()
		a, _ := f.svc.SaveImage(ctx, "a.jpg", jpegBytes(t, 50))
		d := f.imageDraft(t, []uint{a.ID})
		f.wx.failImage = []error{&fakeAPIError{code: 40009}}
		s, _ := f.svc.StartSend(ctx, SendInput{DraftID: d.ID, Target: TargetAll, Key: "k"}, 1)
		runOnce(t, f.svc)
		if s = mustSend(t, f.svc, s.ID); s.State != StateFailed || s.Errcode != 40009 || f.wx.count(EndpointUploadNews) != 0 {
			t.Fatalf("state %s errcode %d news %d", s.State, s.Errcode, f.wx.count(EndpointUploadNews))
		}
		// The reserved news and sendall calls were released; only the thumb was used.
		if left, _ := f.svc.QuotaLeft(ctx); left != 9 {
			t.Fatalf("quota left %d, want 9", left)
		}
	})
}

// A draft saved before images were checked may hold an image from another site: it is left out
// of what WeChat receives (WeChat would drop it), the rest is sent.
func TestSendLeavesOutRemoteImages(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	d := f.draft(t, 1)
	legacy := `<p>旧稿</p><img src="https://example.com/a.jpg"><img src="https://mmbiz.qpic.cn/mmbiz_jpg/keep/0">`
	if err := f.store.db(ctx).Model(&articleRow{}).Where("draft_id = ?", d.ID).Update("content", legacy).Error; err != nil {
		t.Fatal(err)
	}
	s, _ := f.svc.StartSend(ctx, SendInput{DraftID: d.ID, Target: TargetAll, Key: "k"}, 1)
	runOnce(t, f.svc)
	if s = mustSend(t, f.svc, s.ID); s.State != StateSubmitted {
		t.Fatalf("state %s", s.State)
	}
	got := f.wx.uploadedNews()[0].Content
	if strings.Contains(got, "example.com") || !strings.Contains(got, "mmbiz.qpic.cn/mmbiz_jpg/keep/0") || !strings.Contains(got, "旧稿") {
		t.Fatalf("content sent: %s", got)
	}
}

// Images nothing refers to any more go after a week; images in a draft, or
// in the snapshot of a send that still has to upload them, stay.
func TestDeleteOrphanImages(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	th, _ := f.svc.SaveThumb(ctx, "c.jpg", jpegBytes(t, 1))
	inDraft, _ := f.svc.SaveImage(ctx, "a.png", pngBytes(t, 1))
	inSend, _ := f.svc.SaveImage(ctx, "b.png", pngBytes(t, 2))
	orphan, _ := f.svc.SaveImage(ctx, "c.png", pngBytes(t, 3))
	tag := func(id uint) string { return `<img src="` + ImagePath(id) + `">` }
	d, err := f.svc.SaveDraft(ctx, 0, DraftInput{Articles: []ArticleInput{{Title: "t", Content: "<p>x</p>" + tag(inDraft.ID) + tag(inSend.ID), ThumbID: th.ID}}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.StartSend(ctx, SendInput{DraftID: d.ID, Target: TargetAll, Key: "k"}, 1); err != nil {
		t.Fatal(err)
	}
	// The draft moves on without the second image; the queued send still has it.
	if _, err := f.svc.SaveDraft(ctx, d.ID, DraftInput{Articles: []ArticleInput{{Title: "t", Content: "<p>x</p>" + tag(inDraft.ID), ThumbID: th.ID}}}, 1); err != nil {
		t.Fatal(err)
	}
	if n, err := f.store.DeleteOrphanImages(ctx, f.clock.Now()); err != nil || n != 0 {
		t.Fatalf("fresh images removed: %d (%v)", n, err)
	}
	n, err := f.store.DeleteOrphanImages(ctx, f.clock.Now().Add(8*24*time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("removed %d (%v), want 1", n, err)
	}
	if _, err := f.svc.Image(ctx, orphan.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("orphan still there: %v", err)
	}
	for _, id := range []uint{inDraft.ID, inSend.ID} {
		if _, err := f.svc.Image(ctx, id); err != nil {
			t.Errorf("image %d removed: %v", id, err)
		}
	}
}
