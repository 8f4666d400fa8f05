package models

import (
	"context"
	"fmt"
	"testing"
)

// The timeline names who did each step: the operator of the history entry, the audit log's
// address beside it, the audit entries the history does not record, and the reconciliation.
func TestSendTimelineNamesWho(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	op, err := f.store.CreateFirstOperator(ctx, "alice", "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	d := f.draft(t, 1)
	s, err := f.svc.StartSend(ctx, SendInput{DraftID: d.ID, Target: TargetOpenIDs, OpenIDs: openIDList(3), Key: "tl"}, op.ID)
	if err != nil {
		t.Fatal(err)
	}
	target := fmt.Sprintf("send:%d", s.ID)
	for _, e := range []AuditEntry{
		{OperatorID: op.ID, Username: "alice", ClientAddr: "192.0.2.7", Action: AuditSendCreate, Target: target},
		{OperatorID: op.ID, Username: "alice", ClientAddr: "192.0.2.7", Action: AuditStatsFetch, Target: target},
		{OperatorID: op.ID, Username: "alice", Action: AuditSendCreate, Target: "send:999"},
	} {
		if err := f.svc.Audit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	runOnce(t, f.svc)
	s = mustSend(t, f.svc, s.ID)
	f.clock.Advance(11 * 60e9) // past ReconcileAfter: mass/get is asked
	runOnce(t, f.svc)
	s = mustSend(t, f.svc, s.ID)
	events, err := f.svc.SendTimeline(ctx, s, SendReadStats{})
	if err != nil {
		t.Fatal(err)
	}
	byAction := map[string]TimelineEvent{}
	var order []string
	for _, e := range events {
		byAction[e.Action] = e
		order = append(order, e.Action)
	}
	if c := byAction[HistoryCreated]; c.Who != "alice" || c.Addr != "192.0.2.7" {
		t.Errorf("created = %+v", c)
	}
	if e, ok := byAction["audit.action."+AuditStatsFetch]; !ok || e.Who != "alice" {
		t.Errorf("the audit-only action is missing: %v", order)
	}
	if _, ok := byAction[HistorySubmitted]; !ok {
		t.Errorf("no submitted: %v", order)
	}
	if _, ok := byAction[TimelineReconciled]; !ok {
		t.Errorf("no reconciliation: %v", order)
	}
	if len(events) != len(s.History)+2 {
		t.Errorf("events %v, history %d (another send's audit entry leaked?)", order, len(s.History))
	}
	for i := 1; i < len(events); i++ {
		if events[i].At.Before(events[i-1].At) {
			t.Errorf("not in time order: %v", order)
		}
	}
}
