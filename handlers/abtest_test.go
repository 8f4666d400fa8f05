package handlers

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"qunfa/models"
	"qunfa/views/i18n"
	"qunfa/wechat"
)

// testReads are read figures a test hands the A/B pages, per send.
type testReads struct {
	mu sync.Mutex
	n  map[uint]int64
}

func (r *testReads) ReadsOfSend(_ context.Context, id uint) (int64, bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n, ok := r.n[id]
	return n, ok, nil
}

func (r *testReads) set(id uint, n int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n[id] = n
}

// postMultipart posts fields and, when data is not nil, a file under name "cover_b".
func (ta *testApp) postMultipart(path string, fields url.Values, data []byte) response {
	ta.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, vs := range fields {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	if data != nil {
		fw, _ := mw.CreateFormFile("cover_b", "b.jpg")
		fw.Write(data)
	}
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, ta.srv.URL+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return ta.do(ta.client, req)
}

// finishAll reports every batch of send id finished, everything sent, through the callback.
func (ta *testApp) finishAll(t *testing.T, id uint) {
	t.Helper()
	s, err := ta.svc.Send(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range s.Batches {
		ev := wechat.Event{ToUserName: "gh_0123456789ab", FromUserName: "oFromUser0001", CreateTime: ta.now.Unix(),
			MsgType: "event", Event: "MASSSENDJOBFINISH", MsgID: b.MsgID, Status: "send success",
			TotalCount: b.OpenIDCount, FilterCount: b.OpenIDCount, SentCount: b.OpenIDCount}
		if r := ta.callback(ev, ta.now, nil); r.status != http.StatusOK {
			t.Fatalf("callback: %d", r.status)
		}
	}
}

// From a draft's send page to an A/B test: the form (audience from the synced table), the two
// sends, the list and the test's page; then, with both finished and the reads in, the verdict in
// words with z and p, and the winner to the rest in one action, audited.
func TestABTestPages(t *testing.T) {
	var path string
	reads := &testReads{n: map[uint]int64{}}
	ta := newTestAppWith(t, appOptions{dbPath: &path, rules: models.Rules{DailyQuota: 100}, reads: reads})
	ta.setupAndLogin()
	db := openDB(t, path)
	for i := range 800 {
		exec(t, db, `INSERT INTO followers (open_id, subscribed, subscribed_at, group_id, updated_at) VALUES (?, 1, ?, 100, ?)`,
			fmt.Sprintf("oABpage%06d", i), ta.now.UTC(), ta.now.UTC())
	}
	draft := ta.createDraft("原标题")

	send := ta.get("/drafts/" + draft + "/send").doc(t)
	href, _ := send.Find(`[data-testid=abtest-entry]`).Attr("href")
	if href != "/drafts/"+draft+"/abtest" {
		t.Fatalf("send page's A/B entry: %q", href)
	}
	form := ta.get(href)
	fdoc := form.doc(t)
	if form.status != http.StatusOK || fdoc.Find(`option[value="group:100"]`).Length() != 1 || fdoc.Find(`[data-testid=abtest-title-a]`).Text() != "原标题" {
		t.Fatalf("A/B form: %d\n%.2000s", form.status, form.body)
	}
	tok, _ := fdoc.Find(`input[name=csrf_token]`).Attr("value")
	key, _ := fdoc.Find(`input[name=key]`).Attr("value")
	fields := url.Values{"csrf_token": {tok}, "key": {key}, "audience": {"group:100"}, "title_b": {"新标题"},
		"share": {"25"}, "judge_hours": {"0"}}

	// Refused: a cover that is not a JPEG, nothing changed; the form again, 422, saying why.
	bad := ta.postMultipart(href, fields, []byte("not a jpeg"))
	if bad.status != http.StatusUnprocessableEntity || bad.doc(t).Find(`[data-field=cover_b]`).Text() != i18n.T("zh", "err.thumb_not_jpeg") {
		t.Fatalf("bad cover: %d\n%.1500s", bad.status, bad.body)
	}
	same := url.Values{}
	for k, v := range fields {
		same[k] = v
	}
	same.Set("title_b", "")
	if r := ta.post(href, same); r.status != http.StatusUnprocessableEntity || r.doc(t).Find(`[data-field=title_b]`).Text() != i18n.T("zh", "err.abtest_no_change") {
		t.Fatalf("no change: %d", r.status)
	}

	r := ta.postMultipart(href, fields, jpegBytes(t))
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/abtests/") {
		t.Fatalf("create: %d %q\n%.1500s", r.status, r.location, r.body)
	}
	if again := ta.postMultipart(href, fields, jpegBytes(t)); again.location != r.location {
		t.Fatalf("double click: %q, first %q", again.location, r.location)
	}
	id, _ := strconv.ParseUint(strings.TrimPrefix(r.location, "/abtests/"), 10, 32)
	ab, err := ta.svc.ABTest(context.Background(), uint(id))
	if err != nil || ab.HalfSize != 200 || !ab.CoverB {
		t.Fatalf("test: %+v %v", ab, err)
	}
	if n := batchOpenIDs(t, db, int(ab.SendAID)); n != 200 {
		t.Fatalf("send A to %d", n)
	}

	list := ta.get("/abtests").doc(t)
	if list.Find(`[data-testid=abtest-row]`).Length() != 1 {
		t.Fatal("list: no row")
	}
	page := ta.get(r.location).doc(t)
	if st, _ := page.Find(`[data-testid=abtest-result]`).Attr("data-status"); st != models.ABStatusSending {
		t.Fatalf("before the sends: %q", st)
	}
	if page.Find(`[data-testid=abtest-variant]`).Length() != 2 || page.Find(`[data-testid=abtest-send-winner]`).Length() != 0 {
		t.Fatal("variants or an early winner action")
	}

	if err := ta.svc.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	ta.finishAll(t, ab.SendAID)
	ta.finishAll(t, ab.SendBID)
	page = ta.get(r.location).doc(t)
	if st, _ := page.Find(`[data-testid=abtest-result]`).Attr("data-status"); st != models.ABStatusNoReads ||
		page.Find(`[data-testid=abtest-status]`).Text() != i18n.T("zh", models.ABStatusNoReads) {
		t.Fatalf("without reads: %q %q", st, page.Find(`[data-testid=abtest-status]`).Text())
	}
	// Too few readers in A: no verdict, and the page says why.
	reads.set(ab.SendAID, 3)
	reads.set(ab.SendBID, 60)
	page = ta.get(r.location).doc(t)
	if page.Find(`[data-testid=abtest-verdict]`).Text() != i18n.T("zh", "abtest.verdict.too_few") || page.Find(`[data-testid=abtest-too-few]`).Length() != 1 {
		t.Fatalf("small sample: %q", page.Find(`[data-testid=abtest-result]`).Text())
	}
	// 40/200 against 60/200: z = −2.31, p = 0.0209: B is better.
	reads.set(ab.SendAID, 40)
	page = ta.get(r.location).doc(t)
	if v := page.Find(`[data-testid=abtest-verdict]`).Text(); strings.TrimSpace(v) != "B 更好，置信度 95%" {
		t.Fatalf("verdict %q", v)
	}
	if z := page.Find(`[data-testid=abtest-z]`).Text(); z != "z = -2.31，p = 0.0209（双侧）" {
		t.Fatalf("z line %q", z)
	}
	if rate := page.Find(`[data-variant=B] [data-testid=abtest-rate]`).Text(); strings.TrimSpace(rate) != "30.0%" {
		t.Fatalf("B's rate %q", rate)
	}

	btn := page.Find(`[data-testid=abtest-send-winner]`)
	if btn.Length() != 1 || !strings.Contains(btn.Text(), "400") {
		t.Fatalf("winner action: %q", btn.Text())
	}
	tok, _ = page.Find(`input[name=csrf_token]`).Attr("value")
	w := ta.post(r.location+"/winner", url.Values{"csrf_token": {tok}})
	if w.status != http.StatusSeeOther || w.location != r.location {
		t.Fatalf("winner: %d %q\n%.1000s", w.status, w.location, w.body)
	}
	ab, _ = ta.svc.ABTest(context.Background(), uint(id))
	if ab.Winner != "B" || ab.WinnerSendID == 0 || batchOpenIDs(t, db, int(ab.WinnerSendID)) != 400 {
		t.Fatalf("after the winner: %+v", ab)
	}
	ws, _ := ta.svc.Send(context.Background(), ab.WinnerSendID)
	if ws.Title != "新标题" || ws.Target != models.TargetOpenIDs {
		t.Fatalf("winner send: %q %s", ws.Title, ws.Target)
	}
	page = ta.get(r.location).doc(t)
	if h, _ := page.Find(`[data-testid=abtest-winner-send] a`).Attr("href"); h != fmt.Sprintf("/sends/%d", ab.WinnerSendID) {
		t.Fatalf("winner link %q", h)
	}
	audit := ta.get("/audit").body
	for _, k := range []string{"audit.action.abtest.create", "audit.action.abtest.winner"} {
		if !strings.Contains(audit, i18n.T("zh", k)) {
			t.Errorf("audit log lacks %q", i18n.T("zh", k))
		}
	}
}
