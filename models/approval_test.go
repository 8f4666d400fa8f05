package models

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// operatorWithRole creates an operator and gives it role (test-only: operator management
// has its own methods).
func operatorWithRole(t *testing.T, st *Store, name string, role Role) Operator {
	t.Helper()
	op, err := st.CreateOperator(context.Background(), name, "password-"+name)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.gdb.Exec("UPDATE operators SET role = ? WHERE id = ?", role, op.ID).Error; err != nil {
		t.Fatal(err)
	}
	op.Role = role
	return op
}

func rule(t *testing.T, svc *Service) ApprovalRule {
	t.Helper()
	r, err := svc.ApprovalRule(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// On by default once there are two enabled admins; editors and disabled admins do not count;
// a saved setting wins either way.
func TestApprovalRuleDefaultFollowsAdmins(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if r := rule(t, f.svc); r.Required || r.Explicit || r.Threshold != DefaultApprovalThreshold {
		t.Fatalf("no operator: %+v", r)
	}
	a := operatorWithRole(t, f.store, "alice", RoleAdmin)
	operatorWithRole(t, f.store, "eddie", RoleEditor)
	if r := rule(t, f.svc); r.Required || r.Admins != 1 {
		t.Fatalf("one admin and an editor: %+v", r)
	}
	b := operatorWithRole(t, f.store, "bob", RoleAdmin)
	if r := rule(t, f.svc); !r.Required || r.Admins != 2 {
		t.Fatalf("two admins: %+v", r)
	}
	f.store.gdb.Exec("UPDATE operators SET disabled_at = ? WHERE id = ?", f.clock.Now(), b.ID)
	if r := rule(t, f.svc); r.Required || r.Admins != 1 {
		t.Fatalf("second admin disabled: %+v", r)
	}
	if err := f.svc.SetApprovalRule(ctx, true, " 500 "); err != nil {
		t.Fatal(err)
	}
	if r := rule(t, f.svc); !r.Required || !r.Explicit || r.Threshold != 500 {
		t.Fatalf("saved on with one admin: %+v", r)
	}
	f.store.gdb.Exec("UPDATE operators SET disabled_at = NULL WHERE id = ?", b.ID)
	if err := f.svc.SetApprovalRule(ctx, false, "500"); err != nil {
		t.Fatal(err)
	}
	if r := rule(t, f.svc); r.Required || !r.Explicit {
		t.Fatalf("saved off with two admins: %+v", r)
	}
	for _, bad := range []string{"", "-1", "x", "100000001"} {
		var ve *ValidationError
		if err := f.svc.SetApprovalRule(ctx, true, bad); !errors.As(err, &ve) || ve.Fields[FieldApprovalThreshold] == "" {
			t.Errorf("threshold %q: %v", bad, err)
		}
	}
	_ = a
	r := ApprovalRule{Required: true, Threshold: 20}
	for _, tc := range []struct {
		p    Plan
		want bool
	}{
		{Plan{Everyone: true}, true}, {Plan{Recipients: 20}, false}, {Plan{Recipients: 21}, true},
	} {
		if got := r.Needs(tc.p); got != tc.want {
			t.Errorf("Needs(%+v) = %v", tc.p, got)
		}
	}
	if (ApprovalRule{Threshold: 0}).Needs(Plan{Everyone: true}) {
		t.Error("rule off still holds a send")
	}
}

type approvalFixture struct {
	*fixture
	alice, bob, carol, eddie Operator
}

func newApprovalFixture(t *testing.T) approvalFixture {
	f := newFixture(t)
	return approvalFixture{fixture: f,
		alice: operatorWithRole(t, f.store, "alice", RoleAdmin),
		bob:   operatorWithRole(t, f.store, "bob", RoleAdmin),
		carol: operatorWithRole(t, f.store, "carol", RoleAdmin),
		eddie: operatorWithRole(t, f.store, "eddie", RoleEditor),
	}
}

// A send to everyone, or above the threshold, is committed as awaiting approval and the worker
// leaves it alone; a send at or under the threshold goes as before.
func TestSendAwaitingApprovalIsNotCalled(t *testing.T) {
	f := newApprovalFixture(t)
	ctx := context.Background()
	d := f.draft(t, 1)
	if err := f.svc.SetApprovalRule(ctx, true, "20"); err != nil {
		t.Fatal(err)
	}
	if p, err := f.svc.PlanSend(ctx, SendInput{DraftID: d.ID, Target: TargetAll}); err != nil || !p.NeedsApproval {
		t.Fatalf("plan to everyone: %+v %v", p, err)
	}
	all, err := f.svc.StartSend(ctx, SendInput{DraftID: d.ID, Target: TargetAll, Key: "all"}, f.eddie.ID)
	if err != nil {
		t.Fatal(err)
	}
	group, err := f.svc.StartSend(ctx, SendInput{DraftID: d.ID, Target: TargetGroup, GroupID: 100, Key: "g"}, f.eddie.ID)
	if err != nil {
		t.Fatal(err)
	}
	if all.State != StateAwaitingApproval || group.State != StateQueued {
		t.Fatalf("states: everyone %s, group of 20 %s", all.State, group.State)
	}
	if got := fmt.Sprint(historyActions(all)); got != "[history.created history.awaiting_approval]" {
		t.Fatalf("history = %s", got)
	}
	if all.AwaitingWeChat() || all.Deletable() {
		t.Fatal("a send awaiting approval is neither on its way nor deletable")
	}
	var reserved int64
	f.store.gdb.Model(&quotaCallRow{}).Where("send_id = ? AND reserved = ?", all.ID, true).Count(&reserved)
	if reserved != 3 {
		t.Fatalf("reserved for the held send = %d, want 3", reserved)
	}
	runOnce(t, f.svc)
	runOnce(t, f.svc)
	if f.wx.count(EndpointSendAll) != 1 || mustSend(t, f.svc, all.ID).State != StateAwaitingApproval {
		t.Fatalf("the worker called sendall %d times; held send %s", f.wx.count(EndpointSendAll), mustSend(t, f.svc, all.ID).State)
	}
	if list, err := f.svc.AwaitingApproval(ctx); err != nil || len(list) != 1 || list[0].ID != all.ID {
		t.Fatalf("awaiting list = %+v %v", list, err)
	}
	// The same form again finds the held send, it does not make a second one.
	if again, err := f.svc.StartSend(ctx, SendInput{DraftID: d.ID, Target: TargetAll, Key: "all"}, f.eddie.ID); err != nil || again.ID != all.ID {
		t.Fatalf("resubmit = %d %v", again.ID, err)
	}
	// Off: the same send goes straight to the queue.
	if err := f.svc.SetApprovalRule(ctx, false, "20"); err != nil {
		t.Fatal(err)
	}
	if s, err := f.svc.StartSend(ctx, SendInput{DraftID: d.ID, Target: TargetAll, Key: "all-2"}, f.eddie.ID); err != nil || s.State != StateQueued {
		t.Fatalf("rule off: %s %v", s.State, err)
	}
}

// The requester cannot approve, an editor cannot approve, another admin can; the worker then
// sends it once; a second approval finds it decided.
func TestApproveSend(t *testing.T) {
	f := newApprovalFixture(t)
	ctx := context.Background()
	d := f.draft(t, 1)
	s, err := f.svc.StartSend(ctx, SendInput{DraftID: d.ID, Target: TargetAll, Key: "k"}, f.alice.ID)
	if err != nil || s.State != StateAwaitingApproval {
		t.Fatalf("start: %s %v", s.State, err)
	}
	if err := f.svc.ApproveSend(ctx, s.ID, f.alice); !errors.Is(err, ErrOwnApproval) {
		t.Fatalf("requester approving = %v", err)
	}
	if err := f.svc.ApproveSend(ctx, s.ID, f.eddie); !errors.Is(err, ErrApproverRole) {
		t.Fatalf("editor approving = %v", err)
	}
	if err := f.svc.RejectSend(ctx, s.ID, f.eddie, "no"); !errors.Is(err, ErrApproverRole) {
		t.Fatalf("editor rejecting another's = %v", err)
	}
	if got := mustSend(t, f.svc, s.ID).State; got != StateAwaitingApproval {
		t.Fatalf("after refused attempts: %s", got)
	}
	if err := f.svc.ApproveSend(ctx, s.ID, f.bob); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.ApproveSend(ctx, s.ID, f.carol); !errors.Is(err, ErrNotAwaitingApproval) {
		t.Fatalf("second approval = %v", err)
	}
	got := mustSend(t, f.svc, s.ID)
	last := got.History[len(got.History)-1]
	if got.State != StateQueued || last.Action != HistoryApproved || last.OperatorID != f.bob.ID || last.Detail != "bob" {
		t.Fatalf("approved: %s %+v", got.State, last)
	}
	runOnce(t, f.svc)
	runOnce(t, f.svc)
	if n := f.wx.count(EndpointSendAll); n != 1 || mustSend(t, f.svc, s.ID).State != StateSubmitted {
		t.Fatalf("sendall calls = %d, state %s", n, mustSend(t, f.svc, s.ID).State)
	}
}

// Two admins approving at the same moment make one approval, and one send.
func TestConcurrentApprovalsApproveOnce(t *testing.T) {
	f := newApprovalFixture(t)
	ctx := context.Background()
	d := f.draft(t, 1)
	s, err := f.svc.StartSend(ctx, SendInput{DraftID: d.ID, Target: TargetAll, Key: "k"}, f.alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, op := range []Operator{f.bob, f.carol} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = f.svc.ApproveSend(ctx, s.ID, op)
		}()
	}
	wg.Wait()
	ok, lost := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, ErrNotAwaitingApproval):
			lost++
		default:
			t.Fatalf("approve: %v", err)
		}
	}
	got := mustSend(t, f.svc, s.ID)
	approvals := 0
	for _, h := range got.History {
		if h.Action == HistoryApproved {
			approvals++
		}
	}
	if ok != 1 || lost != 1 || approvals != 1 {
		t.Fatalf("ok %d, lost %d, approvals recorded %d", ok, lost, approvals)
	}
	runOnce(t, f.svc)
	if n := f.wx.count(EndpointSendAll); n != 1 {
		t.Fatalf("sendall calls = %d", n)
	}
}

