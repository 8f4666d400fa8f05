package models

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func runOnce(t *testing.T, svc *Service) {
	t.Helper()
	if err := svc.RunOnce(context.Background()); err != nil {
		t.Fatalf("RunOnce: %v", err)
	}
}

func mustSend(t *testing.T, svc *Service, id uint) Send {
	t.Helper()
	s, err := svc.Send(context.Background(), id)
	if err != nil {
		t.Fatalf("Send(%d): %v", id, err)
	}
	return s
}

func historyActions(s Send) []string {
	var a []string
	for _, h := range s.History {
		a = append(a, h.Action)
	}
	return a
}

func TestQuotaAcrossBeijingMidnight(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.clock.t = time.Date(2025, 3, 10, 15, 58, 0, 0, time.UTC) // 23:58 Beijing
	for i := 0; i < 10; i++ {
		if err := f.svc.useQuota(ctx, 0, EndpointUploadThumb); err != nil {
			t.Fatal(err)
		}
	}
	if left, _ := f.svc.QuotaLeft(ctx); left != 0 {
		t.Fatalf("left before midnight = %d", left)
	}
	f.clock.Advance(3 * time.Minute) // 00:01 Beijing, still 16:01 UTC on the same UTC day
	if left, _ := f.svc.QuotaLeft(ctx); left != 10 {
		t.Fatalf("left after Beijing midnight = %d", left)
	}
}

func TestPlanSend(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	d := f.draft(t, 2) // two articles, one shared thumb

	cases := []struct {
		name                  string
		in                    SendInput
		calls, batches, recip int
		everyone              bool
	}{
		{"all", SendInput{DraftID: d.ID, Target: TargetAll}, 3, 1, 71, true},
		{"group", SendInput{DraftID: d.ID, Target: TargetGroup, GroupID: 100}, 3, 1, 20, false},
		{"openids", SendInput{DraftID: d.ID, Target: TargetOpenIDs, OpenIDs: openIDList(3)}, 3, 1, 3, false},
		{"openids split", SendInput{DraftID: d.ID, Target: TargetOpenIDs, OpenIDs: openIDList(25001)}, 5, 3, 25001, false},
	}
	for _, tc := range cases {
		p, err := f.svc.PlanSend(ctx, tc.in)
		if err != nil || p.CallsNeeded != tc.calls || p.Batches != tc.batches || p.Recipients != tc.recip || p.Everyone != tc.everyone || p.QuotaLeft != 10 {
			t.Errorf("%s: plan = %+v, %v", tc.name, p, err)
		}
	}
	p, _ := f.svc.PlanSend(ctx, SendInput{DraftID: d.ID, Target: TargetGroup, GroupID: 100})
	if p.GroupName != "北京用户" || len(p.Calls) != 3 || p.Calls[0] != (PlannedCall{Endpoint: EndpointUploadThumb, Count: 1}) ||
		p.Calls[1] != (PlannedCall{Endpoint: EndpointUploadNews, Count: 1}) || p.Calls[2] != (PlannedCall{Endpoint: EndpointSendAll, Count: 1}) {
		t.Errorf("calls = %+v", p.Calls)
	}

	invalid := []struct {
		in         SendInput
		field, key string
	}{
		{SendInput{DraftID: d.ID, Target: "bogus"}, "target", "err.target_invalid"},
		{SendInput{DraftID: d.ID, Target: TargetGroup, GroupID: 42}, "group", "err.group_not_found"},
		{SendInput{DraftID: d.ID, Target: TargetOpenIDs, OpenIDs: "oONLYONE1\noONLYONE1"}, "openids", "err.openids_too_few"},
	}
	for _, tc := range invalid {
		_, err := f.svc.PlanSend(ctx, tc.in)
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Fields[tc.field] != tc.key {
			t.Errorf("PlanSend(%+v) = %v; want %s=%s", tc.in.Target, err, tc.field, tc.key)
		}
	}
	if _, err := f.svc.PlanSend(ctx, SendInput{DraftID: 999, Target: TargetAll}); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown draft: %v", err)
	}

	// Problem lines are reported by the plan and refused by StartSend.
	in := SendInput{DraftID: d.ID, Target: TargetOpenIDs, OpenIDs: openIDList(3) + "bad!\n", Key: "k-problems"}
	p, err := f.svc.PlanSend(ctx, in)
	if err != nil || len(p.OpenIDProblems) != 1 || p.OpenIDProblems[0].Line != 4 {
		t.Fatalf("plan with problems = %+v, %v", p, err)
	}
	_, err = f.svc.StartSend(ctx, in, 1)
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Fields["openids"] != "err.openids_invalid" {
		t.Fatalf("StartSend with problems = %v", err)
	}

	// Quota: 25 001 OpenIDs need 5 calls; with 6 used only 4 are left.
	for i := 0; i < 6; i++ {
		_ = f.svc.useQuota(ctx, 0, EndpointDelete)
	}
	p, err = f.svc.PlanSend(ctx, SendInput{DraftID: d.ID, Target: TargetOpenIDs, OpenIDs: openIDList(25001)})
	if !errors.Is(err, ErrQuotaExceeded) || p.CallsNeeded != 5 || p.QuotaLeft != 4 {
		t.Fatalf("over quota: plan = %+v, %v", p, err)
	}
	if _, err := f.svc.StartSend(ctx, SendInput{DraftID: d.ID, Target: TargetOpenIDs, OpenIDs: openIDList(25001), Key: "k-over"}, 1); !errors.Is(err, ErrQuotaExceeded) {
		t.Fatalf("StartSend over quota = %v", err)
	}
}

