package models

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"
)

// Retries are counted per batch: failures of an earlier batch do not use up
// the retries of a later one whose call WeChat took but did not answer.
func TestRetriesAreCountedPerBatch(t *testing.T) {
	f := newFixture(t) // MaxAttempts 3
	ctx := context.Background()
	d := f.draft(t, 1)
	busy := &fakeAPIError{code: -1}
	lost := errors.New("context deadline exceeded")
	f.wx.failSend = []sendFailure{{err: busy}, {err: busy}}
	calls := 0
	f.wx.onSend = func() { // under the fake's lock: the 4th call is batch 1's, accepted, answer lost
		calls++
		if calls == 4 {
			f.wx.failSend = []sendFailure{{err: lost, afterAccept: true}}
		}
	}
	s, err := f.svc.StartSend(ctx, SendInput{DraftID: d.ID, Target: TargetOpenIDs, OpenIDs: openIDList(10001), Key: "k"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 6; i++ {
		runOnce(t, f.svc)
		f.clock.Advance(time.Minute)
	}
	s = mustSend(t, f.svc, s.ID)
	for i, b := range s.Batches {
		if b.State != StateSubmitted || b.MsgID == 0 || b.MsgID != f.wx.jobs[b.ClientMsgID] {
			t.Fatalf("batch %d = %+v", i, b)
		}
	}
	if f.wx.accepted() != 2 {
		t.Fatalf("%d jobs at WeChat, want 2", f.wx.accepted())
	}
}

// When calls keep getting no answer, the batch ends "outcome unknown" (WeChat
// may have it), not plainly failed.
func TestUnansweredCallsEndOutcomeUnknown(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	d := f.draft(t, 1)
	lost := errors.New("context deadline exceeded")
	f.wx.failSend = []sendFailure{{err: lost}, {err: lost}, {err: lost}}
	s, _ := f.svc.StartSend(ctx, SendInput{DraftID: d.ID, Target: TargetAll, Key: "k"}, 1)
	for i := 0; i < 4; i++ {
		runOnce(t, f.svc)
		f.clock.Advance(time.Minute)
	}
	s = mustSend(t, f.svc, s.ID)
	if s.State != StateFailed || !strings.HasPrefix(s.Errmsg, OutcomeUnknown) || !strings.HasPrefix(s.Batches[0].Errmsg, OutcomeUnknown) {
		t.Fatalf("send = %s %q, batch %q", s.State, s.Errmsg, s.Batches[0].Errmsg)
	}
	// A plain WeChat refusal is a failure, not an unknown.
	f2 := newFixture(t)
	d2 := f2.draft(t, 1)
	f2.wx.failSend = []sendFailure{{err: &fakeAPIError{code: 48001}}}
	s2, _ := f2.svc.StartSend(ctx, SendInput{DraftID: d2.ID, Target: TargetAll, Key: "k"}, 1)
	runOnce(t, f2.svc)
	if s2 = mustSend(t, f2.svc, s2.ID); strings.HasPrefix(s2.Errmsg, OutcomeUnknown) || s2.Errcode != 48001 {
		t.Fatalf("refused send = %d %q", s2.Errcode, s2.Errmsg)
	}
}

// WeChat forgets a clientmsgid after 24 h: a batch found "submitting" long
// after its first call is not called again (it could go out twice).
func TestNoRecallPastTheClientMsgIDWindow(t *testing.T) {
	f := newFixture(t)
	d := f.draft(t, 1)
	s, err := f.svc.StartSend(context.Background(), SendInput{DraftID: d.ID, Target: TargetAll, Key: "k"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	f.wx.onSend = cancel // the process dies while the call is in flight
	f.wx.failSend = []sendFailure{{err: context.Canceled, afterAccept: true}}
	if err := f.svc.RunOnce(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("RunOnce = %v", err)
	}
	f.wx.onSend = nil
	f.clock.Advance(25 * time.Hour) // down over a day
	runOnce(t, f.svc)
	s = mustSend(t, f.svc, s.ID)
	if f.wx.count(EndpointSendAll) != 1 {
		t.Fatalf("called again after 25 h: %d calls", f.wx.count(EndpointSendAll))
	}
	if s.State != StateFailed || !strings.HasPrefix(s.Batches[0].Errmsg, OutcomeUnknown) {
		t.Fatalf("send = %s, batch %q", s.State, s.Batches[0].Errmsg)
	}
}

// A call that never connected (WeChat unreachable) does not use up a send's attempts: the send
// waits out an outage far longer than its MaxAttempts would allow, and goes out once WeChat is
// back. Past the clientmsgid window since it was queued, it is failed as before.
func TestOutageDoesNotUseUpAttempts(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused")}
	ctx := context.Background()

	f := newFixture(t) // MaxAttempts 3
	d := f.draft(t, 1)
	f.wx.failNews = refused
	s, _ := f.svc.StartSend(ctx, SendInput{DraftID: d.ID, Target: TargetAll, Key: "k"}, 1)
	left, _ := f.svc.QuotaLeft(ctx)
	for range 10 {
		runOnce(t, f.svc)
		f.clock.Advance(time.Minute)
	}
	if s = mustSend(t, f.svc, s.ID); s.State != StateUploading {
		t.Fatalf("after 10 minutes unreachable at the upload: %s %q", s.State, s.Errmsg)
	}
	if now, _ := f.svc.QuotaLeft(ctx); now != left {
		t.Fatalf("quota left %d after the outage, %d before: refused calls were counted", now, left)
	}
	f.wx.failNews = nil
	f.wx.failSend = make([]sendFailure, 10)
	for i := range f.wx.failSend {
		f.wx.failSend[i] = sendFailure{err: refused}
	}
	for range 12 {
		runOnce(t, f.svc)
		f.clock.Advance(time.Minute)
	}
	if s = mustSend(t, f.svc, s.ID); s.State != StateSubmitted || f.wx.accepted() != 1 || f.wx.count(EndpointSendAll) != 11 {
		t.Fatalf("after 10 refused mass calls: %s %q, %d jobs in %d calls", s.State, s.Errmsg, f.wx.accepted(), f.wx.count(EndpointSendAll))
	}

	// Queued a day ago and still unreachable: failed after its attempts, as any transient error.
	f2 := newFixture(t)
	d2 := f2.draft(t, 1)
	f2.wx.failNews = refused
	s2, _ := f2.svc.StartSend(ctx, SendInput{DraftID: d2.ID, Target: TargetAll, Key: "k"}, 1)
	f2.clock.Advance(24 * time.Hour)
	for range 4 {
		runOnce(t, f2.svc)
		f2.clock.Advance(time.Minute)
	}
	if s2 = mustSend(t, f2.svc, s2.ID); s2.State != StateFailed {
		t.Fatalf("a day-old send unreachable: %s", s2.State)
	}
}