// A rejection ends the send: rejected with its reason, batches never sent, quota released;
// the requester may withdraw their own request.
func TestRejectSend(t *testing.T) {
	f := newApprovalFixture(t)
	ctx := context.Background()
	d := f.draft(t, 1)
	s, err := f.svc.StartSend(ctx, SendInput{DraftID: d.ID, Target: TargetAll, Key: "k"}, f.alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.RejectSend(ctx, s.ID, f.bob, "  标题有错  "); err != nil {
		t.Fatal(err)
	}
	got := mustSend(t, f.svc, s.ID)
	last := got.History[len(got.History)-1]
	if got.State != StateRejected || got.Errmsg != "标题有错" || got.Batches[0].State != StateRejected ||
		last.Action != HistoryRejected || last.Detail != "bob: 标题有错" || last.OperatorID != f.bob.ID {
		t.Fatalf("rejected: %+v %+v", got, last)
	}
	if got.AwaitingWeChat() || got.Deletable() {
		t.Fatal("a rejected send is final")
	}
	var reserved int64
	f.store.gdb.Model(&quotaCallRow{}).Where("send_id = ?", s.ID).Count(&reserved)
	if reserved != 0 {
		t.Fatalf("quota rows left for a rejected send = %d", reserved)
	}
	if err := f.svc.ApproveSend(ctx, s.ID, f.carol); !errors.Is(err, ErrNotAwaitingApproval) {
		t.Fatalf("approve after reject = %v", err)
	}
	runOnce(t, f.svc)
	if n := len(f.wx.calls); n != 0 {
		t.Fatalf("WeChat calls after a rejection: %v", f.wx.calls)
	}

	// The editor who asked withdraws their own request.
	s2, err := f.svc.StartSend(ctx, SendInput{DraftID: d.ID, Target: TargetAll, Key: "k2"}, f.eddie.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.RejectSend(ctx, s2.ID, f.eddie, ""); err != nil {
		t.Fatalf("withdraw own: %v", err)
	}
	if got := mustSend(t, f.svc, s2.ID); got.State != StateRejected {
		t.Fatalf("withdrawn: %s", got.State)
	}
}

// Approved on a later day, the reservation is checked against that day's quota: no room, the
// send keeps waiting; room, it is queued with today's reservation.
func TestApprovalChecksTodaysQuota(t *testing.T) {
	f := newApprovalFixture(t)
	ctx := context.Background()
	d := f.draft(t, 1)
	s, err := f.svc.StartSend(ctx, SendInput{DraftID: d.ID, Target: TargetAll, Key: "k"}, f.alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(24 * time.Hour)
	for range 9 { // one call left today; the send needs three
		if err := f.svc.useQuota(ctx, 0, EndpointUploadThumb); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.svc.ApproveSend(ctx, s.ID, f.bob); !errors.Is(err, ErrQuotaExceeded) {
		t.Fatalf("approve without quota = %v", err)
	}
	if got := mustSend(t, f.svc, s.ID); got.State != StateAwaitingApproval || len(got.History) != 2 {
		t.Fatalf("after a refused approval: %s %v", got.State, historyActions(got))
	}
	f.clock.Advance(24 * time.Hour)
	if err := f.svc.ApproveSend(ctx, s.ID, f.bob); err != nil {
		t.Fatal(err)
	}
	var today int64
	f.store.gdb.Model(&quotaCallRow{}).Where("send_id = ? AND reserved = ? AND day = ?", s.ID, true, beijingDay(f.clock.Now())).Count(&today)
	if today != 3 {
		t.Fatalf("reservations moved to today = %d, want 3", today)
	}
}

// A schedule that fires into the rule makes a send that waits for approval.
func TestScheduledSendAwaitsApproval(t *testing.T) {
	f := newApprovalFixture(t)
	ctx := context.Background()
	d := f.draft(t, 1)
	sc := mustSchedule(t, f.fixture, SendInput{DraftID: d.ID, Target: TargetAll, Key: "s"}, f.clock.Now().Add(time.Hour))
	f.clock.Advance(time.Hour)
	if err := f.svc.FireDueSchedules(ctx); err != nil {
		t.Fatal(err)
	}
	runOnce(t, f.svc)
	got := scheduleOf(t, f.fixture, sc.ID)
	if got.State != ScheduleFired || got.SendID == 0 {
		t.Fatalf("schedule: %+v", got)
	}
	if s := mustSend(t, f.svc, got.SendID); s.State != StateAwaitingApproval || f.wx.count(EndpointSendAll) != 0 {
		t.Fatalf("fired send: %s, sendall %d", s.State, f.wx.count(EndpointSendAll))
	}
}
