package handlers

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// uploadImage posts an article image as the editor's uploader does.
func (ta *testApp) uploadImage(c *http.Client, tok, filename string, data []byte) response {
	ta.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("path", "") // Jodit sends these too
	mw.WriteField("source", "default")
	fw, err := mw.CreateFormFile("file", filename)
	if err != nil {
		ta.t.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, ta.srv.URL+"/images", &body)
	if err != nil {
		ta.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if tok != "" {
		req.Header.Set("X-CSRF-Token", tok)
	}
	return ta.do(c, req)
}

type imageAnswer struct {
	Success bool
	ID      uint
	URL     string
	Message string
	Field   string
	Data    struct {
		Files    []string
		IsImages []bool
		BaseURL  string `json:"baseurl"`
		Messages []string
	}
}

func decodeImageAnswer(t *testing.T, r response) imageAnswer {
	t.Helper()
	var j imageAnswer
	if err := json.Unmarshal([]byte(r.body), &j); err != nil {
		t.Fatalf("answer %d %q is not JSON: %v", r.status, r.body, err)
	}
	return j
}

func pngBytes(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	img.Set(1, 1, color.RGBA{200, 10, 10, 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestImageUploadAnswersJoditAndServesBytes(t *testing.T) {
	ta := newTestApp(t)
	ta.setupAndLogin()
	tok := ta.csrf("/drafts/new")
	pic := pngBytes(t)

	r := ta.uploadImage(ta.client, tok, "截图.png", pic)
	if r.status != http.StatusOK {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	j := decodeImageAnswer(t, r)
	want := fmt.Sprintf("/images/%d", j.ID)
	if !j.Success || j.ID == 0 || j.URL != want || len(j.Data.Files) != 1 || j.Data.Files[0] != want ||
		len(j.Data.IsImages) != 1 || !j.Data.IsImages[0] || j.Data.BaseURL != "" {
		t.Fatalf("answer %+v", j)
	}

	img := ta.get(j.URL)
	if img.status != http.StatusOK || img.header.Get("Content-Type") != "image/png" || img.body != string(pic) {
		t.Fatalf("GET %s: %d %q (%d bytes)", j.URL, img.status, img.header.Get("Content-Type"), len(img.body))
	}
	if cc := img.header.Get("Cache-Control"); !strings.Contains(cc, "private") || !strings.Contains(cc, "max-age=") {
		t.Errorf("Cache-Control %q", cc)
	}
	if img.header.Get("X-Content-Type-Options") != "nosniff" || img.header.Get("ETag") == "" {
		t.Errorf("headers %v", img.header)
	}
	req, _ := http.NewRequest(http.MethodGet, ta.srv.URL+j.URL, nil)
	req.Header.Set("If-None-Match", img.header.Get("ETag"))
	if again := ta.do(ta.client, req); again.status != http.StatusNotModified || again.body != "" {
		t.Errorf("conditional GET: %d", again.status)
	}
	if r := ta.get("/images/99999"); r.status != http.StatusNotFound {
		t.Errorf("unknown image: %d", r.status)
	}

	// The uploaded image can be used in a draft's content and is kept there.
	thumb := ta.thumbID(tok)
	r = ta.post("/drafts", url.Values{
		"csrf_token":           {tok},
		"articles[0].title":    {"有图"},
		"articles[0].content":  {`<p>看图</p><p><img src="` + j.URL + `" style="width: 300px"></p>`},
		"articles[0].thumb_id": {fmt.Sprint(thumb)},
	})
	if r.status != http.StatusSeeOther {
		t.Fatalf("save draft with the image: %d\n%s", r.status, r.body)
	}
	content := ta.get(r.location).doc(t).Find(`textarea[name="articles[0].content"]`).Text()
	if !strings.Contains(content, `<img src="`+j.URL+`" style="width: 300px"`) {
		t.Fatalf("content lost the image: %q", content)
	}
}

func TestImageUploadRefusals(t *testing.T) {
	ta := newTestApp(t)
	ta.setupAndLogin()
	tok := ta.csrf("/drafts/new")
	big := append(jpegBytes(t), make([]byte, 1<<20)...)
	cases := []struct {
		name, lang string
		data       []byte
		status     int
		message    string
	}{
		{"gif", "zh", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), http.StatusUnprocessableEntity, "JPG 或 PNG"},
		{"gif in English", "en", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), http.StatusUnprocessableEntity, "JPEG or PNG"},
		{"too large", "zh", big, http.StatusUnprocessableEntity, "1 MB"},
		{"empty", "zh", nil, http.StatusUnprocessableEntity, "请选择"},
	}
	u, _ := url.Parse(ta.srv.URL)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ta.client.Jar.SetCookies(u, []*http.Cookie{{Name: "lang", Value: tc.lang, Path: "/"}})
			r := ta.uploadImage(ta.client, tok, "x.png", tc.data)
			j := decodeImageAnswer(t, r)
			if r.status != tc.status || j.Success || !strings.Contains(j.Message, tc.message) || j.Field != "image" ||
				len(j.Data.Messages) != 1 || j.Data.Messages[0] != j.Message {
				t.Fatalf("%d %+v, want %d with %q", r.status, j, tc.status, tc.message)
			}
		})
	}
}

