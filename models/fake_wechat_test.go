package models

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// fakeAPIError is a WeChat errcode as models sees it.
type fakeAPIError struct {
	code     int
	existing int64
}

func (e *fakeAPIError) Error() string        { return fmt.Sprintf("wechat: errcode %d", e.code) }
func (e *fakeAPIError) Errcode() int         { return e.code }
func (e *fakeAPIError) ExistingMsgID() int64 { return e.existing }

// fakeWeChat counts calls and remembers clientmsgids like WeChat does (45065 on reuse).
type fakeWeChat struct {
	mu        sync.Mutex
	calls     map[string]int
	jobs      map[string]int64 // clientmsgid → msg_id of a job WeChat accepted
	nextMsgID int64
	nextMedia int
	groups    []Group
	openIDs   [][]string
	deleted   []int64
	statuses  map[int64]string
	audience  *fakeAudience // followers (fake_followers_test.go); nil: none

	// failSend: errors returned by the next send calls, in order. A failure with afterAccept set
	// happens after WeChat accepted the job (a lost response).
	failSend []sendFailure
	failNews error
	// forgotten: media ids this WeChat no longer knows (a restarted sandbox,
	// an early expiry); using one gives 40007.
	forgotten map[string]bool
	filters   []MassFilter // every sendall's audience
	issued    []string
	onSend    func() // called during every send call (e.g. to cancel the worker's ctx)

	// failImage: errors returned by the next uploadimg calls, in order.
	failImage []error
	images    [][]byte        // what uploadimg received, in order
	news      [][]NewsArticle // what uploadnews received, in order

	// failPreview: errors returned by the next preview calls, in order.
	failPreview []error
	previews    []fakePreview // previews accepted, in order

	// Today's draft box: covers of draft/add must be permanent materials, and a draft leaves the
	// box when a mass send takes it (later use → 40007, but a repeated clientmsgid → 45065 first).
	materials map[string]bool // material/add_material ids
	drafts    map[string]bool // draft/add ids
	taken     map[string]bool // drafts a mass send took
	massMedia []string        // the media id of every mass call, in order

	// quotas: what openapi/quota/get answers per endpoint; an endpoint not in it answers
	// ErrQuotaUnanswered (76021). quotaErr, when set, is answered for every endpoint.
	quotas   map[string]QuotaInfo
	quotaErr error
}

// fakePreview is a message/mass/preview the fake accepted.
type fakePreview struct {
	toWXName, toOpenID, mediaID string
	msgID                       int64
}

// endpointPreview is how the fake counts message/mass/preview (not a quota endpoint).
const endpointPreview = "message/mass/preview"

type sendFailure struct {
	err         error
	afterAccept bool
}

func newFakeWeChat() *fakeWeChat {
	return &fakeWeChat{
		calls: map[string]int{}, jobs: map[string]int64{}, nextMsgID: 1000, statuses: map[int64]string{},
		materials: map[string]bool{}, drafts: map[string]bool{}, taken: map[string]bool{},
		groups: []Group{{0, "未分组", 50}, {1, "黑名单", 1}, {100, "北京用户", 20}},
	}
}

func (f *fakeWeChat) count(ep string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[ep]
}

func (f *fakeWeChat) accepted() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.jobs)
}

func (f *fakeWeChat) UploadThumb(ctx context.Context, filename string, data []byte) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[EndpointUploadThumb]++
	f.nextMedia++
	id := fmt.Sprintf("thumb-media-%d", f.nextMedia)
	f.issued = append(f.issued, id)
	return id, nil
}

func (f *fakeWeChat) AddThumbMaterial(ctx context.Context, filename string, data []byte) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[EndpointAddMaterial]++
	f.nextMedia++
	id := fmt.Sprintf("material-%d", f.nextMedia)
	f.issued = append(f.issued, id)
	f.materials[id] = true
	return id, nil
}

// endpointUploadImg is how the fake counts uploadimg (not a quota endpoint).
const endpointUploadImg = "media/uploadimg"

func (f *fakeWeChat) UploadImage(ctx context.Context, filename string, data []byte) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[endpointUploadImg]++
	if len(f.failImage) > 0 {
		err := f.failImage[0]
		f.failImage = f.failImage[1:]
		return "", err
	}
	f.images = append(f.images, append([]byte(nil), data...))
	return fmt.Sprintf("http://mmbiz.qpic.cn/mmbiz_jpg/fake%d/0", len(f.images)), nil
}

