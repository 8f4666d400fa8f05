package models

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func previewKey(err error) string {
	var ve *ValidationError
	if !errors.As(err, &ve) {
		return ""
	}
	return ve.Fields[FieldPreviewTo]
}

func TestPreviewValidatesTheRecipient(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	d := f.draft(t, 1)
	cases := []struct {
		name, wx, openID, want string
	}{
		{"none", "", "", errPreviewToRequired},
		{"blank", "  ", " \t", errPreviewToRequired},
		{"both", "qunfa_demo", "oOPENID00000001", errPreviewToOne},
		{"wxname too short", "abcde", "", errPreviewWXName},
		{"wxname too long", "a1234567890123456789x", "", errPreviewWXName},
		{"wxname starts with a digit", "1qunfa_demo", "", errPreviewWXName},
		{"wxname with a dot", "qunfa.demo", "", errPreviewWXName},
		{"wxname in Chinese", "群发演示账号六个", "", errPreviewWXName},
		{"openid too short", "", "oAB", errPreviewOpenID},
		{"openid with a space inside", "", "oOPEN ID00000001", errPreviewOpenID},
		{"two openids", "", "oOPENID00000001,oOPENID00000002", errPreviewOpenID},
		{"openid with a bad character", "", "oOPENID0000000!", errPreviewOpenID},
		{"wxname of 6", "abc_-1", "", ""},
		{"wxname of 20", "a1234567890123456789", "", ""},
		{"wxname trimmed", "  qunfa_demo ", "", ""},
		{"openid", "", "oOPENID00000001", ""},
		{"openid trimmed", "", " oOPENID00000001\n", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := f.svc.Preview(ctx, PreviewInput{DraftID: d.ID, ToWXName: tc.wx, ToOpenID: tc.openID}, 1)
			if got := previewKey(err); got != tc.want {
				t.Fatalf("Preview(%q, %q): %v (key %q), want key %q", tc.wx, tc.openID, err, got, tc.want)
			}
			if tc.want == "" {
				if !p.OK() || p.ID == 0 || p.Recipient() != strings.TrimSpace(tc.wx+tc.openID) {
					t.Fatalf("preview = %+v", p)
				}
			}
		})
	}
	// Refused recipients never reach WeChat nor the record.
	list, err := f.svc.Previews(ctx, d.ID)
	if err != nil || len(list) != 5 || f.wx.count(endpointPreview) != 5 {
		t.Fatalf("%d previews recorded (%v), %d calls; want 5", len(list), err, f.wx.count(endpointPreview))
	}
}

func TestPreviewOfUnknownDraftOrTooManyArticles(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.svc.Preview(ctx, PreviewInput{DraftID: 999, ToWXName: "qunfa_demo"}, 1); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown draft: %v", err)
	}
	// Nine articles, saved under the seed's profile (10); then today's (8) is in force.
	long := f.draft(t, 9)
	if err := f.store.UseDefaultProfile(ctx, false); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Preview(ctx, PreviewInput{DraftID: long.ID, ToWXName: "qunfa_demo"}, 1); !isField(err, "draft") {
		t.Fatalf("9 articles under today's profile: %v", err)
	}
	if n := f.wx.count(EndpointUploadThumb) + f.wx.count(endpointPreview); n != 0 {
		t.Fatalf("%d calls made for a refused preview", n)
	}
}