func TestPlanReusesFreshUploads(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	d := f.draft(t, 1)
	s, err := f.svc.StartSend(ctx, SendInput{DraftID: d.ID, Target: TargetAll, Key: "first"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if s.State != StateQueued || len(s.Batches) != 1 {
		t.Fatalf("queued send = %+v", s)
	}
	if left, _ := f.svc.QuotaLeft(ctx); left != 7 {
		t.Fatalf("reservation: left = %d, want 7", left)
	}
	runOnce(t, f.svc)
	p, err := f.svc.PlanSend(ctx, SendInput{DraftID: d.ID, Target: TargetAll})
	if err != nil || p.CallsNeeded != 1 || p.QuotaLeft != 7 {
		t.Fatalf("plan after a send of the same content = %+v, %v", p, err)
	}
	// Three days later the media ids have expired: everything is uploaded again.
	f.clock.Advance(3 * 24 * time.Hour)
	p, _ = f.svc.PlanSend(ctx, SendInput{DraftID: d.ID, Target: TargetAll})
	if p.CallsNeeded != 3 {
		t.Fatalf("plan after expiry = %+v", p)
	}
	// Editing the draft invalidates the news upload but not the thumb.
	f.clock.t = f.clock.t.Add(-3 * 24 * time.Hour)
	if _, err := f.svc.SaveDraft(ctx, d.ID, DraftInput{Articles: []ArticleInput{{Title: "改了", Content: "<p>x</p>", ThumbID: *d.Articles[0].ThumbID}}}, 1); err != nil {
		t.Fatal(err)
	}
	p, _ = f.svc.PlanSend(ctx, SendInput{DraftID: d.ID, Target: TargetAll})
	if p.CallsNeeded != 2 {
		t.Fatalf("plan after edit = %+v", p)
	}
}

func TestSendHappyPathAndCallbacks(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	d := f.draft(t, 2)
	s, err := f.svc.StartSend(ctx, SendInput{DraftID: d.ID, Target: TargetGroup, GroupID: 100, Key: "k1"}, 3)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.DeleteSend(ctx, s.ID, 3); !errors.Is(err, ErrNotFinished) {
		t.Fatalf("delete while queued = %v", err)
	}
	runOnce(t, f.svc)
	s = mustSend(t, f.svc, s.ID)
	if s.State != StateSubmitted || len(s.Batches) != 1 || s.Batches[0].MsgID == 0 || s.Batches[0].State != StateSubmitted || s.SubmittedAt == nil {
		t.Fatalf("after RunOnce: %+v", s)
	}
	if f.wx.count(EndpointUploadThumb) != 1 || f.wx.count(EndpointUploadNews) != 1 || f.wx.count(EndpointSendAll) != 1 {
		t.Fatalf("calls = %v", f.wx.calls)
	}
	var reserved, used int64
	f.store.gdb.Model(&quotaCallRow{}).Where("reserved = ?", true).Count(&reserved)
	f.store.gdb.Model(&quotaCallRow{}).Where("reserved = ?", false).Count(&used)
	if reserved != 0 || used != 3 {
		t.Fatalf("quota rows: reserved %d used %d", reserved, used)
	}
	if err := f.svc.DeleteSend(ctx, s.ID, 3); !errors.Is(err, ErrNotFinished) {
		t.Fatalf("delete while submitted = %v", err)
	}

	msgID := s.Batches[0].MsgID
	ev := JobFinished{MsgID: msgID, Status: "send success", Total: 20, Filter: 18, Sent: 17, Error: 1, CreateTime: 1700000000, FromUser: "mphelper", Raw: []byte("<xml/>")}
	for i, wantDup := range []bool{false, true, true} {
		dup, err := f.svc.RecordJobFinished(ctx, ev)
		if err != nil || dup != wantDup {
			t.Fatalf("RecordJobFinished #%d = %v, %v", i+1, dup, err)
		}
	}
	s = mustSend(t, f.svc, s.ID)
	if s.State != StateFinished || s.Total != 20 || s.Filter != 18 || s.Sent != 17 || s.Error != 1 || s.Status != "send success" || s.FinishedAt == nil {
		t.Fatalf("after callback: %+v", s)
	}
	var events int64
	f.store.gdb.Model(&callbackEventRow{}).Count(&events)
	if events != 1 {
		t.Fatalf("callback rows = %d", events)
	}
	if dup, err := f.svc.RecordJobFinished(ctx, JobFinished{MsgID: 424242, Status: "send fail"}); err != nil || dup {
		t.Fatalf("unknown msg_id: %v, %v", dup, err)
	}
	f.store.gdb.Model(&callbackEventRow{}).Count(&events)
	if events != 2 {
		t.Fatalf("unknown msg_id not stored: %d rows", events)
	}
	for i := 0; i < 2; i++ {
		if err := f.svc.RecordOtherEvent(ctx, "subscribe", "oUSER0001", 1700000001, []byte("<xml/>")); err != nil {
			t.Fatal(err)
		}
	}
	f.store.gdb.Model(&callbackEventRow{}).Count(&events)
	if events != 3 {
		t.Fatalf("other event dedup: %d rows", events)
	}

	if err := f.svc.DeleteSend(ctx, s.ID, 3); err != nil {
		t.Fatalf("DeleteSend: %v", err)
	}
	if err := f.svc.DeleteSend(ctx, s.ID, 3); !errors.Is(err, ErrAlreadyDeleted) {
		t.Fatalf("second DeleteSend = %v", err)
	}
	s = mustSend(t, f.svc, s.ID)
	if s.State != StateDeleted || s.DeletedAt == nil || len(f.wx.deleted) != 1 || f.wx.deleted[0] != msgID {
		t.Fatalf("after delete: %+v, deleted %v", s, f.wx.deleted)
	}
	want := []string{HistoryCreated, HistorySubmitted, HistoryFinished, HistoryDeleted}
	got := historyActions(s)
	if len(got) != len(want) {
		t.Fatalf("history = %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("history = %v; want %v", got, want)
		}
	}
	if s.History[3].OperatorID != 3 {
		t.Fatalf("delete history operator = %d", s.History[3].OperatorID)
	}
	list, err := f.svc.ListSends(ctx)
	if err != nil || len(list) != 1 || list[0].ID != s.ID || len(list[0].Batches) != 1 || list[0].Batches[0].MsgID != msgID {
		t.Fatalf("ListSends = %+v, %v", list, err)
	}
	if sums, _ := f.svc.ListDrafts(ctx); sums[0].Sent != 1 {
		t.Fatalf("draft summary sent = %d", sums[0].Sent)
	}
}

// WeChat answering 40007 for media ids Qunfa still thinks fresh (a restarted
// sandbox, an early expiry) costs one fresh upload, not a failed send; a second
// 40007 in a row fails the send with that errcode.
func TestStaleMediaIsUploadedAgain(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	d := f.draft(t, 1)
	first, err := f.svc.StartSend(ctx, SendInput{DraftID: d.ID, Target: TargetGroup, GroupID: 100, Key: "a"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	runOnce(t, f.svc)
	if s := mustSend(t, f.svc, first.ID); s.State != StateSubmitted {
		t.Fatalf("first send: %+v", s)
	}

	f.wx.forgetAll()
	second, err := f.svc.StartSend(ctx, SendInput{DraftID: d.ID, Target: TargetGroup, GroupID: 0, Key: "b"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	runOnce(t, f.svc)
	s := mustSend(t, f.svc, second.ID)
	if s.State != StateSubmitted || s.Batches[0].MsgID == 0 {
		t.Fatalf("send after WeChat forgot the media: %+v", s)
	}
	if f.wx.count(EndpointUploadThumb) != 2 || f.wx.count(EndpointUploadNews) != 2 || f.wx.count(EndpointSendAll) != 3 {
		t.Fatalf("calls = %v, want one fresh thumb and news upload and one repeated sendall", f.wx.calls)
	}

	// WeChat keeps refusing: the send fails with 40007, its batch too.
	f.wx.mu.Lock()
	f.wx.failNews = &fakeAPIError{code: 40007}
	f.wx.mu.Unlock()
	f.wx.forgetAll()
	third, err := f.svc.StartSend(ctx, SendInput{DraftID: d.ID, Target: TargetGroup, GroupID: 1, Key: "c"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	runOnce(t, f.svc)
	s = mustSend(t, f.svc, third.ID)
	if s.State != StateFailed || s.Errcode != 40007 || s.Batches[0].State != StateFailed {
		t.Fatalf("send after repeated 40007: %+v", s)
	}
}

func TestDoubleSubmitSendsOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	d := f.draft(t, 1)
	in := SendInput{DraftID: d.ID, Target: TargetAll, Key: "same-key"}
	a, err := f.svc.StartSend(ctx, in, 1)
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.svc.StartSend(ctx, in, 1)
	if err != nil || b.ID != a.ID {
		t.Fatalf("second submit = %+v, %v (first %d)", b.ID, err, a.ID)
	}

	// Two goroutines submitting another key at the same time.
	in2 := SendInput{DraftID: d.ID, Target: TargetGroup, GroupID: 100, Key: "concurrent-key"}
	var wg sync.WaitGroup
	ids := make([]uint, 2)
	errs := make([]error, 2)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := f.svc.StartSend(ctx, in2, 1)
			ids[i], errs[i] = s.ID, err
		}()
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil || ids[0] != ids[1] {
		t.Fatalf("concurrent submits: ids %v errs %v", ids, errs)
	}
	runOnce(t, f.svc)
	runOnce(t, f.svc)
	if _, err := f.svc.StartSend(ctx, in, 1); err != nil {
		t.Fatal(err)
	}
	runOnce(t, f.svc)
	if n := f.wx.count(EndpointSendAll); n != 2 {
		t.Fatalf("sendall calls = %d, want 2 (one per key)", n)
	}
	if list, _ := f.svc.ListSends(ctx); len(list) != 2 {
		t.Fatalf("sends = %d", len(list))
	}
}

func TestLostResponseIsRetriedWithSameClientMsgID(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	d := f.draft(t, 1)
	// WeChat accepts the job but the response is lost (a timeout, no errcode).
	f.wx.failSend = []sendFailure{{err: errors.New("Post \"https://api/sendall?access_token=SECRET\": context deadline exceeded"), afterAccept: true}}
	s, err := f.svc.StartSend(ctx, SendInput{DraftID: d.ID, Target: TargetAll, Key: "k"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	runOnce(t, f.svc)
	s = mustSend(t, f.svc, s.ID)
	if s.State != StateSubmitting || s.Batches[0].State != StateSubmitting || s.Batches[0].MsgID != 0 {
		t.Fatalf("after lost response: %+v", s)
	}
	if s.Errmsg == "" || strings.Contains(s.Errmsg, "SECRET") {
		t.Fatalf("errmsg = %q", s.Errmsg)
	}
	runOnce(t, f.svc) // not due yet: backoff
	if n := f.wx.count(EndpointSendAll); n != 1 {
		t.Fatalf("retried before the backoff: %d calls", n)
	}
	f.clock.Advance(2 * time.Second)
	runOnce(t, f.svc)
	s = mustSend(t, f.svc, s.ID)
	if s.State != StateSubmitted || s.Batches[0].MsgID != f.wx.jobs[s.Batches[0].ClientMsgID] {
		t.Fatalf("after retry: %+v", s)
	}
	if f.wx.accepted() != 1 || f.wx.count(EndpointSendAll) != 2 {
		t.Fatalf("accepted jobs %d, calls %d", f.wx.accepted(), f.wx.count(EndpointSendAll))
	}
}

func TestCrashBetweenSubmittingAndResponse(t *testing.T) {
	f := newFixture(t)
	d := f.draft(t, 1)
	s, err := f.svc.StartSend(context.Background(), SendInput{DraftID: d.ID, Target: TargetGroup, GroupID: 100, Key: "k"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	// The process dies while the sendall call is in flight: WeChat has the job, we have only "submitting".
	ctx, cancel := context.WithCancel(context.Background())
	f.wx.onSend = cancel // shutdown hits while the call is in flight
	f.wx.failSend = []sendFailure{{err: context.Canceled, afterAccept: true}}
	if err := f.svc.RunOnce(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("RunOnce during shutdown = %v", err)
	}
	f.wx.onSend = nil
	first := mustSend(t, f.svc, s.ID)
	if first.Batches[0].State != StateSubmitting || first.Batches[0].MsgID != 0 {
		t.Fatalf("before restart: %+v", first.Batches[0])
	}
	if err := f.store.Close(); err != nil {
		t.Fatal(err)
	}

	// Restart: reopen the database, new service; the same clientmsgid gets 45065 and its msg_id.
	st, err := Open(f.path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	svc := f.newService(st)
	runOnce(t, svc)
	after := mustSend(t, svc, s.ID)
	want := f.wx.jobs[first.Batches[0].ClientMsgID]
	if after.State != StateSubmitted || after.Batches[0].MsgID != want || want == 0 {
		t.Fatalf("after restart: %+v (want msg_id %d)", after, want)
	}
	if f.wx.accepted() != 1 || f.wx.count(EndpointSendAll) != 2 {
		t.Fatalf("accepted %d jobs in %d calls", f.wx.accepted(), f.wx.count(EndpointSendAll))
	}
	if after.Batches[0].ClientMsgID != first.Batches[0].ClientMsgID {
		t.Fatal("clientmsgid changed across the restart")
	}
}

// No batch may fall below mass/send's minimum of two OpenIDs, nor above 10 000,
// and every id goes out exactly once.
func TestBatchesOfSizes(t *testing.T) {
	for _, n := range []int{2, 9999, 10000, 10001, 20001, 25001, 30000, 30001} {
		ids := strings.Split(strings.TrimSpace(openIDList(n)), "\n")
		batches := batchesOf(TargetOpenIDs, ids)
		want := (n + 9999) / 10000
		if len(batches) != want {
			t.Fatalf("%d ids: %d batches, want %d", n, len(batches), want)
		}
		seen := 0
		for _, b := range batches {
			if len(b) < 2 || len(b) > 10000 {
				t.Fatalf("%d ids: a batch of %d", n, len(b))
			}
			for _, id := range b {
				if id != ids[seen] {
					t.Fatalf("%d ids: batch order broken at %d", n, seen)
				}
				seen++
			}
		}
		if seen != n {
			t.Fatalf("%d ids: %d sent", n, seen)
		}
	}
}

func TestOpenIDListSplitIntoBatches(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	d := f.draft(t, 1)
	s, err := f.svc.StartSend(ctx, SendInput{DraftID: d.ID, Target: TargetOpenIDs, OpenIDs: openIDList(25001), Key: "big"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	runOnce(t, f.svc)
	s = mustSend(t, f.svc, s.ID)
	if s.State != StateSubmitted || len(s.Batches) != 3 || f.wx.count(EndpointSend) != 3 {
		t.Fatalf("send = %+v, calls %v", s, f.wx.calls)
	}
	sizes := []int{8333, 8334, 8334}
	seen := map[int64]bool{}
	for i, b := range s.Batches {
		if b.OpenIDCount != sizes[i] || len(f.wx.openIDs[i]) != sizes[i] || b.MsgID == 0 || seen[b.MsgID] || len(b.ClientMsgID) > 64 {
			t.Fatalf("batch %d = %+v", i, b)
		}
		seen[b.MsgID] = true
	}
	if f.wx.openIDs[2][8333] != "oOPENID00025000" || f.wx.openIDs[0][0] != "oOPENID00000000" {
		t.Fatalf("first/last openid = %s/%s", f.wx.openIDs[0][0], f.wx.openIDs[2][8333])
	}
	if left, _ := f.svc.QuotaLeft(ctx); left != 5 {
		t.Fatalf("quota left = %d, want 5", left)
	}
	// Figures add up over batches; the send finishes with the last one.
	for i, b := range s.Batches {
		if _, err := f.svc.RecordJobFinished(ctx, JobFinished{MsgID: b.MsgID, Status: "send success", Total: b.OpenIDCount, Filter: b.OpenIDCount, Sent: b.OpenIDCount - 1, Error: 1}); err != nil {
			t.Fatal(err)
		}
		got := mustSend(t, f.svc, s.ID)
		if finished := got.State == StateFinished; finished != (i == 2) {
			t.Fatalf("after callback %d state = %s", i, got.State)
		}
	}
	s = mustSend(t, f.svc, s.ID)
	if s.Total != 25001 || s.Sent != 24998 || s.Error != 3 {
		t.Fatalf("sums = %+v", s)
	}
}

func TestPermanentErrorFailsSendAndReleasesQuota(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	d := f.draft(t, 1)
	// 48001 (API unauthorised) will not change on a retry. (A 45009 also spends the interface's
	// budget for the day: TestDailyQuotaAnswerMarksTheBudgetSpent.)
	f.wx.failSend = []sendFailure{{err: &fakeAPIError{code: 48001}}}
	s, err := f.svc.StartSend(ctx, SendInput{DraftID: d.ID, Target: TargetOpenIDs, OpenIDs: openIDList(10001), Key: "k"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if left, _ := f.svc.QuotaLeft(ctx); left != 6 {
		t.Fatalf("reserved: left = %d", left)
	}
	runOnce(t, f.svc)
	s = mustSend(t, f.svc, s.ID)
	if s.State != StateFailed || s.Errcode != 48001 || s.Batches[0].State != StateFailed || s.Batches[1].State != StateFailed {
		t.Fatalf("failed send = %+v", s)
	}
	// thumb + news + the failed call were made; the second batch's reservation is released.
	if left, _ := f.svc.QuotaLeft(ctx); left != 7 {
		t.Fatalf("left after failure = %d, want 7", left)
	}
	if f.wx.count(EndpointSend) != 1 {
		t.Fatalf("send calls = %d", f.wx.count(EndpointSend))
	}
	acts := historyActions(s)
	if acts[len(acts)-1] != HistoryFailed {
		t.Fatalf("history = %v", acts)
	}
	runOnce(t, f.svc) // failed sends are not picked up again
	if f.wx.count(EndpointSend) != 1 {
		t.Fatal("failed send was retried")
	}
	// Nothing of it reached WeChat, so it may be removed from the list.
	if err := f.svc.DeleteSend(ctx, s.ID, 1); err != nil {
		t.Fatalf("delete failed send: %v", err)
	}
	if f.wx.count(EndpointDelete) != 0 {
		t.Fatal("mass/delete called for a send without msg_id")
	}
}

func TestTransientErrorsAreBounded(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	d := f.draft(t, 1)
	busy := &fakeAPIError{code: -1}
	f.wx.failSend = []sendFailure{{err: busy}, {err: busy}, {err: busy}, {err: busy}}
	s, _ := f.svc.StartSend(ctx, SendInput{DraftID: d.ID, Target: TargetAll, Key: "k"}, 1)
	for i := 0; i < 5; i++ {
		runOnce(t, f.svc)
		f.clock.Advance(time.Minute)
	}
	s = mustSend(t, f.svc, s.ID)
	if s.State != StateFailed || s.Errcode != -1 || f.wx.count(EndpointSendAll) != 3 {
		t.Fatalf("after retries: state %s errcode %d calls %d", s.State, s.Errcode, f.wx.count(EndpointSendAll))
	}
}

func TestCallbackBeforeMsgIDCommitted(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	d := f.draft(t, 1)
	s, _ := f.svc.StartSend(ctx, SendInput{DraftID: d.ID, Target: TargetAll, Key: "k"}, 1)
	// The fake will hand out msg_id 1001; its push arrives before the worker commits it.
	if dup, err := f.svc.RecordJobFinished(ctx, JobFinished{MsgID: 1001, Status: "err(10001)", Total: 5}); err != nil || dup {
		t.Fatal(dup, err)
	}
	runOnce(t, f.svc)
	s = mustSend(t, f.svc, s.ID)
	if s.State != StateFinished || s.Status != "err(10001)" || s.Total != 5 {
		t.Fatalf("send = %+v", s)
	}
}

func TestReconcileWithMassStatus(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	d := f.draft(t, 1)
	s, _ := f.svc.StartSend(ctx, SendInput{DraftID: d.ID, Target: TargetAll, Key: "k"}, 1)
	runOnce(t, f.svc)
	s = mustSend(t, f.svc, s.ID)
	msgID := s.Batches[0].MsgID
	runOnce(t, f.svc)
	if f.wx.count("message/mass/get") != 0 {
		t.Fatal("reconciled too early")
	}
	f.clock.Advance(11 * time.Minute)
	runOnce(t, f.svc) // SENDING: still submitted
	if got := mustSend(t, f.svc, s.ID); got.State != StateSubmitted || f.wx.count("message/mass/get") != 1 {
		t.Fatalf("after SENDING: %s", got.State)
	}
	runOnce(t, f.svc) // checked just now: not asked again
	if f.wx.count("message/mass/get") != 1 {
		t.Fatal("asked mass/get again too soon")
	}
	f.wx.statuses[msgID] = "SEND_SUCCESS"
	f.clock.Advance(11 * time.Minute)
	runOnce(t, f.svc)
	if got := mustSend(t, f.svc, s.ID); got.State != StateFinished || got.Status != "send success" {
		t.Fatalf("after SEND_SUCCESS: %+v", got)
	}
	// A late push still brings the figures, without a second "finished" entry.
	if _, err := f.svc.RecordJobFinished(ctx, JobFinished{MsgID: msgID, Status: "send success", Total: 9, Filter: 9, Sent: 9}); err != nil {
		t.Fatal(err)
	}
	got := mustSend(t, f.svc, s.ID)
	n := 0
	for _, a := range historyActions(got) {
		if a == HistoryFinished {
			n++
		}
	}
	if got.Total != 9 || n != 1 {
		t.Fatalf("late push: total %d, finished entries %d", got.Total, n)
	}
}

func TestWorkerStartStop(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	d := f.draft(t, 1)
	f.svc.Start(ctx)
	s, err := f.svc.StartSend(ctx, SendInput{DraftID: d.ID, Target: TargetAll, Key: "k"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for mustSend(t, f.svc, s.ID).State != StateSubmitted {
		if time.Now().After(deadline) {
			t.Fatal("worker never submitted the send")
		}
		time.Sleep(5 * time.Millisecond)
	}
	f.svc.Stop()
	f.svc.Stop() // idempotent
}

// A send whose second batch fails after the first was taken keeps listening
// for the first batch's figures and becomes deletable only once WeChat is done.
func TestPartlyFailedSendAwaitsItsDeliveredBatch(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	d := f.draft(t, 1)
	calls := 0
	f.wx.onSend = func() { // runs under the fake's lock
		calls++
		if calls == 2 {
			f.wx.failSend = []sendFailure{{err: &fakeAPIError{code: 48001}}}
		}
	}
	s, err := f.svc.StartSend(ctx, SendInput{DraftID: d.ID, Target: TargetOpenIDs, OpenIDs: openIDList(20001), Key: "p"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	runOnce(t, f.svc)
	s = mustSend(t, f.svc, s.ID)
	if s.State != StateFailed || s.Batches[0].State != StateSubmitted || s.Batches[1].State != StateFailed {
		t.Fatalf("partly failed send = %+v", s)
	}
	if !s.AwaitingWeChat() || s.Deletable() {
		t.Fatalf("awaiting=%v deletable=%v, want true/false while batch 0 is with WeChat", s.AwaitingWeChat(), s.Deletable())
	}
	if err := f.svc.DeleteSend(ctx, s.ID, 1); !errors.Is(err, ErrNotFinished) {
		t.Fatalf("delete while batch 0 is with WeChat = %v", err)
	}
	b := s.Batches[0]
	if _, err := f.svc.RecordJobFinished(ctx, JobFinished{MsgID: b.MsgID, Status: "send success", Total: b.OpenIDCount, Filter: b.OpenIDCount, Sent: b.OpenIDCount}); err != nil {
		t.Fatal(err)
	}
	s = mustSend(t, f.svc, s.ID)
	if s.AwaitingWeChat() || !s.Deletable() || s.Sent != b.OpenIDCount {
		t.Fatalf("after the callback: awaiting=%v deletable=%v sent=%d", s.AwaitingWeChat(), s.Deletable(), s.Sent)
	}
	if err := f.svc.DeleteSend(ctx, s.ID, 1); err != nil {
		t.Fatal(err)
	}
	if f.wx.count(EndpointDelete) != 1 || f.wx.deleted[0] != b.MsgID {
		t.Fatalf("mass/delete calls = %v", f.wx.deleted)
	}
}

// The form key dedupes a repeated submission, not a different one: the same
// key with another audience (the operator went back and chose another group)
// is a second send.
func TestSameKeyOtherAudienceIsANewSend(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	d := f.draft(t, 1)
	a, err := f.svc.StartSend(ctx, SendInput{DraftID: d.ID, Target: TargetGroup, GroupID: 100, Key: "form-1"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	again, err := f.svc.StartSend(ctx, SendInput{DraftID: d.ID, Target: TargetGroup, GroupID: 100, Key: "form-1"}, 1)
	if err != nil || again.ID != a.ID {
		t.Fatalf("same key, same audience: send %d (%v), want %d", again.ID, err, a.ID)
	}
	other, err := f.svc.StartSend(ctx, SendInput{DraftID: d.ID, Target: TargetGroup, GroupID: 0, Key: "form-1"}, 1)
	if err != nil || other.ID == a.ID {
		t.Fatalf("same key, other group: send %d (%v), want a new one", other.ID, err)
	}
	list, _ := f.svc.ListSends(ctx)
	if len(list) != 2 {
		t.Fatalf("%d sends, want 2", len(list))
	}
}

// The plan counts, from Qunfa's records, how many mass messages this audience
// already had this Beijing month and who is at the cap.
func TestPlanMonthlyCap(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	d := f.draft(t, 1)
	send := func(key string, in SendInput) {
		t.Helper()
		in.DraftID, in.Key = d.ID, key
		if _, err := f.svc.StartSend(ctx, in, 1); err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		runOnce(t, f.svc)
	}
	ab := "oOPENIDaaaa01\noOPENIDbbbb02"
	send("o1", SendInput{Target: TargetOpenIDs, OpenIDs: ab})
	send("o2", SendInput{Target: TargetOpenIDs, OpenIDs: ab})
	send("a1", SendInput{Target: TargetAll})
	send("a2", SendInput{Target: TargetAll})

	// IncludeCapped: the figures of the whole list (by default the two at their cap are left out,
	// TestPlanLeavesOutCapped).
	p, err := f.svc.PlanSend(ctx, SendInput{DraftID: d.ID, Target: TargetOpenIDs, OpenIDs: ab + "\noOPENIDcccc03", IncludeCapped: true})
	if err != nil || p.MonthlyCap != 4 || p.ReceivedThisMonth != 2 || p.OverCap != 2 {
		t.Fatalf("openids plan: cap %d received %d over %d (%v); want 4, 2, 2", p.MonthlyCap, p.ReceivedThisMonth, p.OverCap, err)
	}
	p, _ = f.svc.PlanSend(ctx, SendInput{DraftID: d.ID, Target: TargetGroup, GroupID: 100})
	if p.ReceivedThisMonth != 2 || p.OverCap != 0 {
		t.Fatalf("group plan: received %d over %d; want 2, 0", p.ReceivedThisMonth, p.OverCap)
	}
	send("a3", SendInput{Target: TargetAll})
	send("g1", SendInput{Target: TargetGroup, GroupID: 100})
	p, _ = f.svc.PlanSend(ctx, SendInput{DraftID: d.ID, Target: TargetGroup, GroupID: 100})
	if p.ReceivedThisMonth != 4 || p.OverCap != p.Recipients || p.Recipients == 0 {
		t.Fatalf("group plan at the cap: received %d over %d of %d", p.ReceivedThisMonth, p.OverCap, p.Recipients)
	}
	if p, _ = f.svc.PlanSend(ctx, SendInput{DraftID: d.ID, Target: TargetGroup, GroupID: 0}); p.ReceivedThisMonth != 3 || p.OverCap != 0 {
		t.Fatalf("another group: received %d over %d; want 3, 0", p.ReceivedThisMonth, p.OverCap)
	}

	// 1 April 00:30 in Beijing is still 31 March in UTC: a new month all the same.
	f.clock.mu.Lock()
	f.clock.t = time.Date(2025, 3, 31, 16, 30, 0, 0, time.UTC)
	f.clock.mu.Unlock()
	if p, _ = f.svc.PlanSend(ctx, SendInput{DraftID: d.ID, Target: TargetGroup, GroupID: 100}); p.ReceivedThisMonth != 0 || p.OverCap != 0 {
		t.Fatalf("new Beijing month: received %d over %d", p.ReceivedThisMonth, p.OverCap)
	}
}

// Which WeChat answers are worth waiting out: rate limits and "busy" are,
// with the same clientmsgid; anything else fails the send at once.
func TestIsTransient(t *testing.T) {
	for code, want := range map[int]bool{-1: true, 42010: true, 45011: true, 45066: true, 9500002: true,
		40007: false, 45009: false, 48001: false, 40130: false, 45065: false} {
		if got := isTransient(&fakeAPIError{code: code}); got != want {
			t.Errorf("errcode %d: transient = %v, want %v", code, got, want)
		}
	}
	if !isTransient(errors.New("dial tcp: i/o timeout")) {
		t.Error("a network error must be transient (the batch keeps its clientmsgid)")
	}
}

// twiceSent is the fake WeChat behind a client that sent sendall twice (the first answer lost):
// it reports two attempts to the hook models put on the ctx.
type twiceSent struct{ *fakeWeChat }

func (w twiceSent) SendAll(ctx context.Context, filter MassFilter, mediaID, clientMsgID string) (MassResult, error) {
	if hook := AttemptHook(ctx); hook != nil {
		hook()
		hook()
	}
	return w.fakeWeChat.SendAll(ctx, filter, mediaID, clientMsgID)
}

// Each attempt the client reports is one more call of the daily budget: a send whose sendall
// was retried once uses 2 for it.
func TestEveryAttemptIsCounted(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	svc := NewService(f.store, twiceSent{f.wx}, Rules{DailyQuota: 10, Now: f.clock.Now}, nil)
	d := f.draft(t, 1)
	if _, err := svc.StartSend(ctx, SendInput{DraftID: d.ID, Target: TargetAll, Key: "twice"}, 1); err != nil {
		t.Fatal(err)
	}
	runOnce(t, svc)
	if left, _ := svc.QuotaLeft(ctx); left != 10-4 { // thumb, news, sendall twice
		t.Fatalf("quota left = %d, want 6", left)
	}
	var rows []quotaCallRow
	if err := f.store.db(ctx).Where("endpoint = ?", EndpointSendAll).Find(&rows).Error; err != nil || len(rows) != 2 || rows[1].Reserved {
		t.Fatalf("sendall quota rows = %+v, %v", rows, err)
	}
}

// Two sends of the same unchanged draft within 3 days share one uploadnews media id (one quota
// call, not two), and so one article page: deleting one says which other send shares it, and
// marks that send afterwards — its article is gone too.
func TestDeleteMarksSendsSharingTheArticle(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	sends := twoFinishedSendsOfOneDraft(t, f)
	if f.wx.count(EndpointUploadNews) != 1 {
		t.Fatalf("uploadnews calls = %d, want 1 (the second send reuses the media id)", f.wx.count(EndpointUploadNews))
	}
	first, second := sends[0], sends[1]
	shared, err := f.svc.SendsSharingArticle(ctx, first.ID)
	if err != nil || len(shared) != 1 || shared[0].ID != second.ID {
		t.Fatalf("sharing = %+v, %v; want send %d", shared, err, second.ID)
	}
	if err := f.svc.DeleteSend(ctx, first.ID, 1); err != nil {
		t.Fatal(err)
	}
	after := mustSend(t, f.svc, second.ID)
	if after.ArticleRemovedBy != first.ID || after.State != StateFinished {
		t.Fatalf("second send after the delete = %+v; want its article marked removed by %d", after, first.ID)
	}
	if h := after.History[len(after.History)-1]; h.Action != HistoryArticleRemoved || h.Detail != fmt.Sprintf("#%d", first.ID) {
		t.Fatalf("last history = %+v", h)
	}
	// Marked once: the second send's own delete names nobody (the first is deleted).
	if shared, _ := f.svc.SendsSharingArticle(ctx, second.ID); len(shared) != 0 {
		t.Fatalf("sharing after the delete = %+v", shared)
	}
}

// legacySnapshot is sends.articles_json as written before the snapshot became []ArticleInput.
const legacySnapshot = `[{"Title":"旧标题","Author":"作者","Digest":"摘要","Content":"\u003cp\u003e旧正文\u003c/p\u003e","SourceURL":"https://example.com/a","ShowCoverPic":true,"ThumbID":%d}]`

// The snapshot's JSON is the format of sends.articles_json: the same bytes as before, and old
// rows load and send unchanged.
func TestSnapshotFormatIsStable(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	d := f.draft(t, 1)
	thumb := *d.Articles[0].ThumbID
	d.Articles[0].Title, d.Articles[0].Author, d.Articles[0].Digest = "旧标题", "作者", "摘要"
	d.Articles[0].Content, d.Articles[0].SourceURL, d.Articles[0].ShowCoverPic = "<p>旧正文</p>", "https://example.com/a", true
	js, err := json.Marshal(snapshot(d))
	if err != nil || string(js) != fmt.Sprintf(legacySnapshot, thumb) {
		t.Fatalf("snapshot JSON = %s, %v\nwant %s", js, err, fmt.Sprintf(legacySnapshot, thumb))
	}

	s, err := f.svc.StartSend(ctx, SendInput{DraftID: d.ID, Target: TargetAll, Key: "old"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.store.db(ctx).Model(&sendRow{ID: s.ID}).Update("articles_json", fmt.Sprintf(legacySnapshot, thumb)).Error; err != nil {
		t.Fatal(err)
	}
	runOnce(t, f.svc)
	if got := mustSend(t, f.svc, s.ID); got.State != StateSubmitted {
		t.Fatalf("send of an old row = %s (%s)", got.State, got.Errmsg)
	}
	news := f.wx.uploadedNews()
	if len(news) != 1 || news[0].Title != "旧标题" || news[0].Author != "作者" || news[0].Digest != "摘要" ||
		news[0].Content != "<p>旧正文</p>" || news[0].SourceURL != "https://example.com/a" || !news[0].ShowCoverPic || news[0].ThumbMediaID == "" {
		t.Fatalf("news uploaded from the old row = %+v", news)
	}
}

// TestDeleteRetriedAfterACrashStillMarksSharers: the batches were deleted at WeChat (and marked)
// but the process stopped before the send was: the retry calls WeChat no more, and still marks the
// sends whose article went with it.
func TestDeleteRetriedAfterACrashStillMarksSharers(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	sends := twoFinishedSendsOfOneDraft(t, f)
	first, second := sends[0], sends[1]
	// What the first try committed before it stopped: the batch deleted at WeChat.
	if err := f.svc.pipe.MarkBatchDeleted(ctx, first.Batches[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.DeleteSend(ctx, first.ID, 1); err != nil {
		t.Fatal(err)
	}
	if n := f.wx.count(EndpointDelete); n != 0 {
		t.Errorf("the retry called message/mass/delete %d times, want 0 (already deleted)", n)
	}
	if got := mustSend(t, f.svc, second.ID); got.ArticleRemovedBy != first.ID {
		t.Fatalf("second send's article removed by %d, want %d", got.ArticleRemovedBy, first.ID)
	}
}

// twoFinishedSendsOfOneDraft sends one unchanged draft to a group twice (the seed's path: one
// uploadnews media id, so one article page) and reports both finished.
func twoFinishedSendsOfOneDraft(t *testing.T, f *fixture) []Send {
	t.Helper()
	ctx := context.Background()
	d := f.draft(t, 1)
	var sends []Send
	for _, key := range []string{"first", "second"} {
		s, err := f.svc.StartSend(ctx, SendInput{DraftID: d.ID, Target: TargetGroup, GroupID: 100, Key: key}, 1)
		if err != nil {
			t.Fatal(err)
		}
		runOnce(t, f.svc)
		s = mustSend(t, f.svc, s.ID)
		if _, err := f.svc.RecordJobFinished(ctx, JobFinished{MsgID: s.Batches[0].MsgID, Status: "send success"}); err != nil {
			t.Fatal(err)
		}
		sends = append(sends, mustSend(t, f.svc, s.ID))
	}
	return sends
}