// uploadedNews returns what the last uploadnews call received.
func (f *fakeWeChat) uploadedNews() []NewsArticle {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.news) == 0 {
		return nil
	}
	return f.news[len(f.news)-1]
}

func (f *fakeWeChat) UploadNews(ctx context.Context, arts []NewsArticle) (string, error) {
	return f.news_(EndpointUploadNews, arts)
}

// AddDraft is draft/add: the same checks, counted apart.
func (f *fakeWeChat) AddDraft(ctx context.Context, arts []NewsArticle) (string, error) {
	return f.news_(EndpointAddDraft, arts)
}

func (f *fakeWeChat) news_(ep string, arts []NewsArticle) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[ep]++
	f.news = append(f.news, append([]NewsArticle(nil), arts...))
	if f.failNews != nil {
		return "", f.failNews
	}
	for _, a := range arts {
		if a.ThumbMediaID == "" || f.forgotten[a.ThumbMediaID] {
			return "", &fakeAPIError{code: 40007}
		}
		if ep == EndpointAddDraft && !f.materials[a.ThumbMediaID] {
			return "", &fakeAPIError{code: 40007} // draft/add: 必须是永久MediaID
		}
	}
	f.nextMedia++
	id := fmt.Sprintf("news-media-%d", f.nextMedia)
	if ep == EndpointAddDraft {
		id = fmt.Sprintf("draft-media-%d", f.nextMedia)
		f.drafts[id] = true
	}
	f.issued = append(f.issued, id)
	return id, nil
}

// forget makes the given media ids unknown (a material deleted in the WeChat backend, say).
func (f *fakeWeChat) forget(ids ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.forgotten == nil {
		f.forgotten = map[string]bool{}
	}
	for _, id := range ids {
		f.forgotten[id] = true
	}
}

// mediaOfMassCalls returns the media id of every mass call so far.
func (f *fakeWeChat) mediaOfMassCalls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.massMedia...)
}

// forgetAll makes every media id issued so far unknown.
func (f *fakeWeChat) forgetAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.forgotten == nil {
		f.forgotten = map[string]bool{}
	}
	for _, id := range f.issued {
		f.forgotten[id] = true
	}
}

func (f *fakeWeChat) mass(ep, mediaID, clientMsgID string) (MassResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[ep]++
	f.massMedia = append(f.massMedia, mediaID)
	if f.onSend != nil {
		f.onSend()
	}
	if f.forgotten[mediaID] {
		return MassResult{}, &fakeAPIError{code: 40007}
	}
	if id, ok := f.jobs[clientMsgID]; ok {
		return MassResult{MsgID: id}, &fakeAPIError{code: 45065, existing: id}
	}
	if f.taken[mediaID] {
		return MassResult{}, &fakeAPIError{code: 40007} // the draft left the draft box
	}
	var fail *sendFailure
	if len(f.failSend) > 0 {
		fail = &f.failSend[0]
		f.failSend = f.failSend[1:]
		if !fail.afterAccept {
			return MassResult{}, fail.err
		}
	}
	f.nextMsgID++
	f.jobs[clientMsgID] = f.nextMsgID
	if f.drafts[mediaID] {
		f.taken[mediaID] = true
	}
	if fail != nil {
		return MassResult{}, fail.err
	}
	return MassResult{MsgID: f.nextMsgID, MsgDataID: f.nextMsgID * 10}, nil
}

func (f *fakeWeChat) SendAll(ctx context.Context, filter MassFilter, mediaID, clientMsgID string) (MassResult, error) {
	f.mu.Lock()
	f.filters = append(f.filters, filter)
	f.mu.Unlock()
	return f.mass(EndpointSendAll, mediaID, clientMsgID)
}

func (f *fakeWeChat) SendToOpenIDs(ctx context.Context, ids []string, mediaID, clientMsgID string) (MassResult, error) {
	f.mu.Lock()
	f.openIDs = append(f.openIDs, ids)
	f.mu.Unlock()
	return f.mass(EndpointSend, mediaID, clientMsgID)
}

