package models

import (
	"context"
	"errors"
	"testing"
)

// TestQuotaLeftFollowsWeChatsCount: where WeChat reports an interface's quota, QuotaLeft (the
// meter and every plan's check) never promises more than WeChat leaves.
func TestQuotaLeftFollowsWeChatsCount(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	d := f.draft(t, 1)
	if left, err := f.svc.QuotaLeft(ctx); err != nil || left != 10 {
		t.Fatalf("QuotaLeft before any answer = %d, %v; want the local 10", left, err)
	}
	f.wx.quotas = map[string]QuotaInfo{EndpointSendAll: {DailyLimit: 100, Used: 98, Remain: 2}}
	if _, err := f.svc.SyncQuota(ctx); err != nil {
		t.Fatal(err)
	}
	if left, err := f.svc.QuotaLeft(ctx); err != nil || left != 2 {
		t.Fatalf("QuotaLeft after WeChat said 2 remain = %d, %v; want 2", left, err)
	}
	// thumb + uploadnews + sendall = 3 calls: more than WeChat leaves.
	if _, err := f.svc.PlanSend(ctx, SendInput{DraftID: d.ID, Target: TargetAll}); !errors.Is(err, ErrQuotaExceeded) {
		t.Fatalf("PlanSend needing 3 calls with 2 left: %v, want ErrQuotaExceeded", err)
	}
}

// TestDailyQuotaAnswerMarksTheBudgetSpent: a 45009 from WeChat spends the interface's budget for
// the day, so the meter says 0 and nothing else is planned on it, whatever Qunfa had counted.
func TestDailyQuotaAnswerMarksTheBudgetSpent(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	d := f.draft(t, 1)
	f.wx.failSend = []sendFailure{{err: &fakeAPIError{code: 45009}}}
	s, err := f.svc.StartSend(ctx, SendInput{DraftID: d.ID, Target: TargetAll, Key: "k45009"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	runOnce(t, f.svc)
	if got := mustSend(t, f.svc, s.ID); got.State != StateFailed || got.Errcode != 45009 {
		t.Fatalf("send after 45009: state %s errcode %d, want failed 45009", got.State, got.Errcode)
	}
	rows, err := f.svc.QuotaByInterface(ctx)
	if err != nil || len(rows) != 1 || rows[0].Endpoint != EndpointSendAll || !rows[0].Spent {
		t.Fatalf("QuotaByInterface = %+v, %v; want sendall spent", rows, err)
	}
	if left, err := f.svc.QuotaLeft(ctx); err != nil || left != 0 {
		t.Fatalf("QuotaLeft after 45009 = %d, %v; want 0", left, err)
	}
}

// TestSpentInterfaceBlocksOnlyItself: WeChat counts each interface apart, so a 45009 on sendall
// stops sends to everyone but not a send to an OpenID list, nor a delete; the nav's meter shows
// the lowest.
func TestSpentInterfaceBlocksOnlyItself(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	d := f.draft(t, 1)
	s, err := f.svc.StartSend(ctx, SendInput{DraftID: d.ID, Target: TargetOpenIDs, OpenIDs: openIDList(3), Key: "list"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	runOnce(t, f.svc)
	s = mustSend(t, f.svc, s.ID)
	if _, err := f.svc.RecordJobFinished(ctx, JobFinished{MsgID: s.Batches[0].MsgID, Status: "send success"}); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.MarkBudgetSpent(ctx, EndpointSendAll); err != nil {
		t.Fatal(err)
	}
	if left, _ := f.svc.QuotaLeft(ctx); left != 0 {
		t.Errorf("nav meter = %d, want 0 (the lowest interface)", left)
	}
	if _, err := f.svc.PlanSend(ctx, SendInput{DraftID: d.ID, Target: TargetAll}); !errors.Is(err, ErrQuotaExceeded) {
		t.Errorf("a send to everyone with sendall spent: %v, want ErrQuotaExceeded", err)
	}
	if _, err := f.svc.PlanSend(ctx, SendInput{DraftID: d.ID, Target: TargetOpenIDs, OpenIDs: openIDList(3)}); err != nil {
		t.Errorf("a send to a list with only sendall spent: %v", err)
	}
	if err := f.svc.DeleteSend(ctx, s.ID, 1); err != nil {
		t.Errorf("a delete with only sendall spent: %v", err)
	}
}
