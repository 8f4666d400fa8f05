package handlers

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"qunfa/models"
	"qunfa/wechat"
)

// fakeWeChat is the models.WeChat the handler tests hand to the service.
type fakeWeChat struct {
	mu     sync.Mutex
	nextID int64
	sent   int

	massErr    error    // returned by every mass send while set
	previewErr error    // returned by every preview while set
	previewed  []string // recipients of the previews accepted (WeChat ID, else OpenID)

	// groupsVia, when set, answers Groups and Tags with a real protocol client (pointed at a
	// closed port, say), so its transport errors reach the handlers as they would in production.
	groupsVia *wechat.Client
}

func (f *fakeWeChat) UploadThumb(ctx context.Context, filename string, data []byte) (string, error) {
	return "thumb-media-" + filename, nil
}

func (f *fakeWeChat) AddThumbMaterial(ctx context.Context, filename string, data []byte) (string, error) {
	return "material-" + filename, nil
}

func (f *fakeWeChat) UploadImage(ctx context.Context, filename string, data []byte) (string, error) {
	return "http://mmbiz.qpic.cn/mmbiz_jpg/handlers-test/0", nil
}

func (f *fakeWeChat) UploadNews(ctx context.Context, articles []models.NewsArticle) (string, error) {
	return "news-media", nil
}

func (f *fakeWeChat) mass() (models.MassResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.massErr != nil {
		return models.MassResult{}, f.massErr
	}
	f.nextID++
	f.sent++
	return models.MassResult{MsgID: 1000000000 + f.nextID, MsgDataID: 2000000000 + f.nextID}, nil
}

func (f *fakeWeChat) AddDraft(ctx context.Context, articles []models.NewsArticle) (string, error) {
	return "draft-media", nil
}

func (f *fakeWeChat) Tags(ctx context.Context) ([]models.Group, error) {
	if f.groupsVia != nil {
		_, err := f.groupsVia.Tags(ctx)
		return nil, err
	}
	return []models.Group{{ID: 134, Name: "广东", Count: 30}}, nil
}

func (f *fakeWeChat) SendAll(ctx context.Context, filter models.MassFilter, mediaID, clientMsgID string) (models.MassResult, error) {
	return f.mass()
}

func (f *fakeWeChat) SendToOpenIDs(ctx context.Context, openIDs []string, mediaID, clientMsgID string) (models.MassResult, error) {
	return f.mass()
}

func (f *fakeWeChat) Preview(ctx context.Context, toWXName, toOpenID, mediaID string) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.previewErr != nil {
		return 0, f.previewErr
	}
	to := toWXName
	if to == "" {
		to = toOpenID
	}
	f.previewed = append(f.previewed, to)
	f.nextID++
	return 3000000000 + f.nextID, nil
}

func (f *fakeWeChat) DeleteMass(ctx context.Context, msgID int64) error { return nil }

func (f *fakeWeChat) MassStatus(ctx context.Context, msgID int64) (string, error) {
	return "SENDING", nil
}

func (f *fakeWeChat) Groups(ctx context.Context) ([]models.Group, error) {
	if f.groupsVia != nil {
		_, err := f.groupsVia.Groups(ctx)
		return nil, err
	}
	return []models.Group{{ID: 0, Name: "未分组", Count: 120}, {ID: 100, Name: "北京用户", Count: 42}}, nil
}

const (
	testToken = "qunfatesttoken"
	testAppID = "wx0123456789abcdef"
)

// testApp is the real router over a real store in a temp dir.
type testApp struct {
	t      testing.TB
	svc    *models.Service
	store  *models.Store // for assertions on what was stored
	srv    *httptest.Server
	client *http.Client
	now    time.Time
	codec  wechat.Codec
	wx     *fakeWeChat
}

func newTestApp(t testing.TB) *testApp {
	t.Helper()
	return newTestAppWithRules(t, models.Rules{})
}

// newTestAppWithRules is newTestApp with WeChat's limits set by the test.
func newTestAppWithRules(t testing.TB, rules models.Rules) *testApp {
	t.Helper()
	return newTestAppWith(t, appOptions{rules: rules})
}

// newClient is a browser-like client: cookies kept, redirects not followed.
func (ta *testApp) newClient() *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		ta.t.Fatal(err)
	}
	return &http.Client{
		Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

type response struct {
	status   int
	body     string
	header   http.Header
	location string
}

func (r response) doc(t testing.TB) *goquery.Document {
	t.Helper()
	d, err := goquery.NewDocumentFromReader(strings.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func (ta *testApp) do(c *http.Client, req *http.Request) response {
	ta.t.Helper()
	res, err := c.Do(req)
	if err != nil {
		ta.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		ta.t.Fatal(err)
	}
	return response{status: res.StatusCode, body: string(b), header: res.Header, location: res.Header.Get("Location")}
}

func (ta *testApp) get(path string) response {
	ta.t.Helper()
	return ta.getWith(ta.client, path)
}

func (ta *testApp) getWith(c *http.Client, path string) response {
	ta.t.Helper()
	req, err := http.NewRequest(http.MethodGet, ta.srv.URL+path, nil)
	if err != nil {
		ta.t.Fatal(err)
	}
	return ta.do(c, req)
}

func (ta *testApp) post(path string, form url.Values) response {
	ta.t.Helper()
	return ta.postWith(ta.client, path, form, nil)
}

func (ta *testApp) postWith(c *http.Client, path string, form url.Values, header http.Header) response {
	ta.t.Helper()
	req, err := http.NewRequest(http.MethodPost, ta.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		ta.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header[k] = v
	}
	return ta.do(c, req)
}

// csrf fetches a page and returns the token of its forms.
func (ta *testApp) csrf(path string) string {
	ta.t.Helper()
	r := ta.get(path)
	tok, ok := r.doc(ta.t).Find(`input[name=csrf_token]`).First().Attr("value")
	if !ok || tok == "" {
		ta.t.Fatalf("GET %s (%d): no csrf_token in the page", path, r.status)
	}
	return tok
}

// setupAndLogin creates the first operator through the setup page.
func (ta *testApp) setupAndLogin() {
	ta.t.Helper()
	tok := ta.csrf("/setup")
	r := ta.post("/setup", url.Values{"csrf_token": {tok}, "username": {"admin"}, "password": {"correct-horse"}})
	if r.status != http.StatusSeeOther || r.location != "/drafts" {
		ta.t.Fatalf("setup: %d %q\n%s", r.status, r.location, r.body)
	}
}

func jpegBytes(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for x := 0; x < 16; x++ {
		for y := 0; y < 16; y++ {
			img.Set(x, y, color.RGBA{uint8(x * 16), uint8(y * 16), 80, 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// uploadThumb posts a thumbnail as app.js does.
func (ta *testApp) uploadThumb(tok string, data []byte) response {
	ta.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("file", "cover.jpg")
	if err != nil {
		ta.t.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, ta.srv.URL+"/thumbs", &body)
	if err != nil {
		ta.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("X-CSRF-Token", tok)
	return ta.do(ta.client, req)
}

// The handler tests' WeChat has no followers unless a test says otherwise.
func (f *fakeWeChat) Followers(ctx context.Context, next string) (models.FollowerPage, error) {
	return models.FollowerPage{}, nil
}

func (f *fakeWeChat) Blacklist(ctx context.Context, begin string) (models.FollowerPage, error) {
	return models.FollowerPage{}, nil
}

func (f *fakeWeChat) FollowerDetails(ctx context.Context, openIDs []string) ([]models.FollowerInfo, error) {
	return nil, nil
}