func (f *fakeWeChat) DeleteMass(ctx context.Context, msgID int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[EndpointDelete]++
	f.deleted = append(f.deleted, msgID)
	return nil
}

func (f *fakeWeChat) Preview(ctx context.Context, toWXName, toOpenID, mediaID string) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[endpointPreview]++
	if len(f.failPreview) > 0 {
		err := f.failPreview[0]
		f.failPreview = f.failPreview[1:]
		return 0, err
	}
	if mediaID == "" || f.forgotten[mediaID] || f.taken[mediaID] {
		return 0, &fakeAPIError{code: 40007}
	}
	f.nextMsgID++
	f.previews = append(f.previews, fakePreview{toWXName, toOpenID, mediaID, f.nextMsgID})
	return f.nextMsgID, nil
}

func (f *fakeWeChat) MassStatus(ctx context.Context, msgID int64) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["message/mass/get"]++
	if st, ok := f.statuses[msgID]; ok {
		return st, nil
	}
	return "SENDING", nil
}

// Tags are today's audiences: their own ids, names and counts.
func (f *fakeWeChat) Tags(ctx context.Context) ([]Group, error) {
	return []Group{{2, "星标组", 7}, {134, "广东", 30}}, nil
}

func (f *fakeWeChat) Groups(ctx context.Context) ([]Group, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Group(nil), f.groups...), nil
}

// testClock is an injected clock.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type fixture struct {
	path  string
	store *Store
	svc   *Service
	wx    *fakeWeChat
	clock *testClock
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{
		path:  filepath.Join(t.TempDir(), "qunfa.db"),
		wx:    newFakeWeChat(),
		clock: &testClock{t: time.Date(2025, 3, 10, 2, 0, 0, 0, time.UTC)}, // 10:00 Beijing
	}
	if fixturesOnPostgres() {
		f.path = newPostgresDB(t) // a database of its own; reopened by Open(f.path) like the file
	}
	st, err := Open(f.path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	f.store = st
	f.svc = f.newService(st)
	return f
}

func (f *fixture) newService(st *Store) *Service {
	return NewService(st, f.wx, Rules{DailyQuota: 10, Now: f.clock.Now, RetryBackoff: time.Second, MaxAttempts: 3,
		ReconcileAfter: 10 * time.Minute}, nil)
}

func jpegBytes(t *testing.T, shade uint8) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 32, 32))
	for x := 0; x < 32; x++ {
		for y := 0; y < 32; y++ {
			img.Set(x, y, color.RGBA{shade, uint8(x * 8), uint8(y * 8), 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// draft saves a draft with n articles sharing one thumb.
func (f *fixture) draft(t *testing.T, n int) Draft {
	t.Helper()
	d, err := f.svc.SaveDraft(context.Background(), 0, f.draftInputT(t, n), 1)
	if err != nil {
		t.Fatalf("SaveDraft: %v", err)
	}
	return d
}

// draftInputT is a valid n-article draft sharing one stored thumb.
func (f *fixture) draftInputT(t *testing.T, n int) DraftInput {
	t.Helper()
	th, err := f.svc.SaveThumb(context.Background(), "cover.jpg", jpegBytes(t, 10))
	if err != nil {
		t.Fatalf("SaveThumb: %v", err)
	}
	var in DraftInput
	for i := 0; i < n; i++ {
		in.Articles = append(in.Articles, ArticleInput{Title: fmt.Sprintf("标题 %d", i), Content: "<p>正文</p>", ThumbID: th.ID})
	}
	return in
}

func openIDList(n int) string {
	var b bytes.Buffer
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "oOPENID%08d\n", i)
	}
	return b.String()
}

// endpointQuotaGet is how the fake counts openapi/quota/get (not a quota endpoint).
const endpointQuotaGet = "openapi/quota/get"

func (f *fakeWeChat) Quota(ctx context.Context, endpoint string) (QuotaInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[endpointQuotaGet]++
	if f.quotaErr != nil {
		return QuotaInfo{}, f.quotaErr
	}
	q, ok := f.quotas[endpoint]
	if !ok {
		return QuotaInfo{}, fmt.Errorf("fake quota/get %s: %w", endpoint, ErrQuotaUnanswered)
	}
	q.Endpoint = endpoint
	return q, nil
}