// A preview uploads the thumbs and the news as a send would, counting them against the daily
// quota; the preview call itself is not counted. A second preview and the send after it reuse
// those uploads.
func TestPreviewUploadsCountButThePreviewDoesNot(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	d := f.draft(t, 2) // one shared thumb

	p, err := f.svc.Preview(ctx, PreviewInput{DraftID: d.ID, ToWXName: "qunfa_demo"}, 7)
	if err != nil {
		t.Fatal(err)
	}
	if p.MsgID == 0 || p.OperatorID != 7 || p.ToWXName != "qunfa_demo" || p.ToOpenID != "" || !p.At.Equal(f.clock.Now()) {
		t.Fatalf("preview = %+v", p)
	}
	if f.wx.count(EndpointUploadThumb) != 1 || f.wx.count(EndpointUploadNews) != 1 || f.wx.count(endpointPreview) != 1 {
		t.Fatalf("calls = %v", f.wx.calls)
	}
	if left, _ := f.svc.QuotaLeft(ctx); left != 8 {
		t.Fatalf("quota left = %d, want 8 (two uploads, the preview free)", left)
	}
	var rows []quotaCallRow
	f.store.gdb.Order("id").Find(&rows)
	if len(rows) != 2 || rows[0].Endpoint != EndpointUploadThumb || rows[1].Endpoint != EndpointUploadNews ||
		rows[0].SendID != nil || rows[0].Reserved || rows[1].Reserved {
		t.Fatalf("quota rows = %+v", rows)
	}
	if got := f.wx.previews[0]; got.mediaID != f.uploadedMediaID(t) || got.toWXName != "qunfa_demo" {
		t.Fatalf("previewed %+v", got)
	}

	// Again, by OpenID: nothing to upload.
	if _, err := f.svc.Preview(ctx, PreviewInput{DraftID: d.ID, ToOpenID: "oOPENID00000001"}, 7); err != nil {
		t.Fatal(err)
	}
	if f.wx.count(EndpointUploadThumb) != 1 || f.wx.count(EndpointUploadNews) != 1 || f.wx.count(endpointPreview) != 2 {
		t.Fatalf("second preview uploaded again: %v", f.wx.calls)
	}
	if got := f.wx.previews[1]; got.toOpenID != "oOPENID00000001" || got.toWXName != "" {
		t.Fatalf("previewed %+v", got)
	}
	// The send plans and makes only its sendall.
	plan, err := f.svc.PlanSend(ctx, SendInput{DraftID: d.ID, Target: TargetGroup, GroupID: 100})
	if err != nil || plan.CallsNeeded != 1 || plan.QuotaLeft != 8 {
		t.Fatalf("plan after the preview = %+v, %v", plan, err)
	}
	s, err := f.svc.StartSend(ctx, SendInput{DraftID: d.ID, Target: TargetGroup, GroupID: 100, Key: "k"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	runOnce(t, f.svc)
	if s = mustSend(t, f.svc, s.ID); s.State != StateSubmitted {
		t.Fatalf("send = %+v", s)
	}
	if f.wx.count(EndpointUploadThumb) != 1 || f.wx.count(EndpointUploadNews) != 1 {
		t.Fatalf("the send uploaded again: %v", f.wx.calls)
	}
}

// uploadedMediaID is the media id of the one news upload recorded.
func (f *fixture) uploadedMediaID(t *testing.T) string {
	t.Helper()
	var rows []newsUploadRow
	if err := f.store.gdb.Find(&rows).Error; err != nil || len(rows) != 1 {
		t.Fatalf("news uploads = %+v (%v)", rows, err)
	}
	return rows[0].MediaID
}

// Under today's profile the media_id comes from draft/add, also counted; the cover goes up as a
// permanent material, which is not.
func TestPreviewUsesTheProfilesUploadPath(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	d := f.draft(t, 1)
	if err := f.store.UseDefaultProfile(ctx, false); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Preview(ctx, PreviewInput{DraftID: d.ID, ToWXName: "qunfa_demo"}, 1); err != nil {
		t.Fatal(err)
	}
	if f.wx.count(EndpointAddDraft) != 1 || f.wx.count(EndpointUploadNews) != 0 ||
		f.wx.count(EndpointAddMaterial) != 1 || f.wx.count(EndpointUploadThumb) != 0 {
		t.Fatalf("calls = %v", f.wx.calls)
	}
	if left, _ := f.svc.QuotaLeft(ctx); left != 9 {
		t.Fatalf("quota left = %d", left)
	}
}

// The plan's quota check applies: uploads beyond today's quota left are not attempted, and no
// preview is recorded; with the uploads already made, no quota is needed at all.
func TestPreviewQuotaExceeded(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	d := f.draft(t, 1)
	for i := 0; i < 9; i++ { // one call left; the preview needs two uploads
		if err := f.svc.useQuota(ctx, 0, EndpointSendAll); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.svc.Preview(ctx, PreviewInput{DraftID: d.ID, ToWXName: "qunfa_demo"}, 1); !errors.Is(err, ErrQuotaExceeded) {
		t.Fatalf("err = %v, want ErrQuotaExceeded", err)
	}
	if len(f.wx.calls) != 0 {
		t.Fatalf("calls made: %v", f.wx.calls)
	}
	if list, _ := f.svc.Previews(ctx, d.ID); len(list) != 0 {
		t.Fatalf("recorded %+v", list)
	}

	f.clock.Advance(24 * time.Hour) // a new Beijing day
	if _, err := f.svc.Preview(ctx, PreviewInput{DraftID: d.ID, ToWXName: "qunfa_demo"}, 1); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 8; i++ { // the quota used up
		f.svc.useQuota(ctx, 0, EndpointSendAll)
	}
	if left, _ := f.svc.QuotaLeft(ctx); left != 0 {
		t.Fatalf("left = %d", left)
	}
	if _, err := f.svc.Preview(ctx, PreviewInput{DraftID: d.ID, ToOpenID: "oOPENID00000001"}, 1); err != nil {
		t.Fatalf("a preview needing no upload with no quota left: %v", err)
	}
}

// WeChat's refusals (45009: towxname over its daily limit; 48001: no permission) are recorded
// with their errcode and returned; the uploads before them stay made and counted.
func TestPreviewRefusalsAreRecorded(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	d := f.draft(t, 1)
	f.wx.failPreview = []error{&fakeAPIError{code: 45009}, &fakeAPIError{code: 48001}}

	p, err := f.svc.Preview(ctx, PreviewInput{DraftID: d.ID, ToWXName: "qunfa_demo"}, 3)
	if ae, ok := asAPIError(err); !ok || ae.Errcode() != 45009 {
		t.Fatalf("err = %v, want WeChat's 45009", err)
	}
	if p.ID == 0 || p.Errcode != 45009 || p.OK() || p.MsgID != 0 || !strings.Contains(p.Errmsg, "45009") {
		t.Fatalf("recorded %+v", p)
	}
	p, err = f.svc.Preview(ctx, PreviewInput{DraftID: d.ID, ToOpenID: "oOPENID00000001"}, 3)
	if ae, ok := asAPIError(err); !ok || ae.Errcode() != 48001 || p.Errcode != 48001 {
		t.Fatalf("err = %v, preview %+v; want 48001", err, p)
	}
	if f.wx.count(EndpointUploadThumb) != 1 || f.wx.count(EndpointUploadNews) != 1 {
		t.Fatalf("uploads = %v, want one of each, reused by the second preview", f.wx.calls)
	}
	if left, _ := f.svc.QuotaLeft(ctx); left != 8 {
		t.Fatalf("quota left = %d", left)
	}

	// Then one that goes out. The list is newest first, each with its answer.
	if _, err := f.svc.Preview(ctx, PreviewInput{DraftID: d.ID, ToWXName: "qunfa_demo"}, 3); err != nil {
		t.Fatal(err)
	}
	list, err := f.svc.Previews(ctx, d.ID)
	if err != nil || len(list) != 3 {
		t.Fatalf("previews = %+v, %v", list, err)
	}
	if !list[0].OK() || list[0].MsgID == 0 || list[1].Errcode != 48001 || list[1].ToOpenID != "oOPENID00000001" ||
		list[2].Errcode != 45009 || list[2].ToWXName != "qunfa_demo" {
		t.Fatalf("previews = %+v", list)
	}
	// Another draft's list is its own.
	other := f.draft(t, 1)
	if list, _ := f.svc.Previews(ctx, other.ID); len(list) != 0 {
		t.Fatalf("other draft's previews = %+v", list)
	}
}

// A timeout (not an errcode) is recorded too, with errcode 0 and the cause.
func TestPreviewTransportFailureIsRecorded(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	d := f.draft(t, 1)
	f.wx.failPreview = []error{context.DeadlineExceeded}
	p, err := f.svc.Preview(ctx, PreviewInput{DraftID: d.ID, ToWXName: "qunfa_demo"}, 1)
	if !errors.Is(err, context.DeadlineExceeded) || p.ID == 0 || p.OK() || p.Errcode != 0 || p.Errmsg == "" {
		t.Fatalf("preview = %+v, %v", p, err)
	}
}

// WeChat forgot the media ids (a restarted sandbox): the preview uploads again once and goes out.
func TestPreviewUploadsAgainAfter40007(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	d := f.draft(t, 1)
	if _, err := f.svc.Preview(ctx, PreviewInput{DraftID: d.ID, ToWXName: "qunfa_demo"}, 1); err != nil {
		t.Fatal(err)
	}
	f.wx.forgetAll()
	p, err := f.svc.Preview(ctx, PreviewInput{DraftID: d.ID, ToWXName: "qunfa_demo"}, 1)
	if err != nil || !p.OK() {
		t.Fatalf("preview after WeChat forgot = %+v, %v", p, err)
	}
	if f.wx.count(EndpointUploadThumb) != 2 || f.wx.count(EndpointUploadNews) != 2 || f.wx.count(endpointPreview) != 3 {
		t.Fatalf("calls = %v", f.wx.calls)
	}
	if left, _ := f.svc.QuotaLeft(ctx); left != 6 {
		t.Fatalf("quota left = %d, want 6", left)
	}
	if list, _ := f.svc.Previews(ctx, d.ID); len(list) != 2 {
		t.Fatalf("previews = %+v, want one record per preview", list)
	}
}

// WeChat allows 100 previews by WeChat ID a Beijing day; the 101st is refused before any call.
// Previews by OpenID are not limited.
func TestPreviewWXNameDailyLimit(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	d := f.draft(t, 1)
	for i := 0; i < previewDailyWXName; i++ {
		row := previewRow{DraftID: d.ID, ToWXName: "qunfa_demo", MsgID: int64(i + 1), At: f.clock.Now()}
		if err := f.store.gdb.Create(&row).Error; err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.svc.Preview(ctx, PreviewInput{DraftID: d.ID, ToWXName: "qunfa_demo"}, 1); previewKey(err) != errPreviewWXNameDaily {
		t.Fatalf("101st preview by WeChat ID: %v", err)
	}
	if len(f.wx.calls) != 0 {
		t.Fatalf("calls made: %v", f.wx.calls)
	}
	if _, err := f.svc.Preview(ctx, PreviewInput{DraftID: d.ID, ToOpenID: "oOPENID00000001"}, 1); err != nil {
		t.Fatalf("preview by OpenID: %v", err)
	}
	f.clock.Advance(14 * time.Hour) // 10:00 → 00:00 Beijing the next day
	if _, err := f.svc.Preview(ctx, PreviewInput{DraftID: d.ID, ToWXName: "qunfa_demo"}, 1); err != nil {
		t.Fatalf("the next Beijing day: %v", err)
	}
}

// blockingSend is the fake WeChat with a sendall that waits until released, outside the fake's
// lock: a worker pass stuck in a slow WeChat call.
type blockingSend struct {
	*fakeWeChat
	entered, release chan struct{}
}

func (b blockingSend) SendAll(ctx context.Context, filter MassFilter, mediaID, clientMsgID string) (MassResult, error) {
	close(b.entered)
	<-b.release
	return b.fakeWeChat.SendAll(ctx, filter, mediaID, clientMsgID)
}

// A preview does not wait for a worker pass: while the worker is blocked in a mass call, a
// preview of the same draft goes out (and uses the uploads the send made).
func TestPreviewFinishesWhileTheWorkerIsInAWeChatCall(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	wx := blockingSend{fakeWeChat: f.wx, entered: make(chan struct{}), release: make(chan struct{})}
	svc := NewService(f.store, wx, Rules{DailyQuota: 10, Now: f.clock.Now}, nil)
	d := f.draft(t, 1)
	if _, err := svc.StartSend(ctx, SendInput{DraftID: d.ID, Target: TargetGroup, GroupID: 100, Key: "slow"}, 1); err != nil {
		t.Fatal(err)
	}
	pass := make(chan error, 1)
	go func() { pass <- svc.RunOnce(ctx) }()
	<-wx.entered

	previewed := make(chan error, 1)
	go func() {
		p, err := svc.Preview(ctx, PreviewInput{DraftID: d.ID, ToWXName: "qunfa_demo"}, 1)
		if err == nil && !p.OK() {
			err = errors.New("preview not OK")
		}
		previewed <- err
	}()
	waited := false
	select {
	case err := <-previewed:
		if err != nil {
			t.Errorf("preview during a worker pass: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Error("the preview waited for the worker pass")
		waited = true
	}
	close(wx.release)
	if err := <-pass; err != nil {
		t.Fatal(err)
	}
	if waited {
		<-previewed
	}
	if f.wx.count(EndpointUploadThumb) != 1 || f.wx.count(EndpointUploadNews) != 1 || f.wx.count(endpointPreview) != 1 {
		t.Fatalf("calls = %v; want the preview to use the send's uploads", f.wx.calls)
	}
}
