package handlers

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"qunfa/views/i18n"
)

// The two uploads (a cover, an image in the content) share one path: the same refusals, each
// with its own words, in the caller's answer shape.
func TestUploadsShareOnePath(t *testing.T) {
	ta := newTestApp(t)
	ta.setupAndLogin()
	tok := ta.csrf("/drafts/new")
	post := func(path string, data []byte, withFile bool) response {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		if withFile {
			fw, _ := mw.CreateFormFile("file", "x.jpg")
			fw.Write(data)
		} else {
			mw.WriteField("other", "1")
		}
		mw.Close()
		req, _ := http.NewRequest(http.MethodPost, ta.srv.URL+path, &body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("X-CSRF-Token", tok)
		return ta.do(ta.client, req)
	}
	big := bytes.Repeat([]byte{0xff}, 1<<20+1)
	for _, u := range []struct {
		path, field, empty, large string
	}{
		{"/thumbs", "thumb", "err.thumb_empty", "err.thumb_too_large"},
		{"/images", "image", "err.image_empty", "err.image_too_large"},
	} {
		for _, tc := range []struct {
			name     string
			data     []byte
			withFile bool
			status   int
			key      string
		}{
			{"no file", nil, false, http.StatusUnprocessableEntity, u.empty},
			{"too large", big, true, http.StatusUnprocessableEntity, u.large},
			{"ok", jpegBytes(t), true, http.StatusOK, ""},
		} {
			r := post(u.path, tc.data, tc.withFile)
			var j struct {
				ID      uint
				URL     string
				Message string
				Field   string
			}
			if err := json.Unmarshal([]byte(r.body), &j); err != nil {
				t.Fatalf("%s %s: not JSON: %s", u.path, tc.name, r.body)
			}
			if r.status != tc.status {
				t.Errorf("%s %s: %d, want %d (%s)", u.path, tc.name, r.status, tc.status, r.body)
			}
			if tc.key != "" && (j.Message != i18n.T("zh", tc.key) || j.Field != u.field) {
				t.Errorf("%s %s: %q on %q, want %q on %q", u.path, tc.name, j.Message, j.Field, i18n.T("zh", tc.key), u.field)
			}
			if tc.key == "" && (j.ID == 0 || j.URL == "") {
				t.Errorf("%s %s: no id/url: %s", u.path, tc.name, r.body)
			}
		}
	}
}

// app.js sends both uploads through one request function.
func TestAppJSHasOneUploadRequest(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "static", "js", "app.js"))
	if err != nil {
		t.Fatal(err)
	}
	js := string(b)
	if n := strings.Count(js, "fetch("); n != 1 {
		t.Errorf("app.js calls fetch %d times, want once (postFile)", n)
	}
	for _, path := range []string{"postFile('/thumbs'", "postFile('/images'"} {
		if !strings.Contains(js, path) {
			t.Errorf("app.js lacks %s", path)
		}
	}
}
