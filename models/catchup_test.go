package models

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// A catch-up goes to the followers who subscribed after the send went out, are still
// subscribed and have not received it; a second catch-up leaves out the first's recipients.
func TestCatchUpSelection(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	d := f.draft(t, 1)
	long := f.clock.Now().Add(-30 * 24 * time.Hour)
	f.followers(t,
		follower{id: "oCATold01", group: 100, subscribed: true, at: long},
		follower{id: "oCATold02", group: 100, subscribed: true, at: long},
		follower{id: "oCATold03", group: 0, subscribed: true, at: long}, // not in the group: not a catch-up either
	)
	first := f.finish(t, f.sendAndRun(t, SendInput{DraftID: d.ID, Target: TargetGroup, GroupID: 100, Key: "g"}))
	if cu, err := f.svc.SendCatchUp(ctx, first.ID); err != nil || !cu.Possible || cu.Waiting != 0 {
		t.Fatalf("right after: %+v %v", cu, err)
	}

	f.clock.Advance(time.Hour)
	f.followers(t,
		follower{id: "oCATnew01", group: 100, subscribed: true, at: f.clock.Now()},
		follower{id: "oCATnew02", group: 0, subscribed: true, at: f.clock.Now()},
		follower{id: "oCATleft1", group: 100, subscribed: false, at: f.clock.Now()}, // subscribed, then left
	)
	// Already received it (a list send recorded it): not again.
	if err := f.store.gdb.Exec(`INSERT INTO followers (open_id, subscribed, subscribed_at, updated_at) VALUES ('oCATgot01', 1, ?, ?)`,
		f.clock.Now(), f.clock.Now()).Error; err != nil {
		t.Fatal(err)
	}
	if err := f.store.gdb.Exec(`INSERT INTO send_recipients (send_id, open_id) VALUES (?, 'oCATgot01')`, first.ID).Error; err != nil {
		t.Fatal(err)
	}
	cu, err := f.svc.SendCatchUp(ctx, first.ID)
	if err != nil || cu.Waiting != 2 {
		t.Fatalf("catch-up: %+v %v; want 2 waiting", cu, err)
	}

	f.clock.Advance(time.Minute)
	catch := f.start(t, SendInput{CatchUpOf: first.ID, Key: "c1"})
	if catch.CatchUpOf != first.ID || catch.Target != TargetOpenIDs || catch.Recipients != 2 || catch.Title != first.Title {
		t.Fatalf("catch-up send: %+v", catch)
	}
	// One at a time: its recipients are not recorded until WeChat takes it.
	_, err = f.svc.StartSend(ctx, SendInput{CatchUpOf: first.ID, Key: "c2"}, 1)
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Fields["catch_up"] != "err.catch_up_underway" {
		t.Fatalf("second catch-up while the first is queued: %v", err)
	}
	runOnce(t, f.svc)
	catch = f.finish(t, mustSend(t, f.svc, catch.ID))
	if got := strings.Join(f.recipients(t, catch.ID), ","); got != "oCATnew01,oCATnew02" {
		t.Fatalf("catch-up sent to %s", got)
	}
	if cu, _ := f.svc.SendCatchUp(ctx, first.ID); cu.Waiting != 0 || len(cu.Sends) != 1 || cu.Sends[0] != catch.ID || cu.Underway != 0 {
		t.Fatalf("after the catch-up: %+v", cu)
	}
	// A catch-up has no catch-up of its own: the first send's covers everyone.
	if cu, _ := f.svc.SendCatchUp(ctx, catch.ID); cu.Possible {
		t.Fatal("a catch-up offers a catch-up")
	}

	f.clock.Advance(time.Hour)
	f.followers(t, follower{id: "oCATnew03", subscribed: true, at: f.clock.Now()},
		follower{id: "oCATnew04", subscribed: true, at: f.clock.Now()})
	if cu, _ := f.svc.SendCatchUp(ctx, first.ID); cu.Waiting != 2 {
		t.Fatalf("second catch-up: %d waiting, want the 2 new ones", cu.Waiting)
	}
	f.clock.Advance(time.Minute)
	second := f.start(t, SendInput{CatchUpOf: first.ID, Key: "c3"})
	runOnce(t, f.svc)
	if got := strings.Join(f.recipients(t, second.ID), ","); got != "oCATnew03,oCATnew04" {
		t.Fatalf("second catch-up sent to %s", got)
	}
}

// Only a finished send has a catch-up, and one follower cannot be caught up by mass/send.
func TestCatchUpNeedsFinishedSendAndTwoFollowers(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	d := f.draft(t, 1)
	s := f.sendAndRun(t, SendInput{DraftID: d.ID, Target: TargetAll, Key: "a"})
	if cu, err := f.svc.SendCatchUp(ctx, s.ID); err != nil || cu.Possible {
		t.Fatalf("submitted, not finished: %+v %v", cu, err)
	}
	_, err := f.svc.PlanSend(ctx, SendInput{CatchUpOf: s.ID})
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Fields["catch_up"] != "err.catch_up_not_possible" {
		t.Fatalf("plan of an unfinished send's catch-up: %v", err)
	}
	f.finish(t, s)
	f.clock.Advance(time.Hour)
	f.followers(t, follower{id: "oCATonly1", subscribed: true, at: f.clock.Now()})
	_, err = f.svc.PlanSend(ctx, SendInput{CatchUpOf: s.ID})
	if !errors.As(err, &ve) || ve.Fields["openids"] != "err.openids_too_few" {
		t.Fatalf("one follower: %v", err)
	}
}
