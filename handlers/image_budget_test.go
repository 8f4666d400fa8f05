package handlers

import (
	"bytes"
	"encoding/json"
	"image"
	"image/jpeg"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// bombJPEG is a real 8×8 JPEG of a few hundred bytes whose header claims 8192×8192.
func bombJPEG(t *testing.T) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 8, 8))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 13)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	i := bytes.Index(b, []byte{0xFF, 0xC0})
	b[i+5], b[i+6], b[i+7], b[i+8] = 0x20, 0x00, 0x20, 0x00 // height, width 8192
	return b
}

// The cover and the article-image uploads refuse a JPEG claiming 8192×8192 by its header, with
// the pixel budget in the page's language.
func TestUploadsRefusePixelBombs(t *testing.T) {
	ta := newTestApp(t)
	ta.setupAndLogin()
	tok := ta.csrf("/drafts/new")
	bomb := bombJPEG(t)
	t.Logf("bomb: %d bytes", len(bomb))
	u, _ := url.Parse(ta.srv.URL)
	for lang, want := range map[string][2]string{"zh": {"400 万像素", "2500 万像素"}, "en": {"4 megapixels", "25 megapixels"}} {
		ta.client.Jar.SetCookies(u, []*http.Cookie{{Name: "lang", Value: lang, Path: "/"}})
		r := ta.uploadThumb(tok, bomb)
		var j thumbJSON
		if err := json.Unmarshal([]byte(r.body), &j); err != nil || r.status != http.StatusUnprocessableEntity || !strings.Contains(j.Message, want[0]) {
			t.Errorf("%s cover: %d %q, want 422 with %q", lang, r.status, r.body, want[0])
		}
		img := ta.uploadImage(ta.client, tok, "bomb.jpg", bomb)
		if ij := decodeImageAnswer(t, img); img.status != http.StatusUnprocessableEntity || !strings.Contains(ij.Message, want[1]) {
			t.Errorf("%s image: %d %+v, want 422 with %q", lang, img.status, ij, want[1])
		}
	}
}
