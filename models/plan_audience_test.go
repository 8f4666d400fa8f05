package models

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// With a synced followers table the plan counts the audience's subscribed members, those at
// their cap this month (the ledger) and those known to refuse.
func TestPlanFiguresFromLedger(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	d := f.draft(t, 1)
	long := f.clock.Now().Add(-30 * 24 * time.Hour)
	f.followers(t,
		follower{id: "oPLANaaaa", group: 100, subscribed: true, at: long},
		follower{id: "oPLANbbbb", group: 100, subscribed: true, at: long},
		follower{id: "oPLANcccc", group: 100, subscribed: true, at: long, blacklisted: true},
		follower{id: "oPLANgone", group: 100, subscribed: false, at: long},
		follower{id: "oPLANdddd", group: 0, subscribed: true, at: long},
	)
	f.setLedger(t, "2025-03", "oPLANaaaa", 4)
	f.setLedger(t, "2025-03", "oPLANbbbb", 3)
	f.setLedger(t, "2025-02", "oPLANbbbb", 4) // last month: does not count

	p, err := f.svc.PlanSend(ctx, SendInput{DraftID: d.ID, Target: TargetGroup, GroupID: 100})
	if err != nil || !p.FollowersKnown || p.Recipients != 3 || p.OverCap != 1 || p.Refusers != 1 {
		t.Fatalf("group plan: known %v recipients %d at cap %d refusers %d (%v); want true 3 1 1",
			p.FollowersKnown, p.Recipients, p.OverCap, p.Refusers, err)
	}
	p, err = f.svc.PlanSend(ctx, SendInput{DraftID: d.ID, Target: TargetAll})
	if err != nil || p.Recipients != 4 || p.OverCap != 1 || p.Refusers != 1 {
		t.Fatalf("everyone plan: recipients %d at cap %d refusers %d (%v); want 4 1 1", p.Recipients, p.OverCap, p.Refusers, err)
	}
	f.setLedger(t, "2025-03", "oPLANbbbb", 4)
	if p, _ = f.svc.PlanSend(ctx, SendInput{DraftID: d.ID, Target: TargetGroup, GroupID: 100}); p.OverCap != 2 {
		t.Fatalf("group plan after b's fourth: at cap %d, want 2", p.OverCap)
	}
}

// Before any sync the group figures are WeChat's counts, and the plan says the members are not known.
func TestPlanBeforeSyncUsesWeChatCounts(t *testing.T) {
	f := newFixture(t)
	d := f.draft(t, 1)
	p, err := f.svc.PlanSend(context.Background(), SendInput{DraftID: d.ID, Target: TargetGroup, GroupID: 100})
	if err != nil || p.FollowersKnown || p.Recipients != 20 {
		t.Fatalf("plan: known %v recipients %d (%v); want false, 20 (groups/get)", p.FollowersKnown, p.Recipients, err)
	}
}

// An OpenID list leaves out its followers at the cap by default: the recipients, batches and
// the send itself are the rest; turned off, the whole list is sent.
func TestPlanLeavesOutCapped(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	d := f.draft(t, 1)
	f.followers(t, follower{id: "oLISTcccc03", subscribed: true, at: f.clock.Now(), blacklisted: true})
	f.setLedger(t, "2025-03", "oLISTaaaa01", 4)
	f.setLedger(t, "2025-03", "oLISTbbbb02", 2)
	list := "oLISTaaaa01\noLISTbbbb02\noLISTcccc03\noLISTdddd04"

	p, err := f.svc.PlanSend(ctx, SendInput{DraftID: d.ID, Target: TargetOpenIDs, OpenIDs: list})
	if err != nil || p.OverCap != 1 || p.LeftOut != 1 || p.Recipients != 3 || p.Refusers != 1 || p.Batches != 1 {
		t.Fatalf("default plan: at cap %d left out %d recipients %d refusers %d batches %d (%v); want 1 1 3 1 1",
			p.OverCap, p.LeftOut, p.Recipients, p.Refusers, p.Batches, err)
	}
	p, err = f.svc.PlanSend(ctx, SendInput{DraftID: d.ID, Target: TargetOpenIDs, OpenIDs: list, IncludeCapped: true})
	if err != nil || p.OverCap != 1 || p.LeftOut != 0 || p.Recipients != 4 {
		t.Fatalf("capped included: at cap %d left out %d recipients %d (%v); want 1 0 4", p.OverCap, p.LeftOut, p.Recipients, err)
	}

	s := f.sendAndRun(t, SendInput{DraftID: d.ID, Target: TargetOpenIDs, OpenIDs: list, Key: "k"})
	if got := strings.Join(f.recipients(t, s.ID), ","); got != "oLISTbbbb02,oLISTcccc03,oLISTdddd04" || s.Recipients != 3 {
		t.Fatalf("sent to %s (%d), want the three below the cap", got, s.Recipients)
	}
	s = f.sendAndRun(t, SendInput{DraftID: d.ID, Target: TargetOpenIDs, OpenIDs: list, Key: "k", IncludeCapped: true})
	if got := len(f.recipients(t, s.ID)); got != 4 {
		t.Fatalf("capped included: sent to %d, want 4", got)
	}

	// Two on the list, one at the cap: one left, which mass/send cannot take.
	f.setLedger(t, "2025-03", "oLISTbbbb02", 4)
	_, err = f.svc.PlanSend(ctx, SendInput{DraftID: d.ID, Target: TargetOpenIDs, OpenIDs: "oLISTbbbb02\noLISTeeee05"})
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Fields["openids"] != "err.openids_too_few_after_cap" {
		t.Fatalf("one left after the cap: %v", err)
	}
}