func TestImageUploadNeedsLoginAndCSRF(t *testing.T) {
	ta := newTestApp(t)
	ta.setupAndLogin()
	tok := ta.csrf("/drafts/new")
	pic := pngBytes(t)

	if r := ta.uploadImage(ta.client, "", "a.png", pic); r.status != http.StatusForbidden {
		t.Fatalf("no CSRF token: %d", r.status)
	}
	if r := ta.uploadImage(ta.client, tok+"x", "a.png", pic); r.status != http.StatusForbidden {
		t.Fatalf("wrong CSRF token: %d", r.status)
	}
	stranger := ta.newClient()
	if r := ta.uploadImage(stranger, tok, "a.png", pic); r.status != http.StatusForbidden {
		t.Fatalf("without a session: %d", r.status)
	}
	// A stranger with a session of their own (a token, but no login) is refused too.
	r := ta.getWith(stranger, "/login")
	strangerTok, _ := r.doc(t).Find(`input[name=csrf_token]`).First().Attr("value")
	if strangerTok == "" {
		t.Fatal("the login page has no csrf_token")
	}
	if r := ta.uploadImage(stranger, strangerTok, "a.png", pic); r.status != http.StatusForbidden || strings.Contains(r.body, `"success":true`) {
		t.Fatalf("logged-out session: %d %s", r.status, r.body)
	}
	// Reading needs a login as well: GET redirects to the login page.
	up := decodeImageAnswer(t, ta.uploadImage(ta.client, tok, "a.png", pic))
	if r := ta.getWith(stranger, up.URL); r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/login") {
		t.Fatalf("GET without login: %d %q", r.status, r.location)
	}
}

// An image WeChat would drop (from another site) is reported at the content field; a pasted
// data: image is stored and the content keeps /images/N.
func TestDraftSaveContentImages(t *testing.T) {
	ta := newTestApp(t)
	ta.setupAndLogin()
	tok := ta.csrf("/drafts/new")
	thumb := ta.thumbID(tok)
	form := func(content string) url.Values {
		return url.Values{"csrf_token": {tok}, "articles[0].title": {"图"}, "articles[0].content": {content},
			"articles[0].thumb_id": {fmt.Sprint(thumb)}}
	}
	r := ta.post("/drafts", form(`<p>x</p><img src="https://example.com/a.png">`))
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("remote image: %d, want 422", r.status)
	}
	fe := r.doc(t).Find(`[data-testid=field-error][data-field="articles.0.content"]`)
	if !strings.Contains(fe.Text(), "其他网站的图片") {
		t.Fatalf("content field error %q", fe.Text())
	}
	r = ta.post("/drafts", form(`<p>x</p><img src="data:image/png;base64,`+base64.StdEncoding.EncodeToString(pngBytes(t))+`">`))
	if r.status != http.StatusSeeOther {
		t.Fatalf("data: image: %d\n%s", r.status, r.body)
	}
	content := ta.get(r.location).doc(t).Find(`textarea[name="articles[0].content"]`).Text()
	if !regexp.MustCompile(`<img src="/images/\d+"`).MatchString(content) || strings.Contains(content, "data:") {
		t.Fatalf("content %q", content)
	}
}
